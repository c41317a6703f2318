-- +goose Up
-- MembersJoinedVia lists the people who came in through one join link (to
-- review after a link leaked) without scanning the workspace.
CREATE INDEX memberships_join_link ON memberships (join_link_id) WHERE join_link_id IS NOT NULL;

-- +goose Down
DROP INDEX memberships_join_link;
