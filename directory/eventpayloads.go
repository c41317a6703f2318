package directory

import (
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/event"
)

func workspacePayload(w store.Workspace) event.Workspace {
	return event.Workspace{ID: w.ID, Slug: w.Slug, Name: w.Name, SeatLimit: w.SeatLimit, TrialEndsAt: w.TrialEndsAt, InviteRoles: w.InviteRoles,
		InvitationTTLSeconds: int64(w.InvitationTTL / time.Second), TermsVersion: w.TermsVersion, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func joinLinkPayload(l store.JoinLink) event.JoinLink {
	return event.JoinLink{ID: l.ID, WorkspaceID: l.WorkspaceID, Description: l.Description, Role: l.Role, Teams: l.Teams, Mode: l.Mode,
		Notify: l.Notify, NotifyPeople: l.NotifyPeople, Active: l.Active, RevokedAt: l.RevokedAt, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

func rolePayload(r store.Role) event.Role {
	var perms []string
	if r.Permissions != nil {
		perms = make([]string, len(r.Permissions))
		for i, p := range r.Permissions {
			perms[i] = string(p)
		}
	}
	return event.Role{Key: r.Key, Name: r.Name, Permissions: perms, Rank: r.Rank, BuiltIn: r.BuiltIn}
}

func profilePayload(u ProfileUpdate) event.ProfileUpdate {
	return event.ProfileUpdate{Name: u.Name, Phone: u.Phone, Locale: u.Locale}
}
