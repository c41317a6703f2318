package directory

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPayloadsMarshalAsBefore checks that the event payload types marshal
// exactly as the directory values they replace did, but for the durations
// in seconds. It goes away with directory's json tags.
func TestPayloadsMarshalAsBefore(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	s, n := "x", 3
	type pair struct {
		name      string
		old, conv any
		fix       func(string) string
	}
	var cases []pair
	add := func(name string, old, conv any) { cases = append(cases, pair{name: name, old: old, conv: conv}) }
	for _, w := range []Workspace{{}, {ID: "i", Slug: "s", Name: "n", SeatLimit: &n, TrialEndsAt: &now, InviteRoles: []string{"a"}, InvitationTTL: time.Hour, TermsVersion: "v", CreatedAt: now, UpdatedAt: now}} {
		add("workspace", w, workspacePayload(w))
		cases[len(cases)-1].fix = strings.NewReplacer(`"invitation_ttl":3600000000000`, `"invitation_ttl_seconds":3600`, `"invitation_ttl":0`, `"invitation_ttl_seconds":0`).Replace
	}
	for _, c := range []SCIMConnection{{}, {ID: "i", WorkspaceID: "w", WorkspaceSlug: "s", Profile: "p", DefaultRole: "r", SendInvitations: true, Activation: "a", SeatPolicy: "s", TeamRoles: map[string]string{"a": "b"}, LogRetention: time.Hour, TokenID: "t", CreatedAt: now, UpdatedAt: now}} {
		add("scim", c, scimConnectionPayload(c))
		cases[len(cases)-1].fix = strings.NewReplacer(`"log_retention":3600000000000`, `"log_retention_seconds":3600`, `"log_retention":0`, `"log_retention_seconds":0`).Replace
	}
	for _, l := range []JoinLink{{}, {ID: "i", WorkspaceID: "w", Description: "d", Role: "r", Teams: []string{}, Mode: "m", Notify: "n", NotifyPeople: []string{"p"}, Active: true, RevokedAt: &now, CreatedBy: "c", CreatedAt: now, UpdatedAt: now}} {
		add("joinlink", l, joinLinkPayload(l))
	}
	for _, r := range []JoinRequest{{}, {ID: "i", WorkspaceID: "w", UserID: "u", Email: "e", Name: "n", JoinLinkID: &s, Domain: &s, Role: "r", Teams: []string{"t"}, Status: "s", DecidedBy: "d", CreatedAt: now, DecidedAt: &now}} {
		add("joinrequest", r, joinRequestPayload(r))
	}
	for _, r := range []Role{{}, {Key: "k", Name: "n", Permissions: []Permission{}, Rank: 2}, {Key: "k", Permissions: []Permission{PermMembersRead}, BuiltIn: true}} {
		add("role", r, rolePayload(r))
	}
	for _, w := range []Webhook{{}, {ID: "i", WorkspaceID: "w", URL: "u", Description: "d", EventTypes: []string{"*"}, Active: true, CreatedAt: now, UpdatedAt: now}} {
		add("webhook", w, webhookPayload(w))
	}
	for _, u := range []ProfileUpdate{{}, {Name: &s, Phone: &s, Locale: &s}} {
		add("profile", u, profilePayload(u))
	}
	for _, ev := range []Event{{}, {ID: 1, WorkspaceID: "w", Type: "t", ActorKind: "k", ActorID: "a", Source: "s", SubjectKind: "sk", SubjectID: "si", Payload: json.RawMessage(`{"a":1}`), CreatedAt: now}} {
		add("event", ev, envelope(ev))
	}
	for _, c := range cases {
		a, err1 := json.Marshal(c.old)
		b, err2 := json.Marshal(c.conv)
		was := string(a)
		if c.fix != nil {
			was = c.fix(was)
		}
		if err1 != nil || err2 != nil || was != string(b) {
			t.Errorf("%s:\n was %s %v\n now %s %v", c.name, a, err1, b, err2)
		}
	}
}
