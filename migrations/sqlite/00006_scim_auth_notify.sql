-- +goose Up
-- PostgreSQL's 00006 adds the NOTIFY triggers behind the SCIM
-- authentication cache. SQLite has no such cache (other processes, such as
-- the roster CLI, write the same file, and there is no notification
-- channel), so this version only keeps the numbering of both dialects the
-- same, as goose needs.
SELECT 1;

-- +goose Down
SELECT 1;
