// Package scimwords puts the SCIM request log into words for people:
// the names of its operations and, for each logged request, what it did
// or why it was refused. Both doors that show the log read it from here,
// the console (a workspace's admins) and the setup pages (the customer's
// IT admin), so an entry says the same on both. It only words what
// directory logged; it decides nothing.
package scimwords

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

// operations name the log's operations (directory.SCIMOperations).
var operations = map[string]string{
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

// Operation names a log operation (one of directory.SCIMOperations) for
// people; ok is false for anything else.
func Operation(op string) (label string, ok bool) {
	label, ok = operations[op]
	return label, ok
}

// The request log's texts are written by directory/ and scim/ for
// operators; these patterns say the common ones again for people.
var (
	reInvited   = regexp.MustCompile(`invited (\S+) as (internal|external) (\S+) \(invitation ([^)]*)\)`)
	reActivated = regexp.MustCompile(`activated (\S+) as internal (\S+) \(verified domain ([^)]+)\)`)
	reLinked    = regexp.MustCompile(`linked existing (\w+) member`)
	reListed    = regexp.MustCompile(`^listed (\d+) of (\d+) (users|groups)$`)
	reSeats     = regexp.MustCompile(`limit is (\d+) seats and (\d+) are in use`)
	reGroup     = regexp.MustCompile(`^created group (.+?)(?: \(grants role (\S+)\))?(?: with (\d+) members)?(?:;.*)?$`)
)

// Summary says what a logged request did, or why it was refused, in a
// sentence. roles names the workspace's roles by key (nil: the built-in
// names only, and a custom role by its key).
func Summary(e directory.SCIMRequest, roles map[string]string) string {
	role := func(key string) string {
		if n := roles[key]; n != "" {
			return n
		}
		if r, ok := directory.BuiltinRole(key); ok {
			return r.Name
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
		return "Linked to an existing " + status(m[1]) + " member"
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

// refusal says why the server refused a request, and what fixes it.
func refusal(e directory.SCIMRequest) string {
	detail := strings.TrimSpace(e.Detail)
	switch {
	case e.Status == http.StatusTooManyRequests:
		return "too many requests at once; the directory was asked to slow down and retries on its own"
	case strings.Contains(detail, "seat limit"):
		if m := reSeats.FindStringSubmatch(detail); m != nil {
			return fmt.Sprintf("seat limit (all %s seats are in use); the workspace's admins were told", m[1])
		}
		return "seat limit (no seat left); the workspace's admins were told"
	case e.Status == http.StatusUnauthorized:
		return "bad token (" + strings.TrimPrefix(detail, "the bearer token ") + "); paste the SCIM token again, or generate a new one"
	case e.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(detail), "filter"):
		return "Roster could not read the filter of this request (" + detail + ")"
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

// status is a membership status in the words the console uses.
func status(s string) string {
	switch s {
	case directory.StatusInvited:
		return "pending"
	}
	return s
}

func article(role string) string {
	if role == "" {
		return "a member"
	}
	if r, _ := utf8.DecodeRuneInString(strings.ToLower(role)); strings.ContainsRune("aeiou", r) {
		return "an " + role
	}
	return "a " + role
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
