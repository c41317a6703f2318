-- +goose Up
-- PostgreSQL's 00009 drops the checks of the removed optimistic creates;
-- SQLite never had them, so this version only keeps the numbering of both
-- dialects the same.
SELECT 1;

-- +goose Down
SELECT 1;
