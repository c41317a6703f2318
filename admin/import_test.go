package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

type importResult struct {
	Outcomes []admin.ImportOutcome
	Summary  map[string]int
}

// form builds a multipart body with a file and fields.
func form(t *testing.T, filename string, file []byte, fields map[string]string) multipartBody {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	return append([]byte(w.FormDataContentType()+"\n"), b.Bytes()...)
}

func xlsx(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestImportFiles(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		if _, err := e.d.CreateTeam(context.Background(), directory.Operator(), "acme", directory.TeamRequest{Name: "Sales"}); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/workspaces/acme/invitations/import"

		// CSV upload: roles per row, teams, a profile column, row numbers.
		csv := "Email,Name,Role,Teams,Gender\n" +
			"ana@acme.example,Ana,admin,Sales,F\n" +
			"\n" +
			"bad,Bad,,,\n" +
			"ben@acme.example,Ben,,Sales;Nope,M\n" +
			"cy@acme.example,Cy,,,\n"
		var res importResult
		e.must(e.send("POST", path, owner, form(t, "people.csv", []byte(csv), map[string]string{"role": "member", "send_email": "false"})), 200, &res)
		want := []string{"2 ana@acme.example invited", "4 bad invalid_address", "5 ben@acme.example invalid", "6 cy@acme.example invited"}
		if got := outcomeLines(res); got != strings.Join(want, "\n") {
			t.Errorf("csv outcomes:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
		}
		if res.Summary["invited"] != 2 || !strings.Contains(res.Outcomes[2].Error, `"Nope"`) {
			t.Errorf("summary %v, error %q", res.Summary, res.Outcomes[2].Error)
		}

		// A raw body, European CSV (semicolons) in Windows-1252, options as
		// query parameters.
		latin := []byte("email;name;Département\nzoe@acme.example;Zo\xe9;Ventes\n")
		e.must(e.doType("POST", path+"?role=collaborator&send_email=false", owner, "text/csv", latin), 200, &res)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Status != string(directory.OutcomeInvited) {
			t.Fatalf("latin-1 csv: %+v", res)
		}
		var page admin.MemberPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?q=zoe", owner, nil), 200, &page)
		if len(page.Members) != 1 || page.Members[0].Name != "Zoé" || page.Members[0].Role != "collaborator" {
			t.Errorf("zoe = %+v", page.Members)
		}

		// Excel, header on row 3 below a title.
		book := xlsx(t, [][]any{{"Staff list"}, {}, {"E-mail", "Full name", "Employee No"}, {"xia@acme.example", "Xia", 1042}, {"yan@acme.example", "Yan", 1043}})
		e.must(e.send("POST", path, owner, form(t, "staff.xlsx", book, map[string]string{"role": "member", "teams": "Sales", "send_email": "false"})), 200, &res)
		if got := outcomeLines(res); got != "4 xia@acme.example invited\n5 yan@acme.example invited" {
			t.Errorf("xlsx outcomes:\n%s", got)
		}
		var profile string
		if err := e.db().Get(&profile, e.db().Rebind(`SELECT profile FROM users WHERE email_norm = ?`), "xia@acme.example"); err != nil {
			t.Fatal(err)
		}
		var prof map[string]string
		json.Unmarshal([]byte(profile), &prof)
		if prof["Employee No"] != "1042" {
			t.Errorf("profile = %v", prof)
		}
		e.must(e.doType("POST", path+"?role=member&send_email=false", owner, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			xlsx(t, [][]any{{"email"}, {"raw@acme.example"}})), 200, &res)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Status != string(directory.OutcomeInvited) {
			t.Errorf("raw xlsx = %+v", res)
		}

		// Files that cannot be imported.
		bad := []struct {
			name   string
			body   any
			ct     string
			status int
			typ    string
		}{
			{"no file", form(t, "", nil, map[string]string{"role": "member"}), "", 422, "invalid"},
			{"unknown field", form(t, "p.csv", []byte("email\na@x.example\n"), map[string]string{"rol": "member"}), "", 422, "invalid"},
			{"no email column", form(t, "p.csv", []byte("name\nAna\n"), map[string]string{"role": "member"}), "", 422, "invalid"},
			{"header only", form(t, "p.csv", []byte("email\n"), map[string]string{"role": "member"}), "", 422, "invalid"},
			{"empty file", form(t, "p.csv", []byte{}, map[string]string{"role": "member"}), "", 422, "invalid"},
			{"old xls", form(t, "p.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, map[string]string{"role": "member"}), "", 415, "unsupported-media-type"},
			{"broken xlsx", form(t, "p.xlsx", []byte("PK\x03\x04garbage"), map[string]string{"role": "member"}), "", 422, "invalid"},
			{"too large", form(t, "p.csv", bytes.Repeat([]byte("a"), 300<<10), map[string]string{"role": "member"}), "", 413, "too-large"},
			{"too large raw", strings.Repeat("a", 300<<10), "text/csv", 413, "too-large"},
			{"json", `{"email":"a@x.example"}`, "application/json", 415, "unsupported-media-type"},
			{"bad send_email", "email\na@x.example\n", "text/csv", 422, "invalid"},
			{"unknown default role", "email\na@x.example\n", "text/csv?role", 422, "invalid"},
		}
		for _, tt := range bad {
			var r response
			switch {
			case tt.ct == "":
				r = e.send("POST", path, owner, tt.body)
			case tt.name == "bad send_email":
				r = e.doType("POST", path+"?role=member&send_email=maybe", owner, tt.ct, tt.body)
			case tt.ct == "text/csv?role":
				r = e.doType("POST", path+"?role=wizard", owner, "text/csv", tt.body)
			default:
				r = e.doType("POST", path+"?role=member", owner, tt.ct, tt.body)
			}
			if r.status != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.name, r.status, tt.status, r.body)
				continue
			}
			if p := r.problem(t); p.Type != admin.ProblemTypeBase+tt.typ {
				t.Errorf("%s: type %s", tt.name, p.Type)
			}
		}
	})
}

func outcomeLines(res importResult) string {
	var lines []string
	for _, o := range res.Outcomes {
		lines = append(lines, fmt.Sprintf("%d %s %s", o.Row, o.Email, o.Status))
	}
	return strings.Join(lines, "\n")
}
