package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/rosterhq/roster/directory/internal/store"
	"golang.org/x/text/unicode/norm"
)

// CreateWorkspaceRequest creates a workspace with its first owner.
type CreateWorkspaceRequest struct {
	Name string
	// Slug is derived from Name when empty.
	Slug       string
	OwnerEmail string
	OwnerName  string
	SeatLimit  *int
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// Slugify turns a name into a URL-safe slug: "Acme Corp." → "acme-corp".
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
			// accents stripped by the decomposition above
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	return s
}

// CreateWorkspace creates a workspace and invites its owner, who is also
// its main admin. Only the operator creates workspaces. The outcome holds
// the owner's invitation token, shown once.
func (d *Directory) CreateWorkspace(ctx context.Context, actor store.Actor, req CreateWorkspaceRequest) (store.Workspace, store.InviteOutcome, error) {
	var ws store.Workspace
	var outcome store.InviteOutcome
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		return ws, outcome, store.Invalidf("a workspace needs a name")
	}
	if req.Slug == "" {
		req.Slug = Slugify(req.Name)
	}
	req.Slug = strings.ToLower(strings.TrimSpace(req.Slug))
	if !slugPattern.MatchString(req.Slug) {
		return ws, outcome, store.Invalidf("slug %q must be 3–63 lower-case letters, digits or dashes", req.Slug)
	}
	if req.SeatLimit != nil && *req.SeatLimit < 1 {
		return ws, outcome, store.Invalidf("seat limit must be at least 1 (omit it for unlimited)")
	}
	email, err := store.NormalizeEmail(req.OwnerEmail)
	if err != nil {
		return ws, outcome, err
	}
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		if actor.Kind != store.ActorOperator {
			return fmt.Errorf("%w: only the operator creates workspaces", store.ErrForbidden)
		}
		row := store.WorkspaceRow{ID: store.NewID(), Slug: req.Slug, Name: req.Name, SeatLimit: req.SeatLimit,
			InviteRoles: `["owner","admin"]`, InvitationTTLSeconds: int64(7 * 24 * time.Hour / time.Second), CreatedAt: t.Now, UpdatedAt: t.Now}
		_, err := t.Execute(`INSERT INTO workspaces (`+store.WorkspaceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.ID, row.Slug, row.Name, row.SeatLimit, row.TrialEndsAt, row.InviteRoles, row.InvitationTTLSeconds, row.TermsVersion, row.CreatedAt, row.UpdatedAt)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: workspace slug %q is taken", store.ErrConflict, row.Slug)
		} else if err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		ws = row.Public()
		if err := t.Emit(row.ID, "workspace.created", "workspace", row.ID, workspacePayload(ws)); err != nil {
			return err
		}
		p := store.Principal{Actor: actor, Role: store.BuiltinRoles[store.RoleOwner]}
		outcome, err = t.InviteOne(&row, p, store.InviteSpec{Email: email, Name: req.OwnerName, Role: store.BuiltinRoles[store.RoleOwner], SendEmail: true, MainAdmin: true, Source: store.SourceOwner})
		if err != nil {
			return err
		}
		if outcome.Status != store.OutcomeInvited {
			return fmt.Errorf("invite owner: %s", outcome.Error)
		}
		return nil
	})
	return ws, outcome, err
}

// GetWorkspace returns a workspace by id or slug to its members and the
// operator.
func (d *Directory) GetWorkspace(ctx context.Context, actor store.Actor, ref string) (store.Workspace, error) {
	var ws store.Workspace
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		row, err := t.Workspace(ref)
		if err != nil {
			return err
		}
		if _, err := t.Principal(row); err != nil {
			return err
		}
		ws = row.Public()
		return nil
	})
	return ws, err
}

