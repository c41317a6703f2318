package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// scimUserTests: users an identity provider creates, changes, lists and
// deletes over SCIM, under the bridge rules.
var scimUserTests = []test{
	{"SCIMBridgeRules", testSCIMBridgeRules},
	{"SCIMDeleteKeepsTombstoneForReprovisioning", testSCIMDeleteKeepsTombstoneForReprovisioning},
	{"SCIMSeatLimit", testSCIMSeatLimit},
	{"SCIMUserUpdates", testSCIMUserUpdates},
	{"SCIMListUsersFiltersInSQL", testSCIMListUsersFiltersInSQL},
}

func testSCIMBridgeRules(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	verifiedDomain(t, d, dns, owner, ws.Slug, "acme.example")
	other, otherOwner := newWorkspace(t, d, "globex")
	join(t, d, otherOwner, other.Slug, "gil@acme.example", directory.RoleMember) // internal to globex, at acme's domain
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})

	// Internal elsewhere: external, invited, must accept, even though
	// acme verified the domain.
	gil, did, err := d.SCIMCreateUser(ctx, conn, scimUser("gil@acme.example", "gil@acme.example"))
	if err != nil {
		t.Fatal(err)
	}
	if gil.Status != directory.StatusInvited || gil.Kind != directory.KindExternal || !gil.Active {
		t.Errorf("internal elsewhere: %+v (%s)", gil, did)
	}
	if got := emailsTo(t, d, ws.ID, "gil@acme.example"); len(got) != 1 || got[0] != "invitation" {
		t.Errorf("external invitee emails: %v", got)
	}

	// Verified domain: active internal member, no acceptance step.
	vera, did, err := d.SCIMCreateUser(ctx, conn, scimUser("Vera@ACME.example", "Vera@ACME.example"))
	if err != nil {
		t.Fatal(err)
	}
	if vera.Status != directory.StatusActive || vera.Kind != directory.KindInternal || !strings.Contains(did, "activated") {
		t.Errorf("verified domain: %+v (%s)", vera, did)
	}
	m, err := d.GetMember(ctx, owner, ws.Slug, vera.ID)
	if err != nil || m.Email != "vera@acme.example" || m.Name != "Sam Person" || m.Source != directory.SourceSCIM || m.Role != directory.RoleMember {
		t.Errorf("verified-domain member: %+v, %v", m, err)
	}

	// Anyone else: invited with an invitation, emailed.
	ivan, _, err := d.SCIMCreateUser(ctx, conn, scimUser("ivan", "ivan@elsewhere.example"))
	if err != nil {
		t.Fatal(err)
	}
	if ivan.Status != directory.StatusInvited || ivan.Kind != directory.KindInternal {
		t.Errorf("other domain: %+v", ivan)
	}
	if got := emailsTo(t, d, ws.ID, "ivan@elsewhere.example"); len(got) != 1 || got[0] != "invitation" {
		t.Errorf("invitee emails: %v", got)
	}

	// userName is unique per workspace, case-insensitively.
	if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("IVAN", "ivan2@elsewhere.example")); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate userName: err = %v, want ErrConflict", err)
	}
	// The same person under another userName is a conflict too.
	if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("ivan-again", "")); err != nil {
		t.Errorf("a user without email is allowed: %v", err)
	}

	// active=false suspends (and revokes sessions: changeStatus);
	// active=true brings an invited person back to invited.
	set := func(u directory.SCIMUser, active bool) directory.SCIMUser {
		t.Helper()
		out, _, err := d.SCIMUpdateUser(ctx, conn, u.ID, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
			in := scimUserFrom(t, cur)
			in.Active = active
			return in, nil
		})
		if err != nil {
			t.Fatalf("set active=%v: %v", active, err)
		}
		return out
	}
	if s := set(vera, false); s.Status != directory.StatusSuspended || s.Active {
		t.Errorf("active=false: %+v", s)
	}
	if got := emailsTo(t, d, ws.ID, "vera@acme.example"); len(got) != 1 || got[0] != "suspended" {
		t.Errorf("suspended member's emails: %v", got)
	}
	if s := set(vera, true); s.Status != directory.StatusActive {
		t.Errorf("active=true after suspension: %+v", s)
	}
	if s := set(ivan, false); s.Status != directory.StatusSuspended {
		t.Errorf("suspend invited: %+v", s)
	}
	if s := set(ivan, true); s.Status != directory.StatusInvited {
		t.Errorf("reactivating someone who never accepted must leave them invited: %+v", s)
	}
	// Created inactive: suspended, holding no seat, invited nowhere;
	// active=true then applies the rules as a create would.
	inactive := scimUser("ina@elsewhere.example", "ina@elsewhere.example")
	inactive.Active = false
	ina, did, err := d.SCIMCreateUser(ctx, conn, inactive)
	if err != nil {
		t.Fatal(err)
	}
	if ina.Status != directory.StatusSuspended || len(emailsTo(t, d, ws.ID, "ina@elsewhere.example")) != 0 {
		t.Errorf("created inactive: %+v (%s)", ina, did)
	}
	if s := set(ina, true); s.Status != directory.StatusInvited {
		t.Errorf("activating someone created inactive: %+v", s)
	}
	if got := emailsTo(t, d, ws.ID, "ina@elsewhere.example"); len(got) != 1 || got[0] != "invitation" {
		t.Errorf("invited once active: %v", got)
	}
	types := strings.Join(eventTypes(t, d, owner, ws.Slug), " ")
	for _, want := range []string{"invitation.created", "member.activated", "member.provisioned", "member.suspended", "member.reactivated", "member.updated"} {
		if !strings.Contains(types, want) {
			t.Errorf("events lack %s: %s", want, types)
		}
	}
}

