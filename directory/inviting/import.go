package inviting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory/internal/store"
)

// MaxImportRows is how many people one import may invite.
const MaxImportRows = 10000

// OutcomeInvalid is the outcome of an import row that cannot be invited as
// written (no role, an unknown role or team, an over-long value).
const OutcomeInvalid store.OutcomeStatus = "invalid"

// ImportRequest invites the people of a table (a CSV file or a
// spreadsheet, read by a front door). Rows are the table as the file holds
// it, blank rows included so that row numbers match. The header is the
// first of the first rows that names an email column (titles above it are
// skipped); email (required), name, phone, role and teams are understood,
// in any order and any case, and every other named column is kept on the
// new user's profile (gender, employee number…).
type ImportRequest struct {
	Rows [][]string
	// Role is used for rows whose role cell is empty.
	Role string
	// Teams (ids or names) are joined by everyone, in addition to the
	// row's own teams.
	Teams []string
	// SendEmail defaults to true.
	SendEmail *bool
}

// importHeaderSearch is how many rows may stand above the header.
const importHeaderSearch = 10

// ImportOutcome is the answer for one row: its number in the file (the
// header is row 1) and what happened to it.
type ImportOutcome struct {
	Row int
	store.InviteOutcome
}

// importColumns maps folded header spellings to the columns understood.
var importColumns = map[string]string{
	"email": "email", "e-mail": "email", "email address": "email", "e-mail address": "email", "mail": "email",
	"name": "name", "full name": "name", "display name": "name",
	"phone": "phone", "phone number": "phone", "mobile": "phone",
	"role":  "role",
	"teams": "teams", "team": "teams", "groups": "teams",
}

// importRow is one row read from the table.
type importRow struct {
	row     int
	invitee Invitee
	role    string
	teams   []string
	err     string
}

// readImportTable applies the column rules to the table. It fails as a
// whole only for a table that cannot be read at all (no email column, a
// repeated column, too many rows); a bad cell fails its row only.
func readImportTable(req ImportRequest) ([]importRow, error) {
	if i, col, profileCols, err := findImportHeader(req.Rows); i >= 0 {
		if err != nil {
			return nil, err
		}
		return importRecords(req.Rows[i+1:], i+2, col, profileCols)
	}
	first := ""
	for _, row := range req.Rows {
		if !isBlank(row) {
			first = strings.Join(row, ", ")
			break
		}
	}
	if first == "" {
		return nil, store.Invalidf("the file is empty; its first row must name the columns (email, name, role, teams…)")
	}
	return nil, store.Invalidf("no header row with an email column among the first %d rows (the first row reads %q)", importHeaderSearch, store.Truncate(first, 80))
}

// importHeader reads a candidate header row: which cell holds each column
// understood, and the names of the other (profile) columns. The columns
// found so far come back with an error too, so a caller can tell a broken
// header from a row that is no header at all.
func importHeader(header []string) (map[string]int, map[int]string, error) {
	col := map[string]int{}
	profileCols := map[int]string{}
	seenProfile := map[string]bool{}
	var err error
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // a UTF-8 BOM from spreadsheet exports
		if h == "" {
			continue
		}
		key := strings.Join(strings.Fields(strings.ReplaceAll(store.FoldCase(h), "_", " ")), " ")
		if c, ok := importColumns[key]; ok {
			if _, dup := col[c]; dup {
				return col, nil, store.Invalidf("the header has two %s columns (columns %d and %d)", c, col[c]+1, i+1)
			}
			col[c] = i
			continue
		}
		if utf8.RuneCountInString(h) > store.MaxProfileKeyLength {
			err = store.Invalidf("column %d's name is longer than %d characters", i+1, store.MaxProfileKeyLength)
			continue
		}
		if seenProfile[store.FoldCase(h)] {
			err = store.Invalidf("the header has two columns named %q", h)
			continue
		}
		seenProfile[store.FoldCase(h)] = true
		profileCols[i] = h
	}
	return col, profileCols, err
}

