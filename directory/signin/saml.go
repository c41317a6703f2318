package signin

import (
	"errors"
)

// ProtocolSAML marks a SignInRequest made through a SAML connection; the
// empty protocol is OpenID Connect.
const ProtocolSAML = "saml"

// ErrAssertionReplayed refuses a SAML assertion whose ID was already
// accepted, on this replica or another.
var ErrAssertionReplayed = errors.New("this SAML assertion was already used")
