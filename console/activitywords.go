package console

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
)

// eventGroup is a kind of event as people choose it: on the Activity
// filter and among a webhook's events.
type eventGroup struct {
	Key   string
	Label string
	// Types are event types and prefixes, as directory.ActivityFilter
	// and webhooks take them.
	Types []string
}

// eventGroups are the kinds of event, in the order the pages offer them.
// Members and sign-ins are split so that sign-ins do not drown out the
// changes to people.
var eventGroups = []eventGroup{
	{"invitations", "Invitations", []string{"invitation.*"}},
	{"members", "Members", []string{"member.invited", "member.activated", "member.suspended", "member.reactivated", "member.removed",
		"member.role_changed", "member.updated", "member.provisioned", "member.main_admin_changed"}},
	{"signins", "Sign-ins", []string{"member.signed_in", "member.onboarded"}},
	{"join-requests", "Join requests", []string{"join_request.*"}},
	{"join-links", "Join links", []string{"join_link.*"}},
	{"domains", "Domains", []string{"domain.*"}},
	{"teams", "Teams and roles", []string{"team.*", "role.*"}},
	{"workspace", "Workspace and seats", []string{"workspace.*", "seats.*"}},
	{"connections", "Single sign-on and provisioning", []string{"oidc_connection.*", "scim.*"}},
	{"integrations", "Webhooks and API keys", []string{"webhook.*", "api_key.*"}},
}

func groupByKey(key string) (eventGroup, bool) {
	for _, g := range eventGroups {
		if g.Key == key {
			return g, true
		}
	}
	return eventGroup{}, false
}

// eventPayload is the union of the payload fields the sentences read.
type eventPayload struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	Role          string `json:"role"`
	UserID        string `json:"user_id"`
	EffectiveRole string `json:"effective_role"`
	PreviousRole  string `json:"previous_role"`
	Via           string `json:"via"`
	Domain        string `json:"domain"`
	Description   string `json:"description"`
	URL           string `json:"url"`
	Issuer        string `json:"issuer"`
	Deliveries    int    `json:"deliveries"`
	Limit         int    `json:"limit"`
	Active        *bool  `json:"active"`
	MembershipID  string `json:"membership_id"`
	SecretRotated bool   `json:"secret_rotated"`
	Purpose       string `json:"purpose"`
	Summary       string `json:"summary"`
}

// wording is what the Activity page needs to put events into words:
// the names of the people, roles and teams they mention.
type wording struct {
	workspace string
	people    map[string]directory.ActivityPerson
	members   map[string]directory.ActivityPerson
	roles     map[string]string
	teams     map[string]string
}

// personName is a person as a sentence names them.
func personName(p directory.ActivityPerson) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// actorWords says who did it, and the membership to filter by when the
// actor is a person of the workspace.
func (w *wording) actorWords(ev directory.FeedEvent, p eventPayload) (string, string) {
	switch directory.ActorKind(ev.ActorKind) {
	case directory.ActorMember, directory.ActorUser:
		if who, ok := w.people[ev.ActorID]; ok {
			return personName(who), who.MembershipID
		}
		// People acting for themselves before they are members here
		// (accepting an invitation, asking to join: no account yet, or an
		// account but no membership, as for someone whose request was
		// rejected) are named by what the event carries; they were never
		// members, so "a former member" would be untrue.
		if ev.ActorID == "" || ev.ActorID == p.UserID {
			if who, ok := w.people[p.UserID]; ok {
				return personName(who), who.MembershipID
			}
			if p.Email != "" {
				return personName(directory.ActivityPerson{Name: p.Name, Email: p.Email}), ""
			}
		}
		return "A former member", ""
	case directory.ActorSCIM:
		return w.workspace + "'s identity provider", ""
	case directory.ActorAPIKey:
		return "An API key", ""
	case directory.ActorSetupLink:
		return "An IT admin with a setup link", ""
	case directory.ActorOperator:
		return "The server operator", ""
	case directory.ActorSystem:
		return "Roster", ""
	}
	return "Someone", ""
}

// subject names the person an event is about: by the user id of its
// payload, its member subject, or the address it carries.
func (w *wording) subject(ev directory.FeedEvent, p eventPayload) string {
	if who, ok := w.people[p.UserID]; ok {
		return personName(who)
	}
	if ev.SubjectKind == "member" {
		if who, ok := w.members[ev.SubjectID]; ok {
			return personName(who)
		}
	}
	if who, ok := w.members[p.MembershipID]; ok {
		return personName(who)
	}
	if p.Email != "" {
		return p.Email
	}
	return "a member"
}

func (w *wording) role(key string) string {
	if n := w.roles[key]; n != "" {
		return n
	}
	if key == "" {
		return "a role"
	}
	return key
}

