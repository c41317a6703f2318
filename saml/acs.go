package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	crewjam "github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/telemetry"
	"github.com/rosterhq/roster/web"
)

// refusal is an answer the door refused: the reason is for the log, the
// message for the person.
type refusal struct {
	reason  string
	message string
}

func (r *refusal) Error() string { return r.reason }

func refuse(message, format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...), message: message}
}

// Messages of refused answers, in words for the person signing in.
const (
	msgUnverified = "Your identity provider's answer could not be verified, so you were not signed in. Start again from the sign-in page; if it keeps happening, tell your administrator."
	msgReplayed   = "This sign-in was already used. Start again from the sign-in page."
	msgExpired    = "Your identity provider's answer has expired or is not valid yet. Start again from the sign-in page; if it keeps happening, the identity provider's clock may be wrong: tell your administrator."
	msgStartHere  = "This workspace accepts sign-ins that start at Roster only. Go to the sign-in page and enter your work email address."
	msgIdPRefused = "Your identity provider did not sign you in. If you should have access, ask your administrator to assign you the Roster application."
	msgNoEmail    = "Your identity provider did not send your email address, so you cannot be signed in. Tell your administrator."
)

// identity is what a verified answer says about the person.
type identity struct {
	issuer      string
	nameID      string
	email       string
	name        string
	externalIDs []string
}

