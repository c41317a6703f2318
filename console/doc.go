// Package console is the admin console: server-rendered pages for people
// signed in with SSO who administer a workspace (members, invitations,
// join requests). It decodes forms, makes the same directory calls with
// the same permission checks as the admin API, and renders; it decides no
// product rule itself.
package console
