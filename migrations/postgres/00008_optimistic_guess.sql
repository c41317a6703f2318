-- +goose Up
-- An optimistic SCIM create may skip its read and guess that nobody has
-- the address and that the workspace has not verified its domain
-- (directory/optimistic.go). Its one statement calls this function to
-- check the guess against the rows committed before it; an error aborts
-- the statement and the create runs again as an ordinary transaction. A
-- person created concurrently is caught by users' unique index instead.
-- +goose StatementBegin
CREATE FUNCTION roster_assert_guess(p_workspace text, p_email text, p_domain text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM users WHERE email_norm = p_email) THEN
        RAISE EXCEPTION 'a user has the address' USING ERRCODE = 'RSGSS';
    END IF;
    IF p_domain <> '' AND EXISTS (SELECT 1 FROM domains WHERE workspace_id = p_workspace AND domain = p_domain AND verified_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the workspace verified the domain' USING ERRCODE = 'RSGSS';
    END IF;
    RETURN TRUE;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION roster_assert_guess(text, text, text);
