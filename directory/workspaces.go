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

	"golang.org/x/text/unicode/norm"
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

type workspaceRow struct {
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

const workspaceColumns = `id, slug, name, seat_limit, trial_ends_at, invite_roles, invitation_ttl_seconds, terms_version, created_at, updated_at`

func (w *workspaceRow) public() Workspace {
	out := Workspace{ID: w.ID, Slug: w.Slug, Name: w.Name, SeatLimit: w.SeatLimit, TrialEndsAt: w.TrialEndsAt,
		InvitationTTL: time.Duration(w.InvitationTTLSeconds) * time.Second, TermsVersion: w.TermsVersion,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	json.Unmarshal([]byte(w.InviteRoles), &out.InviteRoles)
	return out
}

func (w *workspaceRow) inviteRoles() []string {
	var roles []string
	json.Unmarshal([]byte(w.InviteRoles), &roles)
	return roles
}

// workspace loads a workspace by id or slug.
func (t *tx) workspace(ref string) (*workspaceRow, error) {
	var w workspaceRow
	err := t.get(&w, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = ? OR slug = ?`, ref, strings.ToLower(ref))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("workspace %q", ref))
	}
	return &w, nil
}

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
func (d *Directory) CreateWorkspace(ctx context.Context, actor Actor, req CreateWorkspaceRequest) (Workspace, InviteOutcome, error) {
	var ws Workspace
	var outcome InviteOutcome
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		return ws, outcome, invalidf("a workspace needs a name")
	}
	if req.Slug == "" {
		req.Slug = Slugify(req.Name)
	}
	req.Slug = strings.ToLower(strings.TrimSpace(req.Slug))
	if !slugPattern.MatchString(req.Slug) {
		return ws, outcome, invalidf("slug %q must be 3–63 lower-case letters, digits or dashes", req.Slug)
	}
	if req.SeatLimit != nil && *req.SeatLimit < 1 {
		return ws, outcome, invalidf("seat limit must be at least 1 (omit it for unlimited)")
	}
	email, err := NormalizeEmail(req.OwnerEmail)
	if err != nil {
		return ws, outcome, err
	}
	err = d.inTx(ctx, actor, func(t *tx) error {
		if actor.Kind != ActorOperator {
			return fmt.Errorf("%w: only the operator creates workspaces", ErrForbidden)
		}
		row := workspaceRow{ID: newID(), Slug: req.Slug, Name: req.Name, SeatLimit: req.SeatLimit,
			InviteRoles: `["owner","admin"]`, InvitationTTLSeconds: int64(7 * 24 * time.Hour / time.Second), CreatedAt: t.now, UpdatedAt: t.now}
		_, err := t.exec(`INSERT INTO workspaces (`+workspaceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.ID, row.Slug, row.Name, row.SeatLimit, row.TrialEndsAt, row.InviteRoles, row.InvitationTTLSeconds, row.TermsVersion, row.CreatedAt, row.UpdatedAt)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: workspace slug %q is taken", ErrConflict, row.Slug)
		} else if err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		ws = row.public()
		if err := t.emit(row.ID, "workspace.created", "workspace", row.ID, workspacePayload(ws)); err != nil {
			return err
		}
		p := principal{actor: actor, role: builtinRoles[RoleOwner]}
		outcome, err = t.inviteOne(&row, p, inviteSpec{email: email, name: req.OwnerName, role: builtinRoles[RoleOwner], sendEmail: true, mainAdmin: true, source: SourceOwner})
		if err != nil {
			return err
		}
		if outcome.Status != OutcomeInvited {
			return fmt.Errorf("invite owner: %s", outcome.Error)
		}
		return nil
	})
	return ws, outcome, err
}

// GetWorkspace returns a workspace by id or slug to its members and the
// operator.
func (d *Directory) GetWorkspace(ctx context.Context, actor Actor, ref string) (Workspace, error) {
	var ws Workspace
	err := d.readTx(ctx, actor, func(t *tx) error {
		row, err := t.workspace(ref)
		if err != nil {
			return err
		}
		if _, err := t.principal(row); err != nil {
			return err
		}
		ws = row.public()
		return nil
	})
	return ws, err
}

// ListWorkspaces lists every workspace, for the operator.
func (d *Directory) ListWorkspaces(ctx context.Context, actor Actor) ([]Workspace, error) {
	var out []Workspace
	err := d.readTx(ctx, actor, func(t *tx) error {
		if actor.Kind != ActorOperator {
			return fmt.Errorf("%w: only the operator lists all workspaces", ErrForbidden)
		}
		var rows []workspaceRow
		if err := t.selectRows(&rows, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY created_at, id`); err != nil {
			return fmt.Errorf("list workspaces: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
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
func (d *Directory) UpdateWorkspaceSettings(ctx context.Context, actor Actor, workspace string, s WorkspaceSettings) (Workspace, error) {
	var out Workspace
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.principal(ws)
		if err != nil {
			return err
		}
		if !p.isOwner() {
			return fmt.Errorf("%w: only owners change workspace settings", ErrForbidden)
		}
		if s.Name != nil {
			if strings.TrimSpace(*s.Name) == "" {
				return invalidf("a workspace needs a name")
			}
			ws.Name = strings.TrimSpace(*s.Name)
		}
		prevLimit := ws.SeatLimit
		if s.SeatLimit != nil {
			switch {
			case *s.SeatLimit < 0:
				return invalidf("seat limit cannot be negative")
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
				r, err := t.role(ws.ID, k)
				if err != nil {
					return fmt.Errorf("%w: unknown role %q", ErrInvalid, k)
				}
				if !slices.Contains(r.Permissions, PermMembersInvite) {
					return invalidf("role %q lacks the %s permission", k, PermMembersInvite)
				}
				if !slices.Contains(roles, k) {
					roles = append(roles, k)
				}
			}
			if !slices.Contains(roles, RoleOwner) {
				roles = append([]string{RoleOwner}, roles...)
			}
			b, _ := json.Marshal(roles)
			ws.InviteRoles = string(b)
		}
		if s.InvitationTTL != nil {
			if *s.InvitationTTL < time.Hour || *s.InvitationTTL > 90*24*time.Hour {
				return invalidf("invitation lifetime must be between 1 hour and 90 days")
			}
			ws.InvitationTTLSeconds = int64(*s.InvitationTTL / time.Second)
		}
		if s.TermsVersion != nil {
			ws.TermsVersion = strings.TrimSpace(*s.TermsVersion)
		}
		ws.UpdatedAt = t.now
		if _, err := t.exec(`UPDATE workspaces SET name = ?, seat_limit = ?, trial_ends_at = ?, invite_roles = ?, invitation_ttl_seconds = ?, terms_version = ?, updated_at = ? WHERE id = ?`,
			ws.Name, ws.SeatLimit, ws.TrialEndsAt, ws.InviteRoles, ws.InvitationTTLSeconds, ws.TermsVersion, ws.UpdatedAt, ws.ID); err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		if !equalInt(prevLimit, ws.SeatLimit) {
			if err := t.endSeatEpisode(ws.ID); err != nil {
				return err
			}
		}
		out = ws.public()
		return t.emit(ws.ID, "workspace.updated", "workspace", ws.ID, workspacePayload(out))
	})
	return out, err
}