func testSCIMDeleteKeepsTombstoneForReprovisioning(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	ext := "00u-ext-1"
	in := scimUser("pat@elsewhere.example", "pat@elsewhere.example")
	in.ExternalID = &ext
	pat, _, err := d.SCIMCreateUser(ctx, conn, in)
	if err != nil {
		t.Fatal(err)
	}
	noMail := scimUser("nomail-user", "")
	noMail.ExternalID = &ext
	nm, _, err := d.SCIMCreateUser(ctx, conn, noMail)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []directory.SCIMUser{pat, nm} {
		if _, err := d.SCIMDeleteUser(ctx, conn, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SCIMGetUser(ctx, conn, u.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("deleted user still readable: %v", err)
		}
		if _, err := d.SCIMDeleteUser(ctx, conn, u.ID, nil); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("delete twice: err = %v, want ErrNotFound", err)
		}
	}
	if _, err := d.GetMember(ctx, owner, ws.Slug, pat.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("removed member still listed: %v", err)
	}
	// The same account provisioned again revives the same row: by
	// email, and without one by userName or externalId.
	again, _, err := d.SCIMCreateUser(ctx, conn, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != pat.ID || again.Status != directory.StatusInvited || *again.ExternalID != ext {
		t.Errorf("re-provisioned by email: %+v, want id %s", again, pat.ID)
	}
	byName, _, err := d.SCIMCreateUser(ctx, conn, scimUser("NOMAIL-user", ""))
	if err != nil {
		t.Fatal(err)
	}
	if byName.ID != nm.ID {
		t.Errorf("re-provisioned by userName: id %s, want %s", byName.ID, nm.ID)
	}
}

func testSCIMSeatLimit(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	limit := 2
	ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Small", Slug: "small", OwnerEmail: "owner@small.example", SeatLimit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@small.example"}); err != nil {
		t.Fatal(err)
	}
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	first, _, err := d.SCIMCreateUser(ctx, conn, scimUser("one@x.example", "one@x.example"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = d.SCIMCreateUser(ctx, conn, scimUser("two@x.example", "two@x.example"))
	var seats *directory.SeatLimitError
	if !errors.As(err, &seats) || seats.Limit != 2 {
		t.Fatalf("over the limit: err = %v, want a SeatLimitError naming 2", err)
	}
	if got := emailsTo(t, d, ws.ID, "owner@small.example"); !strings.Contains(strings.Join(got, " "), "seat_limit_reached") {
		t.Errorf("the owner is notified: %v", got)
	}
	// Suspending frees the seat; reactivating needs one again.
	suspend := func(u directory.SCIMUser, active bool) error {
		_, _, err := d.SCIMUpdateUser(ctx, conn, u.ID, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
			in := scimUser(cur.UserName, "one@x.example")
			in.Active = active
			return in, nil
		})
		return err
	}
	if err := suspend(first, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("two@x.example", "two@x.example")); err != nil {
		t.Fatalf("after a suspension frees the seat: %v", err)
	}
	if err := suspend(first, true); !errors.As(err, &seats) {
		t.Errorf("reactivating over the limit: err = %v, want SeatLimitError", err)
	}

	// The suspend policy creates the person suspended instead.
	if _, err := d.UpdateSCIMConnection(ctx, op, ws.Slug, directory.SCIMConnectionRequest{SeatPolicy: directory.SeatPolicySuspend}); err != nil {
		t.Fatal(err)
	}
	conn.SeatPolicy = directory.SeatPolicySuspend
	three, did, err := d.SCIMCreateUser(ctx, conn, scimUser("three@x.example", "three@x.example"))
	if err != nil {
		t.Fatal(err)
	}
	if three.Status != directory.StatusSuspended || three.Active || !strings.Contains(did, "seat limit") {
		t.Errorf("suspend policy: %+v (%s)", three, did)
	}
}

