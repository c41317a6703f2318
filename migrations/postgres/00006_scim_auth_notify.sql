-- +goose Up
-- Each server process caches successful SCIM authentications (token,
-- connection, workspace; see directory/scim_authcache.go). These triggers
-- tell every process to drop that cache when a row it may hold changes:
-- NOTIFY is sent at commit (and not at all on rollback) to every session
-- LISTENing on roster_scim_auth in this database. The payload is empty
-- because processes clear the whole cache; identical notifications of one
-- transaction are delivered once.
-- +goose StatementBegin
CREATE FUNCTION roster_scim_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('roster_scim_auth', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Tokens: a row trigger with a WHEN clause, so the last_used_at update a
-- request makes now and then notifies no one.
CREATE TRIGGER scim_tokens_auth_update AFTER UPDATE ON scim_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
        OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.connection_id IS DISTINCT FROM NEW.connection_id
        OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION roster_scim_auth_notify();
CREATE TRIGGER scim_tokens_auth_delete AFTER DELETE OR TRUNCATE ON scim_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION roster_scim_auth_notify();

-- Connections and workspaces change rarely: any change notifies.
CREATE TRIGGER scim_connections_auth AFTER UPDATE OR DELETE OR TRUNCATE ON scim_connections
    FOR EACH STATEMENT EXECUTE FUNCTION roster_scim_auth_notify();
CREATE TRIGGER workspaces_auth AFTER UPDATE OR DELETE OR TRUNCATE ON workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION roster_scim_auth_notify();

-- +goose Down
DROP TRIGGER workspaces_auth ON workspaces;
DROP TRIGGER scim_connections_auth ON scim_connections;
DROP TRIGGER scim_tokens_auth_delete ON scim_tokens;
DROP TRIGGER scim_tokens_auth_update ON scim_tokens;
DROP FUNCTION roster_scim_auth_notify();
