-- +goose Up
-- SCIM connections: one per workspace. The IdP profile picks how requests
-- are normalised and answered; the rest is provisioning policy.
CREATE TABLE scim_connections (
    id                      TEXT PRIMARY KEY,
    workspace_id            TEXT NOT NULL UNIQUE REFERENCES workspaces(id) ON DELETE CASCADE,
    profile                 TEXT NOT NULL,
    default_role            TEXT NOT NULL,
    send_invitations        BOOLEAN NOT NULL DEFAULT TRUE,
    activation              TEXT NOT NULL DEFAULT 'domain',
    seat_policy             TEXT NOT NULL DEFAULT 'refuse',
    team_roles              TEXT NOT NULL DEFAULT '{}',
    log_retention_seconds   BIGINT NOT NULL DEFAULT 2592000,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);

-- Bearer tokens of a connection; several at once so a token can be rotated
-- without downtime. Only the hash is stored; every request looks it up.
CREATE TABLE scim_tokens (
    id              TEXT PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES scim_connections(id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    hint            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ
);
CREATE INDEX scim_tokens_connection ON scim_tokens (connection_id, created_at);

-- The request log of a connection, pruned after its retention period.
CREATE TABLE scim_requests (
    id              BIGSERIAL PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES scim_connections(id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL,
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,
    status          INTEGER NOT NULL,
    action          TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT '',
    duration_us     BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX scim_requests_connection ON scim_requests (connection_id, id);
CREATE INDEX scim_requests_created ON scim_requests (connection_id, created_at);

-- The email addresses of SCIM users, one row per element of "emails", so
-- that email filters (emails.value eq, emails[type eq "work"].value eq)
-- are index lookups and value-path conditions apply to one element.
CREATE TABLE scim_emails (
    membership_id   TEXT NOT NULL REFERENCES memberships(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    workspace_id    TEXT NOT NULL,
    value           TEXT NOT NULL,
    value_norm      TEXT NOT NULL,
    type            TEXT,
    is_primary      BOOLEAN NOT NULL DEFAULT FALSE,
    display         TEXT,
    PRIMARY KEY (membership_id, position)
);
CREATE INDEX scim_emails_value ON scim_emails (workspace_id, value_norm);

-- SCIM users are the memberships with a userName. Listing pages through
-- them in id order; incremental syncs filter on meta.lastModified.
CREATE INDEX memberships_scim_list ON memberships (workspace_id, id)
    WHERE scim_user_name_norm IS NOT NULL AND status <> 'removed';
CREATE INDEX memberships_scim_modified ON memberships (workspace_id, updated_at)
    WHERE scim_user_name_norm IS NOT NULL AND status <> 'removed';
CREATE INDEX memberships_scim_tombstone ON memberships (workspace_id, scim_user_name_norm)
    WHERE status = 'removed' AND scim_user_name_norm IS NOT NULL;

-- A SCIM user created inactive (or over the seat limit under the
-- "suspend" seat policy) holds no seat and was invited nowhere yet:
-- active=true then applies the bridge rules as a create would.
ALTER TABLE memberships ADD COLUMN scim_pending_grant BOOLEAN NOT NULL DEFAULT FALSE;

-- A group member's display as the IdP sent it (RFC 7643 makes it
-- immutable: set when the member is added); NULL shows the userName.
ALTER TABLE team_members ADD COLUMN scim_display TEXT;

-- Groups are looked up by externalId and listed in id order.
CREATE INDEX teams_external_id ON teams (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX teams_workspace_id ON teams (workspace_id, id);

-- +goose Down
DROP INDEX teams_workspace_id;
DROP INDEX teams_external_id;
ALTER TABLE team_members DROP COLUMN scim_display;
ALTER TABLE memberships DROP COLUMN scim_pending_grant;
DROP INDEX memberships_scim_tombstone;
DROP INDEX memberships_scim_modified;
DROP INDEX memberships_scim_list;
DROP TABLE scim_emails;
DROP TABLE scim_requests;
DROP TABLE scim_tokens;
DROP TABLE scim_connections;
