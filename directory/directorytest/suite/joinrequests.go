package suite

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// joinRequestTests: the requests that join links needing approval and
// request-policy domains file, and who may decide them.
var joinRequestTests = []test{
	{"JoinLinkApproval", testJoinLinkApproval},
	{"JoinRequestRejectAndDismiss", testJoinRequestRejectAndDismiss},
	{"JoinRequestPermissions", testJoinRequestPermissions},
	{"JoinSeatLimits", testJoinSeatLimits},
	{"JoinTenancy", testJoinTenancy},
}

func testJoinLinkApproval(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example"})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, _, _, mem := staff(t, d, owner, ws.Slug)
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Partners"})
	link, token, _, err := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "Partner portal", Role: directory.RoleCollaborator, Teams: []string{team.ID}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.UseJoinLink(ctx, token, identity("kim@partner.example"))
	if err != nil || res.Outcome != directory.JoinOutcomeRequested || res.Request == nil || res.Member != nil {
		t.Fatalf("use = %+v, %v", res, err)
	}
	req := res.Request
	if req.Status != directory.JoinRequestPending || req.Email != "kim@partner.example" || req.Name != "Someone kim" || req.Role != directory.RoleCollaborator ||
		req.JoinLinkID == nil || *req.JoinLinkID != link.ID || !slices.Equal(req.Teams, []string{team.ID}) || req.WorkspaceID != ws.ID {
		t.Errorf("request = %+v", req)
	}
	again, err := d.UseJoinLink(ctx, token, identity("kim@partner.example"))
	if err != nil || again.Outcome != directory.JoinOutcomePending || again.Request.ID != req.ID {
		t.Errorf("again = %+v, %v", again, err)
	}
	// Filing tells owners, admins and managers once, with a review link.
	filed := emails(t, d, ws.ID, "join_request_filed")
	if len(filed) != 1 || !slices.Equal(filed[0].To, []string{"admin@acme.example", "manager@acme.example", "owner@acme.example"}) {
		t.Fatalf("filed mails = %+v", filed)
	}
	if f := filed[0].Data; f["workspace"] != ws.Name || f["requester_email"] != "kim@partner.example" || f["requester_name"] != "Someone kim" ||
		f["review_link"] != "https://roster.example/workspaces/acme/join-requests" || !strings.Contains(f["via"], "Partner portal") {
		t.Errorf("filed data = %+v", f)
	}
	// Nobody is a member yet, and nothing counts against seats.
	if page, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Query: "kim"}); len(page.Members) != 0 {
		t.Errorf("a requester is listed as a member: %+v", page.Members)
	}
	pending, err := d.ListJoinRequests(ctx, owner, ws.Slug, directory.JoinRequestPending)
	if err != nil || len(pending) != 1 || pending[0].ID != req.ID {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	m, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != directory.StatusActive || m.Role != directory.RoleCollaborator || m.Source != directory.SourceJoinRequest || m.Kind != directory.KindInternal ||
		m.JoinLinkID == nil || *m.JoinLinkID != link.ID {
		t.Errorf("accepted member = %+v", m)
	}
	if tm, _ := d.ListTeamMembers(ctx, owner, ws.Slug, team.ID); len(tm) != 1 || tm[0].ID != m.ID {
		t.Errorf("team after accept = %+v", tm)
	}
	acc := emails(t, d, ws.ID, "join_request_accepted")
	if len(acc) != 1 || !slices.Equal(acc[0].To, []string{"kim@partner.example"}) || acc[0].Data["link"] != "https://roster.example/login" ||
		acc[0].Data["role"] != "Collaborator" || acc[0].Data["workspace"] != ws.Name {
		t.Errorf("accepted mails = %+v", acc)
	}
	if _, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, req.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("accept twice: %v", err)
	}
	if joined, _ := d.MembersJoinedVia(ctx, owner, ws.Slug, link.ID); len(joined) != 1 || joined[0].ID != m.ID {
		t.Errorf("joined via = %+v", joined)
	}
	if res, _ := d.UseJoinLink(ctx, token, identity("kim@partner.example")); res.Outcome != directory.JoinOutcomeAlreadyMember {
		t.Errorf("member uses the link: %+v", res)
	}

	// Notify a list of people, then nobody.
	people := directory.JoinNotifyPeople
	if _, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Notify: &people, NotifyPeople: []string{mem.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UseJoinLink(ctx, token, identity("lee@partner.example")); err != nil {
		t.Fatal(err)
	}
	filed = emails(t, d, ws.ID, "join_request_filed")
	if len(filed) != 2 || !slices.Equal(filed[1].To, []string{"member@acme.example"}) {
		t.Errorf("people mails = %+v", filed)
	}
	nobody := directory.JoinNotifyNobody
	if _, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Notify: &nobody}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UseJoinLink(ctx, token, identity("max@partner.example")); err != nil {
		t.Fatal(err)
	}
	if filed = emails(t, d, ws.ID, "join_request_filed"); len(filed) != 2 {
		t.Errorf("nobody was to be told: %+v", filed)
	}
	if pending, _ = d.ListJoinRequests(ctx, owner, ws.Slug, directory.JoinRequestPending); len(pending) != 2 {
		t.Errorf("pending = %+v", pending)
	}
	all, _ := d.ListJoinRequests(ctx, owner, ws.Slug, "")
	if len(all) != 3 || all[0].Status != directory.JoinRequestAccepted || all[0].DecidedAt == nil || all[0].DecidedBy == "" {
		t.Errorf("all = %+v", all)
	}
	if _, err := d.ListJoinRequests(ctx, owner, ws.Slug, "dismissed"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "join_request.created") != 3 || countOf(types, "join_request.accepted") != 1 {
		t.Errorf("events = %v", types)
	}
}

