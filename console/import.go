package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/importfile"
	"github.com/rosterhq/roster/web"
)

// Import limits: the file uploaded (with its form around it), and the
// confirmation, which carries the file's rows sealed and compressed.
const (
	maxImportUpload  = 5 << 20
	maxImportConfirm = 8 << 20
	// importCarryPurpose binds a preview's carry to its confirmation.
	importCarryPurpose = "import"
	// importCarryAge is how long a preview may wait for its confirmation.
	importCarryAge = time.Hour
)

// importCarry is what a preview hands, sealed, to its confirmation: the
// very table and choices previewed, for the workspace previewed.
type importCarry struct {
	WorkspaceID string     `json:"w"`
	File        string     `json:"f"`
	Rows        [][]string `json:"r"`
	Role        string     `json:"o"`
	Teams       []string   `json:"t"`
	SendEmail   bool       `json:"e"`
}

// importData is the Import page: the upload form, a preview, or the
// outcomes of a confirmed import.
type importData struct {
	web.Page
	Base  string
	Form  *web.Form
	Roles []directory.Role
	Teams []directory.Team
	Seats string
	// Preview and Outcomes are set on the two later steps.
	Preview  *importPreview
	Outcomes *importOutcomes
}

// importPreview is what the import would do, said for people.
type importPreview struct {
	File    string
	Carry   string
	Columns []importColumn
	Rows    []importRow
	Summary string
	// Inviting counts the rows that would send an invitation.
	Inviting  int
	SeatsLine string
	SendEmail bool
	Role      string
}

type importColumn struct {
	Number int
	Header string
	Goes   string
	Class  string
}

type importRow struct {
	Row   int
	Email string
	Name  string
	// OwnName: they already have an account, whose name stays.
	OwnName bool
	Role    string
	Teams   string
	// Profile is the row's profile entries, "Header: value".
	Profile []string
	Label   string
	Class   string
	Reason  string
}

// importOutcomes is what happened, row by row.
type importOutcomes struct {
	File    string
	Rows    []importRow
	Summary string
}

// importView opens the Import page: the same people as the Invite page.
func (h *Handler) importView(w http.ResponseWriter, r *http.Request) (*view, *importData) {
	v := h.open(w, r)
	if v == nil {
		return nil, nil
	}
	if !v.access.Invite {
		h.deny(w, r, v, "import people (the owners decide which roles may invite)")
		return nil, nil
	}
	d := &importData{Page: h.frame(r, v, "Import people", navInvite), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug), Roles: v.access.GrantableRoles}
	seats, err := h.dir.SeatUsage(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	d.Seats = seatsText(seats, time.Now())
	if d.Teams, err = h.dir.ListTeams(r.Context(), v.actor, v.slug); err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	return v, d
}

// importPage is the upload form.
func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) {
	if v, d := h.importView(w, r); v != nil {
		d.Form = web.NewForm(url.Values{"send_email": {"yes"}})
		h.render(w, r, http.StatusOK, "import", d)
	}
}