// acs is the assertion consumer service (HTTP-POST binding): the request
// state, the verified answer, then one directory call that decides what
// the sign-in means.
func (h *Handler) acs(w http.ResponseWriter, r *http.Request) {
	outcome := "error"
	defer func() { h.metrics.SignIn(outcome) }()
	c := h.connection(w, r)
	if c == nil {
		outcome = "connection_gone"
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxResponseBytes)
	if err := r.ParseForm(); err != nil {
		outcome = "token_refused"
		h.log.Warn("saml sign-in refused", "connection", c.ID, "reason", "unreadable form: "+err.Error())
		h.message(w, r, http.StatusBadRequest, "Sign-in refused", msgUnverified)
		return
	}
	st, err := h.takeState(w, r, r.PostForm.Get("RelayState"))
	var requestIDs []string
	switch {
	case err == nil && st.Connection != c.ID:
		outcome = "token_refused"
		h.log.Warn("saml sign-in refused", "connection", c.ID, "reason", "request state is for connection "+st.Connection)
		h.message(w, r, http.StatusForbidden, "Sign-in refused", msgUnverified)
		return
	case err == nil:
		requestIDs = []string{st.RequestID}
	case !errors.Is(err, errNoState):
		outcome = "transaction_expired"
		h.log.Info("saml sign-in refused", "connection", c.ID, "reason", err.Error())
		h.message(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or was already used. Please start again.")
		return
	case !c.AllowIdPInitiated:
		outcome = "token_refused"
		h.log.Warn("saml sign-in refused", "connection", c.ID, "reason", "IdP-initiated answer (no request state) on a connection that does not allow it")
		h.message(w, r, http.StatusForbidden, "Sign-in refused", msgStartHere)
		return
	default:
		// IdP-initiated: crewjam accepts only an answer to no request
		// then, and the assertion ID is still used once.
		st = &requestState{}
	}
	id, err := h.verify(r.Context(), c, r.PostForm.Get("SAMLResponse"), requestIDs)
	if err != nil {
		outcome = "token_refused"
		var ref *refusal
		if !errors.As(err, &ref) {
			ref = &refusal{reason: err.Error(), message: msgUnverified}
		}
		h.log.Warn("saml sign-in refused", "connection", c.ID, "reason", ref.reason)
		h.message(w, r, http.StatusForbidden, "Sign-in refused", ref.message)
		return
	}
	ctx, end := telemetry.StartSpan(r.Context(), "saml.sign_in", "")
	res, err := h.dir.SignIn(ctx, directory.SignInRequest{
		Connection: c.ID, Protocol: directory.ProtocolSAML, Issuer: id.issuer, Subject: id.nameID, Email: id.email,
		ExternalIDs: id.externalIDs, Name: id.name, ProviderKind: directory.SAMLKind,
		Invitation: st.Invitation, JoinLink: st.JoinLink, PreviousSession: web.SessionToken(r), SessionTTL: h.ttl,
	})
	end(err)
	if err != nil {
		outcome = "refused"
		status, title, msg, known := oidc.ExplainSignIn(err)
		if known {
			h.log.Info("sign-in refused by directory", "connection", c.ID, "err", err)
		} else {
			outcome = "error"
			h.log.Error("saml sign-in", "connection", c.ID, "err", err)
		}
		h.message(w, r, status, title, msg)
		return
	}
	outcome = string(res.Outcome)
	if res.Workspace != nil {
		telemetry.SetWorkspace(r.Context(), res.Workspace.ID)
	}
	h.kit.SetSession(w, res.SessionToken, h.ttl)
	h.log.Info("signed in", "connection", c.ID, "protocol", "saml", "user", res.UserID, "outcome", res.Outcome)
	next := "/home"
	switch {
	case res.NeedsOnboarding && res.Workspace != nil:
		next = "/onboarding?workspace=" + url.QueryEscape(res.Workspace.Slug)
	case st.JoinLink != "":
		next = "/join/" + url.PathEscape(st.JoinLink)
	case st.ReturnTo != "":
		next = st.ReturnTo
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// verify checks an HTTP-POST SAMLResponse: Roster's own rules on the XML
// (no DTD, no comment), then crewjam/saml's protocol checks (signature by
// a certificate of the metadata, issuer, audience, recipient and
// destination, InResponseTo one of requestIDs, validity window with
// clockSkew, assertion ID used once), then a signature on the assertion
// itself, and the identity it names.
func (h *Handler) verify(ctx context.Context, c *directory.SAMLConnection, form string, requestIDs []string) (*identity, error) {
	if form == "" {
		return nil, refuse(msgUnverified, "no SAMLResponse in the form")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(form), ""))
	if err != nil {
		return nil, refuse(msgUnverified, "SAMLResponse is not base64: %v", err)
	}
	if err := plainXML(raw); err != nil {
		return nil, refuse(msgUnverified, "%v", err)
	}
	sp, err := h.serviceProvider(ctx, c)
	if err != nil {
		return nil, err
	}
	assertion, err := sp.ParseXMLResponse(raw, requestIDs, sp.AcsURL)
	if err != nil {
		return nil, explainInvalid(err)
	}
	if assertion.Signature == nil {
		return nil, refuse(msgUnverified, "the assertion is not signed (a signed response alone is not enough)")
	}
	if assertion.Subject == nil || assertion.Subject.NameID == nil || strings.TrimSpace(assertion.Subject.NameID.Value) == "" {
		return nil, refuse(msgUnverified, "the assertion names nobody (no NameID)")
	}
	nameID := assertion.Subject.NameID
	id := &identity{issuer: c.EntityID, nameID: strings.TrimSpace(nameID.Value)}
	attrs := attributes(assertion)
	names := emailAttributes
	if c.EmailAttribute != "" {
		names = []string{c.EmailAttribute}
	}
	for _, n := range names {
		if v := attrs[strings.ToLower(n)]; v != "" {
			id.email = v
			break
		}
	}
	if id.email == "" && c.EmailAttribute == "" && nameID.Format == string(crewjam.EmailAddressNameIDFormat) {
		id.email = id.nameID
	}
	if id.email == "" {
		return nil, refuse(msgNoEmail, "no email attribute (%s) in the assertion", strings.Join(names, ", "))
	}
	for _, n := range displayNameAttributes {
		if v := attrs[n]; v != "" {
			id.name = v
			break
		}
	}
	if id.name == "" {
		surname := attrs["surname"]
		if surname == "" {
			surname = attrs["sn"]
		}
		id.name = strings.TrimSpace(attrs["givenname"] + " " + surname)
	}
	if id.name == "" {
		id.name = attrs["cn"]
	}
	// SCIM may have stored the same immutable id as externalId: Entra's
	// object id, or a persistent NameID (Okta's user id).
	if oid := attrs[strings.ToLower(entraObjectID)]; oid != "" {
		id.externalIDs = append(id.externalIDs, oid)
	}
	id.externalIDs = append(id.externalIDs, id.nameID)
	return id, nil
}

// explainInvalid turns crewjam/saml's refusal into ours: its reason (the
// private error, which names the failed check) for the log.
func explainInvalid(err error) error {
	reason := err
	var ire *crewjam.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		reason = ire.PrivateErr
	}
	var status crewjam.ErrBadStatus
	switch {
	case errors.Is(reason, crewjam.ErrAssertionReplayed):
		return refuse(msgReplayed, "replayed assertion: %v", reason)
	case errors.Is(reason, crewjam.ErrExpired), errors.Is(reason, crewjam.ErrNotYetValid):
		return refuse(msgExpired, "outside its validity window: %v", reason)
	case errors.As(reason, &status):
		return refuse(msgIdPRefused, "the identity provider answered with status %s", status.Status)
	}
	return refuse(msgUnverified, "%v", reason)
}

// plainXML refuses XML that Roster never needs from an IdP and that
// attacks are made of: a DTD (entity expansion, external entities) or any
// other directive, and comments (a comment inside a signed NameID does
// not break the signature, and parsers that stop at it read another
// name).
func plainXML(raw []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the response is not well-formed XML: %w", err)
		}
		switch tok.(type) {
		case xml.Directive:
			return errors.New("the response holds a DTD or another XML directive")
		case xml.Comment:
			return errors.New("the response holds an XML comment")
		}
	}
}

// Attributes that carry the email address when a connection names none:
// the usual names of Okta, Entra ID, ADFS and eduPerson IdPs.
var emailAttributes = []string{
	"email", "mail", "emailaddress", "user.email",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
	"urn:oid:0.9.2342.19200300.100.1.3",
}

var displayNameAttributes = []string{"displayname", "name", "http://schemas.microsoft.com/identity/claims/displayname", "urn:oid:2.16.840.1.113730.3.1.241"}

const entraObjectID = "http://schemas.microsoft.com/identity/claims/objectidentifier"

// attributes are an assertion's attributes by lower-cased name and
// friendly name, first value each; the claim URIs of Entra and ADFS for
// given name and surname are shortened to givenname and surname.
func attributes(a *crewjam.Assertion) map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		k = strings.ToLower(strings.TrimSpace(k))
		if k != "" && out[k] == "" {
			out[k] = strings.TrimSpace(v)
		}
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) == 0 {
				continue
			}
			v := at.Values[0].Value
			put(at.Name, v)
			put(at.FriendlyName, v)
			switch at.Name {
			case "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":
				put("givenname", v)
			case "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":
				put("surname", v)
			}
		}
	}
	return out
}
