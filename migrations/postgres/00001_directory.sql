-- +goose Up
CREATE TABLE workspaces (
    id                      TEXT PRIMARY KEY,
    slug                    TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL,
    seat_limit              INTEGER,
    trial_ends_at           TIMESTAMPTZ,
    invite_roles            TEXT NOT NULL DEFAULT '["owner","admin"]',
    invitation_ttl_seconds  INTEGER NOT NULL DEFAULT 604800,
    terms_version           TEXT NOT NULL DEFAULT '',
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    email               TEXT,
    email_norm          TEXT,
    name                TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    phone_norm          TEXT NOT NULL DEFAULT '',
    locale              TEXT NOT NULL DEFAULT '',
    home_workspace_id   TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
    profile             TEXT NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_norm ON users (email_norm) WHERE email_norm IS NOT NULL;
CREATE INDEX users_phone_norm ON users (phone_norm) WHERE phone_norm <> '';

CREATE TABLE custom_roles (
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    name            TEXT NOT NULL,
    permissions     TEXT NOT NULL DEFAULT '[]',
    rank            INTEGER NOT NULL DEFAULT 25,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE memberships (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role                TEXT NOT NULL,
    effective_role      TEXT NOT NULL,
    status              TEXT NOT NULL,
    kind                TEXT NOT NULL,
    source              TEXT NOT NULL,
    main_admin          BOOLEAN NOT NULL DEFAULT FALSE,
    locale              TEXT NOT NULL DEFAULT '',
    join_link_id        TEXT,
    terms_version       TEXT NOT NULL DEFAULT '',
    onboarded_at        TIMESTAMPTZ,
    external_id         TEXT,
    scim_user_name      TEXT,
    scim_user_name_norm TEXT,
    scim_attrs          TEXT NOT NULL DEFAULT '{}',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    removed_at          TIMESTAMPTZ
);
CREATE UNIQUE INDEX memberships_workspace_user ON memberships (workspace_id, user_id);
CREATE UNIQUE INDEX memberships_main_admin ON memberships (workspace_id) WHERE main_admin;
CREATE UNIQUE INDEX memberships_scim_user_name ON memberships (workspace_id, scim_user_name_norm)
    WHERE scim_user_name_norm IS NOT NULL AND status <> 'removed';
CREATE INDEX memberships_workspace_status ON memberships (workspace_id, status, created_at, id);
CREATE INDEX memberships_external_id ON memberships (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE teams (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    name_norm       TEXT NOT NULL,
    role            TEXT,
    external_id     TEXT,
    scim_attrs      TEXT NOT NULL DEFAULT '{}',
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX teams_workspace_name ON teams (workspace_id, name_norm);

CREATE TABLE team_members (
    team_id         TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    membership_id   TEXT NOT NULL REFERENCES memberships(id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, membership_id)
);
CREATE INDEX team_members_membership ON team_members (membership_id);

CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    membership_id   TEXT NOT NULL REFERENCES memberships(id) ON DELETE CASCADE,
    email_norm      TEXT NOT NULL,
    role            TEXT NOT NULL,
    teams           TEXT NOT NULL DEFAULT '[]',
    grants          TEXT NOT NULL DEFAULT '[]',
    inviter_kind    TEXT NOT NULL,
    inviter_id      TEXT NOT NULL DEFAULT '',
    inviter_name    TEXT NOT NULL DEFAULT '',
    token_hash      TEXT NOT NULL UNIQUE,
    expires_at      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL,
    send_email      BOOLEAN NOT NULL DEFAULT TRUE,
    main_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    resend_count    INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    accepted_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX invitations_open ON invitations (workspace_id, email_norm) WHERE status = 'pending';
CREATE INDEX invitations_workspace_status ON invitations (workspace_id, status, created_at);

CREATE TABLE join_links (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    description     TEXT NOT NULL,
    role            TEXT NOT NULL,
    teams           TEXT NOT NULL DEFAULT '[]',
    mode            TEXT NOT NULL,
    notify          TEXT NOT NULL,
    notify_people   TEXT NOT NULL DEFAULT '[]',
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    token_hash      TEXT NOT NULL UNIQUE,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX join_links_workspace ON join_links (workspace_id);

CREATE TABLE join_requests (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    join_link_id    TEXT REFERENCES join_links(id) ON DELETE SET NULL,
    domain          TEXT,
    role            TEXT NOT NULL,
    teams           TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX join_requests_open ON join_requests (workspace_id, user_id) WHERE status IN ('pending', 'rejected');
CREATE INDEX join_requests_workspace_status ON join_requests (workspace_id, status, created_at);

CREATE TABLE domains (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    domain              TEXT NOT NULL,
    verification_token  TEXT NOT NULL,
    verified_at         TIMESTAMPTZ,
    policy              TEXT NOT NULL DEFAULT 'request',
    default_role        TEXT NOT NULL DEFAULT 'member',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX domains_workspace_domain ON domains (workspace_id, domain);
CREATE UNIQUE INDEX domains_verified ON domains (domain) WHERE verified_at IS NOT NULL;

CREATE TABLE events (
    id              BIGSERIAL PRIMARY KEY,
    tx_id           XID8 NOT NULL DEFAULT pg_current_xact_id(),
    workspace_id    TEXT NOT NULL,
    type            TEXT NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_id        TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL,
    subject_kind    TEXT NOT NULL DEFAULT '',
    subject_id      TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, id);

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    workspace_id    TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    target_id       TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (kind, next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_workspace ON outbox (workspace_id, kind, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE domains;
DROP TABLE join_requests;
DROP TABLE join_links;
DROP TABLE invitations;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE memberships;
DROP TABLE custom_roles;
DROP TABLE users;
DROP TABLE workspaces;