func testJoinRequestRejectAndDismiss(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, token, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "public"})
	_, token2, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "another"})
	res, _ := d.UseJoinLink(ctx, token, identity("spam@elsewhere.example"))
	if err := d.RejectJoinRequest(ctx, owner, ws.Slug, res.Request.ID); err != nil {
		t.Fatal(err)
	}
	rej := emails(t, d, ws.ID, "join_request_rejected")
	if len(rej) != 1 || !slices.Equal(rej[0].To, []string{"spam@elsewhere.example"}) || rej[0].Data["workspace"] != ws.Name {
		t.Errorf("rejected mails = %+v", rej)
	}
	if err := d.RejectJoinRequest(ctx, owner, ws.Slug, res.Request.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("reject twice: %v", err)
	}
	if _, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, res.Request.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("accept a rejected request: %v", err)
	}
	// A rejected person can never file again, through any link.
	for _, tok := range []string{token, token2} {
		if _, err := d.UseJoinLink(ctx, tok, identity("spam@elsewhere.example")); !errors.Is(err, directory.ErrRejected) {
			t.Errorf("rejected person files again: %v", err)
		}
	}
	// Dismissing the rejection lets them try again.
	if err := d.DismissJoinRequest(ctx, owner, ws.Slug, res.Request.ID); err != nil {
		t.Fatal(err)
	}
	again, err := d.UseJoinLink(ctx, token, identity("spam@elsewhere.example"))
	if err != nil || again.Outcome != directory.JoinOutcomeRequested || again.Request.ID == res.Request.ID {
		t.Errorf("after dismissal = %+v, %v", again, err)
	}
	// Dismissing a pending request deletes it silently; they may file again.
	if err := d.DismissJoinRequest(ctx, owner, ws.Slug, again.Request.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DismissJoinRequest(ctx, owner, ws.Slug, again.Request.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("dismiss twice: %v", err)
	}
	if all, _ := d.ListJoinRequests(ctx, owner, ws.Slug, ""); len(all) != 0 {
		t.Errorf("dismissed requests still listed: %+v", all)
	}
	if res, err := d.UseJoinLink(ctx, token2, identity("spam@elsewhere.example")); err != nil || res.Outcome != directory.JoinOutcomeRequested {
		t.Errorf("file after dismissing a pending request: %+v %v", res, err)
	}
	if n := len(emails(t, d, ws.ID, "join_request_rejected")); n != 1 {
		t.Errorf("%d rejection mails, want 1", n)
	}
	// An accepted request cannot be dismissed.
	pending, _ := d.ListJoinRequests(ctx, owner, ws.Slug, directory.JoinRequestPending)
	if _, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, pending[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DismissJoinRequest(ctx, owner, ws.Slug, pending[0].ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("dismiss an accepted request: %v", err)
	}
}

func testJoinRequestPermissions(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	admin, manager, member, _ := staff(t, d, owner, ws.Slug)
	_, token, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "members"})
	_, adminToken, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "admins", Role: directory.RoleAdmin})
	viaLink, _ := d.UseJoinLink(ctx, token, identity("a@out.example"))
	viaAdminLink, _ := d.UseJoinLink(ctx, adminToken, identity("b@out.example"))
	dom, _ := d.AddDomain(ctx, owner, ws.Slug, "acme.example")
	dns.publish(dom.TXTName, dom.TXTValue)
	if _, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID); err != nil {
		t.Fatal(err)
	}
	viaDomain, err := d.JoinByDomain(ctx, ws.Slug, identity("c@acme.example"))
	if err != nil || viaDomain.Outcome != directory.JoinOutcomeRequested {
		t.Fatalf("domain request = %+v, %v", viaDomain, err)
	}

	if _, err := d.ListJoinRequests(ctx, member, ws.Slug, ""); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member lists requests: %v", err)
	}
	if _, err := d.AcceptJoinRequest(ctx, member, ws.Slug, viaLink.Request.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member accepts: %v", err)
	}
	if err := d.RejectJoinRequest(ctx, member, ws.Slug, viaLink.Request.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member rejects: %v", err)
	}
	// Managers see the queue and decide requests from links, within
	// the roles they can grant; domain requests need an inviter.
	if list, err := d.ListJoinRequests(ctx, manager, ws.Slug, ""); err != nil || len(list) != 3 {
		t.Errorf("manager lists: %d %v", len(list), err)
	}
	if _, err := d.AcceptJoinRequest(ctx, manager, ws.Slug, viaAdminLink.Request.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager accepts an admin request: %v", err)
	}
	if _, err := d.AcceptJoinRequest(ctx, manager, ws.Slug, viaDomain.Request.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager accepts a domain request: %v", err)
	}
	if m, err := d.AcceptJoinRequest(ctx, manager, ws.Slug, viaLink.Request.ID); err != nil || m.Role != directory.RoleMember {
		t.Errorf("manager accepts a member request: %+v %v", m, err)
	}
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{InviteRoles: []string{"admin", "manager"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AcceptJoinRequest(ctx, manager, ws.Slug, viaDomain.Request.ID); err != nil {
		t.Errorf("inviting manager accepts a domain request: %v", err)
	}
	if m, err := d.AcceptJoinRequest(ctx, admin, ws.Slug, viaAdminLink.Request.ID); err != nil || m.Role != directory.RoleAdmin {
		t.Errorf("admin accepts an admin request: %+v %v", m, err)
	}
}

func testJoinSeatLimits(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, direct, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "direct", Mode: directory.JoinModeDirect})
	_, approval, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "approval"})
	dom, _ := d.AddDomain(ctx, owner, ws.Slug, "acme.example")
	dns.publish(dom.TXTName, dom.TXTValue)
	d.VerifyDomain(ctx, owner, ws.Slug, dom.ID)
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, directory.DomainAutoJoin, ""); err != nil {
		t.Fatal(err)
	}
	// A request filed while seats are free, decided once they are gone.
	req, err := d.UseJoinLink(ctx, approval, identity("waiting@out.example"))
	if err != nil {
		t.Fatal(err)
	}
	two := 2
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &two}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.UseJoinLink(ctx, direct, identity("first@out.example")); err != nil || res.Outcome != directory.JoinOutcomeJoined {
		t.Fatalf("first = %+v, %v", res, err)
	}
	if _, err := d.UseJoinLink(ctx, direct, identity("second@out.example")); !errors.Is(err, directory.ErrSeatLimit) {
		t.Errorf("direct link over the limit: %v", err)
	}
	if _, err := d.JoinByDomain(ctx, ws.Slug, identity("third@acme.example")); !errors.Is(err, directory.ErrSeatLimit) {
		t.Errorf("domain auto-join over the limit: %v", err)
	}
	if _, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, req.Request.ID); !errors.Is(err, directory.ErrSeatLimit) {
		t.Errorf("accept over the limit: %v", err)
	}
	var seatErr *directory.SeatLimitError
	if _, err := d.UseJoinLink(ctx, direct, identity("second@out.example")); !errors.As(err, &seatErr) || seatErr.Limit != 2 {
		t.Errorf("seat error = %v", err)
	}
	// Still pending, still nobody extra; every refusal is recorded.
	if pending, _ := d.ListJoinRequests(ctx, owner, ws.Slug, directory.JoinRequestPending); len(pending) != 1 {
		t.Errorf("pending after refusal = %+v", pending)
	}
	if seats, _ := d.SeatUsage(ctx, owner, ws.Slug); seats.Used != 2 {
		t.Errorf("seats = %+v", seats)
	}
	// One email for the episode (the first refusal); every refusal
	// is in the event feed.
	if told := emails(t, d, ws.ID, "seat_limit_reached"); len(told) != 1 || told[0].Data["source"] != "join link" {
		t.Errorf("seat_limit_reached mails = %+v; want one, for the join link", told)
	}
	var sources []string
	for _, ev := range directorytest.SeatEvents(t, d, ws.ID) {
		sources = append(sources, ev.Source)
	}
	for _, want := range []string{"join link", "domain auto-join", "join request"} {
		if !slices.Contains(sources, want) {
			t.Errorf("no seats.limit_reached event for %s: %v", want, sources)
		}
	}
	// Approval links still file requests when seats are full.
	if res, err := d.UseJoinLink(ctx, approval, identity("hopeful@out.example")); err != nil || res.Outcome != directory.JoinOutcomeRequested {
		t.Errorf("request while full = %+v, %v", res, err)
	}
}

