package signin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// MyMembership is one workspace as the signed-in person sees it on their
// "your workspaces" page.
type MyMembership struct {
	MembershipID   string     `db:"id"`
	WorkspaceID    string     `db:"workspace_id"`
	WorkspaceSlug  string     `db:"slug"`
	WorkspaceName  string     `db:"ws_name"`
	Role           string     `db:"effective_role"`
	Status         string     `db:"status"`
	Kind           string     `db:"kind"`
	TermsVersion   string     `db:"terms_version"`
	WorkspaceTerms string     `db:"ws_terms"`
	OnboardedAt    *time.Time `db:"onboarded_at"`
	// PendingRequest is true for a join request waiting for a decision
	// (no membership yet; Status is "requested").
	PendingRequest bool `db:"-"`
}

// NeedsOnboarding reports whether the activation steps are still to do:
// an active membership that was never onboarded, or whose workspace has
// published terms the person has not accepted.
func (m MyMembership) NeedsOnboarding() bool {
	return m.Status == store.StatusActive && (m.OnboardedAt == nil || m.TermsVersion != m.WorkspaceTerms)
}

// Me is the signed-in person's profile and workspaces.
type Me struct {
	UserID      string
	Email       string
	Name        string
	Phone       string
	Locale      string
	Memberships []MyMembership
}

// MyWorkspaces lists the workspaces of a user with each membership's
// status (removed ones are left out) and their pending join requests. It
// is the user's own view, so the only actor is the user.
func (d *Signin) MyWorkspaces(ctx context.Context, userID string) (Me, error) {
	var me Me
	err := d.ReadTx(ctx, store.Actor{Kind: store.ActorUser, ID: userID, Source: "oidc"}, func(t *store.Tx) error {
		var u store.UserRow
		if err := t.GetOne(&u, `SELECT `+store.UserColumns+` FROM users WHERE id = ?`, userID); err != nil {
			return store.NotFound(err, "user")
		}
		me = Me{UserID: u.ID, Name: u.Name, Phone: u.Phone, Locale: u.Locale}
		if u.EmailNorm != nil {
			me.Email = *u.EmailNorm
		}
		if err := t.SelectRows(&me.Memberships, `SELECT m.id, m.workspace_id, w.slug, w.name AS ws_name, m.effective_role, m.status, m.kind,
			m.terms_version, w.terms_version AS ws_terms, m.onboarded_at
			FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
			WHERE m.user_id = ? AND m.status <> 'removed' ORDER BY w.name, w.id`, userID); err != nil {
			return fmt.Errorf("list my workspaces: %w", err)
		}
		var reqs []MyMembership
		if err := t.SelectRows(&reqs, `SELECT r.id, r.workspace_id, w.slug, w.name AS ws_name, r.role AS effective_role, 'requested' AS status, '' AS kind,
			'' AS terms_version, w.terms_version AS ws_terms, NULL AS onboarded_at
			FROM join_requests r JOIN workspaces w ON w.id = r.workspace_id
			WHERE r.user_id = ? AND r.status = 'pending' ORDER BY w.name, w.id`, userID); err != nil {
			return fmt.Errorf("list my join requests: %w", err)
		}
		for _, r := range reqs {
			r.PendingRequest = true
			me.Memberships = append(me.Memberships, r)
		}
		return nil
	})
	return me, err
}

// Onboarding is what a person confirms after a first acceptance.
type Onboarding struct {
	// TermsVersion must be the workspace's current terms version (the
	// page shows it; a stale form is refused).
	TermsVersion string
	AcceptTerms  bool
	Name         string
	Locale       string
	Phone        string
}

// CompleteOnboarding records the activation steps of the user's active
// membership in workspace: the accepted terms version on the membership,
// the name, language and phone. An external member's name and phone live
// in their home workspace, so only the language is recorded for them.
func (d *Signin) CompleteOnboarding(ctx context.Context, userID, workspace string, o Onboarding) (store.Member, error) {
	var out store.Member
	name := strings.TrimSpace(o.Name)
	if name == "" {
		return out, store.Invalidf("please enter your name")
	}
	if err := store.CheckPerson(name, o.Phone, o.Locale); err != nil {
		return out, err
	}
	err := d.InTx(ctx, store.Actor{Kind: store.ActorUser, ID: userID, Name: name, Source: "oidc"}, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		m, err := t.MembershipOf(ws.ID, userID)
		if err != nil {
			return err
		}
		if m == nil || m.Status == store.StatusRemoved {
			return fmt.Errorf("workspace %s: %w", ws.Slug, store.ErrNotFound)
		}
		switch m.Status {
		case store.StatusSuspended:
			return store.ErrSuspended
		case store.StatusInvited:
			return fmt.Errorf("%w: accept the invitation first", store.ErrForbidden)
		}
		if ws.TermsVersion != "" && (!o.AcceptTerms || o.TermsVersion != ws.TermsVersion) {
			return store.Invalidf("please accept the terms of %s (version %s)", ws.Name, ws.TermsVersion)
		}
		locale := strings.TrimSpace(o.Locale)
		if _, err := t.Execute(`UPDATE memberships SET terms_version = ?, onboarded_at = ?, locale = ?, updated_at = ? WHERE id = ?`,
			ws.TermsVersion, t.Now, locale, t.Now, m.ID); err != nil {
			return fmt.Errorf("record onboarding: %w", err)
		}
		if m.Kind == store.KindInternal {
			phone := strings.TrimSpace(o.Phone)
			if _, err := t.Execute(`UPDATE users SET name = ?, phone = ?, phone_norm = ?, locale = ?, updated_at = ? WHERE id = ?`,
				name, phone, store.NormalizePhone(phone), locale, t.Now, userID); err != nil {
				return fmt.Errorf("record profile: %w", err)
			}
		}
		if err := t.Emit(ws.ID, "member.onboarded", "member", m.ID, map[string]string{"user_id": userID, "terms_version": ws.TermsVersion, "locale": locale}); err != nil {
			return err
		}
		mm, err := t.Member(ws.ID, m.ID)
		if err != nil {
			return err
		}
		out = *mm
		return nil
	})
	return out, err
}