// importRecords reads the rows below the header; first is the row number
// of records[0].
func importRecords(records [][]string, first int, col map[string]int, profileCols map[int]string) ([]importRow, error) {
	cell := func(rec []string, c string) string {
		i, ok := col[c]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []importRow
	for n, rec := range records {
		if isBlank(rec) {
			continue
		}
		if len(rows) == MaxImportRows {
			return nil, store.Invalidf("at most %d people per import; split the file", MaxImportRows)
		}
		r := importRow{row: first + n, role: strings.ToLower(cell(rec, "role"))}
		r.invitee = Invitee{Email: cell(rec, "email"), Name: cell(rec, "name"), Phone: cell(rec, "phone")}
		for _, t := range strings.FieldsFunc(cell(rec, "teams"), func(r rune) bool { return r == ';' || r == ',' || r == '|' }) {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(r.teams, t) {
				r.teams = append(r.teams, t)
			}
		}
		for i, h := range profileCols {
			if i < len(rec) {
				if v := strings.TrimSpace(rec[i]); v != "" {
					if r.invitee.Profile == nil {
						r.invitee.Profile = map[string]string{}
					}
					r.invitee.Profile[h] = v
				}
			}
		}
		if err := checkCells(rec); err != nil {
			r.err = store.ErrorText(err)
		} else if err := checkInvitee(-1, r.invitee); err != nil {
			r.err = store.ErrorText(err)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, store.Invalidf("the file has no rows below its header")
	}
	return rows, nil
}

func isBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// ImportInvitations invites everyone in a table and answers row by row, in
// file order. Rows are invited with the same rules as Invite (one
// transaction per person, seat checks, who may invite with which role); a
// row with no role uses req.Role. The returned error is for the import as
// a whole: no permission to invite, an unreadable table, an unusable
// default role.
func (d *Inviter) ImportInvitations(ctx context.Context, actor store.Actor, workspace string, req ImportRequest) ([]ImportOutcome, error) {
	rows, err := readImportTable(req)
	if err != nil {
		return nil, err
	}
	req.Role = strings.ToLower(strings.TrimSpace(req.Role))
	var wsID string
	err = d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		if req.Role != "" {
			_, _, err = t.AuthorizeInvite(ws, req.Role)
		} else {
			_, err = t.Authorize(ws, store.PermMembersInvite)
		}
		if err != nil {
			return err
		}
		_, err = t.ResolveTeams(ws.ID, req.Teams)
		return err
	})
	if err != nil {
		return nil, err
	}

	out := make([]ImportOutcome, len(rows))
	type group struct {
		role  string
		teams []string
		rows  []int // indexes into rows
	}
	var groups []*group
	byKey := map[string]*group{}
	seen := map[string]int{}
	for i, r := range rows {
		out[i] = ImportOutcome{Row: r.row, InviteOutcome: store.InviteOutcome{Email: r.invitee.Email}}
		email, err := store.NormalizeEmail(r.invitee.Email)
		switch {
		case err != nil:
			out[i].Status, out[i].Error = store.OutcomeInvalidAddress, store.ErrorText(err)
			continue
		case seen[email] != 0:
			out[i].Email, out[i].Status, out[i].Error = email, store.OutcomeDuplicate, fmt.Sprintf("already listed on row %d", seen[email])
			continue
		case r.err != "":
			out[i].Email, out[i].Status, out[i].Error = email, OutcomeInvalid, r.err
			continue
		}
		seen[email] = r.row
		rows[i].invitee.Email = email
		role := r.role
		if role == "" {
			role = req.Role
		}
		if role == "" {
			out[i].Email, out[i].Status, out[i].Error = email, OutcomeInvalid, "no role: fill in the role column or choose a default role"
			continue
		}
		teams := append(slices.Clone(req.Teams), r.teams...)
		key := role + "\x00" + strings.Join(teams, "\x00")
		g := byKey[key]
		if g == nil {
			g = &group{role: role, teams: teams}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, i)
	}
	// People who share a role and teams are invited in one batch; a
	// batch refused as a whole (an unknown role or team, a role this
	// actor may not grant) answers each of its rows.
	for _, g := range groups {
		invitees := make([]Invitee, len(g.rows))
		for j, i := range g.rows {
			invitees[j] = rows[i].invitee
		}
		res, err := d.Invite(ctx, actor, wsID, InviteRequest{Invitees: invitees, Role: g.role, Teams: g.teams, SendEmail: req.SendEmail})
		switch {
		case errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrForbidden) || errors.Is(err, store.ErrNotFound):
			status := OutcomeInvalid
			if errors.Is(err, store.ErrForbidden) {
				status = store.OutcomeNotPermitted
			}
			for _, i := range g.rows {
				out[i].Email, out[i].Status, out[i].Error = rows[i].invitee.Email, status, store.ErrorText(err)
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("import row %d: %w", rows[g.rows[min(len(res), len(g.rows)-1)]].row, err)
		}
		for j, i := range g.rows {
			out[i].InviteOutcome = res[j]
		}
	}
	return out, nil
}
