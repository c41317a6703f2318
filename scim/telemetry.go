package scim

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// What the SCIM door reports to telemetry: an operation, its outcome and
// its route, each a word of a fixed vocabulary built from the request's
// shape and the directory's answer, never from an id or a name in it.

// endpoint is the shape of a SCIM path: its resource and whether it names
// one resource, .search, or none.
type endpoint struct {
	resource string // "users", "groups", a discovery endpoint, or "other"
	item     string // "", "{id}" or ".search"
}

func endpointOf(path string) endpoint {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) == 0 || segs[0] == "" {
		return endpoint{resource: "root"}
	}
	e := endpoint{resource: "other"}
	switch r := strings.ToLower(segs[0]); r {
	case "users", "groups", "schemas", "resourcetypes", "serviceproviderconfig", "bulk", "me":
		e.resource = r
	case ".search":
		e.resource = "root"
	}
	if len(segs) > 1 && segs[1] != "" {
		e.item = "{id}"
		if segs[1] == ".search" {
			e.item = ".search"
		}
	}
	return e
}

// routeNames spells the route label of each resource as the RFC does.
var routeNames = map[string]string{"users": "Users", "groups": "Groups", "schemas": "Schemas", "resourcetypes": "ResourceTypes",
	"serviceproviderconfig": "ServiceProviderConfig", "bulk": "Bulk", "me": "Me", "other": "{other}"}

// route is the request's route pattern under the SCIM root.
func (e endpoint) route(root string) string {
	if e.resource == "root" {
		return root + "/"
	}
	r := root + "/" + routeNames[e.resource]
	if e.item != "" {
		r += "/" + e.item
	}
	return r
}

// operation names what the request asks for: create_user, list_groups,
// patch_user, discovery...
func (e endpoint) operation(method string) string {
	var noun string
	switch e.resource {
	case "users":
		noun = "user"
	case "groups":
		noun = "group"
	case "schemas", "resourcetypes", "serviceproviderconfig":
		return "discovery"
	default:
		return "other"
	}
	switch {
	case e.item == "" && method == http.MethodGet:
		return "list_" + noun + "s"
	case e.item == ".search" && method == http.MethodPost:
		return "search_" + noun + "s"
	case e.item == "" && method == http.MethodPost:
		return "create_" + noun
	case e.item == "{id}":
		switch method {
		case http.MethodGet:
			return "get_" + noun
		case http.MethodPut:
			return "replace_" + noun
		case http.MethodPatch:
			return "patch_" + noun
		case http.MethodDelete:
			return "delete_" + noun
		}
	}
	return "other"
}

// Outcomes of a SCIM operation, besides those of failures (outcomeOf).
const (
	outcomeOK        = "ok"
	outcomeCreated   = "created" // an active member at once (verified domain)
	outcomeInvited   = "invited"
	outcomeExternal  = "external" // invited as an external member
	outcomeSuspended = "suspended"
)

// createdOutcome is what creating u did.
func createdOutcome(u directory.SCIMUser) string {
	switch {
	case u.Status == directory.StatusSuspended:
		return outcomeSuspended
	case u.Kind == directory.KindExternal:
		return outcomeExternal
	case u.Status == directory.StatusInvited:
		return outcomeInvited
	}
	return outcomeCreated
}

// updatedOutcome is the outcome of a PUT or PATCH that left u: suspended
// when it suspended someone who was not (the IdP deactivated them), else
// none of its own (ok).
func updatedOutcome(wasSuspended bool, u directory.SCIMUser) string {
	if !wasSuspended && u.Status == directory.StatusSuspended {
		return outcomeSuspended
	}
	return ""
}

// outcomeOf is the outcome of a request that ended with err (nil: the
// one a handler recorded, else ok).
func outcomeOf(err error, recorded string) string {
	if err == nil {
		if recorded != "" {
			return recorded
		}
		return outcomeOK
	}
	var seats *directory.SeatLimitError
	if errors.As(err, &seats) || errors.Is(err, directory.ErrSeatLimit) {
		return "seat_limit"
	}
	switch se := errorFor(err); {
	case se.status == http.StatusTooManyRequests:
		return "rate_limited"
	case se.status == http.StatusConflict:
		return "conflict"
	case se.status == http.StatusPreconditionFailed:
		return "precondition_failed"
	case se.status == http.StatusNotFound:
		return "not_found"
	case se.status == http.StatusUnauthorized:
		return "unauthorized"
	case se.status == http.StatusForbidden:
		return "forbidden"
	case se.status == http.StatusBadRequest, se.status == http.StatusRequestEntityTooLarge:
		return "invalid"
	case se.status >= 500 && se.status != http.StatusNotImplemented:
		return "error"
	}
	return "unsupported"
}
