package admin

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/saml"
)

func (a *API) samlRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/saml-connections", handle: a.listSAMLConnections},
		{method: "POST", path: "/workspaces/{ws}/saml-connections", handle: a.createSAMLConnection},
		{method: "DELETE", path: "/workspaces/{ws}/saml-connections/{id}", handle: a.deleteSAMLConnection},
	}
}

// SAMLConnection is a SAML connection on the wire: the IdP's entity ID and
// where its metadata comes from, and the two URLs to give the IdP. The
// metadata itself is not repeated.
type SAMLConnection struct {
	ID                string     `json:"id"`
	WorkspaceID       string     `json:"workspace_id"`
	Workspace         string     `json:"workspace"`
	Name              string     `json:"name"`
	EntityID          string     `json:"idp_entity_id"`
	MetadataURL       string     `json:"metadata_url,omitempty"`
	MetadataFetchedAt *time.Time `json:"metadata_fetched_at,omitempty"`
	MetadataError     string     `json:"metadata_error,omitempty"`
	EmailAttribute    string     `json:"email_attribute,omitempty"`
	AllowIdPInitiated bool       `json:"allow_idp_initiated"`
	Domains           []string   `json:"domains"`
	SPEntityID        string     `json:"sp_entity_id"`
	ACSURL            string     `json:"acs_url"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// SAMLConnectionList is the answer of GET /saml-connections.
type SAMLConnectionList struct {
	SAMLConnections []SAMLConnection `json:"saml_connections"`
}

type samlConnectionBody struct {
	Name              string   `json:"name"`
	MetadataURL       string   `json:"metadata_url"`
	MetadataXML       string   `json:"metadata_xml"`
	EmailAttribute    string   `json:"email_attribute"`
	AllowIdPInitiated bool     `json:"allow_idp_initiated"`
	Domains           []string `json:"domains"`
}

func (a *API) samlJSON(c directory.SAMLConnection) SAMLConnection {
	return SAMLConnectionOf(c, a.d.BaseURL())
}

// SAMLConnectionOf is c on the wire, with the SP URLs under baseURL.
func SAMLConnectionOf(c directory.SAMLConnection, base string) SAMLConnection {
	return SAMLConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, Workspace: c.Workspace, Name: c.Name, EntityID: c.EntityID, MetadataURL: c.MetadataURL,
		MetadataFetchedAt: c.MetadataFetchedAt, MetadataError: c.MetadataError, EmailAttribute: c.EmailAttribute, AllowIdPInitiated: c.AllowIdPInitiated,
		Domains: c.Domains, SPEntityID: saml.SPMetadataURL(base, c.ID), ACSURL: saml.ACSURL(base, c.ID), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (a *API) listSAMLConnections(c *call) (int, any, error) {
	list, err := a.d.ListSAMLConnections(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	out := SAMLConnectionList{SAMLConnections: []SAMLConnection{}}
	for _, conn := range list {
		out.SAMLConnections = append(out.SAMLConnections, a.samlJSON(conn))
	}
	return http.StatusOK, out, nil
}

func (a *API) createSAMLConnection(c *call) (int, any, error) {
	var b samlConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.MetadataURL != "" || b.MetadataXML != "", "metadata_url", "give the identity provider's metadata_url or its metadata_xml")
	req.check(b.MetadataURL == "" || b.MetadataXML == "", "metadata_xml", "give metadata_url or metadata_xml, not both")
	req.check(len(b.Domains) <= 100, "domains", "at most 100 domains")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	conn, err := saml.CreateConnection(c.r.Context(), a.d, a.samlFetch, c.actor, c.ws, directory.SAMLConnectionRequest{Name: b.Name, MetadataURL: b.MetadataURL,
		MetadataXML: b.MetadataXML, EmailAttribute: b.EmailAttribute, AllowIdPInitiated: b.AllowIdPInitiated, Domains: b.Domains})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.samlJSON(conn), nil
}

func (a *API) deleteSAMLConnection(c *call) (int, any, error) {
	if err := a.d.DeleteSAMLConnection(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
