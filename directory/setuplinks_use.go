package directory

import "github.com/rosterhq/roster/directory/internal/store"

// CheckOIDCConnectionRequest normalises and validates a connection's
// settings the way CreateOIDCConnection will (the issuer of an Entra
// tenant or of Google filled in), so a door can check the provider's
// discovery before anything is saved.
func CheckOIDCConnectionRequest(req *store.OIDCConnectionRequest) error {
	return store.ValidateOIDCConnection(req)
}