func testSCIMUserUpdates(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	u, _, err := d.SCIMCreateUser(ctx, conn, scimUser("nomail", ""))
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != directory.StatusInvited {
		t.Fatalf("no email: %+v", u)
	}
	replace := func(id string, in directory.SCIMUserInput, version int) (directory.SCIMUser, string, error) {
		return d.SCIMUpdateUser(ctx, conn, id, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
			if version != 0 && cur.Version != version {
				return in, directory.ErrPrecondition
			}
			return in, nil
		})
	}
	// An address arriving later gets the invitation then.
	got, did, err := replace(u.ID, scimUser("nomail", "late@x.example"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(did, "invited late@x.example") || got.Version <= u.Version {
		t.Errorf("first address: %s, %+v", did, got)
	}
	if got := emailsTo(t, d, ws.ID, "late@x.example"); len(got) != 1 {
		t.Errorf("invitation emails: %v", got)
	}
	// A changed address re-issues the pending invitation.
	if _, did, err = replace(u.ID, scimUser("nomail", "moved@x.example"), 0); err != nil || !strings.Contains(did, "invited moved@x.example") {
		t.Errorf("changed address: %s, %v", did, err)
	}
	m, err := d.GetMember(ctx, owner, ws.Slug, u.ID)
	if err != nil || m.Email != "moved@x.example" {
		t.Errorf("member after email change: %+v, %v", m, err)
	}
	// Stale version: nothing changes.
	if _, _, err := replace(u.ID, scimUser("renamed", "moved@x.example"), 1); !errors.Is(err, directory.ErrPrecondition) {
		t.Errorf("stale If-Match: err = %v", err)
	}
	cur, _ := d.SCIMGetUser(ctx, conn, u.ID)
	if cur.UserName != "nomail" {
		t.Errorf("a refused update changed userName to %s", cur.UserName)
	}
	// A userName taken by another SCIM user is a conflict.
	if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("other", "other@x.example")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := replace(u.ID, scimUser("OTHER", "moved@x.example"), 0); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("rename onto a taken userName: err = %v, want ErrConflict", err)
	}
	// An address that belongs to another person is never merged.
	if _, did, err := replace(u.ID, scimUser("nomail", "owner@acme.example"), 0); err != nil || !strings.Contains(did, "belongs to another person") {
		t.Errorf("someone else's address: %s, %v", did, err)
	}
	// Two SCIM users with one address (IdPs allow it): the second is
	// kept without the address, never merged with the first.
	a, _, err := d.SCIMCreateUser(ctx, conn, scimUser("emp1", "shared@x.example"))
	if err != nil {
		t.Fatal(err)
	}
	b, did, err := d.SCIMCreateUser(ctx, conn, scimUser("emp2", "shared@x.example"))
	if err != nil || a.ID == b.ID || a.UserID == b.UserID || !strings.Contains(did, "not linked") {
		t.Errorf("shared address: %+v %+v %s %v", a, b, did, err)
	}
}

