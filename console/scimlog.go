package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// logPageSize is how many requests one page of the log shows.
const logPageSize = 50

// operationLabels name the request log's operations for people.
var operationLabels = map[string]string{
	directory.SCIMOpCreateUser:  "Add a person",
	directory.SCIMOpUpdateUser:  "Change a person",
	directory.SCIMOpDeleteUser:  "Remove a person",
	directory.SCIMOpReadUsers:   "Look up people",
	directory.SCIMOpCreateGroup: "Add a group",
	directory.SCIMOpUpdateGroup: "Change a group",
	directory.SCIMOpDeleteGroup: "Remove a group",
	directory.SCIMOpReadGroups:  "Look up groups",
	directory.SCIMOpOther:       "Other (settings, discovery)",
}

// scimLogData is the request log page.
type scimLogData struct {
	web.Page
	Base       string
	Rows       []logRow
	Outcome    string
	Operation  string
	Operations []choice
	Filtered   bool
	NextURL    string
	FirstURL   string
}

// logRow is a request in words.
type logRow struct {
	Time      string
	Operation string
	OK        bool
	Status    int
	Summary   string
}

// scimLog lists the directory's requests, newest first, narrowed by
// outcome and operation.
func (h *Handler) scimLog(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	q := r.URL.Query()
	d := &scimLogData{Page: h.frame(r, v, "SCIM request log", navSCIM), Base: h.scimBase(v), Outcome: q.Get("outcome"), Operation: q.Get("operation")}
	for _, op := range directory.SCIMOperations {
		d.Operations = append(d.Operations, choice{op, operationLabels[op]})
	}
	if _, ok := operationLabels[d.Operation]; !ok {
		d.Operation = ""
	}
	if d.Outcome != directory.SCIMRequestsSucceeded && d.Outcome != directory.SCIMRequestsFailed {
		d.Outcome = ""
	}
	d.Filtered = d.Outcome != "" || d.Operation != ""
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	list, err := h.dir.FilterSCIMRequests(r.Context(), v.actor, v.slug, directory.SCIMRequestFilter{Before: max(before, 0), Limit: logPageSize + 1, Outcome: d.Outcome, Operation: d.Operation})
	if errors.Is(err, directory.ErrNotFound) {
		h.kit.Redirect(w, r, h.scimBase(v), "Set up SCIM provisioning first; its requests are logged from then on.")
		return
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	roles := h.logRoleNames(r, v)
	keep := url.Values{}
	if d.Outcome != "" {
		keep.Set("outcome", d.Outcome)
	}
	if d.Operation != "" {
		keep.Set("operation", d.Operation)
	}
	if len(list) > logPageSize {
		list = list[:logPageSize]
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(list[len(list)-1].ID, 10))
		d.NextURL = d.Base + "/log?" + next.Encode()
	}
	if before > 0 {
		d.FirstURL = d.Base + "/log"
		if len(keep) > 0 {
			d.FirstURL += "?" + keep.Encode()
		}
	}
	for _, e := range list {
		d.Rows = append(d.Rows, logRow{Time: e.CreatedAt.UTC().Format("2 Jan 2006 15:04:05"), Operation: operationLabels[e.Operation()],
			OK: e.Succeeded(), Status: e.Status, Summary: requestSummary(e, roles)})
	}
	h.render(w, r, http.StatusOK, "scimlog", d)
}

// logRoleNames maps role keys to their names, for the log's sentences.
func (h *Handler) logRoleNames(r *http.Request, v *view) map[string]string {
	out := map[string]string{}
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		h.log.Warn("role names for the request log", "err", err)
	}
	for _, x := range roles {
		out[x.Key] = x.Name
	}
	return out
}

// The request log's texts are written by directory/ and scim/ for
// operators; these patterns say the common ones again for IT admins.
var (
	reInvited   = regexp.MustCompile(`invited (\S+) as (internal|external) (\S+) \(invitation ([^)]*)\)`)
	reActivated = regexp.MustCompile(`activated (\S+) as internal (\S+) \(verified domain ([^)]+)\)`)
	reLinked    = regexp.MustCompile(`linked existing (\w+) member`)
	reListed    = regexp.MustCompile(`^listed (\d+) of (\d+) (users|groups)$`)
	reSeats     = regexp.MustCompile(`limit is (\d+) seats and (\d+) are in use`)
	reGroup     = regexp.MustCompile(`^created group (.+?)(?: \(grants role (\S+)\))?(?: with (\d+) members)?(?:;.*)?$`)
)

