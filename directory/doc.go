// Package directory is Roster's domain: workspaces, users, memberships,
// invitations, roles, teams, join links, join requests, approved domains,
// seats, events and the outbox. Every rule of the product is enforced here,
// once, inside one database transaction per operation, which also appends the
// operation's events and outbox messages.
//
// It imports no HTTP package: the front doors (scim, oidc, admin, cmd) decode
// requests, make one directory call and encode the answer in their own wire
// types: directory's types carry no json tags, and events carry the types
// of package event.
package directory
