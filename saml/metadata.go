package saml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/rosterhq/roster/directory"
)

// maxMetadataBytes caps pasted and fetched metadata (the fetch client caps
// any response at 1 MiB as well).
const maxMetadataBytes = 512 << 10

// ParseMetadata reads an IdP's metadata and checks that Roster can use it:
// no DTD or comment, one IdP entity with an entity ID, a signing
// certificate and an HTTP-Redirect sign-on endpoint.
func ParseMetadata(raw []byte) (*crewjam.EntityDescriptor, error) {
	if len(raw) > maxMetadataBytes {
		return nil, fmt.Errorf("the metadata is larger than %d KiB", maxMetadataBytes>>10)
	}
	if err := plainXML(raw); err != nil {
		return nil, fmt.Errorf("the metadata cannot be used: %w", errors.New(strings.Replace(err.Error(), "response", "metadata", 1)))
	}
	ed, err := samlsp.ParseMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("the metadata cannot be read: %w", err)
	}
	if strings.TrimSpace(ed.EntityID) == "" {
		return nil, errors.New("the metadata names no identity provider (no entityID)")
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, errors.New("the metadata describes no identity provider (no IDPSSODescriptor): is it the IdP's metadata, not an SP's?")
	}
	signing := false
	redirect := false
	for _, d := range ed.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if (k.Use == "" || k.Use == "signing") && len(k.KeyInfo.X509Data.X509Certificates) > 0 {
				signing = true
			}
		}
		for _, s := range d.SingleSignOnServices {
			if s.Binding == crewjam.HTTPRedirectBinding && s.Location != "" {
				redirect = true
			}
		}
	}
	if !signing {
		return nil, errors.New("the metadata holds no signing certificate, so no answer of this identity provider could be verified")
	}
	if !redirect {
		return nil, errors.New("the metadata has no HTTP-Redirect SingleSignOnService, which Roster sends sign-in requests to")
	}
	return ed, nil
}

// Metadata is an IdP's metadata as read for a connection.
type Metadata struct {
	EntityID string
	XML      string
}

// ReadMetadata reads the metadata of a new connection: fetched from
// metadataURL with client (the guarded client of Handler.Fetcher or
// oidc.NewFetchClient) when it is given, else the pasted metadataXML.
func ReadMetadata(ctx context.Context, client *http.Client, metadataURL, metadataXML string) (Metadata, error) {
	raw := []byte(metadataXML)
	if strings.TrimSpace(metadataURL) != "" {
		var err error
		if raw, err = fetchMetadata(ctx, client, strings.TrimSpace(metadataURL)); err != nil {
			return Metadata{}, err
		}
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return Metadata{}, errors.New("give the identity provider's metadata URL or its metadata XML")
	}
	ed, err := ParseMetadata(raw)
	if err != nil {
		return Metadata{}, err
	}
	return Metadata{EntityID: strings.TrimSpace(ed.EntityID), XML: string(raw)}, nil
}

func fetchMetadata(ctx context.Context, client *http.Client, metadataURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return nil, fmt.Errorf("metadata URL %q: %w", metadataURL, err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch metadata: the identity provider answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch metadata: %w", err)
	}
	if len(b) > maxMetadataBytes {
		return nil, fmt.Errorf("fetch metadata: larger than %d KiB", maxMetadataBytes>>10)
	}
	return b, nil
}

// RefreshMetadata fetches again the metadata of connections created from a
// URL whose last fetch is older than the refresh interval, so a rotated
// IdP signing certificate is picked up before the old one is retired. A
// failure keeps the last good metadata and is recorded on the connection.
// It returns how many connections it looked at.
func (h *Handler) RefreshMetadata(ctx context.Context) (int, error) {
	due, err := h.dir.SAMLConnectionsToRefresh(ctx, h.now().Add(-h.refresh), 50)
	if err != nil {
		return 0, err
	}
	for _, c := range due {
		md, err := ReadMetadata(ctx, h.fetch, c.MetadataURL, "")
		if err != nil {
			h.log.Warn("saml metadata refresh failed", "connection", c.ID, "url", c.MetadataURL, "err", err)
		}
		if err := h.dir.RecordSAMLMetadata(ctx, c.ID, md.EntityID, md.XML, err); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// RunRefresher refreshes metadata every interval until ctx ends. Every
// replica may run it: a refresh is idempotent.
func (h *Handler) RunRefresher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := h.RefreshMetadata(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("saml metadata refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CreateConnection reads the metadata of req (fetching its URL with the
// guarded client) and creates the connection: what the admin API and the
// CLI call.
func CreateConnection(ctx context.Context, dir *directory.Directory, client *http.Client, actor directory.Actor, workspace string, req directory.SAMLConnectionRequest) (directory.SAMLConnection, error) {
	// Only someone who may manage the workspace's connections makes the
	// server fetch a URL: the permission is checked before the fetch.
	if _, err := dir.ListSAMLConnections(ctx, actor, workspace); err != nil {
		return directory.SAMLConnection{}, err
	}
	md, err := ReadMetadata(ctx, client, req.MetadataURL, req.MetadataXML)
	if err != nil {
		field := "metadata_xml"
		if strings.TrimSpace(req.MetadataURL) != "" {
			field = "metadata_url"
		}
		return directory.SAMLConnection{}, &directory.FieldError{Invitee: -1, Field: field, Detail: err.Error()}
	}
	req.EntityID, req.MetadataXML = md.EntityID, md.XML
	return dir.CreateSAMLConnection(ctx, actor, workspace, req)
}

// SPMetadataURL is Roster's SP metadata URL (and entity ID) of connection
// id, to give to the IdP.
func SPMetadataURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/saml/" + url.PathEscape(id) + "/metadata"
}

// ACSURL is the assertion consumer service URL of connection id.
func ACSURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/saml/" + url.PathEscape(id) + "/acs"
}
