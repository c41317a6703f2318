package directory

import (
	"reflect"

	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/directory/inviting"
	"github.com/rosterhq/roster/directory/outbox"
	"github.com/rosterhq/roster/directory/provision"
	"github.com/rosterhq/roster/directory/setuplinks"
	"github.com/rosterhq/roster/directory/signin"
)

// The names below are defined by the directory's store and jobs, and
// named here so that doors name only package directory.

type ActorKind = store.ActorKind

const ActorMember = store.ActorMember
const ActorAPIKey = store.ActorAPIKey
const ActorSCIM = store.ActorSCIM
const ActorOperator = store.ActorOperator
const ActorUser = store.ActorUser
const ActorSystem = store.ActorSystem

type Actor = store.Actor

// System is Roster acting on its own (expiry, the outbox worker).
func System() Actor { return store.System() }

type TXTResolver = store.TXTResolver

const DomainAutoJoin = store.DomainAutoJoin
const DomainRequest = store.DomainRequest
const TXTPrefix = store.TXTPrefix
const TXTValuePrefix = store.TXTValuePrefix

type Domain = store.Domain

// NormalizeDomain turns what a person typed (or the domain of an email
// address) into the form Roster stores and compares: trimmed, without a
// leading @ or a trailing dot, lower-case, IDNA-mapped to ASCII
// (punycode). It rejects anything that is not a registrable host name: IP
// addresses, single labels, URLs, wildcards.
func NormalizeDomain(raw string) (string, error) { return store.NormalizeDomain(raw) }

var ErrWrongTenant = store.ErrWrongTenant
var ErrNotFound = store.ErrNotFound
var ErrConflict = store.ErrConflict
var ErrForbidden = store.ErrForbidden
var ErrInvalid = store.ErrInvalid
var ErrSeatLimit = store.ErrSeatLimit
var ErrLastOwner = store.ErrLastOwner
var ErrExternalProfile = store.ErrExternalProfile
var ErrExpired = store.ErrExpired
var ErrUsed = store.ErrUsed
var ErrRevoked = store.ErrRevoked
var ErrEmailMismatch = store.ErrEmailMismatch
var ErrRejected = store.ErrRejected
var ErrSuspended = store.ErrSuspended
var ErrPrecondition = store.ErrPrecondition

type SeatLimitError = store.SeatLimitError
type Event = store.Event

const MaxNameLength = store.MaxNameLength
const MaxPhoneLength = store.MaxPhoneLength
const MaxLocaleLength = store.MaxLocaleLength
const MaxProfileEntries = store.MaxProfileEntries
const MaxProfileKeyLength = store.MaxProfileKeyLength
const MaxProfileValueLength = store.MaxProfileValueLength
const MaxTextLength = store.MaxTextLength
const MaxValues = store.MaxValues
const MaxIdentifierLength = store.MaxIdentifierLength

// CheckText is the rule for every string Roster stores or looks up: valid
// UTF-8 without NUL, at most limit characters (no limit when limit is 0).
// PostgreSQL's text and jsonb cannot hold NUL (text refuses it; JSON text
// with a \u0000 escape is stored, then breaks every jsonb read of it) nor
// invalid UTF-8, and SQLite would keep both: refusing them here makes the
// two databases behave alike and keeps every stored value readable. A
// refusal is a *FieldError naming field; doors also apply it to input
// that only queries (a filter's value, an id in a path), so that none of
// it reaches SQL.
func CheckText(field string, value string, limit int) error {
	return store.CheckText(field, value, limit)
}

// FitText makes s storable rather than refusing it, for values a person
// cannot correct at their source (an identity provider's name claim at
// sign-in): invalid UTF-8 and NUL are dropped, surrounding space trimmed,
// and the rest cut to limit characters.
func FitText(s string, limit int) string { return store.FitText(s, limit) }

type FieldError = store.FieldError

const InvitationPending = store.InvitationPending
const InvitationAccepted = store.InvitationAccepted
const InvitationRevoked = store.InvitationRevoked
const InvitationExpired = store.InvitationExpired

type OutcomeStatus = store.OutcomeStatus

