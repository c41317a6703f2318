package email

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
)

// Message is a rendered email, ready for a Transport.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
	// MessageID is the Message-ID header without its angle brackets
	// ("outbox-42.roster@roster.example"). The outbox sets one per
	// outbox row, so a message sent twice (a sender died after sending,
	// before recording it) carries the same id both times and receivers
	// can drop the second; empty lets the transport make one up.
	MessageID string
}

// Request is an email as the outbox stores it: which template, to whom, in
// which locale, with which data. Data is flat so the outbox row stays plain JSON.
type Request struct {
	Template string            `json:"template"`
	To       []string          `json:"to"`
	Locale   string            `json:"locale"`
	Data     map[string]string `json:"data"`
}

// ErrUnknownTemplate is returned by Render for a template name it does not know,
// so an outbox worker can drop the row instead of retrying it forever.
var ErrUnknownTemplate = errors.New("unknown email template")

// ErrInvalidData is returned by Render when a required data key is missing or a
// value is malformed; like ErrUnknownTemplate, retrying will not help.
var ErrInvalidData = errors.New("invalid email data")

// keys lists the data keys each template accepts. Only these keys reach the
// templates, which execute with missingkey=error, so a template that uses an
// undeclared key fails in tests rather than rendering "<no value>".
type keys struct {
	required []string
	optional []string
}

var catalog = map[string]keys{
	"invitation":            {required: []string{"workspace", "inviter", "role", "link", "expires"}, optional: []string{"recipient_name", "teams"}},
	"invitation_resend":     {required: []string{"workspace", "inviter", "role", "link", "expires"}, optional: []string{"recipient_name", "teams"}},
	"join_request_filed":    {required: []string{"workspace", "requester_email", "via", "review_link"}, optional: []string{"requester_name"}},
	"join_request_accepted": {required: []string{"workspace", "role", "link"}},
	"join_request_rejected": {required: []string{"workspace"}},
	"seat_limit_reached":    {required: []string{"workspace", "seat_limit", "attempted_email", "source", "link"}},
	"suspended":             {required: []string{"workspace"}, optional: []string{"recipient_name"}},
	"member_joined":         {required: []string{"workspace", "member_email", "via"}},
}

// Keys holding URLs must be absolute http(s): html/template would otherwise
// silently replace a javascript: link with "#ZgotmplZ" and mail a dead button.
var urlKeys = []string{"link", "review_link"}

// Keys holding instants arrive as RFC 3339 and are shown in words.
var timeKeys = []string{"expires"}

// Keys holding lists arrive as a JSON array of strings (Data stays flat)
// and reach the templates as a list of one-line values, absent or empty
// as an empty list: the teams an invitation adds the person to.
var listKeys = []string{"teams"}

const defaultLocale = "en"

//go:embed templates/*
var templateFS embed.FS

// set is one template in one locale. Both halves hold the "subject"
// definition so the HTML <title> matches the Subject header.
type set struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// sets maps locale → template name → parsed templates. Parsing at start-up
// turns a broken template into a failed test, never a failed send.
var sets = mustParse()

func mustParse() map[string]map[string]set {
	locales, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	out := make(map[string]map[string]set)
	for _, l := range locales {
		dir := "templates/" + l.Name() + "/"
		byName := make(map[string]set)
		for name := range catalog {
			txt := dir + name + ".txt"
			text := texttemplate.Must(texttemplate.New(name).Option("missingkey=error").Funcs(funcs).
				ParseFS(templateFS, dir+"layout.txt", txt))
			html := htmltemplate.Must(htmltemplate.New(name).Option("missingkey=error").Funcs(funcs).
				ParseFS(templateFS, dir+"layout.html", txt, dir+name+".html"))
			byName[name] = set{text: text, html: html}
		}
		out[l.Name()] = byName
	}
	return out
}

// button is what the "button" template needs: html/template escapes URL for
// the href context wherever the template is called from.
type button struct{ Label, URL string }

var funcs = map[string]any{
	"button": func(label, url string) button { return button{Label: label, URL: url} },
	"date":   formatDate,
}