func testSCIMListUsersFiltersInSQL(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, _ := newWorkspace(t, d, "acme")
	other, _ := newWorkspace(t, d, "globex")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	otherConn := scimConnect(t, d, other.Slug, directory.SCIMConnectionRequest{})
	ids := map[string]string{}
	for _, u := range []struct{ name, email, title, family string }{
		{"Émile@x.example", "émile@x.example", "Boss", "Zola"},
		{"bob@x.example", "bob@x.example", "", "Marley"},
		{"carol@x.example", "carol@y.example", "Engineer", "King"},
	} {
		in := scimUser(u.name, u.email)
		in.Name = u.family
		in.Attrs["name"] = map[string]any{"familyName": u.family}
		if u.title != "" {
			in.Attrs["title"] = u.title
		}
		if u.family == "Marley" {
			in.Attrs[scimEnterpriseURN] = map[string]any{"manager": map[string]any{"value": "boss-id"}}
		}
		ext := "ext-" + u.family
		in.ExternalID = &ext
		got, _, err := d.SCIMCreateUser(ctx, conn, in)
		if err != nil {
			t.Fatal(err)
		}
		ids[u.family] = got.ID
	}
	if _, _, err := d.SCIMCreateUser(ctx, otherConn, scimUser("bob@x.example", "bob@x.example")); err != nil {
		t.Fatal(err)
	}
	cmp := func(f directory.SCIMField, op string, v any) *directory.SCIMCond {
		return &directory.SCIMCond{Op: op, Field: f, Value: v}
	}
	attr := func(op string, v any, path ...string) *directory.SCIMCond {
		return &directory.SCIMCond{Op: op, Field: directory.FieldAttr, Path: path, Value: v}
	}
	and := func(l, r *directory.SCIMCond) *directory.SCIMCond {
		return &directory.SCIMCond{Op: "and", Left: l, Right: r}
	}
	or := func(l, r *directory.SCIMCond) *directory.SCIMCond {
		return &directory.SCIMCond{Op: "or", Left: l, Right: r}
	}
	not := func(l *directory.SCIMCond) *directory.SCIMCond { return &directory.SCIMCond{Op: "not", Left: l} }
	anyEmail := func(l *directory.SCIMCond) *directory.SCIMCond { return &directory.SCIMCond{Op: "any", Left: l} }
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		f    *directory.SCIMCond
		want []string
	}{
		{"userName eq folds Unicode", cmp(directory.FieldUserName, "eq", "ÉMILE@X.EXAMPLE"), []string{"Zola"}},
		{"userName sw", cmp(directory.FieldUserName, "sw", "B"), []string{"Marley"}},
		{"userName ew", cmp(directory.FieldUserName, "ew", "@X.example"), []string{"Zola", "Marley", "King"}},
		{"userName co", cmp(directory.FieldUserName, "co", "aro"), []string{"King"}},
		{"userName gt", cmp(directory.FieldUserName, "gt", "bob@x.example"), []string{"Zola", "King"}},
		{"externalId is case-exact", cmp(directory.FieldExternalID, "eq", "EXT-ZOLA"), nil},
		{"externalId eq", cmp(directory.FieldExternalID, "eq", "ext-Zola"), []string{"Zola"}},
		{"id eq", cmp(directory.FieldID, "eq", ids["King"]), []string{"King"}},
		{"title pr", attr("pr", nil, "title"), []string{"Zola", "King"}},
		{"title eq folds", attr("eq", "boss", "title"), []string{"Zola"}},
		{"not title eq includes users without title", not(attr("eq", "Boss", "title")), []string{"Marley", "King"}},
		{"name.familyName", attr("eq", "marley", "name", "familyName"), []string{"Marley"}},
		{"emails.value", anyEmail(cmp(directory.FieldEmailValue, "eq", "CAROL@y.example")), []string{"King"}},
		{"emails", anyEmail(cmp(directory.FieldEmailValue, "co", "@x.")), []string{"Zola", "Marley"}},
		{"value path", anyEmail(and(cmp(directory.FieldEmailType, "eq", "work"), cmp(directory.FieldEmailValue, "ew", "y.example"))), []string{"King"}},
		{"value path on another type", anyEmail(and(cmp(directory.FieldEmailType, "eq", "home"), cmp(directory.FieldEmailValue, "pr", nil))), nil},
		{"active", cmp(directory.FieldActive, "eq", true), []string{"Zola", "Marley", "King"}},
		{"not active", cmp(directory.FieldActive, "eq", false), nil},
		{"and/or precedence", or(cmp(directory.FieldUserName, "sw", "b"), and(cmp(directory.FieldUserName, "sw", "c"), attr("pr", nil, "title"))), []string{"Marley", "King"}},
		{"meta.created", cmp(directory.FieldCreated, "gt", at("2000-01-01T00:00:00Z")), []string{"Zola", "Marley", "King"}},
		{"manager (Entra's reference check)", attr("eq", "boss-id", scimEnterpriseURN, "manager", "value"), []string{"Marley"}},
		{"meta.lastModified", cmp(directory.FieldModified, "lt", at("2000-01-01T00:00:00-07:00")), nil},
	}
	for _, tc := range tests {
		page, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{Filter: tc.f, StartIndex: 1, Count: 100})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, u := range page.Users {
			for fam, id := range ids {
				if id == u.ID {
					got = append(got, fam)
				}
			}
		}
		if fmt.Sprint(sortedCopy(got)) != fmt.Sprint(sortedCopy(tc.want)) || page.Total != len(tc.want) {
			t.Errorf("%s: got %v (total %d), want %v", tc.name, got, page.Total, tc.want)
		}
	}
	// Conditions the directory cannot run are ErrInvalid, never SQL:
	// a value of the wrong type, a path that is not a name, a field
	// groups have.
	for _, f := range []*directory.SCIMCond{
		cmp(directory.FieldActive, "eq", "False"), cmp(directory.FieldActive, "co", true),
		cmp(directory.FieldCreated, "gt", "yesterday"), attr("eq", "x", "title' OR '1'='1"),
		cmp(directory.FieldGroupMember, "eq", "x"), anyEmail(cmp(directory.FieldUserName, "eq", "x")),
	} {
		if _, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{Filter: f, Count: 10}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("condition %+v: err = %v, want ErrInvalid", f, err)
		}
	}
	// Paging: a stable order, totals on every page, and the other
	// workspace's bob never appears.
	var seen []string
	for start := 1; start <= 3; start += 2 {
		page, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{StartIndex: start, Count: 2})
		if err != nil || page.Total != 3 {
			t.Fatalf("page at %d: total %d, %v", start, page.Total, err)
		}
		for _, u := range page.Users {
			seen = append(seen, u.ID)
		}
	}
	if len(seen) != 3 || seen[0] != ids["Zola"] || seen[1] != ids["Marley"] || seen[2] != ids["King"] {
		t.Errorf("pages in creation order: %v", seen)
	}
	sorted, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{Sort: directory.SCIMSort{Field: directory.FieldAttr, Path: []string{"name", "familyName"}, Descending: true}, StartIndex: 1, Count: 10})
	if err != nil || len(sorted.Users) != 3 || sorted.Users[0].ID != ids["Zola"] || sorted.Users[2].ID != ids["King"] {
		t.Errorf("sortBy name.familyName descending: %v", err)
	}
	countOnly, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{StartIndex: 1, Count: 0})
	if err != nil || countOnly.Total != 3 || len(countOnly.Users) != 0 {
		t.Errorf("count=0: %+v, %v", countOnly, err)
	}
	// The next page of a list continues after the previous page's
	// last id, not after skipping rows: with the first user gone
	// in between, skipping two rows would skip King.
	if _, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{StartIndex: 1, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SCIMDeleteUser(ctx, conn, seen[0], nil); err != nil {
		t.Fatal(err)
	}
	hinted, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{StartIndex: 3, Count: 2})
	if err != nil || len(hinted.Users) != 1 || hinted.Users[0].ID != seen[2] || hinted.Total != 3 {
		t.Errorf("page continued after the previous page's last id: %+v, %v", hinted, err)
	}
	// A list with another filter does not share those hints.
	filtered, err := d.SCIMListUsers(ctx, conn, directory.SCIMQuery{Filter: &directory.SCIMCond{Op: "pr", Field: directory.FieldUserName}, StartIndex: 3, Count: 2})
	if err != nil || len(filtered.Users) != 0 || filtered.Total != 2 {
		t.Errorf("another list skips rows: %+v, %v", filtered, err)
	}
}

