package directory

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

// Operator is the server operator acting through the CLI.
func Operator() Actor { return Actor{Kind: ActorOperator, Name: "Roster operator", Source: "cli"} }

// System is Roster acting on its own (expiry, the outbox worker).
func System() Actor { return Actor{Kind: ActorSystem, Name: "Roster", Source: "system"} }

// principal is an actor resolved inside a workspace: the role it acts with.
type principal struct {
	actor        Actor
	role         Role
	membershipID string
}

func (p principal) can(perm Permission) bool {
	return p.actor.Kind == ActorOperator || slices.Contains(p.role.Permissions, perm)
}

func (p principal) isOwner() bool {
	return p.actor.Kind == ActorOperator || p.role.Key == RoleOwner
}

// principal resolves the actor inside workspace ws.
func (t *tx) principal(ws *workspaceRow) (principal, error) {
	a := t.actor
	switch a.Kind {
	case ActorOperator, ActorSystem:
		return principal{actor: a, role: builtinRoles[RoleOwner]}, nil
	case ActorAPIKey, ActorSCIM:
		if a.WorkspaceID != ws.ID {
			return principal{}, fmt.Errorf("%w: credential belongs to another workspace", ErrForbidden)
		}
		r, err := t.role(ws.ID, a.Role)
		if err != nil {
			return principal{}, fmt.Errorf("%w: credential role %q", ErrForbidden, a.Role)
		}
		return principal{actor: a, role: r}, nil
	case ActorMember:
		var m struct {
			ID            string `db:"id"`
			EffectiveRole string `db:"effective_role"`
			Status        string `db:"status"`
		}
		err := t.get(&m, `SELECT id, effective_role, status FROM memberships WHERE workspace_id = ? AND user_id = ?`, ws.ID, a.ID)
		if err != nil || m.Status != StatusActive {
			return principal{}, fmt.Errorf("%w: not an active member of this workspace", ErrForbidden)
		}
		r, err := t.role(ws.ID, m.EffectiveRole)
		if err != nil {
			return principal{}, err
		}
		return principal{actor: a, role: r, membershipID: m.ID}, nil
	case ActorSetupLink:
		return t.setupLinkPrincipal(ws)
	}
	return principal{}, fmt.Errorf("%w: %s cannot act here", ErrForbidden, a.Kind)
}

// authorize resolves the actor and requires perm.
func (t *tx) authorize(ws *workspaceRow, perm Permission) (principal, error) {
	p, err := t.principal(ws)
	if err != nil {
		return p, err
	}
	if !p.can(perm) {
		return p, fmt.Errorf("%w: role %q lacks %s", ErrForbidden, p.role.Key, perm)
	}
	return p, nil
}

// authorized loads a workspace by id or slug and requires perm of the
// actor in it: the opening of most operations.
func (t *tx) authorized(workspace string, perm Permission) (*workspaceRow, principal, error) {
	ws, err := t.workspace(workspace)
	if err != nil {
		return nil, principal{}, err
	}
	p, err := t.authorize(ws, perm)
	if err != nil {
		return nil, principal{}, err
	}
	return ws, p, nil
}