func quoted(s string) string { return "“" + s + "”" }

// sentence puts an event into words: who did it (capitalised, to start
// the sentence), the membership to filter by when that is a person of the
// workspace, and the rest of the sentence.
func (w *wording) sentence(ev directory.FeedEvent) (who, whoMember, rest string) {
	var what string
	var p eventPayload
	json.Unmarshal(ev.Payload, &p)
	who, whoMember = w.actorWords(ev, p)
	self := w.self(ev, p)
	subj := w.subject(ev, p)
	switch ev.Type {
	case "invitation.created":
		what = fmt.Sprintf("invited %s as %s", p.Email, w.role(p.Role))
	case "invitation.accepted":
		what = "accepted the invitation"
		if !self {
			what = "accepted the invitation of " + p.Email
		}
	case "invitation.resent":
		what = "sent the invitation to " + p.Email + " again"
	case "invitation.revoked":
		what = "revoked the invitation of " + p.Email
	case "member.invited":
		what = fmt.Sprintf("added %s as %s", subj, w.role(p.Role))
	case "member.activated":
		if self {
			what = "joined as " + w.role(p.Role)
		} else {
			what = fmt.Sprintf("activated %s as %s", subj, w.role(p.Role))
		}
	case "member.suspended":
		what = "suspended " + subj
	case "member.reactivated":
		what = "reactivated " + subj
	case "member.removed":
		what = "removed " + subj + " from the workspace"
	case "member.role_changed":
		what = fmt.Sprintf("changed the role of %s from %s to %s", subj, w.role(p.PreviousRole), w.role(p.EffectiveRole))
		if p.Via == "team" {
			what += " through a team"
		}
	case "member.updated":
		if self {
			what = "updated their profile"
		} else {
			what = "updated the profile of " + subj
		}
	case "member.provisioned":
		what = "provisioned " + subj
	case "member.main_admin_changed":
		what = "made " + subj + " the main admin"
		if self {
			what = "became the main admin"
		}
	case "member.onboarded":
		what = "finished setting up their account"
	case "member.signed_in":
		what = "signed in"
	case "join_request.created":
		what = "asked to join"
		if !self {
			what = "filed a join request for " + p.Email
		}
	case "join_request.accepted":
		what = fmt.Sprintf("accepted the join request of %s as %s", p.Email, w.role(p.Role))
	case "join_request.rejected":
		what = "rejected the join request of " + p.Email
	case "join_request.dismissed":
		what = "dismissed the join request of " + p.Email
	case "join_link.created":
		what = "created the join link " + quoted(p.Description)
	case "join_link.updated":
		what = "changed the join link " + quoted(p.Description)
		if p.Active != nil && !*p.Active {
			what += "; it is off"
		}
	case "join_link.revoked":
		what = "revoked the join link " + quoted(p.Description)
	case "domain.added":
		what = "added the domain " + p.Domain
	case "domain.verified":
		what = "verified the domain " + p.Domain
	case "domain.updated":
		what = "changed how people of " + p.Domain + " join"
	case "domain.removed":
		what = "removed the domain " + p.Domain
	case "team.created":
		what = "created the team " + quoted(p.Name)
	case "team.updated":
		what = "changed the team " + quoted(p.Name)
	case "team.deleted":
		what = "deleted the team " + quoted(p.Name)
	case "team.member_added":
		what = "added " + subj + " to the team " + quoted(w.teamName(ev.SubjectID))
	case "team.member_removed":
		what = "removed " + subj + " from the team " + quoted(w.teamName(ev.SubjectID))
	case "role.created":
		what = "created the role " + quoted(p.Name)
	case "role.updated":
		what = "changed the role " + quoted(p.Name)
	case "role.deleted":
		what = "deleted the role " + quoted(ev.SubjectID)
	case "workspace.created":
		what = "created the workspace"
	case "workspace.updated":
		what = "changed the workspace's settings"
	case "seats.limit_reached":
		what = fmt.Sprintf("could not add %s: all %d seats are in use", p.Email, p.Limit)
	case "oidc_connection.created":
		what = "set up single sign-on"
		if p.Issuer != "" {
			what += " with " + p.Issuer
		}
	case "oidc_connection.updated":
		what = "changed the single sign-on settings"
	case "oidc_connection.deleted":
		what = "removed a single sign-on connection"
	case "scim.connection_created":
		what = "set up provisioning from the identity provider"
	case "scim.connection_updated":
		what = "changed the provisioning settings"
	case "scim.token_created":
		what = "created a provisioning token"
	case "scim.token_revoked":
		what = "revoked a provisioning token"
	case "webhook.created":
		what = "added the webhook " + p.URL
	case "webhook.updated":
		what = "changed a webhook"
		if p.SecretRotated {
			what = "gave a webhook a new signing secret"
		}
	case "webhook.deleted":
		what = "deleted the webhook " + p.URL
	case "webhook.redelivered":
		what = fmt.Sprintf("sent %d failed %s to a webhook again", p.Deliveries, plural(p.Deliveries, "delivery", "deliveries"))
	case directory.PingEvent:
		what = "sent a test ping to " + p.URL
	case "api_key.created":
		what = "created an API key with the role " + w.role(p.Role)
	case "api_key.revoked":
		what = "revoked an API key"
	case "setup_link.created":
		what = "made a setup link for " + setupPurposeWords(p.Purpose)
	case "setup_link.revoked":
		what = "revoked a setup link for " + setupPurposeWords(p.Purpose)
	case "setup_link.completed":
		what = "finished a setup: " + p.Summary
	case "oidc_connection.enabled":
		what = "switched single sign-on on"
	default:
		what = "made a change"
	}
	return capitalise(who), whoMember, what + "."
}

