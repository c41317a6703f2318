-- +goose Up
-- An optimistic SCIM create writes its rows and events in one statement,
-- outside a transaction (directory/optimistic.go). Delivering events to
-- webhooks needs outbox rows written in the same transaction, which that
-- statement cannot add, so the statement calls this function to refuse a
-- workspace with active webhooks: the error aborts the whole statement
-- and the operation runs again as an ordinary transaction.
-- +goose StatementBegin
CREATE FUNCTION roster_assert_no_webhooks(ws text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM webhooks WHERE workspace_id = ws AND active) THEN
        RAISE EXCEPTION 'workspace % has active webhooks', ws USING ERRCODE = 'RSWHK';
    END IF;
    RETURN TRUE;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION roster_assert_no_webhooks(text);
