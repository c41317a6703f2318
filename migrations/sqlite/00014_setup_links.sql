-- +goose Up
-- Setup links (directory.SetupLink): a workspace admin hands one to the
-- customer's IT admin, who uses it to set up SCIM, single sign-on or a
-- domain for that one workspace without a Roster account. The token is
-- kept only as its hash.
CREATE TABLE setup_links (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_hash         TEXT NOT NULL UNIQUE,
    purpose            TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    provider           TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    expires_at         TIMESTAMP NOT NULL,
    revoked_at         TIMESTAMP,
    completed_at       TIMESTAMP,
    summary            TEXT NOT NULL DEFAULT '',
    oidc_connection_id TEXT NOT NULL DEFAULT '',
    test_result        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX setup_links_workspace ON setup_links (workspace_id, created_at);
-- A connection made through a setup link stays off until its test
-- sign-in passed and the IT admin switched it on; existing ones are on.
ALTER TABLE oidc_connections ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;

-- +goose Down
ALTER TABLE oidc_connections DROP COLUMN enabled;
DROP TABLE setup_links;