// requestSummary says what a logged request did, or why it was refused,
// in a sentence for an IT admin.
func requestSummary(e directory.SCIMRequest, roles map[string]string) string {
	role := func(key string) string {
		if n := roles[key]; n != "" {
			return n
		}
		return key
	}
	if !e.Succeeded() {
		return "Refused: " + refusal(e)
	}
	a := e.Action
	switch {
	case a == "":
		return "Answered"
	case reInvited.MatchString(a):
		m := reInvited.FindStringSubmatch(a)
		s := "Invited " + m[1] + " as " + article(role(m[3]))
		if m[2] == "external" {
			s += " (a guest from another organisation)"
		}
		if strings.HasPrefix(m[4], "sent") {
			return s + "; the invitation was emailed"
		}
		return s + "; no email was sent"
	case reActivated.MatchString(a):
		m := reActivated.FindStringSubmatch(a)
		return "Added " + m[1] + " as an active " + strings.ToLower(role(m[2])) + " (their domain " + m[3] + " is verified)"
	case strings.Contains(a, "created suspended"):
		return "Added a person suspended, as the directory asked; they hold no seat"
	case strings.Contains(a, "created without an email address"):
		return "Added a person without an email address; nobody was invited yet"
	case reLinked.MatchString(a):
		m := reLinked.FindStringSubmatch(a)
		return "Linked to an existing " + strings.ToLower(statusLabel(m[1])) + " member"
	case reListed.MatchString(a):
		m := reListed.FindStringSubmatch(a)
		noun := "people"
		if m[3] == "groups" {
			noun = "groups"
		}
		return fmt.Sprintf("Listed %s of %s %s", m[1], m[2], noun)
	case strings.HasPrefix(a, "read user "):
		return "Looked up " + strings.TrimPrefix(a, "read user ")
	case strings.HasPrefix(a, "read group "):
		return "Looked up the group " + strings.TrimPrefix(a, "read group ")
	case strings.HasPrefix(a, "updated user "):
		who, what, _ := strings.Cut(strings.TrimPrefix(a, "updated user "), ": ")
		return "Updated " + who + ": " + plainChanges(what)
	case strings.HasPrefix(a, "updated group "):
		who, what, _ := strings.Cut(strings.TrimPrefix(a, "updated group "), ": ")
		return "Updated the group " + who + ": " + plainChanges(what)
	case reGroup.MatchString(a):
		m := reGroup.FindStringSubmatch(a)
		s := "Created the group " + m[1]
		if m[3] != "" {
			s += " with " + m[3] + " members"
		}
		if m[2] != "" {
			s += "; its members get the role " + role(m[2])
		}
		return s
	case strings.HasPrefix(a, "deleted group "):
		return "Removed the group " + strings.TrimPrefix(a, "deleted group ")
	case strings.HasPrefix(a, "removed"), strings.HasPrefix(a, "deleted user"):
		return capitalise(plainChanges(a))
	}
	return capitalise(plainChanges(a))
}

// plainChanges rewords the SCIM attribute names of a change list.
func plainChanges(s string) string {
	return strings.NewReplacer("userName", "user name", "externalId", "directory ID", "displayName", "name",
		"(active=false)", "(turned off in the directory)", "(active=true)", "(turned on in the directory)",
		"active=false", "turned off in the directory", "active=true", "turned on in the directory",
		"SCIM user", "provisioned person", "IdP", "directory").Replace(s)
}

// refusal says why the server refused a request.
func refusal(e directory.SCIMRequest) string {
	detail := strings.TrimSpace(e.Detail)
	switch {
	case e.Status == http.StatusTooManyRequests:
		return "too many requests at once; the directory was asked to slow down and retry"
	case strings.Contains(detail, "seat limit"):
		if m := reSeats.FindStringSubmatch(detail); m != nil {
			return fmt.Sprintf("seat limit (all %s seats are in use); the admins were told", m[1])
		}
		return "seat limit (no seat left); the admins were told"
	case e.Status == http.StatusUnauthorized:
		return "bad token (" + strings.TrimPrefix(detail, "the bearer token ") + ")"
	case e.Status == http.StatusNotFound:
		return "not found (the person or group is not here, or was removed)"
	case e.Status == http.StatusPreconditionFailed:
		return "changed in the meantime; the directory must read it again"
	case e.Status == http.StatusConflict:
		return "already exists: " + plainChanges(detail)
	case e.Status == http.StatusRequestEntityTooLarge:
		return "the request was too large"
	case e.Status >= 500:
		return "a problem on this server; the directory retries later"
	case detail != "":
		return plainChanges(detail)
	}
	return "the request was not accepted"
}
