// Package saml is the SAML 2.0 sign-in door: per workspace connection it
// serves Roster's service provider metadata, starts SP-initiated sign-ins
// (from home-realm discovery on /login, /invite/{token} and /join/{token},
// handed over by package oidc), and verifies the identity provider's
// answers at the assertion consumer service before one call to
// directory.SignIn decides what the sign-in means, exactly as for OIDC.
//
// The protocol checks are crewjam/saml's (signature, issuer, audience,
// recipient, destination, InResponseTo, validity window); this package
// adds what Roster requires on top: a signed assertion always, no DTD or
// comment in the XML, the request state sealed in a cookie, and assertion
// IDs used once across replicas (recorded by directory).
package saml
