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
		return authorizeImport(t, ws, req)
	})
	if err != nil {
		return nil, err
	}

	out := make([]ImportOutcome, len(rows))
	verdicts, batches := batchRows(req, rows)
	for i, v := range verdicts {
		out[i] = ImportOutcome{Row: rows[i].row, InviteOutcome: store.InviteOutcome{Email: rows[i].invitee.Email, Status: v.status, Error: v.reason}}
		if v.email != "" {
			out[i].Email = v.email
		}
	}
	// People who share a role and teams are invited in one batch; a
	// batch refused as a whole (an unknown role or team, a role this
	// actor may not grant) answers each of its rows.
	for _, b := range batches {
		invitees := make([]Invitee, len(b.rows))
		for j, i := range b.rows {
			invitees[j] = rows[i].invitee
			invitees[j].Email = verdicts[i].email
		}
		res, err := d.Invite(ctx, actor, wsID, InviteRequest{Invitees: invitees, Role: b.role, Teams: b.teams, SendEmail: req.SendEmail})
		if status, refused := batchRefusal(err); refused {
			for _, i := range b.rows {
				out[i].Status, out[i].Error = status, store.ErrorText(err)
			}
			continue
		} else if err != nil {
			return nil, fmt.Errorf("import row %d: %w", rows[b.rows[min(len(res), len(b.rows)-1)]].row, err)
		}
		for j, i := range b.rows {
			out[i].InviteOutcome = res[j]
		}
	}
	return out, nil
}

// authorizeImport checks what an import asks of the whole table: the
// permission to invite (with the default role, when there is one) and the
// teams everyone joins.
func authorizeImport(t *store.Tx, ws *store.WorkspaceRow, req ImportRequest) error {
	var err error
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
}

// rowVerdict is what an import decides about a row before inviting
// anyone: the address, normalized ("" when it is not an address), and the
// role and teams the row is invited with; or, for a row refused on its
// own, the status and the reason.
type rowVerdict struct {
	email  string
	role   string
	teams  []string
	status store.OutcomeStatus
	reason string
}

// rowBatch is the rows of an import that share a role and teams: they are
// invited together, in file order, so seats go to them in that order.
type rowBatch struct {
	role  string
	teams []string
	rows  []int // indexes into the import's rows
}

// batchRows checks each row on its own (the address, a second row for the
// same address, the cells, a role) and batches the others by role and
// teams, in file order: the same for an import and for its preview.
func batchRows(req ImportRequest, rows []importRow) ([]rowVerdict, []*rowBatch) {
	verdicts := make([]rowVerdict, len(rows))
	var batches []*rowBatch
	byKey := map[string]*rowBatch{}
	seen := map[string]int{}
	for i, r := range rows {
		v := &verdicts[i]
		email, err := store.NormalizeEmail(r.invitee.Email)
		switch {
		case err != nil:
			v.status, v.reason = store.OutcomeInvalidAddress, store.ErrorText(err)
			continue
		case seen[email] != 0:
			v.email, v.status, v.reason = email, store.OutcomeDuplicate, fmt.Sprintf("already listed on row %d", seen[email])
			continue
		case r.err != "":
			v.email, v.status, v.reason = email, OutcomeInvalid, r.err
			continue
		}
		seen[email] = r.row
		v.email = email
		v.role = r.role
		if v.role == "" {
			v.role = req.Role
		}
		if v.role == "" {
			v.status, v.reason = OutcomeInvalid, "no role: fill in the role column or choose a default role"
			continue
		}
		v.teams = append(slices.Clone(req.Teams), r.teams...)
		key := v.role + "\x00" + strings.Join(v.teams, "\x00")
		b := byKey[key]
		if b == nil {
			b = &rowBatch{role: v.role, teams: v.teams}
			byKey[key] = b
			batches = append(batches, b)
		}
		b.rows = append(b.rows, i)
	}
	return verdicts, batches
}

// batchRefusal is the status of every row of a batch refused as a whole
// (an unknown role or team, a role the actor may not grant); refused is
// false for a success or a failure of the import itself.
func batchRefusal(err error) (status store.OutcomeStatus, refused bool) {
	switch {
	case errors.Is(err, store.ErrForbidden):
		return store.OutcomeNotPermitted, true
	case errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound):
		return OutcomeInvalid, true
	}
	return "", false
}
