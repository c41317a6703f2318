package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// scimError is an RFC 7644 3.12 error response. Handlers return errors;
// errorFor turns every one of them into a scimError, so the wire format
// is decided in one place and nothing internal reaches the client.
type scimError struct {
	status   int
	scimType string
	detail   string
}

func (e *scimError) Error() string { return e.detail }

func errorf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an error; status is a string, as RFC 7644 3.12
// says and Okta's SPEC test checks.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// errorFor maps any error of a request to its SCIM error: the directory's
// sentinels, decoding errors, body limits. Unknown errors are 500 with a
// fixed detail (the cause is logged, never sent).
func errorFor(err error) *scimError {
	var se *scimError
	var seats *directory.SeatLimitError
	var tooBig *http.MaxBytesError
	var field *directory.FieldError
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &field):
		return errorf(http.StatusBadRequest, "invalidValue", "%s", fieldDetail(field))
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &seats):
		return errorf(http.StatusForbidden, "", "seat limit reached: the workspace's limit is %d seats and %d are in use; the workspace's admins have been notified", seats.Limit, seats.Used)
	case errors.Is(err, directory.ErrNotFound):
		return errorf(http.StatusNotFound, "", "resource not found")
	case errors.Is(err, directory.ErrConflict):
		msg := cause(err)
		if strings.Contains(msg, "pq:") || strings.Contains(msg, "constraint") {
			msg = "a resource with the same unique attributes already exists"
		}
		return errorf(http.StatusConflict, "uniqueness", "%s", msg)
	case errors.Is(err, directory.ErrPrecondition):
		return errorf(http.StatusPreconditionFailed, "", "the resource has changed (If-Match does not match its ETag)")
	case errors.Is(err, directory.ErrLastOwner):
		return errorf(http.StatusForbidden, "", "%s", directory.ErrLastOwner.Error())
	case errors.Is(err, directory.ErrForbidden):
		return errorf(http.StatusForbidden, "", "%s", cause(err))
	case errors.Is(err, directory.ErrInvalid):
		return errorf(http.StatusBadRequest, "invalidValue", "%s", cause(err))
	case errors.Is(err, directory.ErrExpired), errors.Is(err, directory.ErrRevoked):
		return errorf(http.StatusUnauthorized, "", "%s", cause(err))
	case errors.Is(err, directory.ErrUnavailable):
		return errorf(http.StatusServiceUnavailable, "", "the service is unavailable for the moment; retry after %d seconds", int(directory.RetryAfter.Seconds()))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "", "the request was cancelled or timed out")
	}
	return errorf(http.StatusInternalServerError, "", "internal error")
}

// cause is a directory error's message for the client: the operation
// context ("provision jane: ") is ours, the rest is meant to be read.
func cause(err error) string {
	msg := err.Error()
	for _, s := range []error{directory.ErrInvalid, directory.ErrConflict, directory.ErrForbidden} {
		if i := strings.Index(msg, s.Error()+": "); i >= 0 {
			return msg[i+len(s.Error())+2:]
		}
	}
	return msg
}

// write sends the error. A 503 carries Retry-After (RFC 7644 3.12 lets a
// service provider say it is unavailable), so IdPs back off and retry
// instead of recording a failure.
func (e *scimError) write(w http.ResponseWriter) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(int(directory.RetryAfter.Seconds())))
	}
	writeJSON(w, e.status, e.body())
}

func (e *scimError) body() errorBody {
	return errorBody{Schemas: []string{urnError}, Status: strconv.Itoa(e.status), ScimType: e.scimType, Detail: e.detail}
}

// fieldDetail is the detail of a refusal of directory's field limits, in
// SCIM's words: the person's name and language are read from attributes,
// so a refusal of them names those attributes.
func fieldDetail(err error) string {
	var fe *directory.FieldError
	if !errors.As(err, &fe) {
		return cause(err)
	}
	switch fe.Field {
	case "name":
		return "the person's name (name.formatted, else name.givenName and name.familyName, else displayName): " + fe.Detail
	case "locale":
		return "the person's language (preferredLanguage, else locale): " + fe.Detail
	}
	return fe.Detail
}
