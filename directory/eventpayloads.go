package directory

import (
	"fmt"
	"reflect"
	"time"

	"github.com/rosterhq/roster/event"
)

// Events that carry a whole object carry a type of package event, the
// contract the feed and webhooks publish; the functions here build those
// from directory's values. Other events carry maps with literal keys.
// Nothing of directory's own types is marshalled into an event, so their
// fields can change without changing what receivers get.

// domainPackage is the import path of this package's types.
var domainPackage = reflect.TypeFor[Event]().PkgPath()

// checkPayload refuses a payload of one of directory's own types: its
// field names would become the published contract by accident.
func checkPayload(typ string, payload any) error {
	t := reflect.TypeOf(payload)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && t.PkgPath() == domainPackage {
		return fmt.Errorf("event %s: payload of type %s; convert it to a type of package event", typ, t)
	}
	return nil
}

// envelope is an event as the outbox queues it for webhooks.
func envelope(ev Event) event.Envelope {
	return event.Envelope{ID: ev.ID, WorkspaceID: ev.WorkspaceID, Type: ev.Type, ActorKind: ev.ActorKind, ActorID: ev.ActorID, Source: ev.Source,
		SubjectKind: ev.SubjectKind, SubjectID: ev.SubjectID, Payload: ev.Payload, CreatedAt: ev.CreatedAt}
}

func workspacePayload(w Workspace) event.Workspace {
	return event.Workspace{ID: w.ID, Slug: w.Slug, Name: w.Name, SeatLimit: w.SeatLimit, TrialEndsAt: w.TrialEndsAt, InviteRoles: w.InviteRoles,
		InvitationTTLSeconds: int64(w.InvitationTTL / time.Second), TermsVersion: w.TermsVersion, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func scimConnectionPayload(c SCIMConnection) event.SCIMConnection {
	return event.SCIMConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, WorkspaceSlug: c.WorkspaceSlug, Profile: c.Profile, DefaultRole: c.DefaultRole,
		SendInvitations: c.SendInvitations, Activation: c.Activation, SeatPolicy: c.SeatPolicy, TeamRoles: c.TeamRoles,
		LogRetentionSeconds: int64(c.LogRetention / time.Second), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func joinLinkPayload(l JoinLink) event.JoinLink {
	return event.JoinLink{ID: l.ID, WorkspaceID: l.WorkspaceID, Description: l.Description, Role: l.Role, Teams: l.Teams, Mode: l.Mode,
		Notify: l.Notify, NotifyPeople: l.NotifyPeople, Active: l.Active, RevokedAt: l.RevokedAt, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

func joinRequestPayload(r JoinRequest) event.JoinRequest {
	return event.JoinRequest{ID: r.ID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name, JoinLinkID: r.JoinLinkID,
		Domain: r.Domain, Role: r.Role, Teams: r.Teams, Status: r.Status, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
}

func rolePayload(r Role) event.Role {
	var perms []string
	if r.Permissions != nil {
		perms = make([]string, len(r.Permissions))
		for i, p := range r.Permissions {
			perms[i] = string(p)
		}
	}
	return event.Role{Key: r.Key, Name: r.Name, Permissions: perms, Rank: r.Rank, BuiltIn: r.BuiltIn}
}

func webhookPayload(w Webhook) event.Webhook {
	return event.Webhook{ID: w.ID, WorkspaceID: w.WorkspaceID, URL: w.URL, Description: w.Description, EventTypes: w.EventTypes,
		Active: w.Active, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func profilePayload(u ProfileUpdate) event.ProfileUpdate {
	return event.ProfileUpdate{Name: u.Name, Phone: u.Phone, Locale: u.Locale}
}

// seatLimitPayload is a refusal at the seat limit; notified says whether
// this refusal emailed the owners and admins, notifiedAt when they were
// told of the episode it belongs to.
func seatLimitPayload(limit *SeatLimitError, email, source string, notified bool, notifiedAt time.Time) event.SeatLimitReached {
	return event.SeatLimitReached{Limit: limit.Limit, Used: limit.Used, Email: email, Source: source, Notified: notified, NotifiedAt: notifiedAt.UTC()}
}
