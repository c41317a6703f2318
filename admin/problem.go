package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// ProblemTypeBase prefixes the type URI of every problem this API returns;
// The README's Admin API section lists them.
const ProblemTypeBase = "https://roster.dev/problems/"

// Problem is an RFC 9457 problem detail. Errors lists field-level
// validation failures, each with a JSON pointer into the request (or the
// query parameter's name); Limit and Used come with seat-limit problems.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	Limit    *int         `json:"limit,omitempty"`
	Used     *int         `json:"used,omitempty"`
}

// FieldError is one invalid field of a request.
type FieldError struct {
	// Pointer is a JSON pointer ("#/role") for body fields; Parameter
	// names a query parameter instead.
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

// Error makes a Problem usable as an error inside the package, so
// handlers can return request-level problems (bad JSON, a missing field)
// through the same path as directory errors.
func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// newProblem builds a problem of one of the types below.
func newProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: ProblemTypeBase + slug, Title: title, Status: status, Detail: detail}
}

// Problems raised by the API itself rather than by directory.
func errUnauthorized(detail string) *Problem {
	return newProblem(http.StatusUnauthorized, "unauthorized", "Authentication required", detail)
}

func errBadRequest(detail string) *Problem {
	return newProblem(http.StatusBadRequest, "malformed-request", "Malformed request", detail)
}

func errValidation(fields ...FieldError) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, "invalid", "Invalid request", "")
	p.Errors = fields
	msgs := make([]string, len(fields))
	for i, f := range fields {
		name := strings.TrimPrefix(f.Pointer, "#/")
		if f.Parameter != "" {
			name = f.Parameter
		}
		msgs[i] = name + ": " + f.Detail
	}
	p.Detail = strings.Join(msgs, "; ")
	return p
}

func fieldErr(pointer, detail string) FieldError {
	return FieldError{Pointer: "#/" + pointer, Detail: detail}
}
func paramErr(name, detail string) FieldError { return FieldError{Parameter: name, Detail: detail} }

// problemFor maps any error a handler returns to the problem sent to the
// client. It is the one place directory's sentinel errors meet HTTP status
// codes. Directory's messages are written for people, so they become the
// detail, without the sentinel's own prefix; anything unexpected is a 500
// whose detail says nothing about the internals (the log has them).
func problemFor(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newProblem(http.StatusRequestEntityTooLarge, "too-large", "Request too large",
			"the request body is larger than "+byteSize(mbe.Limit)+"; send less at once")
	}
	detail := humanDetail(err)
	var seat *directory.SeatLimitError
	var field *directory.FieldError
	switch {
	case errors.As(err, &field):
		return errValidation(fieldErr(field.Field, field.Detail))
	case errors.As(err, &seat):
		p := newProblem(http.StatusConflict, "seat-limit", "Seat limit reached",
			detail+"; raise the seat limit, or remove or suspend someone first")
		p.Limit, p.Used = &seat.Limit, &seat.Used
		return p
	case errors.Is(err, directory.ErrInvalid):
		return newProblem(http.StatusUnprocessableEntity, "invalid", "Invalid request", detail)
	case errors.Is(err, directory.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "Not found", detail)
	case errors.Is(err, directory.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "Not permitted", detail)
	case errors.Is(err, directory.ErrLastOwner):
		return newProblem(http.StatusConflict, "last-owner", "A workspace must keep an owner",
			"this would leave the workspace without an active owner; make someone else owner first")
	case errors.Is(err, directory.ErrExternalProfile):
		return newProblem(http.StatusConflict, "external-profile", "Profile belongs to another workspace",
			"this member's name and phone belong to their home workspace; only their language can be changed here")
	case errors.Is(err, directory.ErrSuspended):
		return newProblem(http.StatusConflict, "suspended", "Member is suspended", detail+"; reactivate them first")
	case errors.Is(err, directory.ErrRejected):
		return newProblem(http.StatusForbidden, "rejected", "Request was rejected", detail)
	case errors.Is(err, directory.ErrEmailMismatch):
		return newProblem(http.StatusForbidden, "email-mismatch", "Email does not match", detail)
	case errors.Is(err, directory.ErrExpired):
		return newProblem(http.StatusGone, "expired", "Expired", detail)
	case errors.Is(err, directory.ErrRevoked):
		return newProblem(http.StatusGone, "revoked", "Revoked", detail)
	case errors.Is(err, directory.ErrUsed):
		return newProblem(http.StatusConflict, "used", "Already used", detail)
	case errors.Is(err, directory.ErrPrecondition):
		return newProblem(http.StatusPreconditionFailed, "precondition-failed", "Changed meanwhile", detail+"; read it again and retry")
	case errors.Is(err, directory.ErrConflict):
		return newProblem(http.StatusConflict, "conflict", "Conflict", detail)
	case errors.Is(err, directory.ErrUnavailable):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "Service unavailable",
			"the database is unreachable for the moment; retry after "+itoa(int64(directory.RetryAfter.Seconds()))+" seconds")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", "the request was cancelled or took too long; retry it")
	}
	return newProblem(http.StatusInternalServerError, "internal", "Internal error", "something went wrong on the server; the server log has the details")
}

func isNotFound(err error) bool { return errors.Is(err, directory.ErrNotFound) }

// humanDetail is an error's message without the sentinel words a person
// does not need ("invalid input: ", ": not found" is kept since it says
// what is missing).
func humanDetail(err error) string {
	s := err.Error()
	for _, prefix := range []string{directory.ErrInvalid.Error() + ": ", directory.ErrForbidden.Error() + ": ", directory.ErrConflict.Error() + ": "} {
		s = strings.ReplaceAll(s, prefix, "")
	}
	return s
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// writeProblem sends p as application/problem+json.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := *p
	if out.Instance == "" && r != nil {
		out.Instance = r.URL.Path
	}
	switch out.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
	case http.StatusServiceUnavailable:
		// Clients (and the CLI) back off and retry instead of giving up.
		w.Header().Set("Retry-After", itoa(int64(directory.RetryAfter.Seconds())))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(out.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
}
