package admin_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

const operatorKey = "operator-key-for-tests-0123456789"

var roles = []string{directory.RoleOwner, directory.RoleAdmin, directory.RoleManager, directory.RoleMember, directory.RoleCollaborator}

// env is an admin API served over HTTP on one database.
type env struct {
	t   *testing.T
	d   *directory.Directory
	box *seal.Box
	api *admin.API
	srv *httptest.Server
}

func newEnv(t *testing.T, d *directory.Directory) *env {
	t.Helper()
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	api, err := admin.New(admin.Options{Directory: d, Box: box, OperatorKey: operatorKey, MaxUploadBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, d: d, box: box, api: api, srv: srv}
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t *testing.T) admin.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	var p admin.Problem
	r.decode(t, &p)
	if p.Status != r.status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem %+v incomplete for status %d", p, r.status)
	}
	return p
}

// do sends a request; body is JSON-encoded unless it is a string or
// []byte (sent as is with contentType).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	return e.doType(method, path, token, "application/json", body)
}

func (e *env) doType(method, path, token, contentType string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// must checks the status of a response and decodes it into v (if not nil).
func (e *env) must(r response, status int, v any) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if v != nil {
		r.decode(e.t, v)
	}
}

// tenant is a workspace with an accepted owner and one API key per
// built-in role.
type tenant struct {
	ws      directory.Workspace
	ownerID string // the owner's membership id
	keys    map[string]string
}

// newTenant creates a workspace through the API as the operator, accepts
// the owner's invitation and makes a key per role.
func (e *env) newTenant(slug string) *tenant {
	e.t.Helper()
	var created struct {
		Workspace struct {
			ID, Slug string
		}
		OwnerInvitation admin.InviteOutcome `json:"owner_invitation"`
	}
	e.must(e.do("POST", "/api/v1/workspaces", operatorKey, map[string]any{"name": "Work " + slug, "slug": slug, "owner_email": "owner@" + slug + ".example"}), 201, &created)
	token := created.OwnerInvitation.Link[strings.LastIndex(created.OwnerInvitation.Link, "/")+1:]
	acc, err := e.d.AcceptInvitation(context.Background(), token, directory.VerifiedIdentity{Email: "owner@" + slug + ".example", Name: "Olivia Owner"})
	if err != nil {
		e.t.Fatal(err)
	}
	tn := &tenant{ws: acc.Workspace, ownerID: acc.Member.ID, keys: map[string]string{}}
	for _, r := range roles {
		_, tok, err := e.d.CreateAPIKey(context.Background(), directory.Operator(), slug, directory.APIKeyRequest{Name: r + " key", Role: r})
		if err != nil {
			e.t.Fatal(err)
		}
		tn.keys[r] = tok
	}
	return tn
}

// member invites and accepts someone with role, returning the membership.
func (e *env) member(tn *tenant, email, role string) directory.Member {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.d.Invite(ctx, directory.Operator(), tn.ws.ID, directory.InviteRequest{Text: email, Role: role, SendEmail: new(false)})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		e.t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	acc, err := e.d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: email})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc.Member
}

// db is a pool on the test's database, for rows no API call reaches.
func (e *env) db() *sqlx.DB { return directorytest.DB(e.t, e.d) }

func run(t *testing.T, fn func(t *testing.T, e *env)) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) { fn(t, newEnv(t, d)) })
}
