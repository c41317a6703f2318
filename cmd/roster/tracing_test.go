package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/telemetry"
)

// otlpReceiver is an OTLP/HTTP trace endpoint: it decodes every
// ExportTraceServiceRequest it is sent and keeps the spans.
type otlpReceiver struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
	errs     []string
}

func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	var req collectortrace.ExportTraceServiceRequest
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		rc.errs = append(rc.errs, r.URL.Path+" "+r.Header.Get("Content-Type"))
	}
	if err := proto.Unmarshal(raw, &req); err != nil {
		rc.errs = append(rc.errs, err.Error())
		http.Error(w, err.Error(), 400)
		return
	}
	for _, rs := range req.ResourceSpans {
		rc.resource = append(rc.resource, rs.GetResource().GetAttributes()...)
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			v := kv.GetValue()
			if v.GetStringValue() != "" {
				return v.GetStringValue()
			}
			if _, ok := v.Value.(*commonpb.AnyValue_IntValue); ok {
				b, _ := json.Marshal(v.GetIntValue())
				return string(b)
			}
		}
	}
	return ""
}

// TestTracingToOTLPReceiver turns tracing on with the standard variable,
// sends a SCIM create and an invitation page, and checks what reaches an
// OTLP receiver: a server span per request named by its route, a child
// span for the directory operation, the workspace id, the trace id in the
// access log, and no token or email anywhere in a span.
func TestTracingToOTLPReceiver(t *testing.T) {
	rc := &otlpReceiver{}
	collector := httptest.NewServer(rc)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	ctx := context.Background()
	stop, err := telemetry.StartTracing(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	d := directorytest.Open(t, directory.SQLite, directory.Options{})
	ws, owner, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "olivia@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSCIMConnection(ctx, directory.Operator(), "acme", directory.SCIMConnectionRequest{Profile: directory.ProfileGeneric}); err != nil {
		t.Fatal(err)
	}
	_, token, err := d.CreateSCIMToken(ctx, directory.Operator(), "acme", directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	s := startOpsServer(t, d, nil)
	var logs bytes.Buffer
	var logMu sync.Mutex
	s.deps.Logger = slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	handler, err := newHandler(s.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	send := func(method, path, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	addr := "jane.doe@contoso.example"
	if status := send("POST", "/scim/v2/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+addr+`","emails":[{"value":"`+addr+`"}]}`); status != 201 {
		t.Fatalf("POST /Users = %d", status)
	}
	if status := send("GET", "/invite/"+owner.Token, ""); status != 200 {
		t.Fatalf("GET /invite = %d", status)
	}
	if err := stop(ctx); err != nil {
		t.Fatalf("flush spans: %v", err)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) > 0 {
		t.Fatalf("receiver: %v", rc.errs)
	}
	t.Logf("%d spans", len(rc.spans))
	byName := map[string]*tracepb.Span{}
	for _, sp := range rc.spans {
		byName[sp.Name] = sp
	}
	create, op, invite := byName["POST /scim/v2/Users"], byName["scim.create_user"], byName["GET /invite/{token}"]
	if create == nil || op == nil || invite == nil {
		names := []string{}
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("spans %v: want POST /scim/v2/Users, scim.create_user and GET /invite/{token}", names)
	}
	if create.Kind != tracepb.Span_SPAN_KIND_SERVER || attr(create, "http.route") != "/scim/v2/Users" || attr(create, "http.response.status_code") != "201" ||
		attr(create, "roster.workspace_id") != ws.ID || attr(create, "roster.door") != "scim" {
		t.Errorf("request span: kind %v, attributes %v", create.Kind, create.Attributes)
	}
	if !bytes.Equal(op.TraceId, create.TraceId) || !bytes.Equal(op.ParentSpanId, create.SpanId) || attr(op, "roster.workspace_id") != ws.ID {
		t.Errorf("directory operation span is not the request's child with the workspace: %v", op)
	}
	serviceName := ""
	for _, kv := range rc.resource {
		if kv.Key == "service.name" {
			serviceName = kv.GetValue().GetStringValue()
		}
	}
	if serviceName != "roster" {
		t.Errorf("service.name = %q", serviceName)
	}

	// The access log names the trace of each request.
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	if want := `"trace_id":"` + hex.EncodeToString(create.TraceId) + `"`; !strings.Contains(logged, want) {
		t.Errorf("access log lacks %s:\n%s", want, logged)
	}

	// Nothing secret or personal in any span.
	for _, sp := range rc.spans {
		texts := []string{sp.Name}
		for _, kv := range sp.Attributes {
			texts = append(texts, kv.GetValue().String())
		}
		for _, txt := range texts {
			for _, secret := range []string{token, owner.Token, addr, "olivia@acme.example"} {
				if strings.Contains(txt, secret) {
					t.Errorf("span %q carries %q: %s", sp.Name, secret, txt)
				}
			}
		}
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
