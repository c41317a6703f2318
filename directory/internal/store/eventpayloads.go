package store

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/rosterhq/roster/event"
)

// Events that carry a whole object carry a type of package event, the
// contract the feed and webhooks publish; the functions here build those
// from directory's values. Other events carry maps with literal keys.
// Nothing of directory's own types is marshalled into an event, so their
// fields can change without changing what receivers get.

// domainRoot is package directory's import path: its types and those of
// its jobs and store (this package) are the domain's.
var domainRoot = strings.TrimSuffix(reflect.TypeFor[Event]().PkgPath(), "/internal/store")

// IsDomainType reports whether t, or what it points to or holds (a
// pointer, slice, array or map), is a type of directory or of one of its
// packages. Those types carry no json tags, so they are never put on a
// wire (an event, an admin API answer, the CLI's JSON output): their field
// names would become a published contract by accident.
func IsDomainType(t reflect.Type) bool {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil {
		return false
	}
	p := t.PkgPath()
	return p == domainRoot || strings.HasPrefix(p, domainRoot+"/")
}

// checkPayload refuses a payload of one of directory's own types: its
// field names would become the published contract by accident.
func checkPayload(typ string, payload any) error {
	if t := reflect.TypeOf(payload); IsDomainType(t) {
		return fmt.Errorf("event %s: payload of type %s; convert it to a type of package event", typ, t)
	}
	return nil
}

// Envelope is an event as the outbox queues it for webhooks.
func Envelope(ev Event) event.Envelope {
	return event.Envelope{ID: ev.ID, WorkspaceID: ev.WorkspaceID, Type: ev.Type, ActorKind: ev.ActorKind, ActorID: ev.ActorID, Source: ev.Source,
		SubjectKind: ev.SubjectKind, SubjectID: ev.SubjectID, Payload: ev.Payload, CreatedAt: ev.CreatedAt}
}

func ScimConnectionPayload(c SCIMConnection) event.SCIMConnection {
	return event.SCIMConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, WorkspaceSlug: c.WorkspaceSlug, Profile: c.Profile, DefaultRole: c.DefaultRole,
		SendInvitations: c.SendInvitations, Activation: c.Activation, SeatPolicy: c.SeatPolicy, TeamRoles: c.TeamRoles,
		LogRetentionSeconds: int64(c.LogRetention / time.Second), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func joinRequestPayload(r JoinRequest) event.JoinRequest {
	return event.JoinRequest{ID: r.ID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name, JoinLinkID: r.JoinLinkID,
		Domain: r.Domain, Role: r.Role, Teams: r.Teams, Status: r.Status, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
}

// seatLimitPayload is a refusal at the seat limit; notified says whether
// this refusal emailed the owners and admins, notifiedAt when they were
// told of the episode it belongs to.
func seatLimitPayload(limit *SeatLimitError, email, source string, notified bool, notifiedAt time.Time) event.SeatLimitReached {
	return event.SeatLimitReached{Limit: limit.Limit, Used: limit.Used, Email: email, Source: source, Notified: notified, NotifiedAt: notifiedAt.UTC()}
}
