-- +goose Up
-- A SCIM connection's request rate limit (token bucket, enforced per
-- server process; see scim/ratelimit.go): requests per second and burst.
-- 0 means the server's default (roster serve --scim-rate-limit and
-- --scim-rate-burst).
ALTER TABLE scim_connections ADD COLUMN rate_limit REAL NOT NULL DEFAULT 0;
ALTER TABLE scim_connections ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE scim_connections DROP COLUMN rate_burst;
ALTER TABLE scim_connections DROP COLUMN rate_limit;
