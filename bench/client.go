package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// client sends SCIM requests to one base URL.
type client struct {
	base  string
	token string
	hc    *http.Client
}

func newClient(cfg Config) *client {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newHTTPClient(cfg.Concurrency)
	}
	return &client{base: cfg.URL, token: cfg.Token, hc: hc}
}

// statusError is an unexpected HTTP status, with the start of the body.
type statusError struct {
	req    string
	status int
	body   string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d: %s", e.req, e.status, e.body)
}

// do sends one request and decodes a JSON response into out (if non-nil)
// when the status is one of want. The body is always drained so the
// connection is reused.
func (c *client) do(ctx context.Context, method, path string, body any, out any, want ...int) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/scim+json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	ok := false
	for _, w := range want {
		ok = ok || res.StatusCode == w
	}
	if !ok {
		b := strings.Join(strings.Fields(string(raw)), " ")
		if len(b) > 200 {
			b = b[:200]
		}
		return &statusError{req: method + " " + strings.SplitN(path, "?", 2)[0], status: res.StatusCode, body: b}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// listResponse is the part of a SCIM ListResponse the scenarios read.
type listResponse struct {
	TotalResults int `json:"totalResults"`
	ItemsPerPage int `json:"itemsPerPage"`
	StartIndex   int `json:"startIndex"`
	Resources    []struct {
		ID       string `json:"id"`
		UserName string `json:"userName"`
	} `json:"Resources"`
}

// query encodes parameters with %20 for spaces, as Okta and Entra do.
func query(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, esc(kv[i])+"="+esc(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

func esc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// userBody is the user Okta creates (O1), including its password placeholder
// and groups:[], so the server does the work it does for real Okta traffic.
func userBody(userName, externalID string) map[string]any {
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Bench", "familyName": "User"},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Bench User",
		"locale":      "en-US",
		"externalId":  externalID,
		"groups":      []any{},
		"password":    "1mz050nq",
		"active":      true,
	}
}

// runID tags the resources of one run so that runs never collide and
// leftovers are recognisable.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func patchBody(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}
