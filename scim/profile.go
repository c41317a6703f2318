package scim

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// quirks are what a connection's IdP profile changes: which request shapes
// beyond RFC 7644 are accepted (NOTES-idp-traffic.md section 3) and how a
// PATCH is answered. Every IdP shape is turned into the RFC form by
// decodeResource and normalizePatch, driven by these flags, before any
// business logic runs; nothing else looks at the profile.
type quirks struct {
	// idp is what the request was recognised as: okta, entra or generic.
	idp string
	// stringValues accepts "True"/"False" for booleans and numeric strings
	// for numbers (Entra without aadOptscim062020; Microsoft's tests).
	stringValues bool
	// bareMembers accepts a member given as a plain id string, and a
	// manager given as a plain id (Entra).
	bareMembers bool
	// userPatchNoContent answers a user PATCH with 204 (Microsoft's tests
	// require it); otherwise 200 with the resource. A group PATCH is
	// always 204: returning tens of thousands of members after changing
	// one would make the answer grow with the group.
	userPatchNoContent bool
	// replaceCreates makes a replace on a value path that matches no
	// value create the value the filter describes (Entra replaces
	// emails[type eq "work"].value on users without a work email);
	// otherwise it is 400 noTarget, as RFC 7644 3.5.2.3 says.
	replaceCreates bool
}

// Every profile accepts, because refusing them would only break a real
// IdP and no client could mean anything else by them: ops in any case,
// path-less values with dotted and URN keys, filtered value paths,
// remove-with-value on multi-valued attributes (Entra), "$ref": null and
// display/displayName in member values, unknown and extra schema URIs,
// the misspelled enterprise URN, explicit nulls, meta, id, groups and
// password in bodies (all ignored).
var (
	genericQuirks = quirks{idp: directory.ProfileGeneric}
	oktaQuirks    = quirks{idp: directory.ProfileOkta}
	entraQuirks   = quirks{idp: directory.ProfileEntra, stringValues: true, bareMembers: true, userPatchNoContent: true, replaceCreates: true}
	// autoQuirks is auto before it recognised the IdP: as tolerant as
	// Entra, answering like the RFC.
	autoQuirks = quirks{idp: directory.ProfileGeneric, stringValues: true, bareMembers: true}
)

// quirksFor picks the quirks of a request from its connection's profile;
// auto recognises Okta and Entra by User-Agent.
func quirksFor(profile string, r *http.Request) quirks {
	switch profile {
	case directory.ProfileOkta:
		return oktaQuirks
	case directory.ProfileEntra:
		return entraQuirks
	case directory.ProfileGeneric:
		return genericQuirks
	}
	ua := strings.ToLower(r.UserAgent())
	switch {
	case strings.Contains(ua, "okta"):
		return oktaQuirks
	case strings.Contains(ua, "microsoft"), strings.Contains(ua, "azure"), strings.Contains(ua, "aad"), strings.Contains(ua, "entra"):
		return entraQuirks
	}
	return autoQuirks
}

// recognizePatch lets auto recognise Entra by the shape of a PATCH when
// its User-Agent did not say: capitalised ops or boolean strings are
// Entra's default (non-flagged) dialect.
func (q quirks) recognizePatch(profile string, ops []rawOp) quirks {
	if profile != directory.ProfileAuto || q.idp != directory.ProfileGeneric {
		return q
	}
	for _, o := range ops {
		if o.Op != strings.ToLower(o.Op) {
			return entraQuirks
		}
		if s, ok := o.Value.(string); ok && (s == "True" || s == "False") {
			return entraQuirks
		}
	}
	return q
}
