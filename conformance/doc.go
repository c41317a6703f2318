// Package conformance checks a SCIM 2.0 service provider over HTTP: RFC 7643/7644
// behaviours plus replays of the request sequences Okta and Microsoft Entra ID
// really send (see NOTES-idp-traffic.md).
//
// It speaks only HTTP to a base URL with a bearer token and imports no Roster
// package, so it can test any SCIM server. Every check creates its own
// uniquely named resources and deletes them afterwards, so the suite can run
// repeatedly against a server that already holds data.
package conformance
