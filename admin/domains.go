package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) domainRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/domains", handle: a.listDomains},
		{method: "POST", path: "/workspaces/{ws}/domains", handle: a.addDomain},
		{method: "PATCH", path: "/workspaces/{ws}/domains/{id}", handle: a.setDomainPolicy},
		{method: "DELETE", path: "/workspaces/{ws}/domains/{id}", handle: a.removeDomain},
		{method: "POST", path: "/workspaces/{ws}/domains/{id}/verify", handle: a.verifyDomain},
		{method: "POST", path: "/workspaces/{ws}/domains/trust", handle: a.trustDomain},
	}
}

func (a *API) listDomains(c *call) (int, any, error) {
	list, err := a.d.ListDomains(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []directory.Domain{}
	}
	return http.StatusOK, DomainList{Domains: listOf(list, DomainOf)}, nil
}

// addDomain claims a domain; the answer's txt_name and txt_value are the
// DNS record to publish before calling verify.
func (a *API) addDomain(c *call) (int, any, error) {
	name, err := decodeDomain(c)
	if err != nil {
		return 0, nil, err
	}
	dom, err := a.d.AddDomain(c.r.Context(), c.actor, c.ws, name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, DomainOf(dom), nil
}

// trustDomain marks a domain verified without DNS (claiming it first if
// the workspace has not): for the operator key only, as directory's
// TrustDomain decides; workspace keys get 403.
func (a *API) trustDomain(c *call) (int, any, error) {
	name, err := decodeDomain(c)
	if err != nil {
		return 0, nil, err
	}
	dom, err := a.d.TrustDomain(c.r.Context(), c.actor, c.ws, name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, DomainOf(dom), nil
}

// decodeDomain reads the {"domain": …} body of add and trust.
func decodeDomain(c *call) (string, error) {
	var b domainBody
	if err := c.decode(&b); err != nil {
		return "", err
	}
	var req required
	req.string("domain", b.Domain)
	req.check(len(b.Domain) <= 253, "domain", "must be at most 253 characters")
	return b.Domain, req.err()
}

func (a *API) verifyDomain(c *call) (int, any, error) {
	dom, err := a.d.VerifyDomain(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, DomainOf(dom), nil
}

func (a *API) setDomainPolicy(c *call) (int, any, error) {
	var b domainPolicyBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.Policy == "" || b.Policy == directory.DomainAutoJoin || b.Policy == directory.DomainRequest, "policy", "must be auto_join or request")
	req.check(b.Policy != "" || b.DefaultRole != "", "", "send policy, default_role or both")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	dom, err := a.d.SetDomainPolicy(c.r.Context(), c.actor, c.ws, c.path("id"), b.Policy, b.DefaultRole)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, DomainOf(dom), nil
}

func (a *API) removeDomain(c *call) (int, any, error) {
	if err := a.d.RemoveDomain(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
