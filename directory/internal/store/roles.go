package store

import (
	"encoding/json"
	"fmt"
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

var BuiltinRoles = map[string]Role{
	RoleOwner:        {Key: RoleOwner, Name: "Owner", Permissions: AllPermissions, Rank: 100, BuiltIn: true},
	RoleAdmin:        {Key: RoleAdmin, Name: "Admin", Permissions: AllPermissions, Rank: 80, BuiltIn: true},
	RoleManager:      {Key: RoleManager, Name: "Manager", Permissions: []Permission{PermMembersRead, PermMembersInvite, PermJoinLinksManage}, Rank: 60, BuiltIn: true},
	RoleMember:       {Key: RoleMember, Name: "Member", Permissions: []Permission{PermMembersRead}, Rank: 40, BuiltIn: true},
	RoleCollaborator: {Key: RoleCollaborator, Name: "Collaborator", Permissions: nil, Rank: 20, BuiltIn: true},
}

// Role looks a role up among the built-ins and the workspace's custom roles.
func (t *Tx) Role(workspaceID, key string) (Role, error) {
	if r, ok := BuiltinRoles[key]; ok {
		return r, nil
	}
	var row struct {
		Key         string `db:"key"`
		Name        string `db:"name"`
		Permissions string `db:"permissions"`
		Rank        int    `db:"rank"`
	}
	if err := t.GetOne(&row, `SELECT key, name, permissions, rank FROM custom_roles WHERE workspace_id = ? AND key = ?`, workspaceID, key); err != nil {
		return Role{}, NotFound(err, fmt.Sprintf("role %q", key))
	}
	r := Role{Key: row.Key, Name: row.Name, Rank: row.Rank}
	if err := json.Unmarshal([]byte(row.Permissions), &r.Permissions); err != nil {
		return Role{}, fmt.Errorf("role %q permissions: %w", key, err)
	}
	return r, nil
}

// RequireGrantable checks that p may hand out role: the role exists, only
// owners grant ownership, and nobody grants more permissions than they hold.
func (t *Tx) RequireGrantable(ws *WorkspaceRow, p Principal, roleKey string) (Role, error) {
	if roleKey == "" {
		return Role{}, Invalidf("a role is required")
	}
	r, err := t.Role(ws.ID, roleKey)
	if err != nil {
		return Role{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, roleKey)
	}
	if r.Key == RoleOwner && !p.IsOwner() {
		return Role{}, fmt.Errorf("%w: only owners can grant the owner role", ErrForbidden)
	}
	if p.Actor.Kind != ActorOperator && p.Actor.Kind != ActorSystem {
		for _, perm := range r.Permissions {
			if !p.Can(perm) {
				return Role{}, fmt.Errorf("%w: role %q grants %s, which you do not hold", ErrForbidden, r.Key, perm)
			}
		}
	}
	return r, nil
}