// ListWorkspaces lists every workspace, for the operator.
func (d *Directory) ListWorkspaces(ctx context.Context, actor store.Actor) ([]store.Workspace, error) {
	var out []store.Workspace
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		if actor.Kind != store.ActorOperator {
			return fmt.Errorf("%w: only the operator lists all workspaces", store.ErrForbidden)
		}
		var rows []store.WorkspaceRow
		if err := t.SelectRows(&rows, `SELECT `+store.WorkspaceColumns+` FROM workspaces ORDER BY created_at, id`); err != nil {
			return fmt.Errorf("list workspaces: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// WorkspaceSettings changes settings; nil fields are left alone.
type WorkspaceSettings struct {
	Name *string
	// SeatLimit: a pointer to 0 removes the limit.
	SeatLimit     *int
	TrialEndsAt   *time.Time
	ClearTrial    bool
	InviteRoles   []string
	InvitationTTL *time.Duration
	TermsVersion  *string
}

// UpdateWorkspaceSettings changes a workspace's settings. Owners (and the
// operator) change them; seat limits and trials are the operator's or an
// owner's.
func (d *Directory) UpdateWorkspaceSettings(ctx context.Context, actor store.Actor, workspace string, s WorkspaceSettings) (store.Workspace, error) {
	var out store.Workspace
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.Principal(ws)
		if err != nil {
			return err
		}
		if !p.IsOwner() {
			return fmt.Errorf("%w: only owners change workspace settings", store.ErrForbidden)
		}
		if s.Name != nil {
			if strings.TrimSpace(*s.Name) == "" {
				return store.Invalidf("a workspace needs a name")
			}
			ws.Name = strings.TrimSpace(*s.Name)
		}
		prevLimit := ws.SeatLimit
		if s.SeatLimit != nil {
			switch {
			case *s.SeatLimit < 0:
				return store.Invalidf("seat limit cannot be negative")
			case *s.SeatLimit == 0:
				ws.SeatLimit = nil
			default:
				v := *s.SeatLimit
				ws.SeatLimit = &v
			}
		}
		if s.ClearTrial {
			ws.TrialEndsAt = nil
		} else if s.TrialEndsAt != nil {
			v := s.TrialEndsAt.UTC()
			ws.TrialEndsAt = &v
		}
		if s.InviteRoles != nil {
			roles := []string{}
			for _, k := range s.InviteRoles {
				r, err := t.Role(ws.ID, k)
				if err != nil {
					return fmt.Errorf("%w: unknown role %q", store.ErrInvalid, k)
				}
				if !slices.Contains(r.Permissions, store.PermMembersInvite) {
					return store.Invalidf("role %q lacks the %s permission", k, store.PermMembersInvite)
				}
				if !slices.Contains(roles, k) {
					roles = append(roles, k)
				}
			}
			if !slices.Contains(roles, store.RoleOwner) {
				roles = append([]string{store.RoleOwner}, roles...)
			}
			b, _ := json.Marshal(roles)
			ws.InviteRoles = string(b)
		}
		if s.InvitationTTL != nil {
			if *s.InvitationTTL < time.Hour || *s.InvitationTTL > 90*24*time.Hour {
				return store.Invalidf("invitation lifetime must be between 1 hour and 90 days")
			}
			ws.InvitationTTLSeconds = int64(*s.InvitationTTL / time.Second)
		}
		if s.TermsVersion != nil {
			ws.TermsVersion = strings.TrimSpace(*s.TermsVersion)
		}
		ws.UpdatedAt = t.Now
		if _, err := t.Execute(`UPDATE workspaces SET name = ?, seat_limit = ?, trial_ends_at = ?, invite_roles = ?, invitation_ttl_seconds = ?, terms_version = ?, updated_at = ? WHERE id = ?`,
			ws.Name, ws.SeatLimit, ws.TrialEndsAt, ws.InviteRoles, ws.InvitationTTLSeconds, ws.TermsVersion, ws.UpdatedAt, ws.ID); err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		if !equalInt(prevLimit, ws.SeatLimit) {
			if err := t.EndSeatEpisode(ws.ID); err != nil {
				return err
			}
		}
		out = ws.Public()
		return t.Emit(ws.ID, "workspace.updated", "workspace", ws.ID, workspacePayload(out))
	})
	return out, err
}
