package store

import (
	"fmt"
	"slices"
)

// ActorKind says who is acting.
type ActorKind string

// The kinds of actor. A member acts with their membership's role; an API key
// and a SCIM connection act with the role they were created with; the
// operator runs the server; a user acts only on their own behalf (accepting
// an invitation, filing a join request); system is Roster itself.
const (
	ActorMember   ActorKind = "member"
	ActorAPIKey   ActorKind = "api_key"
	ActorSCIM     ActorKind = "scim"
	ActorOperator ActorKind = "operator"
	ActorUser     ActorKind = "user"
	ActorSystem   ActorKind = "system"
)

// Actor is the principal of an operation. Operations check its permissions
// themselves and record it on every event.
type Actor struct {
	Kind ActorKind
	// ID is the user id (member, user), key id (api_key), connection id
	// (scim) or empty.
	ID string
	// Name is shown to people (the inviter's name in an email).
	Name string
	// WorkspaceID binds API keys and SCIM connections to their workspace.
	WorkspaceID string
	// Role is the role API keys and SCIM connections act with; members'
	// roles are read from the database.
	Role string
	// Source is the front door: "cli", "api", "scim", "oidc".
	Source string
}

// System is Roster acting on its own (expiry, the outbox worker).
func System() Actor { return Actor{Kind: ActorSystem, Name: "Roster", Source: "system"} }

// Principal is an actor resolved inside a workspace: the role it acts with.
type Principal struct {
	Actor        Actor
	Role         Role
	MembershipID string
}

func (p Principal) Can(perm Permission) bool {
	return p.Actor.Kind == ActorOperator || slices.Contains(p.Role.Permissions, perm)
}

func (p Principal) IsOwner() bool {
	return p.Actor.Kind == ActorOperator || p.Role.Key == RoleOwner
}

// Principal resolves the actor inside workspace ws.
func (t *Tx) Principal(ws *WorkspaceRow) (Principal, error) {
	a := t.Actor
	switch a.Kind {
	case ActorOperator, ActorSystem:
		return Principal{Actor: a, Role: BuiltinRoles[RoleOwner]}, nil
	case ActorAPIKey, ActorSCIM:
		if a.WorkspaceID != ws.ID {
			return Principal{}, fmt.Errorf("%w: credential belongs to another workspace", ErrForbidden)
		}
		r, err := t.Role(ws.ID, a.Role)
		if err != nil {
			return Principal{}, fmt.Errorf("%w: credential role %q", ErrForbidden, a.Role)
		}
		return Principal{Actor: a, Role: r}, nil
	case ActorMember:
		var m struct {
			ID            string `db:"id"`
			EffectiveRole string `db:"effective_role"`
			Status        string `db:"status"`
		}
		err := t.GetOne(&m, `SELECT id, effective_role, status FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws.ID, a.ID)
		if err != nil || m.Status != StatusActive {
			return Principal{}, fmt.Errorf("%w: not an active member of this workspace", ErrForbidden)
		}
		r, err := t.Role(ws.ID, m.EffectiveRole)
		if err != nil {
			return Principal{}, err
		}
		return Principal{Actor: a, Role: r, MembershipID: m.ID}, nil
	case ActorSetupLink:
		return t.setupLinkPrincipal(ws)
	}
	return Principal{}, fmt.Errorf("%w: %s cannot act here", ErrForbidden, a.Kind)
}

// Authorize resolves the actor and requires perm.
func (t *Tx) Authorize(ws *WorkspaceRow, perm Permission) (Principal, error) {
	p, err := t.Principal(ws)
	if err != nil {
		return p, err
	}
	if !p.Can(perm) {
		return p, fmt.Errorf("%w: role %q lacks %s", ErrForbidden, p.Role.Key, perm)
	}
	return p, nil
}

// Authorized loads a workspace by id or slug and requires perm of the
// actor in it: the opening of most operations.
func (t *Tx) Authorized(workspace string, perm Permission) (*WorkspaceRow, Principal, error) {
	ws, err := t.Workspace(workspace)
	if err != nil {
		return nil, Principal{}, err
	}
	p, err := t.Authorize(ws, perm)
	if err != nil {
		return nil, Principal{}, err
	}
	return ws, p, nil
}
