package email

import (
	"errors"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"
)

// samples holds valid data for every template, all keys set.
var samples = map[string]map[string]string{
	"invitation": {
		"workspace": "Acme", "inviter": "Bob Smith", "role": "member",
		"link": "https://roster.example/invite/TOKEN", "expires": "2026-11-29T10:00:00Z", "recipient_name": "Jane Doe",
	},
	"invitation_resend": {
		"workspace": "Acme", "inviter": "Bob Smith", "role": "member",
		"link": "https://roster.example/invite/TOKEN2", "expires": "2026-11-29T10:00:00Z", "recipient_name": "Jane Doe",
	},
	"join_request_filed": {
		"workspace": "Acme", "requester_email": "kim@acme.com", "requester_name": "Kim Lee",
		"via": `join link "Sales team"`, "review_link": "https://roster.example/w/acme/requests/1",
	},
	"join_request_accepted": {"workspace": "Acme", "role": "collaborator", "link": "https://roster.example/signin/acme"},
	"join_request_rejected": {"workspace": "Acme"},
	"seat_limit_reached": {
		"workspace": "Acme", "seat_limit": "25", "attempted_email": "new@acme.com", "source": "scim",
		"link": "https://roster.example/w/acme/seats",
	},
	"suspended":     {"workspace": "Acme", "recipient_name": "Jane Doe"},
	"member_joined": {"workspace": "Acme", "member_email": "sam@acme.com", "via": "domain acme.com"},
}

func request(name string, data map[string]string) Request {
	return Request{Template: name, To: []string{"jane@acme.com"}, Locale: "en", Data: data}
}

func TestCatalogMatchesSamplesAndFiles(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(samples)), slices.Sorted(maps.Keys(catalog)); !slices.Equal(got, want) {
		t.Fatalf("samples cover %v, catalog has %v", got, want)
	}
	// Every file is a layout or belongs to a catalog entry: a stray file is a
	// template nobody can render.
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := path[strings.LastIndex(path, "/")+1:]
		name := strings.TrimSuffix(strings.TrimSuffix(base, ".txt"), ".html")
		if _, ok := catalog[name]; !ok && name != "layout" {
			t.Errorf("%s belongs to no template", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRenderEveryTemplate(t *testing.T) {
	for name, data := range samples {
		t.Run(name, func(t *testing.T) {
			m, err := Render(request(name, data))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !slices.Equal(m.To, []string{"jane@acme.com"}) {
				t.Errorf("To = %v", m.To)
			}
			if m.Subject == "" || strings.Contains(m.Subject, "\n") {
				t.Errorf("Subject = %q, want one non-empty line", m.Subject)
			}
			all := m.Subject + "\n" + m.Text
			for k, v := range data {
				if k == "expires" {
					v = "November 29, 2026 at 10:00 UTC"
				}
				if !strings.Contains(all, v) {
					t.Errorf("text does not show %s = %q:\n%s", k, v, all)
				}
			}
			for _, k := range urlKeys {
				if link, ok := data[k]; ok {
					if !strings.Contains(m.HTML, `href="`+link+`"`) {
						t.Errorf("HTML has no link to %s", link)
					}
				}
			}
			for _, body := range []string{m.Subject, m.Text, m.HTML} {
				if strings.Contains(body, "<no value>") || strings.Contains(body, "{{") {
					t.Errorf("unrendered placeholder in %q", body)
				}
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, `<html lang="en">`) ||
				!strings.Contains(m.HTML, "<title>"+m.Subject+"</title>") {
				t.Errorf("HTML lacks doctype, language or title:\n%s", m.HTML)
			}
		})
	}
}

func TestRenderWithoutOptionalKeys(t *testing.T) {
	for name, spec := range catalog {
		if len(spec.optional) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data := maps.Clone(samples[name])
			for _, k := range spec.optional {
				delete(data, k)
			}
			m, err := Render(request(name, data))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if strings.Contains(m.Text, " ,") || strings.Contains(m.Text, "()") {
				t.Errorf("absent optional key left a gap:\n%s", m.Text)
			}
		})
	}
}

func TestRenderMissingRequiredKey(t *testing.T) {
	for name, spec := range catalog {
		for _, k := range spec.required {
			t.Run(name+"/"+k, func(t *testing.T) {
				data := maps.Clone(samples[name])
				data[k] = "  " // blank is as good as missing
				m, err := Render(request(name, data))
				if !errors.Is(err, ErrInvalidData) || !strings.Contains(err.Error(), k) {
					t.Fatalf("err = %v, want ErrInvalidData naming %s", err, k)
				}
				if m.Subject != "" || m.Text != "" || m.HTML != "" {
					t.Errorf("got a partial message %+v", m)
				}
			})
		}
	}
}

func TestRenderRejects(t *testing.T) {
	inv := samples["invitation"]
	with := func(k, v string) map[string]string { d := maps.Clone(inv); d[k] = v; return d }
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"unknown template", request("welcome_aboard", inv), ErrUnknownTemplate},
		{"no recipient", Request{Template: "invitation", Data: inv}, ErrInvalidData},
		{"malformed recipient", Request{Template: "invitation", To: []string{"not an address"}, Data: inv}, ErrInvalidData},
		{"javascript link", request("invitation", with("link", "javascript:alert(1)")), ErrInvalidData},
		{"relative link", request("invitation", with("link", "/invite/TOKEN")), ErrInvalidData},
		{"malformed expiry", request("invitation", with("expires", "next Tuesday")), ErrInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Render(tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRenderEscapesHostileData(t *testing.T) {
	data := maps.Clone(samples["invitation"])
	data["recipient_name"] = `<script>alert("x")</script>`
	data["inviter"] = `Bob <img src=x onerror=alert(1)>`
	data["workspace"] = "Acme\r\nBcc: victim@example.com"
	m, err := Render(request("invitation", data))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", "<img"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %s unescaped:\n%s", bad, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not show the escaped name:\n%s", m.HTML)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || strings.Contains(m.Text, "\nBcc:") {
		t.Errorf("a newline in data forged a line: subject %q, text:\n%s", m.Subject, m.Text)
	}
}

func TestRenderLocaleFallsBackToEnglish(t *testing.T) {
	for _, loc := range []string{"", "en", "en-GB", "fr_FR", "zz"} {
		req := request("join_request_rejected", samples["join_request_rejected"])
		req.Locale = loc
		m, err := Render(req)
		if err != nil || !strings.Contains(m.Text, "was not approved") {
			t.Errorf("locale %q: err %v, text %q", loc, err, m.Text)
		}
	}
}
