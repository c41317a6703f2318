// Package scim is Roster's SCIM 2.0 endpoint (RFC 7643/7644) for every
// workspace: the bearer token picks the workspace. It turns what Okta,
// Microsoft Entra ID and other clients send into RFC form in one place
// (profile.go, decode.go, patch.go), makes one directory call per request
// and answers in SCIM's format.
//
// It holds no product rule: provisioning, the bridge rules, seats and
// events are directory's. It owns the HTTP layer itself rather than
// elimity-com/scim's server (see handler.go), and uses that library's
// RFC 7643 schema definitions.
package scim
