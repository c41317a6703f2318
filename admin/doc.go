// Package admin is the admin JSON API under /api/v1: the door for
// workspace admins' tools, the CLI and the product's backend. Each handler
// decodes and validates a request, makes one directory call and encodes
// the answer; errors are RFC 9457 problem details mapped from directory's
// sentinels in one function (problemFor). Answers and request bodies are
// the API's own types (wire.go, wire_requests.go), documented by
// openapi.json; no directory type is ever encoded.
//
// It holds no product rule and opens no transaction: permissions, seats
// and every other rule are directory's. It authenticates bearer API keys
// and the operator key, and keeps every key inside its own workspace.
package admin
