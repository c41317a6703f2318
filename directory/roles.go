package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Permission is one thing a role allows.
type Permission string

// The permissions of DESIGN.md.
const (
	PermMembersRead       Permission = "members.read"
	PermMembersInvite     Permission = "members.invite"
	PermMembersManage     Permission = "members.manage"
	PermJoinLinksManage   Permission = "joinlinks.manage"
	PermDomainsManage     Permission = "domains.manage"
	PermConnectionsManage Permission = "connections.manage"
	PermRolesManage       Permission = "roles.manage"
)

// AllPermissions lists every permission, in display order.
var AllPermissions = []Permission{PermMembersRead, PermMembersInvite, PermMembersManage, PermJoinLinksManage, PermDomainsManage, PermConnectionsManage, PermRolesManage}

// The built-in roles.
const (
	RoleOwner        = "owner"
	RoleAdmin        = "admin"
	RoleManager      = "manager"
	RoleMember       = "member"
	RoleCollaborator = "collaborator"
)

// Role is a named set of permissions. Rank orders roles when several apply
// (a team mapping and a direct role): the highest rank wins.
type Role struct {
	Key         string
	Name        string
	Permissions []Permission
	Rank        int
	BuiltIn     bool
}

var builtinRoles = map[string]Role{
	RoleOwner:        {Key: RoleOwner, Name: "Owner", Permissions: AllPermissions, Rank: 100, BuiltIn: true},
	RoleAdmin:        {Key: RoleAdmin, Name: "Admin", Permissions: AllPermissions, Rank: 80, BuiltIn: true},
	RoleManager:      {Key: RoleManager, Name: "Manager", Permissions: []Permission{PermMembersRead, PermMembersInvite, PermJoinLinksManage}, Rank: 60, BuiltIn: true},
	RoleMember:       {Key: RoleMember, Name: "Member", Permissions: []Permission{PermMembersRead}, Rank: 40, BuiltIn: true},
	RoleCollaborator: {Key: RoleCollaborator, Name: "Collaborator", Permissions: nil, Rank: 20, BuiltIn: true},
}

// BuiltinRole returns a built-in role by key.
func BuiltinRole(key string) (Role, bool) {
	r, ok := builtinRoles[key]
	return r, ok
}

// role looks a role up among the built-ins and the workspace's custom roles.
func (t *tx) role(workspaceID, key string) (Role, error) {
	if r, ok := builtinRoles[key]; ok {
		return r, nil
	}
	var row struct {
		Key         string `db:"key"`
		Name        string `db:"name"`
		Permissions string `db:"permissions"`
		Rank        int    `db:"rank"`
	}
	if err := t.get(&row, `SELECT key, name, permissions, rank FROM custom_roles WHERE workspace_id = ? AND key = ?`, workspaceID, key); err != nil {
		return Role{}, notFound(err, fmt.Sprintf("role %q", key))
	}
	r := Role{Key: row.Key, Name: row.Name, Rank: row.Rank}
	if err := json.Unmarshal([]byte(row.Permissions), &r.Permissions); err != nil {
		return Role{}, fmt.Errorf("role %q permissions: %w", key, err)
	}
	return r, nil
}

// requireGrantable checks that p may hand out role: the role exists, only
// owners grant ownership, and nobody grants more permissions than they hold.
func (t *tx) requireGrantable(ws *workspaceRow, p principal, roleKey string) (Role, error) {
	if roleKey == "" {
		return Role{}, invalidf("a role is required")
	}
	r, err := t.role(ws.ID, roleKey)
	if err != nil {
		return Role{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, roleKey)
	}
	if r.Key == RoleOwner && !p.isOwner() {
		return Role{}, fmt.Errorf("%w: only owners can grant the owner role", ErrForbidden)
	}
	if p.actor.Kind != ActorOperator && p.actor.Kind != ActorSystem {
		for _, perm := range r.Permissions {
			if !p.can(perm) {
				return Role{}, fmt.Errorf("%w: role %q grants %s, which you do not hold", ErrForbidden, r.Key, perm)
			}
		}
	}
	return r, nil
}

var roleKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)