func testJoinTenancy(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, acmeOwner := newWorkspace(t, d, "acme")
	globex, globexOwner := newWorkspace(t, d, "globex")
	_, globexAdmin := join(t, d, globexOwner, globex.Slug, "admin@globex.example", directory.RoleAdmin)
	link, token, _, _ := d.CreateJoinLink(ctx, acmeOwner, acme.Slug, directory.JoinLinkRequest{Description: "acme only"})
	res, _ := d.UseJoinLink(ctx, token, identity("kim@out.example"))
	req := res.Request

	forbiddenOrMissing := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, directory.ErrForbidden) && !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("%s: %v, want ErrForbidden or ErrNotFound", what, err)
		}
	}
	for _, slug := range []string{acme.Slug, globex.Slug} {
		_, err := d.GetJoinLink(ctx, globexAdmin, slug, link.ID)
		forbiddenOrMissing("get link via "+slug, err)
		_, err = d.UpdateJoinLink(ctx, globexAdmin, slug, link.ID, directory.JoinLinkUpdate{Description: strp("mine")})
		forbiddenOrMissing("update link via "+slug, err)
		forbiddenOrMissing("revoke link via "+slug, d.RevokeJoinLink(ctx, globexAdmin, slug, link.ID))
		_, err = d.MembersJoinedVia(ctx, globexAdmin, slug, link.ID)
		forbiddenOrMissing("joined via "+slug, err)
		_, err = d.AcceptJoinRequest(ctx, globexAdmin, slug, req.ID)
		forbiddenOrMissing("accept via "+slug, err)
		forbiddenOrMissing("reject via "+slug, d.RejectJoinRequest(ctx, globexAdmin, slug, req.ID))
		forbiddenOrMissing("dismiss via "+slug, d.DismissJoinRequest(ctx, globexAdmin, slug, req.ID))
	}
	_, err := d.ListJoinLinks(ctx, globexAdmin, acme.Slug)
	forbiddenOrMissing("list acme's links", err)
	_, err = d.ListJoinRequests(ctx, globexAdmin, acme.Slug, "")
	forbiddenOrMissing("list acme's requests", err)
	if links, _ := d.ListJoinLinks(ctx, globexOwner, globex.Slug); len(links) != 0 {
		t.Errorf("globex sees links: %+v", links)
	}
	if reqs, _ := d.ListJoinRequests(ctx, globexOwner, globex.Slug, ""); len(reqs) != 0 {
		t.Errorf("globex sees requests: %+v", reqs)
	}
	// A globex member cannot be named as a reviewer of an acme link.
	gm, _ := d.ListMembers(ctx, globexOwner, globex.Slug, directory.MemberFilter{})
	people := directory.JoinNotifyPeople
	if _, err := d.UpdateJoinLink(ctx, acmeOwner, acme.Slug, link.ID, directory.JoinLinkUpdate{Notify: &people, NotifyPeople: []string{gm.Members[0].ID}}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("globex member as acme reviewer: %v", err)
	}
	// Acme's request is untouched.
	if reqs, _ := d.ListJoinRequests(ctx, acmeOwner, acme.Slug, directory.JoinRequestPending); len(reqs) != 1 || reqs[0].ID != req.ID {
		t.Errorf("acme's requests = %+v", reqs)
	}
}
