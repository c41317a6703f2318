-- +goose Up
-- PostgreSQL's 00008 adds the guess check of optimistic runs
-- (directory/optimistic.go); SQLite always runs in a transaction, so this
-- version only keeps the numbering of both dialects the same.
SELECT 1;

-- +goose Down
SELECT 1;
