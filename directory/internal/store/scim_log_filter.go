package store

import (
	"slices"
	"strings"
)

// Operations of the request log, as an IdP's requests fall into them:
// the method and the resource of the path.
const (
	SCIMOpCreateUser  = "create_user"
	SCIMOpUpdateUser  = "update_user"
	SCIMOpDeleteUser  = "delete_user"
	SCIMOpReadUsers   = "read_users"
	SCIMOpCreateGroup = "create_group"
	SCIMOpUpdateGroup = "update_group"
	SCIMOpDeleteGroup = "delete_group"
	SCIMOpReadGroups  = "read_groups"
	SCIMOpOther       = "other"
)

// SCIMOperations lists the operations in display order.
var SCIMOperations = []string{SCIMOpCreateUser, SCIMOpUpdateUser, SCIMOpDeleteUser, SCIMOpReadUsers,
	SCIMOpCreateGroup, SCIMOpUpdateGroup, SCIMOpDeleteGroup, SCIMOpReadGroups, SCIMOpOther}

// scimOpShape is what an operation is on the wire.
type scimOpShape struct {
	Methods  []string
	Resource string
}

var ScimOpShapes = map[string]scimOpShape{
	SCIMOpCreateUser:  {[]string{"POST"}, "users"},
	SCIMOpUpdateUser:  {[]string{"PUT", "PATCH"}, "users"},
	SCIMOpDeleteUser:  {[]string{"DELETE"}, "users"},
	SCIMOpReadUsers:   {[]string{"GET"}, "users"},
	SCIMOpCreateGroup: {[]string{"POST"}, "groups"},
	SCIMOpUpdateGroup: {[]string{"PUT", "PATCH"}, "groups"},
	SCIMOpDeleteGroup: {[]string{"DELETE"}, "groups"},
	SCIMOpReadGroups:  {[]string{"GET"}, "groups"},
}

// scimResourceOf is the resource a logged path is about ("users",
// "groups" or ""); paths are matched as the SCIM door routes them, case
// aside.
func scimResourceOf(path string) string {
	p := strings.ToLower(path)
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	switch first {
	case "users", "groups":
		return first
	}
	return ""
}

// Operation is the entry's operation (SCIMOpCreateUser, …).
func (r SCIMRequest) Operation() string {
	res := scimResourceOf(r.Path)
	for _, op := range SCIMOperations {
		s, ok := ScimOpShapes[op]
		if ok && s.Resource == res && slices.Contains(s.Methods, strings.ToUpper(r.Method)) {
			return op
		}
	}
	return SCIMOpOther
}

// Succeeded reports whether the request was answered below 400.
func (r SCIMRequest) Succeeded() bool { return r.Status > 0 && r.Status < 400 }
