// Package web is the page kit every browser-facing door shares: the
// layout and its templates, the stylesheet, CSRF tokens, security headers,
// flash messages, form errors, body limits and the session cookie.
// It holds no product rule: pages ask directory what a person may do.
package web
