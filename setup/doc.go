// Package setup is the front door of setup links: the guided pages a
// workspace's IT admin opens, without a Roster account, to connect SCIM
// provisioning, single sign-on or a domain for that one workspace. The
// link's token in the path is the only credential; every rule (what a
// link may do, for how long, in which workspace) is directory's. It
// decodes, calls directory (and the oidc door for discovery and the test
// sign-in) and renders with the shared page kit; it must not keep state.
package setup
