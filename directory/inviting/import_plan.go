package inviting

import (
	"context"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// findImportHeader finds the header among the first rows of a table: the
// first that names an email column (titles above it are skipped). It
// answers the header's index, -1 when there is none.
func findImportHeader(rows [][]string) (int, map[string]int, map[int]string, error) {
	for i, row := range rows {
		if i == importHeaderSearch {
			break
		}
		col, profileCols, err := importHeader(row)
		if _, ok := col["email"]; ok {
			return i, col, profileCols, err
		}
	}
	return -1, nil, nil, nil
}

// Where a column of an import file goes, besides the fields understood
// (email, name, phone, role, teams).
const (
	// ColumnProfile: kept on a new person's profile under its header.
	ColumnProfile = "profile"
	// ColumnIgnored: a column with no header; its cells are not kept.
	ColumnIgnored = "ignored"
)

// ImportColumn is one column of an import file and where it goes.
type ImportColumn struct {
	// Number is the column's place in the file, 1 for the first.
	Number int
	Header string
	// Field is email, name, phone, role or teams for the columns
	// understood, else ColumnProfile or ColumnIgnored.
	Field string
}

// ImportPlanRow is what an import would do with one row of the file.
type ImportPlanRow struct {
	// Row is the row's number in the file (the first row is 1).
	Row   int
	Email string
	// Name is the name a new person gets (the row's, else guessed from
	// the address); empty for someone who already has an account, whose
	// name stays theirs.
	Name string
	// Role is the role key the row would be invited with.
	Role  string
	Teams []string
	// Status is the outcome the import would have: invited, resent,
	// already_member, invalid_address, invalid, duplicate, seat_limit or
	// not_permitted.
	Status store.OutcomeStatus
	// Kind is internal or external for a person invited.
	Kind string
	// Reason says why, for a row that would not be invited.
	Reason  string
	Profile map[string]string
}

// ImportPlan is what ImportInvitations would do with a table, worked out
// without changing anything: the columns and where each goes, and every
// row with its outcome.
type ImportPlan struct {
	// HeaderRow is the header's row number in the file.
	HeaderRow int
	Columns   []ImportColumn
	Rows      []ImportPlanRow
	// SeatLimit is nil when seats are not limited (no limit, or a trial
	// running); SeatsUsed counts the seats held before the import, and
	// SeatsTaken the ones it would take.
	SeatLimit  *int
	SeatsUsed  int
	SeatsTaken int
}

// Count is how many rows of the plan have status s.
func (p ImportPlan) Count(s store.OutcomeStatus) int {
	n := 0
	for _, r := range p.Rows {
		if r.Status == s {
			n++
		}
	}
	return n
}

// PlanImport answers, row by row, what ImportInvitations would do with
// req now, and writes nothing: the same checks in the same order (rows
// sharing a role and teams are invited together, so seats go to them in
// that order), the same permission (members.invite, for the roles the
// actor may hand out). What happens later may differ if the workspace
// changes in between; ImportInvitations answers for what it did.
func (d *Inviter) PlanImport(ctx context.Context, actor store.Actor, workspace string, req ImportRequest) (ImportPlan, error) {
	var plan ImportPlan
	rows, err := readImportTable(req)
	if err != nil {
		return plan, err
	}
	hi, col, profileCols, _ := findImportHeader(req.Rows)
	plan.HeaderRow = hi + 1
	plan.Columns = importColumnsOf(req.Rows, hi, col, profileCols)
	req.Role = strings.ToLower(strings.TrimSpace(req.Role))
	err = d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		if err := authorizeImport(t, ws, req); err != nil {
			return err
		}
		if ws.SeatLimit != nil && (ws.TrialEndsAt == nil || !t.Now.Before(*ws.TrialEndsAt)) {
			plan.SeatLimit = ws.SeatLimit
		}
		if err := t.GetOne(&plan.SeatsUsed, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status IN ('active', 'invited')`, ws.ID); err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		plan.Rows, err = planRows(t, ws, &plan, req, rows)
		return err
	})
	if err != nil {
		return ImportPlan{}, err
	}
	return plan, nil
}

// importColumnsOf lists the columns of the header at index hi: the
// fields understood, the profile columns, and the unnamed columns that
// hold something below the header, which are ignored.
func importColumnsOf(rows [][]string, hi int, col map[string]int, profileCols map[int]string) []ImportColumn {
	field := map[int]string{}
	for f, i := range col {
		field[i] = f
	}
	width := 0
	for _, r := range rows[hi:] {
		width = max(width, len(r))
	}
	var out []ImportColumn
	for i := range width {
		c := ImportColumn{Number: i + 1}
		if i < len(rows[hi]) {
			c.Header = strings.TrimSpace(strings.TrimPrefix(rows[hi][i], "\ufeff"))
		}
		switch {
		case field[i] != "":
			c.Field = field[i]
		case profileCols[i] != "":
			c.Field = ColumnProfile
		default:
			used := false
			for _, r := range rows[hi+1:] {
				if i < len(r) && strings.TrimSpace(r[i]) != "" {
					used = true
					break
				}
			}
			if !used {
				continue
			}
			c.Field = ColumnIgnored
		}
		out = append(out, c)
	}
	return out
}

// planRows is ImportInvitations' loop with every write replaced by the
// answer it would give.
func planRows(t *store.Tx, ws *store.WorkspaceRow, plan *ImportPlan, req ImportRequest, rows []importRow) ([]ImportPlanRow, error) {
	out := make([]ImportPlanRow, len(rows))
	verdicts, batches := batchRows(req, rows)
	for i, v := range verdicts {
		r := rows[i]
		out[i] = ImportPlanRow{Row: r.row, Email: strings.TrimSpace(r.invitee.Email), Profile: r.invitee.Profile,
			Status: v.status, Reason: v.reason, Role: v.role, Teams: v.teams}
		if v.email != "" {
			out[i].Email = v.email
		}
	}
	for _, b := range batches {
		_, _, err := t.AuthorizeInvite(ws, b.role)
		if err == nil {
			_, err = t.ResolveTeams(ws.ID, b.teams)
		}
		if status, refused := batchRefusal(err); refused {
			for _, i := range b.rows {
				out[i].Status, out[i].Reason = status, store.ErrorText(err)
			}
			continue
		} else if err != nil {
			return nil, err
		}
		for _, i := range b.rows {
			if err := planOne(t, ws, plan, &out[i], rows[i].invitee); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// planOne is inviteOne's decision for one address, without its writes.
func planOne(t *store.Tx, ws *store.WorkspaceRow, plan *ImportPlan, r *ImportPlanRow, inv Invitee) error {
	u, err := t.UserByEmail(r.Email)
	if err != nil {
		return err
	}
	var m *store.MembershipRow
	if u == nil {
		r.Kind, r.Name = store.KindInternal, strings.TrimSpace(inv.Name)
		if r.Name == "" {
			r.Name = store.GuessName(r.Email)
		}
	} else {
		r.Kind = store.KindInternal
		if u.HomeWorkspaceID != nil && *u.HomeWorkspaceID != ws.ID {
			r.Kind = store.KindExternal
		}
		if m, err = t.MembershipOf(ws.ID, u.ID); err != nil {
			return err
		}
	}
	if m != nil {
		switch m.Status {
		case store.StatusActive:
			r.Status, r.Kind = store.OutcomeAlreadyMember, m.Kind
			return nil
		case store.StatusSuspended:
			r.Status, r.Reason = store.OutcomeNotPermitted, "this person is suspended; reactivate them instead"
			return nil
		case store.StatusInvited:
			r.Kind = m.Kind
			var n int
			if err := t.GetOne(&n, `SELECT COUNT(*) FROM invitations WHERE membership_id = ? AND status = 'pending'`, m.ID); err != nil {
				return fmt.Errorf("find open invitation: %w", err)
			}
			r.Status = store.OutcomeInvited
			if n > 0 {
				r.Status = store.OutcomeResent
			}
			return nil
		}
	}
	// Nobody here yet (or a removed member coming back): a new seat.
	if plan.SeatLimit != nil && plan.SeatsUsed+plan.SeatsTaken >= *plan.SeatLimit {
		r.Status, r.Reason = store.OutcomeSeatLimit, fmt.Sprintf("all %d seats would be in use", *plan.SeatLimit)
		return nil
	}
	plan.SeatsTaken++
	r.Status = store.OutcomeInvited
	return nil
}
