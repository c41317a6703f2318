package admin

import (
	"encoding/json"
	"time"
)

// The bodies of the API's requests, in the order of the routes. Each is
// decoded strictly (unknown fields are refused) and documented in
// openapi.json under the schema named in its comment
// (TestWireTypesMatchOpenAPI keeps the two in step). optional[T] tells an
// absent field from an explicit null.

// createWorkspaceBody is the body of the request documented as WorkspaceCreate.
type createWorkspaceBody struct {
	Name       string `json:"name"`
	Slug       string `json:"slug"`
	OwnerEmail string `json:"owner_email"`
	OwnerName  string `json:"owner_name"`
	SeatLimit  *int   `json:"seat_limit"`
}

// updateWorkspaceBody is the body of the request documented as WorkspaceUpdate.
type updateWorkspaceBody struct {
	Name                 *string             `json:"name"`
	SeatLimit            optional[int]       `json:"seat_limit"`
	TrialEndsAt          optional[time.Time] `json:"trial_ends_at"`
	InviteRoles          []string            `json:"invite_roles"`
	InvitationTTLSeconds *int64              `json:"invitation_ttl_seconds"`
	TermsVersion         *string             `json:"terms_version"`
}

// setSeatsBody is the body of the request documented as SeatsUpdate.
type setSeatsBody struct {
	Limit optional[int] `json:"limit"`
}

// profileBody is the body of the request documented as ProfileUpdate.
type profileBody struct {
	Name   *string `json:"name"`
	Phone  *string `json:"phone"`
	Locale *string `json:"locale"`
}

// roleBody is the body of the request documented as RoleChange.
type roleBody struct {
	Role string `json:"role"`
}

// inviteeBody is the body of the request documented as Invitee.
type inviteeBody struct {
	Email   string            `json:"email"`
	Name    string            `json:"name"`
	Phone   string            `json:"phone"`
	Profile map[string]string `json:"profile"`
}

// inviteBody is the body of the request documented as InviteRequest.
type inviteBody struct {
	Emails    []string        `json:"emails"`
	Invitees  []inviteeBody   `json:"invitees"`
	Text      string          `json:"text"`
	Role      string          `json:"role"`
	Teams     []string        `json:"teams"`
	Grants    json.RawMessage `json:"grants"`
	SendEmail *bool           `json:"send_email"`
	MainAdmin bool            `json:"main_admin"`
}

// roleDefBody is the body of the request documented as RoleDefinition.
type roleDefBody struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	Rank        int      `json:"rank"`
}

// apiKeyBody is the body of the request documented as APIKeyCreate.
type apiKeyBody struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// teamBody is the body of the request documented as TeamCreate and TeamUpdate.
type teamBody struct {
	Name *string          `json:"name"`
	Role optional[string] `json:"role"`
}

// teamMembersBody is the body of the request documented as TeamMembersAdd.
type teamMembersBody struct {
	MembershipIDs []string `json:"membership_ids"`
}

// domainBody is the body of the request documented as DomainCreate.
type domainBody struct {
	Domain string `json:"domain"`
}

// domainPolicyBody is the body of the request documented as DomainPolicy.
type domainPolicyBody struct {
	Policy      string `json:"policy"`
	DefaultRole string `json:"default_role"`
}

// joinLinkBody is the body of the request documented as JoinLinkCreate and JoinLinkUpdate.
type joinLinkBody struct {
	Description  *string  `json:"description"`
	Role         *string  `json:"role"`
	Teams        []string `json:"teams"`
	Mode         *string  `json:"mode"`
	Notify       *string  `json:"notify"`
	NotifyPeople []string `json:"notify_people"`
	Active       *bool    `json:"active"`
}

// webhookBody is the body of the request documented as WebhookCreate and WebhookUpdate.
type webhookBody struct {
	URL         *string  `json:"url"`
	Secret      *string  `json:"secret"`
	EventTypes  []string `json:"event_types"`
	Description *string  `json:"description"`
	Active      *bool    `json:"active"`
}

// secretBody is the body of the request documented as WebhookSecret.
type secretBody struct {
	Secret *string `json:"secret"`
}

// scimConnectionBody is the body of the request documented as SCIMConnectionSettings.
type scimConnectionBody struct {
	Profile             string            `json:"profile"`
	DefaultRole         string            `json:"default_role"`
	SendInvitations     *bool             `json:"send_invitations"`
	Activation          string            `json:"activation"`
	SeatPolicy          string            `json:"seat_policy"`
	TeamRoles           map[string]string `json:"team_roles"`
	LogRetentionSeconds int64             `json:"log_retention_seconds"`
	RateLimitPerSecond  *float64          `json:"rate_limit_per_second"`
	RateLimitBurst      *int              `json:"rate_limit_burst"`
}

// scimTokenBody is the body of the request documented as SCIMTokenCreate.
type scimTokenBody struct {
	Description      string `json:"description"`
	ExpiresInSeconds int64  `json:"expires_in_seconds"`
}

// oidcConnectionBody is the body of the request documented as OIDCConnectionCreate.
type oidcConnectionBody struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	TenantID     string   `json:"tenant_id"`
	HostedDomain string   `json:"hosted_domain"`
	Domains      []string `json:"domains"`
}

// oidcConnectionPatch changes a connection: absent fields keep their value.
//
// It is documented as OIDCConnectionUpdate.
type oidcConnectionPatch struct {
	Name         *string   `json:"name"`
	Kind         *string   `json:"kind"`
	Issuer       *string   `json:"issuer"`
	ClientID     *string   `json:"client_id"`
	ClientSecret *string   `json:"client_secret"`
	TenantID     *string   `json:"tenant_id"`
	HostedDomain *string   `json:"hosted_domain"`
	Domains      *[]string `json:"domains"`
}
