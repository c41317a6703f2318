package saml_test

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

var nameIDText = regexp.MustCompile(`(<saml:NameID[^>]*>)([^<]*)(</saml:NameID>)`)

// editXML parses an answer's XML, lets edit change it and serialises it.
func editXML(t *testing.T, raw string, edit func(doc *etree.Document)) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(raw); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func removeSignatures(el *etree.Element) {
	for _, s := range el.SelectElements("Signature") {
		el.RemoveChild(s)
	}
	for _, c := range el.ChildElements() {
		removeSignatures(c)
	}
}

// Every classic attack on a SAML service provider is refused: the person
// sees a page in plain words, the log says why, and nobody is signed in.
func TestAttacksAreRefused(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, newBox(t))
		_, owner := r.workspace("acme", "acme.example", "auto_join")
		r.workspace("beta", "beta.example", "auto_join")
		p := startIdP(t)
		p.user("mallory", "mallory@acme.example", "Mallory", "Evil")
		c := r.connect("acme", p, false)
		other := r.connect("beta", p, false)

		// start begins a sign-in at connection id in a fresh browser
		// logged in at the IdP as mallory, and returns the IdP's answer.
		start := func(b *browser, id string) answer {
			t.Helper()
			return b.idpAnswer(b.get(r.srv.URL+"/saml/"+id+"/start"), "mallory")
		}
		cases := []struct {
			name string
			// attack returns the answer to deliver, made from a genuine
			// one (a) in browser b.
			attack func(t *testing.T, b *browser, a answer) answer
			page   string
			reason string
		}{
			{name: "signature wrapping: an unsigned evil assertion beside the signed one", attack: func(t *testing.T, b *browser, a answer) answer {
				a.xml = editXML(t, a.xml, func(doc *etree.Document) {
					resp := doc.Root()
					signed := resp.SelectElement("Assertion")
					evil := signed.Copy()
					evil.CreateAttr("ID", "id-evil")
					removeSignatures(evil)
					evil.FindElement(".//NameID").SetText("owner@acme.example")
					resp.InsertChildAt(signed.Index(), evil)
				})
				return a
			}, page: "could not be verified", reason: "cannot validate signature on Response"},
			{name: "signature wrapping: response signature dropped, signed assertion kept beside an evil one", attack: func(t *testing.T, b *browser, a answer) answer {
				a.xml = editXML(t, a.xml, func(doc *etree.Document) {
					resp := doc.Root()
					if sig := resp.SelectElement("Signature"); sig != nil {
						resp.RemoveChild(sig)
					}
					signed := resp.SelectElement("Assertion")
					evil := signed.Copy()
					evil.CreateAttr("ID", "id-evil")
					removeSignatures(evil)
					evil.FindElement(".//NameID").SetText("owner@acme.example")
					resp.InsertChildAt(signed.Index(), evil)
				})
				return a
			}, page: "could not be verified", reason: "exactly one Assertion"},
			{name: "comment inside the NameID", attack: func(t *testing.T, b *browser, a answer) answer {
				a.xml = nameIDText.ReplaceAllString(a.xml, "${1}owner@acme.example<!---->.evil${3}")
				return a
			}, page: "could not be verified", reason: "XML comment"},
			{name: "assertion for another SP's audience", attack: func(t *testing.T, b *browser, a answer) answer {
				// The genuine answer's request state stays in the
				// browser; the answer delivered is one the IdP made for
				// the other workspace's connection.
				forOther := start(newBrowserLoggedIn(t, p), other.ID)
				forOther.acs, forOther.relayState = a.acs, a.relayState
				return forOther
			}, page: "could not be verified", reason: "Destination"},
			{name: "replayed assertion", attack: func(t *testing.T, b *browser, a answer) answer {
				u, _ := url.Parse(r.srv.URL + "/saml/")
				saved := b.jar.Cookies(u)
				expect(t, b.deliver(a), http.StatusOK)
				// The attacker has the state cookie too and posts the
				// captured answer again.
				fresh := newBrowser(t)
				fresh.jar.SetCookies(u, saved)
				*b = *fresh
				return a
			}, page: "already used", reason: "replayed assertion"},
			{name: "expired assertion", attack: func(t *testing.T, b *browser, a answer) answer {
				r.clock.Store(int64(5 * time.Minute))
				return a
			}, page: "expired", reason: "validity window"},
			{name: "unsigned response and assertion", attack: func(t *testing.T, b *browser, a answer) answer {
				a.xml = editXML(t, a.xml, func(doc *etree.Document) { removeSignatures(doc.Root()) })
				return a
			}, page: "could not be verified", reason: "signature element not present"},
			{name: "signed by a certificate not in the metadata", attack: func(t *testing.T, b *browser, a answer) answer {
				// Another IdP at the same URL (same entity ID), with a
				// key of its own.
				evil := p.newServer()
				good := p.handler.Swap(evil)
				defer p.handler.Store(good)
				p.user("mallory", "owner@acme.example", "Mallory", "Evil")
				p.put("/services/"+c.ID, spMetadata(t, r, c.ID))
				fb := newBrowserLoggedIn(t, p)
				forged := start(fb, c.ID)
				*b = *fb
				return forged
			}, page: "could not be verified", reason: "trusted certs"},
			{name: "signed response around an unsigned assertion", attack: func(t *testing.T, b *browser, a answer) answer {
				// Re-signed by the IdP's own key, but only the Response:
				// crewjam/saml would take it; Roster wants the assertion
				// signed.
				a.xml = editXML(t, a.xml, func(doc *etree.Document) {
					resp := doc.Root()
					removeSignatures(resp)
					resp.SelectElement("Assertion").FindElement(".//NameID").SetText("owner@acme.example")
					key := p.server.IDP.Key.(*rsa.PrivateKey)
					sc := dsig.NewDefaultSigningContext(keyPair{key, p.server.IDP.Certificate.Raw})
					sc.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
					sig, err := sc.ConstructSignature(resp, true)
					if err != nil {
						t.Fatal(err)
					}
					resp.InsertChildAt(resp.SelectElement("Issuer").Index()+1, sig)
				})
				return a
			}, page: "could not be verified", reason: "the assertion is not signed"},
			{name: "DTD in the response", attack: func(t *testing.T, b *browser, a answer) answer {
				a.xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "owner@acme.example">]>` + strings.TrimPrefix(a.xml, `<?xml version="1.0" encoding="UTF-8"?>`)
				return a
			}, page: "could not be verified", reason: "DTD"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				defer r.clock.Store(0)
				b := newBrowserLoggedIn(t, p)
				a := start(b, c.ID)
				a = tc.attack(t, b, a)
				before := len(r.log.String())
				page := b.deliver(a)
				expect(t, page, http.StatusForbidden, "Sign-in refused", tc.page)
				if strings.Contains(page.body, "saml:") || strings.Contains(page.body, "Err") {
					t.Fatalf("the refusal page shows internals:\n%s", page.body)
				}
				logged := r.log.String()[before:]
				if !strings.Contains(logged, "saml sign-in refused") || !strings.Contains(logged, tc.reason) {
					t.Fatalf("log lacks the reason %q:\n%s", tc.reason, logged)
				}
				if strings.Contains(logged, "signed in") && !strings.Contains(logged, "refused") {
					t.Fatalf("signed in:\n%s", logged)
				}
			})
		}
		// Nobody became the owner's identity or a new member through the
		// attacks; mallory joined once (the replay case's genuine use).
		list, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list.Members {
			if m.Email != "owner@acme.example" && m.Email != "mallory@acme.example" {
				t.Fatalf("an attack made a member: %+v", m)
			}
		}
		var n int
		db := directorytest.DB(t, d)
		if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM oidc_identities WHERE connection_id = ?`), c.ID); err != nil || n != 1 {
			t.Fatalf("identities through the connection: %d %v (want mallory's only)", n, err)
		}
	})
}

// keyPair is an IdP's signing key for goxmldsig.
type keyPair struct {
	key  *rsa.PrivateKey
	cert []byte
}

func (k keyPair) GetKeyPair() (*rsa.PrivateKey, []byte, error) { return k.key, k.cert, nil }

// newBrowserLoggedIn is a browser with a session at the IdP as mallory.
func newBrowserLoggedIn(t *testing.T, p *idp) *browser {
	b := newBrowser(t)
	b.idpLogin(p, "mallory")
	return b
}

func spMetadata(t *testing.T, r *roster, id string) string {
	t.Helper()
	b := newBrowser(t)
	pg := b.get(r.srv.URL + "/saml/" + id + "/metadata")
	expect(t, pg, http.StatusOK, "EntityDescriptor")
	return pg.body
}
