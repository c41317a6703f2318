package signin

// ServerProviderPrefix starts the connection key of a server-wide provider
// (from configuration, not a workspace): "provider:<key>". Identities made
// through one are keyed on it like any connection.
const ServerProviderPrefix = "provider:"
