// Package oidc is Roster's employee door: an OpenID Connect relying party
// and the server-rendered sign-in pages (login with home-realm discovery,
// invitations, join links, onboarding, "your workspaces", sessions).
//
// It verifies what identity providers say and asks the directory, in one
// call per sign-in, what that means; it holds no product rule of its own
// and no state another replica would need.
package oidc