// self reports whether a person acted on themself: accepting their
// invitation, joining, editing their own profile.
func (w *wording) self(ev directory.FeedEvent, p eventPayload) bool {
	if ev.ActorKind != string(directory.ActorUser) && ev.ActorKind != string(directory.ActorMember) {
		return false
	}
	if ev.ActorID == "" || ev.ActorID == p.UserID {
		return true
	}
	if m, ok := w.members[p.MembershipID]; ok && m.UserID == ev.ActorID {
		return true
	}
	m, ok := w.members[ev.SubjectID]
	return ev.SubjectKind == "member" && ok && m.UserID == ev.ActorID
}

func (w *wording) teamName(id string) string {
	if n := w.teams[id]; n != "" {
		return n
	}
	return "a deleted team"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// doorWords says through which door a change came.
func doorWords(source string) string {
	switch source {
	case "console":
		return "Console"
	case "api":
		return "Admin API"
	case "cli":
		return "Command line"
	case "scim":
		return "Identity provider"
	case "oidc":
		return "Sign-in"
	case "system":
		return "Roster itself"
	case "setup":
		return "Setup link"
	}
	return strings.ToUpper(source[:min(1, len(source))]) + source[min(1, len(source)):]
}

// eventLabels name event types as a webhook's delivery log shows them.
var eventLabels = map[string]string{
	"invitation.created": "Invitation sent", "invitation.accepted": "Invitation accepted", "invitation.resent": "Invitation sent again",
	"invitation.revoked": "Invitation revoked", "member.invited": "Member added", "member.activated": "Member activated",
	"member.suspended": "Member suspended", "member.reactivated": "Member reactivated", "member.removed": "Member removed",
	"member.role_changed": "Role changed", "member.updated": "Profile updated", "member.provisioned": "Member provisioned",
	"member.main_admin_changed": "Main admin changed", "member.onboarded": "Member set up", "member.signed_in": "Sign-in",
	"join_request.created": "Join request", "join_request.accepted": "Join request accepted", "join_request.rejected": "Join request rejected",
	"join_request.dismissed": "Join request dismissed", "join_link.created": "Join link created", "join_link.updated": "Join link changed",
	"join_link.revoked": "Join link revoked", "domain.added": "Domain added", "domain.verified": "Domain verified",
	"domain.updated": "Domain changed", "domain.removed": "Domain removed", "team.created": "Team created", "team.updated": "Team changed",
	"team.deleted": "Team deleted", "team.member_added": "Added to a team", "team.member_removed": "Removed from a team",
	"role.created": "Role created", "role.updated": "Role changed", "role.deleted": "Role deleted", "workspace.created": "Workspace created",
	"workspace.updated": "Settings changed", "seats.limit_reached": "Seat limit reached", "webhook.created": "Webhook added",
	"webhook.updated": "Webhook changed", "webhook.deleted": "Webhook deleted", "webhook.redelivered": "Deliveries sent again",
	directory.PingEvent: "Test ping", "api_key.created": "API key created", "api_key.revoked": "API key revoked",
	"setup_link.created": "Setup link made", "setup_link.revoked": "Setup link revoked", "setup_link.completed": "Setup finished",
	"oidc_connection.enabled": "Single sign-on switched on",
}

// setupPurposeWords is a setup link's purpose in words.
func setupPurposeWords(purpose string) string {
	switch purpose {
	case directory.SetupSCIM:
		return "SCIM provisioning"
	case directory.SetupSSO:
		return "single sign-on"
	}
	return "domain verification"
}

func eventLabel(typ string) string {
	if l := eventLabels[typ]; l != "" {
		return l
	}
	return "Change"
}