const OutcomeInvited = store.OutcomeInvited
const OutcomeResent = store.OutcomeResent
const OutcomeAlreadyMember = store.OutcomeAlreadyMember
const OutcomeInvalidAddress = store.OutcomeInvalidAddress
const OutcomeSeatLimit = store.OutcomeSeatLimit
const OutcomeNotPermitted = store.OutcomeNotPermitted
const OutcomeDuplicate = store.OutcomeDuplicate

type InviteOutcome = store.InviteOutcome
type VerifiedIdentity = store.VerifiedIdentity
type Acceptance = store.Acceptance
type Invitation = store.Invitation

const JoinModeApproval = store.JoinModeApproval
const JoinModeDirect = store.JoinModeDirect
const JoinNotifyAllManagers = store.JoinNotifyAllManagers
const JoinNotifyPeople = store.JoinNotifyPeople
const JoinNotifyNobody = store.JoinNotifyNobody

type JoinLink = store.JoinLink

const JoinRequestPending = store.JoinRequestPending
const JoinRequestAccepted = store.JoinRequestAccepted
const JoinRequestRejected = store.JoinRequestRejected
const JoinOutcomeJoined = store.JoinOutcomeJoined
const JoinOutcomeRequested = store.JoinOutcomeRequested
const JoinOutcomeAlreadyMember = store.JoinOutcomeAlreadyMember
const JoinOutcomePending = store.JoinOutcomePending

type JoinResult = store.JoinResult
type JoinRequest = store.JoinRequest

const StatusInvited = store.StatusInvited
const StatusActive = store.StatusActive
const StatusSuspended = store.StatusSuspended
const StatusRemoved = store.StatusRemoved
const KindInternal = store.KindInternal
const KindExternal = store.KindExternal
const SourceInvitation = store.SourceInvitation
const SourceSCIM = store.SourceSCIM
const SourceDomain = store.SourceDomain
const SourceJoinRequest = store.SourceJoinRequest
const SourceJoinLink = store.SourceJoinLink
const SourceOwner = store.SourceOwner

type Member = store.Member
type SuspendedError = store.SuspendedError

const StatusAll = store.StatusAll
const OIDCGeneric = store.OIDCGeneric
const OIDCGoogle = store.OIDCGoogle
const OIDCEntra = store.OIDCEntra

// ValidOIDCKind reports whether kind is one of the OIDC connection kinds
// above. It is the one list: workspace connections are checked with it
// here, server-wide providers from configuration by the oidc package.
func ValidOIDCKind(kind string) bool { return store.ValidOIDCKind(kind) }

const ServerProviderPrefix = signin.ServerProviderPrefix

type OIDCConnection = store.OIDCConnection
type OIDCConnectionRequest = store.OIDCConnectionRequest

// EntraIssuer is the issuer of an Entra ID tenant.
func EntraIssuer(tenantID string) string { return store.EntraIssuer(tenantID) }

type OIDCConnectionUpdate = store.OIDCConnectionUpdate

const OutboxEmail = store.OutboxEmail
const OutboxWebhook = store.OutboxWebhook

type EmailRequest = store.EmailRequest
type OutboxMessage = outbox.OutboxMessage
type OutboxStatus = outbox.OutboxStatus

const OutboxDiscarded = outbox.OutboxDiscarded

type OutboxFilter = outbox.OutboxFilter
type OutboxEntry = outbox.OutboxEntry
type Permission = store.Permission

const PermMembersRead = store.PermMembersRead
const PermMembersInvite = store.PermMembersInvite
const PermMembersManage = store.PermMembersManage
const PermJoinLinksManage = store.PermJoinLinksManage
const PermDomainsManage = store.PermDomainsManage
const PermConnectionsManage = store.PermConnectionsManage
const PermRolesManage = store.PermRolesManage

var AllPermissions = store.AllPermissions

const RoleOwner = store.RoleOwner
const RoleAdmin = store.RoleAdmin
const RoleManager = store.RoleManager
const RoleMember = store.RoleMember
const RoleCollaborator = store.RoleCollaborator

type Role = store.Role

const SAMLKind = store.SAMLKind
const ProtocolSAML = signin.ProtocolSAML

var ErrAssertionReplayed = signin.ErrAssertionReplayed

type SAMLConnection = store.SAMLConnection

