package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// BuiltinRole returns a built-in role by key.
func BuiltinRole(key string) (store.Role, bool) {
	r, ok := store.BuiltinRoles[key]
	return r, ok
}

var roleKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)

// CustomRoleRequest creates or updates a custom role.
type CustomRoleRequest struct {
	Key         string
	Name        string
	Permissions []store.Permission
	// Rank orders the role among others (1–99); default 30, between
	// collaborator and member.
	Rank int
	// Create refuses to replace a role that already has Key (ErrConflict),
	// for doors that pick a new key: two admins creating a role of the
	// same name at once must not overwrite each other's.
	Create bool
}

// ListRoles returns the built-in and custom roles of a workspace.
func (d *Directory) ListRoles(ctx context.Context, actor store.Actor, workspace string) ([]store.Role, error) {
	var roles []store.Role
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := t.Principal(ws); err != nil {
			return err
		}
		for _, r := range store.BuiltinRoles {
			roles = append(roles, r)
		}
		var rows []struct {
			Key string `db:"key"`
		}
		if err := t.SelectRows(&rows, `SELECT key FROM custom_roles WHERE workspace_id = ?`, ws.ID); err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		for _, row := range rows {
			r, err := t.Role(ws.ID, row.Key)
			if err != nil {
				return err
			}
			roles = append(roles, r)
		}
		return nil
	})
	sort.Slice(roles, func(i, j int) bool {
		return roles[i].Rank > roles[j].Rank || roles[i].Rank == roles[j].Rank && roles[i].Key < roles[j].Key
	})
	return roles, err
}

// SaveCustomRole creates or replaces a custom role. Built-in role keys
// cannot be reused.
func (d *Directory) SaveCustomRole(ctx context.Context, actor store.Actor, workspace string, req CustomRoleRequest) (store.Role, error) {
	req.Key = strings.TrimSpace(strings.ToLower(req.Key))
	var out store.Role
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermRolesManage)
		if err != nil {
			return err
		}
		if !roleKeyPattern.MatchString(req.Key) {
			return store.Invalidf("role key %q must be 2–40 lower-case letters, digits, - or _, starting with a letter", req.Key)
		}
		if _, ok := store.BuiltinRoles[req.Key]; ok {
			return store.Invalidf("%q is a built-in role", req.Key)
		}
		if strings.TrimSpace(req.Name) == "" {
			return store.Invalidf("a role needs a name")
		}
		if req.Rank == 0 {
			req.Rank = 30
		}
		if req.Rank < 1 || req.Rank > 99 {
			return store.Invalidf("rank must be between 1 and 99")
		}
		perms := []store.Permission{}
		for _, perm := range req.Permissions {
			if !slices.Contains(store.AllPermissions, perm) {
				return store.Invalidf("unknown permission %q", perm)
			}
			if !p.Can(perm) {
				return fmt.Errorf("%w: you cannot grant %s", store.ErrForbidden, perm)
			}
			if !slices.Contains(perms, perm) {
				perms = append(perms, perm)
			}
		}
		permJSON, _ := json.Marshal(perms)
		var updated int64
		if !req.Create {
			res, err := t.Execute(`UPDATE custom_roles SET name = ?, permissions = ?, rank = ? WHERE workspace_id = ? AND key = ?`,
				strings.TrimSpace(req.Name), string(permJSON), req.Rank, ws.ID, req.Key)
			if err != nil {
				return fmt.Errorf("save role: %w", err)
			}
			updated, _ = res.RowsAffected()
		}
		typ := "role.updated"
		if updated == 0 {
			typ = "role.created"
			if _, err := t.Execute(`INSERT INTO custom_roles (workspace_id, key, name, permissions, rank, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				ws.ID, req.Key, strings.TrimSpace(req.Name), string(permJSON), req.Rank, t.Now); store.IsUniqueViolation(err) {
				return fmt.Errorf("%w: a role with the key %q already exists", store.ErrConflict, req.Key)
			} else if err != nil {
				return fmt.Errorf("create role: %w", err)
			}
		}
		out = store.Role{Key: req.Key, Name: strings.TrimSpace(req.Name), Permissions: perms, Rank: req.Rank}
		return t.Emit(ws.ID, typ, "role", req.Key, rolePayload(out))
	})
	return out, err
}

// DeleteCustomRole deletes a custom role that nobody holds.
func (d *Directory) DeleteCustomRole(ctx context.Context, actor store.Actor, workspace, key string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermRolesManage)
		if err != nil {
			return err
		}
		var n int
		if err := t.GetOne(&n, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status <> 'removed' AND (role = ? OR effective_role = ?)`, ws.ID, key, key); err != nil {
			return fmt.Errorf("count role holders: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %d members hold role %q; change their role first", store.ErrConflict, n, key)
		}
		res, err := t.Execute(`DELETE FROM custom_roles WHERE workspace_id = ? AND key = ?`, ws.ID, key)
		if err != nil {
			return fmt.Errorf("delete role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("role %q: %w", key, store.ErrNotFound)
		}
		return t.Emit(ws.ID, "role.deleted", "role", key, nil)
	})
}
