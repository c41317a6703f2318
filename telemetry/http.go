package telemetry

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names Roster's tracer.
const instrumentationName = "github.com/rosterhq/roster"

// Span attribute keys Roster sets itself (the HTTP ones follow the
// OpenTelemetry semantic conventions).
const (
	attrWorkspace = attribute.Key("roster.workspace_id")
	attrDoor      = attribute.Key("roster.door")
)

// requestInfo is what a door tells the middleware about its request.
type requestInfo struct {
	route string
}

type infoKey struct{}

// SetRoute names the route of the current request for metrics and spans,
// for a door that routes by itself behind one mux pattern (SCIM). route
// must be a pattern ("/scim/v2/Users/{id}"), never a raw path.
func SetRoute(ctx context.Context, route string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.route = route
	}
}

// SetWorkspace records the workspace a request acts in on its span. It is
// a workspace id, never a slug typed by a person or anything secret.
func SetWorkspace(ctx context.Context, workspaceID string) {
	if workspaceID != "" {
		trace.SpanFromContext(ctx).SetAttributes(attrWorkspace.String(workspaceID))
	}
}

// StartSpan starts a span for one directory operation of a door (a child
// of the request's span); end it with the error the operation returned.
// Without tracing it costs nothing.
func StartSpan(ctx context.Context, name, workspaceID string) (context.Context, func(err error)) {
	if !tracing.Load() {
		return ctx, func(error) {}
	}
	ctx, span := otel.Tracer(instrumentationName).Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	if workspaceID != "" {
		span.SetAttributes(attrWorkspace.String(workspaceID))
	}
	return ctx, func(err error) {
		if err != nil {
			// The error's kind, not its text: messages may name a person.
			span.SetStatus(codes.Error, "operation failed")
		}
		span.End()
	}
}

// tracing is on once StartTracing installed an exporter: without it the
// middleware and StartSpan skip the tracer altogether.
var tracing atomic.Bool

// TraceID is the trace id of the request's span ("" without tracing), for
// the access log.
func TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

// Instrument wraps a server's mux: every request gets a server span
// (continuing a W3C traceparent the caller sent) and is counted and timed
// by door and route. doorOf names the front door of a route pattern. m may
// be nil (no metrics); spans are recorded only when tracing is on.
func Instrument(m *Metrics, doorOf func(route string) string, next http.Handler) http.Handler {
	tracer := otel.Tracer(instrumentationName)
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		span := trace.SpanFromContext(ctx) // non-recording unless tracing is on
		if tracing.Load() {
			ctx = prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", methodLabel(r.Method))))
			defer span.End()
		}
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		// ServeMux set r.Pattern on the request it was handed (this r).
		route := info.route
		if route == "" {
			route = patternPath(r.Pattern)
		}
		if route == "" {
			route = "unmatched"
		}
		door := doorOf(route)
		if span.IsRecording() {
			span.SetName(methodLabel(r.Method) + " " + route)
			span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", sw.status), attrDoor.String(door))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
		}
		m.observeRequest(door, route, r.Method, sw.status, time.Since(start).Seconds())
	})
}

// patternPath is the path of a ServeMux pattern ("GET /login" is
// "/login").
func patternPath(p string) string {
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = strings.TrimSpace(p[i+1:])
	}
	return p
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