// formatDate shows an RFC 3339 instant in UTC: we do not know the reader's
// time zone, and an explicit "UTC" is better than a silently wrong local time.
func formatDate(s string) (string, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", err
	}
	return t.UTC().Format("January 2, 2006 at 15:04 UTC"), nil
}

// Render turns a Request into a Message. It fails, without a partial result,
// on an unknown template, no or malformed recipients, or a missing or
// malformed data key; the error wraps ErrUnknownTemplate or ErrInvalidData.
// Locales without their own templates fall back to English.
func Render(req Request) (Message, error) {
	spec, ok := catalog[req.Template]
	if !ok {
		return Message{}, fmt.Errorf("render email %q: %w", req.Template, ErrUnknownTemplate)
	}
	fail := func(format string, args ...any) (Message, error) {
		return Message{}, fmt.Errorf("render email %q: %w: %s", req.Template, ErrInvalidData, fmt.Sprintf(format, args...))
	}
	if len(req.To) == 0 {
		return fail("no recipient")
	}
	for _, to := range req.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fail("recipient %q: %v", to, err)
		}
	}
	data, missing := make(map[string]any), []string(nil)
	for _, k := range spec.required {
		v := singleLine(req.Data[k])
		if v == "" {
			missing = append(missing, k)
		}
		data[k] = v
	}
	if len(missing) > 0 {
		return fail("missing %s", strings.Join(missing, ", "))
	}
	for _, k := range spec.optional {
		data[k] = singleLine(req.Data[k]) // "" renders as absent
	}
	for _, k := range urlKeys {
		if v, ok := data[k].(string); ok && v != "" && !isWebURL(v) {
			return fail("%s is not an absolute http(s) URL", k)
		}
	}
	for _, k := range listKeys {
		if _, ok := data[k]; !ok {
			continue
		}
		list, err := listValue(req.Data[k])
		if err != nil {
			return fail("%s is not a JSON array of strings: %v", k, err)
		}
		data[k] = list
	}
	for _, k := range timeKeys {
		if v, ok := data[k].(string); ok && v != "" {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return fail("%s is not an RFC 3339 time", k)
			}
		}
	}

	s := sets[locale(req.Locale)][req.Template]
	var subject, text, html bytes.Buffer
	if err := s.text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return Message{}, fmt.Errorf("render email %q subject: %w", req.Template, err)
	}
	if err := s.text.ExecuteTemplate(&text, "layout", data); err != nil {
		return Message{}, fmt.Errorf("render email %q text: %w", req.Template, err)
	}
	if err := s.html.ExecuteTemplate(&html, "layout", data); err != nil {
		return Message{}, fmt.Errorf("render email %q html: %w", req.Template, err)
	}
	return Message{
		To:      slices.Clone(req.To),
		Subject: strings.Join(strings.Fields(subject.String()), " "),
		Text:    strings.TrimSpace(text.String()) + "\n",
		HTML:    html.String(),
	}, nil
}

// locale picks the template set for a BCP 47 tag such as "en-GB" by its
// language, falling back to English so a user's locale never blocks a mail.
func locale(tag string) string {
	lang, _, _ := strings.Cut(strings.ToLower(tag), "-")
	lang, _, _ = strings.Cut(lang, "_")
	if _, ok := sets[lang]; ok {
		return lang
	}
	return defaultLocale
}

// singleLine trims v and turns control characters into spaces: every value is
// a one-line field, and a newline in a display name must not forge lines in
// the text body or the subject.
func singleLine(v string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v))
}

// listValue decodes a list key: a JSON array of strings, each made one
// line; blank items are dropped, and "" is the empty list.
func listValue(raw string) ([]string, error) {
	out := []string{}
	if strings.TrimSpace(raw) == "" {
		return out, nil
	}
	var items []string
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return nil, err
	}
	for _, it := range items {
		if v := singleLine(it); v != "" {
			out = append(out, v)
		}
	}
	return out, nil
}

func isWebURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
