// Package event is the JSON contract of Roster's events: the envelope the
// event feed shows and webhooks receive, and the payloads of the event
// types that carry a whole object. directory builds these values in the
// transaction of a change and stores them as they are marshalled here, so
// a field of directory's own types can be renamed without changing what
// receivers get.
//
// Durations are whole seconds, in fields named …_seconds, as in the admin
// API. Events are stored as they were written: those of earlier versions
// carry invitation_ttl and log_retention in nanoseconds instead.
//
// It holds types only: no behaviour, and no import of the rest of Roster.
package event

import (
	"encoding/json"
	"time"
)

// Envelope is one event as a webhook delivery's body carries it (and as
// it is queued in the outbox): what happened, to what, by whom, with the
// type's payload.
type Envelope struct {
	ID          int64           `json:"id"`
	WorkspaceID string          `json:"workspace_id"`
	Type        string          `json:"type"`
	ActorKind   string          `json:"actor_kind"`
	ActorID     string          `json:"actor_id"`
	Source      string          `json:"source"`
	SubjectKind string          `json:"subject_kind"`
	SubjectID   string          `json:"subject_id"`
	Payload     json.RawMessage `json:"payload"`
	CreatedAt   time.Time       `json:"created_at"`
}

// Workspace is the payload of workspace.created and workspace.updated:
// the workspace after the change.
type Workspace struct {
	ID          string     `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	SeatLimit   *int       `json:"seat_limit"`
	TrialEndsAt *time.Time `json:"trial_ends_at"`
	InviteRoles []string   `json:"invite_roles"`
	// InvitationTTLSeconds is how long an invitation link works, in
	// seconds. Events written before it was named so carry
	// invitation_ttl in nanoseconds instead.
	InvitationTTLSeconds int64     `json:"invitation_ttl_seconds"`
	TermsVersion         string    `json:"terms_version"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// SCIMConnection is the payload of scim.connection_created and
// scim.connection_updated: the connection after the change.
type SCIMConnection struct {
	ID              string            `json:"id"`
	WorkspaceID     string            `json:"workspace_id"`
	WorkspaceSlug   string            `json:"workspace_slug"`
	Profile         string            `json:"profile"`
	DefaultRole     string            `json:"default_role"`
	SendInvitations bool              `json:"send_invitations"`
	Activation      string            `json:"activation"`
	SeatPolicy      string            `json:"seat_policy"`
	TeamRoles       map[string]string `json:"team_roles"`
	// LogRetentionSeconds is how long the request log is kept, in
	// seconds. Events written before it was named so carry
	// log_retention in nanoseconds instead.
	LogRetentionSeconds int64     `json:"log_retention_seconds"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// JoinLink is the payload of join_link.created and join_link.updated: the
// link after the change (never its token).
type JoinLink struct {
	ID           string     `json:"id"`
	WorkspaceID  string     `json:"workspace_id"`
	Description  string     `json:"description"`
	Role         string     `json:"role"`
	Teams        []string   `json:"teams"`
	Mode         string     `json:"mode"`
	Notify       string     `json:"notify"`
	NotifyPeople []string   `json:"notify_people"`
	Active       bool       `json:"active"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// JoinRequest is the payload of join_request.created: the request as
// filed.
type JoinRequest struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	UserID      string     `json:"user_id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	JoinLinkID  *string    `json:"join_link_id,omitempty"`
	Domain      *string    `json:"domain,omitempty"`
	Role        string     `json:"role"`
	Teams       []string   `json:"teams"`
	Status      string     `json:"status"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// Role is the payload of role.created and role.updated: the custom role
// as saved.
type Role struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Rank        int      `json:"rank"`
	BuiltIn     bool     `json:"built_in"`
}

// Webhook is the payload of webhook.created (never its secret).
type Webhook struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	EventTypes  []string  `json:"event_types"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ProfileUpdate is the payload of member.updated when an admin or the
// member changes the profile: each field that was sent, null for those
// that were not. The keys are capitalised, unlike every other payload's,
// because that is how they were first published.
type ProfileUpdate struct {
	Name   *string `json:"Name"`
	Phone  *string `json:"Phone"`
	Locale *string `json:"Locale"`
}

// SeatLimitReached is the payload of seats.limit_reached: a grant (an
// invitation, an acceptance, a join, a reactivation, a SCIM create) was
// refused because every seat is taken. The owners and admins are emailed
// once per episode, on its first refusal (Notified true); later refusals
// of the episode carry Notified false, and NotifiedAt is when they were
// told. An episode ends when a seat frees up and is granted again, or the
// seat limit changes. Events written before Notified existed carry
// neither field, and each of those refusals was emailed.
type SeatLimitReached struct {
	Limit  int    `json:"limit"`
	Used   int    `json:"used"`
	Email  string `json:"email"`
	Source string `json:"source"`
	// Notified says whether this refusal emailed the owners and admins.
	Notified bool `json:"notified"`
	// NotifiedAt is when the owners and admins were emailed about this
	// episode: now when Notified is true, earlier when it is false.
	NotifiedAt time.Time `json:"notified_at"`
}