const ProfileAuto = store.ProfileAuto
const ProfileOkta = store.ProfileOkta
const ProfileEntra = store.ProfileEntra
const ProfileGeneric = store.ProfileGeneric
const ActivationDomain = store.ActivationDomain
const ActivationInvite = store.ActivationInvite
const SeatPolicyRefuse = store.SeatPolicyRefuse
const SeatPolicySuspend = store.SeatPolicySuspend
const DefaultSCIMLogRetention = store.DefaultSCIMLogRetention

type SCIMConnection = store.SCIMConnection
type SCIMConnectionRequest = store.SCIMConnectionRequest

const MaxSCIMRateLimit = store.MaxSCIMRateLimit

type SCIMToken = store.SCIMToken
type SCIMTokenRequest = store.SCIMTokenRequest
type SCIMRequest = store.SCIMRequest
type SCIMGroup = provision.SCIMGroup
type SCIMGroupInput = provision.SCIMGroupInput
type SCIMGroupChange = provision.SCIMGroupChange
type SCIMMemberOp = provision.SCIMMemberOp
type SCIMGroupUpdate = provision.SCIMGroupUpdate
type SCIMGroupPage = provision.SCIMGroupPage
type SCIMMemberRef = provision.SCIMMemberRef
type SCIMQuery = store.SCIMQuery
type SCIMUserPage = provision.SCIMUserPage

const SCIMRequestsSucceeded = provision.SCIMRequestsSucceeded
const SCIMRequestsFailed = provision.SCIMRequestsFailed
const SCIMOpCreateUser = store.SCIMOpCreateUser
const SCIMOpUpdateUser = store.SCIMOpUpdateUser
const SCIMOpDeleteUser = store.SCIMOpDeleteUser
const SCIMOpReadUsers = store.SCIMOpReadUsers
const SCIMOpCreateGroup = store.SCIMOpCreateGroup
const SCIMOpUpdateGroup = store.SCIMOpUpdateGroup
const SCIMOpDeleteGroup = store.SCIMOpDeleteGroup
const SCIMOpReadGroups = store.SCIMOpReadGroups
const SCIMOpOther = store.SCIMOpOther

var SCIMOperations = store.SCIMOperations

type SCIMRequestFilter = provision.SCIMRequestFilter
type SCIMField = store.SCIMField

const FieldID = provision.FieldID
const FieldExternalID = provision.FieldExternalID
const FieldUserName = provision.FieldUserName
const FieldActive = provision.FieldActive
const FieldCreated = provision.FieldCreated
const FieldModified = provision.FieldModified
const FieldAttr = provision.FieldAttr
const FieldEmailValue = provision.FieldEmailValue
const FieldEmailType = provision.FieldEmailType
const FieldEmailDisplay = provision.FieldEmailDisplay
const FieldEmailPrimary = provision.FieldEmailPrimary
const FieldGroupName = provision.FieldGroupName
const FieldGroupMember = provision.FieldGroupMember

type SCIMCond = store.SCIMCond
type SCIMSort = store.SCIMSort
type SCIMUpdate = provision.SCIMUpdate
type SCIMUser = provision.SCIMUser
type SCIMUserInput = provision.SCIMUserInput
type SCIMEmail = provision.SCIMEmail

const DefaultSessionTTL = signin.DefaultSessionTTL

type Session = signin.Session

const SetupSCIM = store.SetupSCIM
const SetupSSO = store.SetupSSO
const SetupDomain = store.SetupDomain
const SetupPending = store.SetupPending
const SetupCompleted = store.SetupCompleted
const SetupExpired = store.SetupExpired
const SetupRevoked = store.SetupRevoked
const DefaultSetupLinkTTL = setuplinks.DefaultSetupLinkTTL
const MaxSetupLinkTTL = setuplinks.MaxSetupLinkTTL
const SetupProviderOkta = setuplinks.SetupProviderOkta
const SetupProviderEntra = setuplinks.SetupProviderEntra
const SetupProviderGoogle = setuplinks.SetupProviderGoogle
const SetupProviderOneLogin = setuplinks.SetupProviderOneLogin
const SetupProviderJumpCloud = setuplinks.SetupProviderJumpCloud
const SetupProviderGeneric = setuplinks.SetupProviderGeneric

