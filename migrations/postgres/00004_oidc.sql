-- +goose Up
-- OpenID Connect connections of workspaces. The client secret is sealed
-- with the server's key (seal.Box, purpose bound to the connection id).
CREATE TABLE oidc_connections (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name                TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    client_secret       TEXT NOT NULL,
    tenant_id           TEXT NOT NULL DEFAULT '',
    hosted_domain       TEXT NOT NULL DEFAULT '',
    domains             TEXT NOT NULL DEFAULT '[]',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX oidc_connections_client ON oidc_connections (workspace_id, issuer, client_id);

-- Identities are keyed on (connection, issuer, subject), never on email.
-- connection_id is a workspace connection's id or "provider:<key>" for a
-- server-wide provider from configuration, so it has no foreign key.
CREATE TABLE oidc_identities (
    id                  TEXT PRIMARY KEY,
    connection_id       TEXT NOT NULL,
    issuer              TEXT NOT NULL,
    subject             TEXT NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email               TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    last_sign_in_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX oidc_identities_key ON oidc_identities (connection_id, issuer, subject);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);

-- Browser sessions, stored server-side; the cookie holds the token, the
-- row only its hash.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    token_hash          TEXT NOT NULL UNIQUE,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    identity_id         TEXT NOT NULL DEFAULT '',
    workspace_id        TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
DROP TABLE oidc_identities;
DROP TABLE oidc_connections;
