package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

func TestImportInvitations(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		join(t, d, owner, ws.Slug, "already@acme.example", directory.RoleMember)
		if _, err := d.DB().ExecContext(ctx, d.DB().Rebind(`INSERT INTO teams (id, workspace_id, name, name_norm, created_at, updated_at) VALUES ('team-sales', ?, 'Sales', 'sales', ?, ?)`),
			ws.ID, ws.CreatedAt, ws.CreatedAt); err != nil {
			t.Fatal(err)
		}
		req := directory.ImportRequest{
			Rows: [][]string{
				{"People to invite"}, // a title above the header
				{"\ufeffE-mail", "Full Name", "Role", "Teams", "Gender", "", "Employee_No"},
				{"jane@acme.example", "Jane Doe", "", "Sales", "F", "ignored", "E1"},
				{"bob@acme.example", "Bob", "Admin", "", "", "", "E2"},
				{"", "", "", "", "", "", ""}, // blank rows are skipped
				{"not-an-address", "X"},
				{"JANE@acme.example", "Jane again"},
				{"already@acme.example"},
				{"carl@acme.example", "Carl", "wizard"},
				{"dora@acme.example", "Dora", "", "Marketing"},
				{"eve@acme.example", "Eve", "owner"},
				{"fay@acme.example", strings.Repeat("n", 201)},
			},
			Role: directory.RoleMember,
		}
		_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
		if _, err := d.ImportInvitations(ctx, manager, ws.Slug, req); !errors.Is(err, directory.ErrForbidden) {
			// managers may not invite until the owners allow their role
			t.Errorf("manager import: err = %v, want ErrForbidden", err)
		}
		out, err := d.ImportInvitations(ctx, owner, ws.Slug, req)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			row    int
			email  string
			status directory.OutcomeStatus
		}{
			{3, "jane@acme.example", directory.OutcomeInvited},
			{4, "bob@acme.example", directory.OutcomeInvited},
			{6, "not-an-address", directory.OutcomeInvalidAddress},
			{7, "jane@acme.example", directory.OutcomeDuplicate},
			{8, "already@acme.example", directory.OutcomeAlreadyMember},
			{9, "carl@acme.example", directory.OutcomeInvalid},
			{10, "dora@acme.example", directory.OutcomeInvalid},
			{11, "eve@acme.example", directory.OutcomeInvited},
			{12, "fay@acme.example", directory.OutcomeInvalid},
		}
		if len(out) != len(want) {
			t.Fatalf("got %d outcomes: %+v", len(out), out)
		}
		for i, w := range want {
			if out[i].Row != w.row || out[i].Email != w.email || out[i].Status != w.status {
				t.Errorf("row %d: got %+v, want %+v", i, out[i], w)
			}
			if out[i].Status != directory.OutcomeInvited && out[i].Status != directory.OutcomeAlreadyMember && out[i].Error == "" {
				t.Errorf("row %d: %s without an explanation", out[i].Row, out[i].Status)
			}
		}
		if !strings.Contains(out[5].Error, `"wizard"`) || !strings.Contains(out[6].Error, `"Marketing"`) || !strings.Contains(out[3].Error, "row 3") {
			t.Errorf("errors do not say what is wrong: %q / %q / %q", out[5].Error, out[6].Error, out[3].Error)
		}

		// Roles, teams and the profile columns landed.
		page, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: directory.StatusInvited})
		if err != nil {
			t.Fatal(err)
		}
		roles := map[string]string{}
		for _, m := range page.Members {
			roles[m.Email] = m.Role
		}
		if roles["jane@acme.example"] != "member" || roles["bob@acme.example"] != "admin" || roles["eve@acme.example"] != "owner" {
			t.Errorf("roles = %v", roles)
		}
		invs, err := d.ListInvitations(ctx, owner, ws.Slug, directory.InvitationPending, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			if inv.Email == "jane@acme.example" && (len(inv.Teams) != 1 || inv.Teams[0] != "team-sales") {
				t.Errorf("jane's teams = %v", inv.Teams)
			}
		}
		var profile string
		if err := d.DB().GetContext(ctx, &profile, d.DB().Rebind(`SELECT profile FROM users WHERE email_norm = ?`), "jane@acme.example"); err != nil {
			t.Fatal(err)
		}
		var prof map[string]string
		json.Unmarshal([]byte(profile), &prof)
		if len(prof) != 2 || prof["Gender"] != "F" || prof["Employee_No"] != "E1" {
			t.Errorf("profile = %v", prof)
		}

		// Whole-file errors.
		bad := []directory.ImportRequest{
			{Rows: [][]string{{"name", "role"}, {"x", "member"}}, Role: "member"},
			{Rows: [][]string{{"email", "Email"}, {"a@x.example", "b@x.example"}}, Role: "member"},
			{Rows: [][]string{{"email", "Gender", "gender"}, {"a@x.example"}}, Role: "member"},
			{Rows: [][]string{{"email"}, {" "}}, Role: "member"},
			{Rows: [][]string{{"email"}, {"a@x.example"}}, Role: "nope"},
			{Rows: [][]string{{"email"}, {"a@x.example"}}, Role: "member", Teams: []string{"nope"}},
			{Rows: [][]string{}, Role: "member"},
		}
		for i, req := range bad {
			if _, err := d.ImportInvitations(ctx, owner, ws.Slug, req); !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("bad import %d: err = %v, want ErrInvalid", i, err)
			}
		}
		many := directory.ImportRequest{Rows: [][]string{{"email"}}, Role: "member"}
		for i := range directory.MaxImportRows + 1 {
			many.Rows = append(many.Rows, []string{fmt.Sprintf("p%d@x.example", i)})
		}
		if _, err := d.ImportInvitations(ctx, owner, ws.Slug, many); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("too many rows: err = %v, want ErrInvalid", err)
		}
	})
}
