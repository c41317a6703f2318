package admin_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/url"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/saml"
)

// idpMetadata is the metadata of a real crewjam/saml IdentityProvider at
// base, signing with a fresh key.
func idpMetadata(t testing.TB, base string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: base}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	md, _ := url.Parse(base + "/metadata")
	sso, _ := url.Parse(base + "/sso")
	idp := crewjam.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *md, SSOURL: *sso}
	b, err := xml.Marshal(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) samlConnection() string {
	conn, err := saml.CreateConnection(context.Background(), f.e.d, nil, directory.Operator(), f.tn.ws.ID, directory.SAMLConnectionRequest{
		MetadataXML: idpMetadata(f.e.t, fmt.Sprintf("https://fixture%d.acme.example", f.next()))})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return conn.ID
}

// Bad metadata is a 422 naming the field, in words; a metadata URL on a
// private address is refused by the guarded client, not fetched.
func TestSAMLConnectionErrors(t *testing.T) {
	runWithDNS(t, func(t *testing.T, e *env, _ *dns) {
		tn := e.newTenant("acme")
		path := "/api/v1/workspaces/acme/saml-connections"
		for _, tc := range []struct {
			body    map[string]any
			pointer string
		}{
			{map[string]any{}, "#/metadata_url"},
			{map[string]any{"metadata_xml": "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://sp.example\"><SPSSODescriptor/></EntityDescriptor>"}, "#/metadata_xml"},
			{map[string]any{"metadata_xml": `<!DOCTYPE x [<!ENTITY a "b">]><x/>`}, "#/metadata_xml"},
			{map[string]any{"metadata_url": "https://127.0.0.1/metadata"}, "#/metadata_url"},
		} {
			res := e.send("POST", path, tn.keys["owner"], tc.body)
			var p struct {
				Errors []struct {
					Pointer string `json:"pointer"`
					Detail  string `json:"detail"`
				} `json:"errors"`
			}
			res.decode(t, &p)
			if res.status != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Detail == "" {
				t.Errorf("%v: %d %s", tc.body, res.status, res.body)
			}
		}
		res := e.send("POST", path, tn.keys["owner"], map[string]any{"metadata_xml": idpMetadata(t, "https://idp.acme.example")})
		var c struct {
			EntityID string `json:"idp_entity_id"`
			ACS      string `json:"acs_url"`
			SP       string `json:"sp_entity_id"`
		}
		res.decode(t, &c)
		if res.status != 201 || c.EntityID != "https://idp.acme.example/metadata" || c.ACS == "" || c.SP == "" {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		if res := e.send("POST", path, tn.keys["owner"], map[string]any{"metadata_xml": idpMetadata(t, "https://idp.acme.example")}); res.status != 409 {
			t.Errorf("same IdP twice: %d %s", res.status, res.body)
		}
	})
}