// scimEnterpriseURN is the SCIM enterprise extension's schema, under
// which the SCIM door keeps its attributes.
const scimEnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// scimUserFrom is the representation of a stored user, as the front door
// reads it back before applying a change: its attributes, and its first
// email as the one that identifies the person.
func scimUserFrom(t *testing.T, cur directory.SCIMUser) directory.SCIMUserInput {
	t.Helper()
	var attrs struct {
		Emails []directory.SCIMEmail `json:"emails"`
	}
	if err := json.Unmarshal(cur.Attrs, &attrs); err != nil {
		t.Fatalf("stored attributes of %s: %v", cur.ID, err)
	}
	email := ""
	if len(attrs.Emails) > 0 {
		email = attrs.Emails[0].Value
	}
	in := scimUser(cur.UserName, email)
	json.Unmarshal(cur.Attrs, &in.Attrs)
	return in
}

// emailsTo lists the templates of the emails queued for an address.
func emailsTo(t *testing.T, d *directory.Directory, workspaceID, addr string) []string {
	t.Helper()
	msgs, err := d.OutboxOf(context.Background(), workspaceID, directory.OutboxEmail, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var req directory.EmailRequest
		json.Unmarshal([]byte(m.Payload), &req)
		for _, to := range req.To {
			if to == addr {
				out = append(out, req.Template)
			}
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