// CustomRoleRequest creates or updates a custom role.
type CustomRoleRequest struct {
	Key         string
	Name        string
	Permissions []Permission
	// Rank orders the role among others (1–99); default 30, between
	// collaborator and member.
	Rank int
	// Create refuses to replace a role that already has Key (ErrConflict),
	// for doors that pick a new key: two admins creating a role of the
	// same name at once must not overwrite each other's.
	Create bool
}

// ListRoles returns the built-in and custom roles of a workspace.
func (d *Directory) ListRoles(ctx context.Context, actor Actor, workspace string) ([]Role, error) {
	var roles []Role
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := t.principal(ws); err != nil {
			return err
		}
		for _, r := range builtinRoles {
			roles = append(roles, r)
		}
		var rows []struct {
			Key string `db:"key"`
		}
		if err := t.selectRows(&rows, `SELECT key FROM custom_roles WHERE workspace_id = ?`, ws.ID); err != nil {
			return fmt.Errorf("list roles: %w", err)
		}
		for _, row := range rows {
			r, err := t.role(ws.ID, row.Key)
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
func (d *Directory) SaveCustomRole(ctx context.Context, actor Actor, workspace string, req CustomRoleRequest) (Role, error) {
	req.Key = strings.TrimSpace(strings.ToLower(req.Key))
	var out Role
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermRolesManage)
		if err != nil {
			return err
		}
		if !roleKeyPattern.MatchString(req.Key) {
			return invalidf("role key %q must be 2–40 lower-case letters, digits, - or _, starting with a letter", req.Key)
		}
		if _, ok := builtinRoles[req.Key]; ok {
			return invalidf("%q is a built-in role", req.Key)
		}
		if strings.TrimSpace(req.Name) == "" {
			return invalidf("a role needs a name")
		}
		if req.Rank == 0 {
			req.Rank = 30
		}
		if req.Rank < 1 || req.Rank > 99 {
			return invalidf("rank must be between 1 and 99")
		}
		perms := []Permission{}
		for _, perm := range req.Permissions {
			if !slices.Contains(AllPermissions, perm) {
				return invalidf("unknown permission %q", perm)
			}
			if !p.can(perm) {
				return fmt.Errorf("%w: you cannot grant %s", ErrForbidden, perm)
			}
			if !slices.Contains(perms, perm) {
				perms = append(perms, perm)
			}
		}
		permJSON, _ := json.Marshal(perms)
		var updated int64
		if !req.Create {
			res, err := t.exec(`UPDATE custom_roles SET name = ?, permissions = ?, rank = ? WHERE workspace_id = ? AND key = ?`,
				strings.TrimSpace(req.Name), string(permJSON), req.Rank, ws.ID, req.Key)
			if err != nil {
				return fmt.Errorf("save role: %w", err)
			}
			updated, _ = res.RowsAffected()
		}
		typ := "role.updated"
		if updated == 0 {
			typ = "role.created"
			if _, err := t.exec(`INSERT INTO custom_roles (workspace_id, key, name, permissions, rank, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				ws.ID, req.Key, strings.TrimSpace(req.Name), string(permJSON), req.Rank, t.now); isUniqueViolation(err) {
				return fmt.Errorf("%w: a role with the key %q already exists", ErrConflict, req.Key)
			} else if err != nil {
				return fmt.Errorf("create role: %w", err)
			}
		}
		out = Role{Key: req.Key, Name: strings.TrimSpace(req.Name), Permissions: perms, Rank: req.Rank}
		return t.emit(ws.ID, typ, "role", req.Key, rolePayload(out))
	})
	return out, err
}

// DeleteCustomRole deletes a custom role that nobody holds.
func (d *Directory) DeleteCustomRole(ctx context.Context, actor Actor, workspace, key string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermRolesManage)
		if err != nil {
			return err
		}
		var n int
		if err := t.get(&n, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status <> 'removed' AND (role = ? OR effective_role = ?)`, ws.ID, key, key); err != nil {
			return fmt.Errorf("count role holders: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %d members hold role %q; change their role first", ErrConflict, n, key)
		}
		res, err := t.exec(`DELETE FROM custom_roles WHERE workspace_id = ? AND key = ?`, ws.ID, key)
		if err != nil {
			return fmt.Errorf("delete role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("role %q: %w", key, ErrNotFound)
		}
		return t.emit(ws.ID, "role.deleted", "role", key, nil)
	})
}