// importPreviewSubmit reads the uploaded file and shows what importing it
// would do, row by row. It changes nothing.
func (h *Handler) importPreviewSubmit(w http.ResponseWriter, r *http.Request) {
	v, d := h.importView(w, r)
	if v == nil {
		return
	}
	up, ok := h.kit.ParseUpload(w, r, v.s, maxImportUpload, "file")
	if !ok {
		return
	}
	form := web.NewForm(r.PostForm)
	d.Form = form
	role := form.Value("role")
	if role != "" && !slices.ContainsFunc(d.Roles, func(x directory.Role) bool { return x.Key == role }) {
		form.Fail("role", "Choose one of the roles listed; you cannot hand out that one.")
	}
	var rows [][]string
	if up == nil || len(up.Data) == 0 {
		form.Fail("file", "Choose the CSV or Excel file to import.")
	} else {
		var err error
		if rows, err = importfile.Read(up.Data, up.Name); err != nil {
			form.Fail("file", sentence(err))
		}
	}
	c := importCarry{WorkspaceID: v.access.WorkspaceID, Rows: rows, Role: role, Teams: r.PostForm["team"], SendEmail: form.Value("send_email") == "yes"}
	if up != nil {
		c.File = up.Name
	}
	if !form.OK() {
		d.Error = "Nothing was imported: please check the form."
		h.render(w, r, http.StatusBadRequest, "import", d)
		return
	}
	plan, err := h.dir.PlanImport(r.Context(), v.actor, v.slug, c.request())
	if err != nil {
		switch {
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "team"):
			form.Fail("team", sentence(err))
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "role"), errors.Is(err, directory.ErrForbidden):
			form.Fail("role", sentence(err))
		case errors.Is(err, directory.ErrInvalid):
			form.Fail("file", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
		d.Error = "Nothing was imported: please check the form."
		h.render(w, r, http.StatusBadRequest, "import", d)
		return
	}
	carry, err := json.Marshal(c)
	if err != nil {
		h.fail(w, r, v.s, fmt.Errorf("carry import: %w", err))
		return
	}
	names, err := h.roleNames(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	p := &importPreview{File: c.File, Carry: h.kit.Carry(v.s, importCarryPurpose, carry), SendEmail: c.SendEmail, Role: names[role]}
	for _, col := range plan.Columns {
		p.Columns = append(p.Columns, columnWords(col))
	}
	counts := map[string]int{}
	for _, row := range plan.Rows {
		status := planStatus(row.Status, row.Kind)
		counts[status]++
		label, text := previewWords(status)
		if row.Reason != "" {
			text = sentence(errors.New(row.Reason))
		}
		pr := importRow{Row: row.Row, Email: row.Email, Label: label, Class: status, Reason: text}
		if status == "invited" || status == "external" || status == "resent" {
			pr.Name, pr.OwnName = row.Name, row.Name == ""
			pr.Role, pr.Teams = names[row.Role], strings.Join(row.Teams, ", ")
			// Only a new account takes the file's profile columns; an
			// existing one keeps its own profile.
			for _, k := range slices.Sorted(maps.Keys(row.Profile)) {
				if !pr.OwnName {
					pr.Profile = append(pr.Profile, k+": "+row.Profile[k])
				}
			}
		}
		p.Rows = append(p.Rows, pr)
	}
	p.Inviting = counts["invited"] + counts["external"] + counts["resent"]
	p.Summary = previewSummary(counts, len(plan.Rows))
	switch {
	case plan.SeatLimit == nil:
		p.SeatsLine = "Seats are not limited now, so every new person gets one."
	default:
		p.SeatsLine = fmt.Sprintf("%d of %d seats are in use; this import takes %d, leaving %d.", plan.SeatsUsed, *plan.SeatLimit, plan.SeatsTaken, *plan.SeatLimit-plan.SeatsUsed-plan.SeatsTaken)
	}
	d.Preview = p
	d.Title = "Check the import"
	h.render(w, r, http.StatusOK, "import", d)
}

// importConfirm imports exactly the table previewed, as carried by the
// preview, and shows what happened to each row.
func (h *Handler) importConfirm(w http.ResponseWriter, r *http.Request) {
	v, d := h.importView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, maxImportConfirm) {
		return
	}
	var c importCarry
	b, err := h.kit.OpenCarry(v.s, importCarryPurpose, r.PostForm.Get("carry"), importCarryAge)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.WorkspaceID != v.access.WorkspaceID {
		h.kit.Message(w, r, http.StatusBadRequest, v.s, "Preview not accepted",
			"This preview was changed, belongs to another workspace or browser, or is more than an hour old, so nothing was imported. Upload the file again to see a fresh preview.")
		return
	}
	out, err := h.dir.ImportInvitations(r.Context(), v.actor, v.slug, c.request())
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	res := &importOutcomes{File: c.File}
	counts := map[string]int{}
	for _, o := range out {
		status := planStatus(o.Status, o.Kind)
		counts[status]++
		label, text := outcomeWords(status)
		if o.Status == directory.OutcomeInvalid {
			label = "Not invited"
		}
		if o.Error != "" {
			text = sentence(errors.New(o.Error))
		}
		res.Rows = append(res.Rows, importRow{Row: o.Row, Email: o.Email, Label: label, Class: status, Reason: text})
	}
	res.Summary = fmt.Sprintf("Imported %d rows: %s.", len(out), strings.Join(countWords(counts, outcomeWords), ", "))
	seats, err := h.dir.SeatUsage(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Seats = seatsText(seats, time.Now())
	d.Outcomes = res
	d.Title = "Import done"
	h.render(w, r, http.StatusOK, "import", d)
}

func (c importCarry) request() directory.ImportRequest {
	send := c.SendEmail
	return directory.ImportRequest{Rows: c.Rows, Role: c.Role, Teams: c.Teams, SendEmail: &send}
}

// roleNames maps role keys to their names for people.
func (h *Handler) roleNames(r *http.Request, v *view) (map[string]string, error) {
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, x := range roles {
		out[x.Key] = x.Name
	}
	return out, nil
}

// planStatus is an outcome status with invitations of external people
// told apart, as the Invite page shows them.
func planStatus(s directory.OutcomeStatus, kind string) string {
	if s == directory.OutcomeInvited && kind == directory.KindExternal {
		return "external"
	}
	return string(s)
}

// previewWords says what will happen to a row.
func previewWords(status string) (label, text string) {
	switch directory.OutcomeStatus(status) {
	case directory.OutcomeInvited:
		return "Will be invited", "A new member here: they get an invitation."
	case directory.OutcomeResent:
		return "Invitation resent", "Already invited: the invitation is sent again with a new link."
	case directory.OutcomeAlreadyMember:
		return "Already a member", "Nothing to do: they are already in the workspace."
	case directory.OutcomeInvalidAddress:
		return "Invalid address", "This is not an email address. Fix it in the file."
	case directory.OutcomeSeatLimit:
		return "Over the seat limit", "No seat would be left for them."
	case directory.OutcomeNotPermitted:
		return "Not allowed", "Your role may not invite this person."
	case directory.OutcomeDuplicate:
		return "Listed twice", "This address is on an earlier row; it is invited once."
	case directory.OutcomeInvalid:
		return "Will be skipped", ""
	case "external":
		return "Will be linked as external", "They already belong to another workspace: they join as an external member, with no second account."
	}
	return status, ""
}

var previewStatuses = []string{"invited", "external", "resent", "already_member", "duplicate", "invalid_address", "invalid", "seat_limit", "not_permitted"}

// countWords is "3 will be invited, 1 listed twice…" in a fixed order.
func countWords(counts map[string]int, words func(string) (string, string)) []string {
	var parts []string
	for _, s := range previewStatuses {
		if n := counts[s]; n > 0 {
			label, _ := words(s)
			if s == string(directory.OutcomeInvalid) && label == "" {
				label = "not invited"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(label)))
		}
	}
	return parts
}

func previewSummary(counts map[string]int, total int) string {
	noun := "rows"
	if total == 1 {
		noun = "row"
	}
	return fmt.Sprintf("%d %s below the header: %s.", total, noun, strings.Join(countWords(counts, previewWords), ", "))
}

// columnWords says where a column goes.
func columnWords(c directory.ImportColumn) importColumn {
	out := importColumn{Number: c.Number, Header: c.Header, Class: "used"}
	switch c.Field {
	case "email":
		out.Goes = "Email address"
	case "name":
		out.Goes = "Name"
	case "phone":
		out.Goes = "Phone number"
	case "role":
		out.Goes = "Role"
	case "teams":
		out.Goes = "Teams"
	case directory.ColumnProfile:
		out.Goes = "Kept on the profile as “" + c.Header + "”"
	default:
		out.Goes, out.Class = "Ignored: the column has no name in the header row", "ignored"
	}
	return out
}
