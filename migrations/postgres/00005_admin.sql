-- +goose Up
-- API keys of the admin API: a workspace, the role the key acts with, and
-- only the hash of the token (shown once when created).
CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    token_prefix    TEXT NOT NULL,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

-- Webhook endpoints. The secret signs deliveries, so it is sealed with the
-- server's key rather than hashed: it must be recoverable to sign.
CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    secret_sealed   TEXT NOT NULL,
    event_types     TEXT NOT NULL DEFAULT '["*"]',
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- Every emitted event looks up its workspace's active webhooks: one index scan.
CREATE INDEX webhooks_workspace_active ON webhooks (workspace_id) WHERE active;
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);

-- One row per delivery attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL,
    outbox_id       BIGINT NOT NULL,
    event_id        BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    delivered       BOOLEAN NOT NULL,
    status_code     INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, id);
CREATE INDEX outbox_target ON outbox (kind, target_id, status);

-- The event feed reads in (tx_id, id) order below the oldest running
-- transaction; see directory/feed.go.
CREATE INDEX events_workspace_tx ON events (workspace_id, tx_id, id);

-- +goose Down
DROP INDEX events_workspace_tx;
DROP INDEX outbox_target;
DROP TABLE webhook_attempts;
DROP TABLE webhooks;
DROP TABLE api_keys;
