package store

import (
	"fmt"
)

// ActorSetupLink is the holder of a setup link: it acts in the link's
// workspace, for the link's one purpose, while the link works. Only this
// file makes such actors, from a token; front doors pass the token.
const ActorSetupLink ActorKind = "setup_link"

// setupRoleKey names the role a setup link acts with, in errors.
const setupRoleKey = "setup_link"

// Usable says why a link cannot be used now, nil when it can.
func (r *SetupLinkRow) Usable(t *Tx) error {
	switch {
	case r.RevokedAt != nil:
		return fmt.Errorf("setup link: %w", ErrRevoked)
	case r.CompletedAt != nil:
		return fmt.Errorf("setup link: %w (this setup is finished)", ErrUsed)
	case !t.Now.Before(r.ExpiresAt):
		return fmt.Errorf("setup link: %w", ErrExpired)
	}
	return nil
}

// setupLinkPrincipal resolves a setup link's holder inside ws: only the
// link's own workspace, only while the link works, and with only the one
// permission of its purpose. It reads the link again in every
// transaction, so a revoke stops a holder between two steps.
func (t *Tx) setupLinkPrincipal(ws *WorkspaceRow) (Principal, error) {
	a := t.Actor
	if a.WorkspaceID != ws.ID {
		return Principal{}, fmt.Errorf("%w: the setup link belongs to another workspace", ErrForbidden)
	}
	r, err := t.SetupLink(ws.ID, a.ID, false)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: setup link gone", ErrForbidden)
	}
	if err := r.Usable(t); err != nil {
		return Principal{}, err
	}
	perm, err := SetupPermission(r.Purpose)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Actor: a, Role: Role{Key: setupRoleKey, Name: "Setup link", Permissions: []Permission{perm}}}, nil
}
