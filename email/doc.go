// Package email renders Roster's notification emails and hands them to a
// mail transport (an SMTP server, or the log when none is configured).
// It knows nothing about workspaces or the outbox: callers pass a Request and
// decide when to retry; this package never touches the database.
package email
