package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Workspace is a customer of the product: its people, settings and limits.
type Workspace struct {
	ID            string
	Slug          string
	Name          string
	SeatLimit     *int
	TrialEndsAt   *time.Time
	InviteRoles   []string
	InvitationTTL time.Duration
	TermsVersion  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

type WorkspaceRow struct {
	ID                   string     `db:"id"`
	Slug                 string     `db:"slug"`
	Name                 string     `db:"name"`
	SeatLimit            *int       `db:"seat_limit"`
	TrialEndsAt          *time.Time `db:"trial_ends_at"`
	InviteRoles          string     `db:"invite_roles"`
	InvitationTTLSeconds int64      `db:"invitation_ttl_seconds"`
	TermsVersion         string     `db:"terms_version"`
	CreatedAt            time.Time  `db:"created_at"`
	UpdatedAt            time.Time  `db:"updated_at"`
}

const WorkspaceColumns = `id, slug, name, seat_limit, trial_ends_at, invite_roles, invitation_ttl_seconds, terms_version, created_at, updated_at`

func (w *WorkspaceRow) Public() Workspace {
	out := Workspace{ID: w.ID, Slug: w.Slug, Name: w.Name, SeatLimit: w.SeatLimit, TrialEndsAt: w.TrialEndsAt,
		InvitationTTL: time.Duration(w.InvitationTTLSeconds) * time.Second, TermsVersion: w.TermsVersion,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	json.Unmarshal([]byte(w.InviteRoles), &out.InviteRoles)
	return out
}

func (w *WorkspaceRow) InviteRoleKeys() []string {
	var roles []string
	json.Unmarshal([]byte(w.InviteRoles), &roles)
	return roles
}

// Workspace loads a workspace by id or slug.
func (t *Tx) Workspace(ref string) (*WorkspaceRow, error) {
	var w WorkspaceRow
	err := t.GetOne(&w, `SELECT `+WorkspaceColumns+` FROM workspaces WHERE id = ? OR slug = ?`, ref, strings.ToLower(ref))
	if err != nil {
		return nil, NotFound(err, fmt.Sprintf("workspace %q", ref))
	}
	return &w, nil
}
