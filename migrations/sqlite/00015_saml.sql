-- +goose Up
-- SAML 2.0 connections of workspaces, beside OIDC ones. The IdP's metadata
-- is stored as received (pasted, or fetched from metadata_url and
-- refreshed on a schedule so a rotated signing certificate is picked up);
-- entity_id is the IdP's, read from it. Identities made through a SAML
-- connection live in oidc_identities keyed on (connection, IdP entity ID,
-- NameID), like an OIDC subject.
CREATE TABLE saml_connections (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL DEFAULT '',
    entity_id            TEXT NOT NULL,
    metadata_url         TEXT NOT NULL DEFAULT '',
    metadata_xml         TEXT NOT NULL,
    email_attribute      TEXT NOT NULL DEFAULT '',
    allow_idp_initiated  BOOLEAN NOT NULL DEFAULT FALSE,
    domains              TEXT NOT NULL DEFAULT '[]',
    metadata_fetched_at  TIMESTAMP,
    metadata_error       TEXT NOT NULL DEFAULT '',
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saml_connections_entity ON saml_connections (workspace_id, entity_id);

-- Assertion IDs already accepted, so that each assertion signs in once,
-- on whichever replica it reaches. A row is kept until the assertion
-- expires (after that it is refused as expired anyway).
CREATE TABLE saml_assertions (
    issuer               TEXT NOT NULL,
    assertion_id         TEXT NOT NULL,
    expires_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, assertion_id)
);
CREATE INDEX saml_assertions_expires ON saml_assertions (expires_at);

-- +goose Down
DROP TABLE saml_assertions;
DROP TABLE saml_connections;
