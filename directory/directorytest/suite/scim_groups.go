package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// scimGroupTests: groups an identity provider pushes over SCIM.
var scimGroupTests = []test{
	{"SCIMGroups", testSCIMGroups},
}

func testSCIMGroups(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{TeamRoles: map[string]string{"Acme Managers": directory.RoleManager}})
	var users []directory.SCIMUser
	for i := range 4 {
		u, _, err := d.SCIMCreateUser(ctx, conn, scimUser(fmt.Sprintf("u%d@x.example", i), fmt.Sprintf("u%d@x.example", i)))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	ref := func(us ...directory.SCIMUser) []directory.SCIMMemberRef {
		var out []directory.SCIMMemberRef
		for _, u := range us {
			out = append(out, directory.SCIMMemberRef{Value: u.ID})
		}
		return out
	}
	g, did, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Engineering", Members: append(ref(users[0]), directory.SCIMMemberRef{Value: "no-such-user"})})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(did, "ignored unknown members no-such-user") {
		t.Errorf("unknown member: %s", did)
	}
	if _, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "ENGINEERING"}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate displayName: err = %v, want ErrConflict", err)
	}
	members := func(id string) []string {
		t.Helper()
		got, err := d.SCIMGetGroup(ctx, conn, id, true)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range got.Members {
			out = append(out, m.Value)
		}
		return sortedCopy(out)
	}
	ids := func(us ...directory.SCIMUser) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return sortedCopy(out)
	}
	update := func(ops ...directory.SCIMMemberOp) {
		t.Helper()
		if _, _, err := d.SCIMUpdateGroup(ctx, conn, g.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
			return directory.SCIMGroupChange{Members: ops}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	update(directory.SCIMMemberOp{Op: "add", Members: []directory.SCIMMemberRef{{Value: users[1].ID, Display: "Shown As"}}}, directory.SCIMMemberOp{Op: "remove", Members: ref(users[0])})
	if got := members(g.ID); fmt.Sprint(got) != fmt.Sprint(ids(users[1])) {
		t.Errorf("add+remove: %v", got)
	}
	got, _ := d.SCIMGetGroup(ctx, conn, g.ID, true)
	if got.Members[0].Display != "Shown As" {
		t.Errorf("display as the IdP gave it: %+v", got.Members)
	}
	update(directory.SCIMMemberOp{Op: "set", Members: ref(users[2], users[3])})
	if got := members(g.ID); fmt.Sprint(got) != fmt.Sprint(ids(users[2], users[3])) {
		t.Errorf("set: %v", got)
	}
	if noMembers, _ := d.SCIMGetGroup(ctx, conn, g.ID, false); noMembers.Members != nil {
		t.Errorf("members read although not asked for")
	}

	// Concurrent PATCHes on one group lose nothing.
	var wg sync.WaitGroup
	errs := make(chan error, len(users))
	for _, u := range users[:2] {
		wg.Go(func() {
			_, _, err := d.SCIMUpdateGroup(ctx, conn, g.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
				return directory.SCIMGroupChange{Members: []directory.SCIMMemberOp{{Op: "add", Members: ref(u)}}}, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent add: %v", err)
		}
	}
	if got := members(g.ID); len(got) != 4 {
		t.Errorf("after concurrent adds: %d members, want 4", len(got))
	}

	// A group named as the connection maps it grants the role;
	// renaming away takes it back.
	name := "Acme Managers"
	if _, _, err := d.SCIMUpdateGroup(ctx, conn, g.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
		return directory.SCIMGroupChange{DisplayName: &name}, nil
	}); err != nil {
		t.Fatal(err)
	}
	m, _ := d.GetMember(ctx, owner, ws.Slug, users[3].ID)
	if m.EffectiveRole != directory.RoleManager {
		t.Errorf("member of the mapped group: effective role %s, want manager", m.EffectiveRole)
	}
	update(directory.SCIMMemberOp{Op: "remove", Members: ref(users[3])})
	if m, _ = d.GetMember(ctx, owner, ws.Slug, users[3].ID); m.EffectiveRole != directory.RoleMember {
		t.Errorf("removed from the mapped group: effective role %s, want member", m.EffectiveRole)
	}
	mapped, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "acme managers 2"})
	if err != nil || mapped.ID == "" {
		t.Fatal(err)
	}

	// Filters and paging on groups.
	page, err := d.SCIMListGroups(ctx, conn, directory.SCIMQuery{Filter: &directory.SCIMCond{Op: "eq", Field: directory.FieldGroupName, Value: "ACME managers"}, StartIndex: 1, Count: 10}, true)
	if err != nil || page.Total != 1 || page.Groups[0].ID != g.ID || len(page.Groups[0].Members) != 3 {
		t.Errorf("filter displayName: %+v, %v", page, err)
	}
	page, err = d.SCIMListGroups(ctx, conn, directory.SCIMQuery{Filter: &directory.SCIMCond{Op: "eq", Field: directory.FieldGroupMember, Value: users[0].ID}, StartIndex: 1, Count: 10}, false)
	if err != nil || page.Total != 1 || page.Groups[0].Members != nil {
		t.Errorf("filter members.value: %+v, %v", page, err)
	}

	if _, err := d.SCIMDeleteGroup(ctx, conn, g.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SCIMGetGroup(ctx, conn, g.ID, false); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleted group: %v", err)
	}
	if _, err := d.SCIMGetUser(ctx, conn, users[0].ID); err != nil {
		t.Errorf("deleting a group deletes no user: %v", err)
	}
}
