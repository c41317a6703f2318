-- +goose Up
-- Fewer index entries per synced person (issue 13). Each synced person
-- writes two scim_requests rows (the lookup and the create are both
-- logged), two events and an invitation email's outbox row, which is
-- written again when claimed and when sent.
--
-- scim_requests: every query reads one connection's log in id order (the
-- log's pages and filters, and the retention prune, which finds where the
-- expired entries end by id; see directory.PruneSCIMRequests), none by id
-- alone. So its only index is (connection_id, id), as the primary key,
-- instead of three.
ALTER TABLE scim_requests DROP CONSTRAINT scim_requests_pkey;
ALTER TABLE scim_requests ADD PRIMARY KEY (connection_id, id);
DROP INDEX scim_requests_connection;
DROP INDEX scim_requests_created;
-- events: every query names the workspace; the primary key becomes the
-- (workspace_id, id) index those in id order read, and the feed keeps
-- events_workspace_tx.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (workspace_id, id);
DROP INDEX events_workspace;
-- outbox_target serves only the webhook queries (a webhook's deliveries);
-- an email's target is empty, so its three row versions wrote three
-- entries no query reads.
DROP INDEX outbox_target;
CREATE INDEX outbox_target ON outbox (target_id, status) WHERE kind = 'webhook';

-- +goose Down
DROP INDEX outbox_target;
CREATE INDEX outbox_target ON outbox (kind, target_id, status);
CREATE INDEX events_workspace ON events (workspace_id, id);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX scim_requests_created ON scim_requests (connection_id, created_at);
CREATE INDEX scim_requests_connection ON scim_requests (connection_id, id);
ALTER TABLE scim_requests DROP CONSTRAINT scim_requests_pkey;
ALTER TABLE scim_requests ADD PRIMARY KEY (id);