var SetupProviders = setuplinks.SetupProviders

// ValidSetupProvider reports whether p is one of SetupProviders.
func ValidSetupProvider(p string) bool { return setuplinks.ValidSetupProvider(p) }

type SetupLink = store.SetupLink
type SetupSignInTest = store.SetupSignInTest
type SetupLinkRequest = setuplinks.SetupLinkRequest

const ActorSetupLink = store.ActorSetupLink

// SetupProviderName is a provider in words.
func SetupProviderName(p string) string { return setuplinks.SetupProviderName(p) }

var ErrUnverifiedEmail = signin.ErrUnverifiedEmail
var ErrNoAccount = signin.ErrNoAccount
var ErrOrganizationSSO = signin.ErrOrganizationSSO

type SignInOutcome = signin.SignInOutcome

const SignInMember = signin.SignInMember
const SignInAccepted = signin.SignInAccepted
const SignInJoined = signin.SignInJoined
const SignInRequested = signin.SignInRequested
const SignInPending = signin.SignInPending

type SignInRequest = store.SignInRequest
type SignInResult = signin.SignInResult
type SignInGap = signin.SignInGap
type MyMembership = signin.MyMembership
type Me = signin.Me
type Onboarding = signin.Onboarding
type Team = store.Team

const TeamManagedByRoster = store.TeamManagedByRoster
const TeamManagedBySCIM = store.TeamManagedBySCIM

type TeamUpdate = store.TeamUpdate

// NewToken returns a 256-bit random token, URL-safe, and its storage hash.
// The token is shown once; only the hash is kept.
func NewToken() (token string, hash string) { return store.NewToken() }

// HashToken is the stored form of a token. Tokens carry 256 bits of
// entropy, so a plain SHA-256 is enough (no salt or stretching needed), and
// lookups by hash are exact-match index scans rather than comparisons of
// secrets.
func HashToken(token string) string { return store.HashToken(token) }

var ErrUnavailable = store.ErrUnavailable

// NormalizeEmail trims and Unicode-lower-cases an address and rejects
// anything that is not a plain addr-spec (no display names, no spaces, a
// domain with a dot). The normalised form is the user's key across all
// workspaces; case folding happens here, in Go, because SQLite's lower() is
// ASCII only.
func NormalizeEmail(raw string) (string, error) { return store.NormalizeEmail(raw) }

// EmailDomain returns the normalised domain of a normalised address.
func EmailDomain(email string) string { return store.EmailDomain(email) }

// NormalizePhone keeps a leading + and the digits, for lookups.
func NormalizePhone(raw string) string { return store.NormalizePhone(raw) }

// GuessName turns the local part of an address into a name:
// jane.doe@x → Jane Doe, j_smith@x → J Smith.
func GuessName(email string) string { return store.GuessName(email) }

const MaxWebhooks = outbox.MaxWebhooks
const PingEvent = store.PingEvent

type Webhook = outbox.Webhook
type WebhookRequest = outbox.WebhookRequest
type WebhookUpdate = outbox.WebhookUpdate
type WebhookTarget = outbox.WebhookTarget
type WebhookAttempt = outbox.WebhookAttempt
type WebhookDelivery = outbox.WebhookDelivery
type Workspace = store.Workspace

// IsDomainType reports whether t, or what it points to or holds, is one of
// directory's types, which never go on a wire (store.IsDomainType).
func IsDomainType(t reflect.Type) bool { return store.IsDomainType(t) }

type Invitee = inviting.Invitee
type InviteRequest = inviting.InviteRequest
type ImportRequest = inviting.ImportRequest
type ImportOutcome = inviting.ImportOutcome
type ImportPlan = inviting.ImportPlan
type ImportPlanRow = inviting.ImportPlanRow
type ImportColumn = inviting.ImportColumn

const MaxImportRows = inviting.MaxImportRows
const OutcomeInvalid = inviting.OutcomeInvalid
const ColumnProfile = inviting.ColumnProfile
const ColumnIgnored = inviting.ColumnIgnored

// ParseAddressList splits pasted text into addresses (commas, semicolons,
// white space and new lines separate them; "Jane Doe <addr>" is reduced to
// addr).
func ParseAddressList(text string) []string { return inviting.ParseAddressList(text) }
