package admin

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/rosterhq/roster/directory"
)

// The answers of the API. Each type is the schema of the same name in
// openapi.json (TestWireTypesMatchOpenAPI keeps the two in step), and each
// XOf function builds one from directory's value, so a change in directory
// never changes the wire by itself. The CLI decodes answers into these
// types and prints them for -o json, from a server or from the database
// alike.

// Durations are whole seconds on the wire, in fields named …_seconds, in
// answers and requests alike (not Go's nanoseconds, nor hours here and
// days there). Request-log timings, which a second is too coarse for,
// name their unit instead: duration_ms, duration_ns.

// seconds is d in whole seconds, the unit of durations on the wire.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// checkWire refuses an answer (or a list or map of them) of one of
// directory's types; every answer is a type of this file.
func checkWire(body any) error {
	if t := reflect.TypeOf(body); directory.IsDomainType(t) {
		return fmt.Errorf("answer of type %s: convert it to a wire type", t)
	}
	return nil
}

// listOf converts a list; nil stays nil, as it was marshalled before.
func listOf[T, W any](xs []T, f func(T) W) []W {
	if xs == nil {
		return nil
	}
	out := make([]W, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Workspace is a workspace's settings.
type Workspace struct {
	ID          string     `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	SeatLimit   *int       `json:"seat_limit"`
	TrialEndsAt *time.Time `json:"trial_ends_at"`
	InviteRoles []string   `json:"invite_roles"`
	// InvitationTTLSeconds is how long an invitation link works.
	InvitationTTLSeconds int64     `json:"invitation_ttl_seconds"`
	TermsVersion         string    `json:"terms_version"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

// WorkspaceOf is w on the wire; invite_roles is always an array.
func WorkspaceOf(w directory.Workspace) Workspace {
	roles := w.InviteRoles
	if roles == nil {
		roles = []string{}
	}
	return Workspace{ID: w.ID, Slug: w.Slug, Name: w.Name, SeatLimit: w.SeatLimit, TrialEndsAt: w.TrialEndsAt, InviteRoles: roles,
		InvitationTTLSeconds: seconds(w.InvitationTTL), TermsVersion: w.TermsVersion, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// WorkspaceList is the answer of GET /workspaces.
type WorkspaceList struct {
	Workspaces []Workspace `json:"workspaces"`
}

// WorkspaceCreated is the answer of POST /workspaces: the workspace and
// the invitation of its owner, whose link is shown once.
type WorkspaceCreated struct {
	OwnerInvitation InviteOutcome `json:"owner_invitation"`
	Workspace       Workspace     `json:"workspace"`
}

// Seats is a workspace's seat limit and usage.
type Seats struct {
	Limit       *int       `json:"limit"`
	Used        int        `json:"used"`
	Active      int        `json:"active"`
	Invited     int        `json:"invited"`
	Suspended   int        `json:"suspended"`
	TrialEndsAt *time.Time `json:"trial_ends_at"`
	Enforced    bool       `json:"enforced"`
}

// SeatsOf is s on the wire.
func SeatsOf(s directory.Seats) Seats {
	return Seats{Limit: s.Limit, Used: s.Used, Active: s.Active, Invited: s.Invited, Suspended: s.Suspended, TrialEndsAt: s.TrialEndsAt, Enforced: s.Enforced}
}

// Member is a membership with its person's profile.
type Member struct {
	ID            string     `json:"id"`
	WorkspaceID   string     `json:"workspace_id"`
	UserID        string     `json:"user_id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	Phone         string     `json:"phone"`
	Locale        string     `json:"locale"`
	Role          string     `json:"role"`
	EffectiveRole string     `json:"effective_role"`
	Status        string     `json:"status"`
	Kind          string     `json:"kind"`
	Source        string     `json:"source"`
	MainAdmin     bool       `json:"main_admin"`
	ExternalID    *string    `json:"external_id,omitempty"`
	JoinLinkID    *string    `json:"join_link_id,omitempty"`
	TermsVersion  string     `json:"terms_version"`
	OnboardedAt   *time.Time `json:"onboarded_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// MemberOf is m on the wire.
func MemberOf(m directory.Member) Member {
	return Member{ID: m.ID, WorkspaceID: m.WorkspaceID, UserID: m.UserID, Email: m.Email, Name: m.Name, Phone: m.Phone, Locale: m.Locale,
		Role: m.Role, EffectiveRole: m.EffectiveRole, Status: m.Status, Kind: m.Kind, Source: m.Source, MainAdmin: m.MainAdmin,
		ExternalID: m.ExternalID, JoinLinkID: m.JoinLinkID, TermsVersion: m.TermsVersion, OnboardedAt: m.OnboardedAt,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// MemberPage is one page of GET /members; NextCursor is empty on the last.
type MemberPage struct {
	Members    []Member `json:"members"`
	NextCursor string   `json:"next_cursor"`
}

// MemberPageOf is p on the wire.
func MemberPageOf(p directory.MemberPage) MemberPage {
	return MemberPage{Members: listOf(p.Members, MemberOf), NextCursor: p.NextCursor}
}

// MemberList is a list of members (of a team, or joined through a link).
type MemberList struct {
	Members []Member `json:"members"`
}

// Lookup is what an admin may learn about a person before inviting them.
type Lookup struct {
	JoinsAs string `json:"joins_as"`
	Status  string `json:"status"`
}

// LookupOf is l on the wire.
func LookupOf(l directory.Lookup) Lookup { return Lookup{JoinsAs: l.JoinsAs, Status: l.Status} }

// Invitation is an invitation as admins see it (never its token).
type Invitation struct {
	ID           string          `json:"id"`
	WorkspaceID  string          `json:"workspace_id"`
	MembershipID string          `json:"membership_id"`
	Email        string          `json:"email"`
	Role         string          `json:"role"`
	Teams        []string        `json:"teams"`
	Grants       json.RawMessage `json:"grants"`
	InviterName  string          `json:"inviter_name"`
	ExpiresAt    time.Time       `json:"expires_at"`
	Status       string          `json:"status"`
	SendEmail    bool            `json:"send_email"`
	MainAdmin    bool            `json:"main_admin"`
	ResendCount  int             `json:"resend_count"`
	CreatedAt    time.Time       `json:"created_at"`
	AcceptedAt   *time.Time      `json:"accepted_at,omitempty"`
}

// InvitationOf is i on the wire; teams is always an array.
func InvitationOf(i directory.Invitation) Invitation {
	teams := i.Teams
	if teams == nil {
		teams = []string{}
	}
	return Invitation{ID: i.ID, WorkspaceID: i.WorkspaceID, MembershipID: i.MembershipID, Email: i.Email, Role: i.Role, Teams: teams,
		Grants: i.Grants, InviterName: i.InviterName, ExpiresAt: i.ExpiresAt, Status: i.Status, SendEmail: i.SendEmail,
		MainAdmin: i.MainAdmin, ResendCount: i.ResendCount, CreatedAt: i.CreatedAt, AcceptedAt: i.AcceptedAt}
}

// InvitationList is the answer of GET /invitations.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
}

// InviteOutcome is what happened to one address; Link is the invitation
// link when a new one was made, shown once.
type InviteOutcome struct {
	Email        string `json:"email"`
	Status       string `json:"status"`
	Kind         string `json:"kind,omitempty"`
	MembershipID string `json:"membership_id,omitempty"`
	InvitationID string `json:"invitation_id,omitempty"`
	Link         string `json:"link,omitempty"`
	Error        string `json:"error,omitempty"`
}

// InviteOutcomeOf is o on the wire (never its token, only its link).
func InviteOutcomeOf(o directory.InviteOutcome) InviteOutcome {
	return InviteOutcome{Email: o.Email, Status: string(o.Status), Kind: o.Kind, MembershipID: o.MembershipID, InvitationID: o.InvitationID,
		Link: o.Link, Error: o.Error}
}

// InviteResult is the answer of POST /invitations: one outcome per address
// and a count per status.
type InviteResult struct {
	Outcomes []InviteOutcome `json:"outcomes"`
	Summary  map[string]int  `json:"summary"`
}

// ImportOutcome is what happened to one row of an imported file, numbered
// as in the file (the header is row 1).
type ImportOutcome struct {
	Row int `json:"row"`
	InviteOutcome
}

// ImportOutcomeOf is o on the wire.
func ImportOutcomeOf(o directory.ImportOutcome) ImportOutcome {
	return ImportOutcome{Row: o.Row, InviteOutcome: InviteOutcomeOf(o.InviteOutcome)}
}

// ImportResult is the answer of POST /invitations/import.
type ImportResult struct {
	Outcomes []ImportOutcome `json:"outcomes"`
	Summary  map[string]int  `json:"summary"`
}

// Role is a built-in or custom role with its permissions.
type Role struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Rank        int      `json:"rank"`
	BuiltIn     bool     `json:"built_in"`
}

// RoleOf is r on the wire; permissions is always an array.
func RoleOf(r directory.Role) Role {
	return Role{Key: r.Key, Name: r.Name, Permissions: permissions(r.Permissions), Rank: r.Rank, BuiltIn: r.BuiltIn}
}

func permissions(ps []directory.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// RoleList is the answer of GET /roles: the roles, every permission there
// is, and the roles that may invite.
type RoleList struct {
	InviteRoles []string `json:"invite_roles"`
	Permissions []string `json:"permissions"`
	Roles       []Role   `json:"roles"`
}

// Team is a team with its role mapping. ManagedBy is "scim" for a team the
// workspace's identity provider created (SCIMConnectionID names the
// connection), "roster" for one an admin created.
type Team struct {
	ID               string    `json:"id"`
	WorkspaceID      string    `json:"workspace_id"`
	Name             string    `json:"name"`
	Role             *string   `json:"role"`
	ExternalID       *string   `json:"external_id,omitempty"`
	ManagedBy        string    `json:"managed_by"`
	SCIMConnectionID *string   `json:"scim_connection_id"`
	MemberCount      int       `json:"member_count"`
	Version          int       `json:"version"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// TeamOf is t on the wire.
func TeamOf(t directory.Team) Team {
	return Team{ID: t.ID, WorkspaceID: t.WorkspaceID, Name: t.Name, Role: t.Role, ExternalID: t.ExternalID, ManagedBy: t.ManagedBy,
		SCIMConnectionID: t.SCIMConnectionID, MemberCount: t.MemberCount,
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// TeamList is the answer of GET /teams.
type TeamList struct {
	Teams []Team `json:"teams"`
}

// Domain is an approved email domain and the DNS record that verifies it.
type Domain struct {
	ID          string     `json:"id"`
	WorkspaceID string     `json:"workspace_id"`
	Domain      string     `json:"domain"`
	Verified    bool       `json:"verified"`
	VerifiedAt  *time.Time `json:"verified_at"`
	Policy      string     `json:"policy"`
	DefaultRole string     `json:"default_role"`
	TXTName     string     `json:"txt_name"`
	TXTValue    string     `json:"txt_value"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// DomainOf is d on the wire.
func DomainOf(d directory.Domain) Domain {
	return Domain{ID: d.ID, WorkspaceID: d.WorkspaceID, Domain: d.Domain, Verified: d.Verified, VerifiedAt: d.VerifiedAt, Policy: d.Policy,
		DefaultRole: d.DefaultRole, TXTName: d.TXTName, TXTValue: d.TXTValue, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// DomainList is the answer of GET /domains.
type DomainList struct {
	Domains []Domain `json:"domains"`
}

// JoinLink is a join link (never its token).
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

// JoinLinkOf is l on the wire.
func JoinLinkOf(l directory.JoinLink) JoinLink {
	return JoinLink{ID: l.ID, WorkspaceID: l.WorkspaceID, Description: l.Description, Role: l.Role, Teams: l.Teams, Mode: l.Mode, Notify: l.Notify,
		NotifyPeople: l.NotifyPeople, Active: l.Active, RevokedAt: l.RevokedAt, CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
}

// JoinLinkList is the answer of GET /join-links.
type JoinLinkList struct {
	JoinLinks []JoinLink `json:"join_links"`
}

// JoinLinkCreated is a new join link with the URL to share, shown once.
type JoinLinkCreated struct {
	JoinLink JoinLink `json:"join_link"`
	URL      string   `json:"url"`
}

// JoinRequest is a person's request to join.
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

// JoinRequestOf is r on the wire; teams is always an array.
func JoinRequestOf(r directory.JoinRequest) JoinRequest {
	teams := r.Teams
	if teams == nil {
		teams = []string{}
	}
	return JoinRequest{ID: r.ID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name, JoinLinkID: r.JoinLinkID, Domain: r.Domain,
		Role: r.Role, Teams: teams, Status: r.Status, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
}

// JoinRequestList is the answer of GET /join-requests.
type JoinRequestList struct {
	JoinRequests []JoinRequest `json:"join_requests"`
}

// SCIMConnection is a workspace's SCIM connection, with the endpoint URL
// an identity provider is configured with.
type SCIMConnection struct {
	ID              string            `json:"id"`
	WorkspaceID     string            `json:"workspace_id"`
	WorkspaceSlug   string            `json:"workspace_slug"`
	Endpoint        string            `json:"endpoint"`
	Profile         string            `json:"profile"`
	DefaultRole     string            `json:"default_role"`
	SendInvitations bool              `json:"send_invitations"`
	Activation      string            `json:"activation"`
	SeatPolicy      string            `json:"seat_policy"`
	TeamRoles       map[string]string `json:"team_roles"`
	// LogRetentionSeconds is how long the request log is kept.
	LogRetentionSeconds int64 `json:"log_retention_seconds"`
	// RateLimitPerSecond and RateLimitBurst are the connection's own
	// rate limit (per server process); 0 is the server's default.
	RateLimitPerSecond float64   `json:"rate_limit_per_second"`
	RateLimitBurst     int       `json:"rate_limit_burst"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// SCIMConnectionOf is c on the wire, served at endpoint (the server's
// base URL and /scim/v2); team_roles is always an object.
func SCIMConnectionOf(c directory.SCIMConnection, endpoint string) SCIMConnection {
	roles := c.TeamRoles
	if roles == nil {
		roles = map[string]string{}
	}
	return SCIMConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, WorkspaceSlug: c.WorkspaceSlug, Endpoint: endpoint, Profile: c.Profile, DefaultRole: c.DefaultRole,
		SendInvitations: c.SendInvitations, Activation: c.Activation, SeatPolicy: c.SeatPolicy, TeamRoles: roles,
		LogRetentionSeconds: seconds(c.LogRetention), RateLimitPerSecond: c.RateLimit, RateLimitBurst: c.RateBurst, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// SCIMConnectionList is the answer of GET /scim-connections: none or one.
type SCIMConnectionList struct {
	SCIMConnections []SCIMConnection `json:"scim_connections"`
}

// SCIMToken is a bearer token of a SCIM connection (never the token).
type SCIMToken struct {
	ID            string     `json:"id"`
	ConnectionID  string     `json:"connection_id"`
	WorkspaceID   string     `json:"workspace_id"`
	WorkspaceSlug string     `json:"workspace_slug"`
	Hint          string     `json:"hint"`
	Description   string     `json:"description"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	RevokedAt     *time.Time `json:"revoked_at"`
	LastUsedAt    *time.Time `json:"last_used_at"`
}

// SCIMTokenOf is k on the wire.
func SCIMTokenOf(k directory.SCIMToken) SCIMToken {
	return SCIMToken{ID: k.ID, ConnectionID: k.ConnectionID, WorkspaceID: k.WorkspaceID, WorkspaceSlug: k.WorkspaceSlug, Hint: k.Hint,
		Description: k.Description, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

// SCIMTokenList is the answer of GET /scim-connections/{id}/tokens.
type SCIMTokenList struct {
	Tokens []SCIMToken `json:"tokens"`
}

// SCIMTokenCreated is a new token with its secret, shown once.
type SCIMTokenCreated struct {
	Secret string    `json:"secret"`
	Token  SCIMToken `json:"token"`
}

// SCIMRequest is one entry of a SCIM connection's request log.
type SCIMRequest struct {
	ID           int64     `json:"id"`
	ConnectionID string    `json:"connection_id"`
	WorkspaceID  string    `json:"workspace_id"`
	Method       string    `json:"method"`
	Path         string    `json:"path"`
	Status       int       `json:"status"`
	Action       string    `json:"action"`
	Detail       string    `json:"detail"`
	UserAgent    string    `json:"user_agent"`
	DurationNS   int64     `json:"duration_ns"`
	CreatedAt    time.Time `json:"created_at"`
}

// SCIMRequestOf is r on the wire.
func SCIMRequestOf(r directory.SCIMRequest) SCIMRequest {
	return SCIMRequest{ID: r.ID, ConnectionID: r.ConnectionID, WorkspaceID: r.WorkspaceID, Method: r.Method, Path: r.Path, Status: r.Status,
		Action: r.Action, Detail: r.Detail, UserAgent: r.UserAgent, DurationNS: int64(r.Duration), CreatedAt: r.CreatedAt}
}

// SCIMRequestList is the answer of GET /scim-connections/{id}/requests.
type SCIMRequestList struct {
	Requests []SCIMRequest `json:"requests"`
}

// OIDCConnection is a workspace's OpenID Connect provider (never its
// client secret).
type OIDCConnection struct {
	ID           string    `json:"id"`
	WorkspaceID  string    `json:"workspace_id"`
	Workspace    string    `json:"workspace"`
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`
	Issuer       string    `json:"issuer"`
	ClientID     string    `json:"client_id"`
	TenantID     string    `json:"tenant_id,omitempty"`
	HostedDomain string    `json:"hosted_domain,omitempty"`
	Domains      []string  `json:"domains"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// OIDCConnectionOf is c on the wire.
func OIDCConnectionOf(c directory.OIDCConnection) OIDCConnection {
	return OIDCConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, Workspace: c.Workspace, Name: c.Name, Kind: c.Kind, Issuer: c.Issuer,
		ClientID: c.ClientID, TenantID: c.TenantID, HostedDomain: c.HostedDomain, Domains: c.Domains, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// OIDCConnectionList is the answer of GET /oidc-connections.
type OIDCConnectionList struct {
	OIDCConnections []OIDCConnection `json:"oidc_connections"`
}
