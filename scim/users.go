package scim

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// listQuery reads filter, sortBy, sortOrder, startIndex and count.
func listQuery(rt *resourceType, q url.Values) (directory.SCIMQuery, error) {
	var out directory.SCIMQuery
	if raw := strings.TrimSpace(q.Get("filter")); raw != "" {
		f, err := parseFilter(raw)
		if err == nil {
			f, err = resolveFilter(rt, f)
		}
		if err == nil {
			out.Filter, err = compileFilter(rt, f)
		}
		if err != nil {
			return out, errorf(http.StatusBadRequest, "invalidFilter", "filter %q: %v", raw, err)
		}
	}
	if s := strings.TrimSpace(q.Get("sortBy")); s != "" {
		// An attribute that cannot be sorted on leaves the default
		// order (sortKey).
		if ap, err := splitAttrPath(s); err == nil {
			if r, ok := rt.resolve(ap); ok {
				if key, ok := sortKey(rt, r.canonical()); ok {
					key.Descending = strings.EqualFold(strings.TrimSpace(q.Get("sortOrder")), "descending")
					out.Sort = key
				}
			}
		}
	}
	start, count, err := pageParams(q)
	if err != nil {
		return out, err
	}
	out.StartIndex, out.Count = start, count
	return out, nil
}

// searchValues turns a POST .search body (RFC 7644 3.4.3) into query
// parameters, so a search is a list.
func searchValues(body map[string]any) url.Values {
	q := url.Values{}
	for _, k := range []string{"filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes"} {
		v, ok := lookupFold(body, k)
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case []any:
			var parts []string
			for _, e := range x {
				parts = append(parts, fmt.Sprint(e))
			}
			q.Set(k, strings.Join(parts, ","))
		default:
			q.Set(k, fmt.Sprint(x))
		}
	}
	return q
}

// listUsers reads a page of users and renders it.
func (h *Handler) listUsers(r *request, query directory.SCIMQuery, proj projection) (int, []any, error) {
	page, err := h.dir.SCIMListUsers(r.Context(), r.conn, query)
	if err != nil {
		return 0, nil, err
	}
	items, err := h.renderUsers(r, page.Users, proj)
	return page.Total, items, err
}

// renderUsers renders and projects users; their groups are read (one
// query) only when asked for.
func (h *Handler) renderUsers(r *request, users []directory.SCIMUser, proj projection) ([]any, error) {
	var groups map[string][]directory.SCIMMemberRef
	if proj.requested("groups") && len(users) > 0 {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = u.ID
		}
		var err error
		if groups, err = h.dir.SCIMUserGroups(r.Context(), r.conn, ids); err != nil {
			return nil, err
		}
	}
	items := make([]any, 0, len(users))
	for _, u := range users {
		doc, err := h.userDoc(u)
		if err != nil {
			return nil, err
		}
		if groups != nil {
			var gs []any
			for _, g := range groups[u.ID] {
				gs = append(gs, map[string]any{"value": g.Value, "display": g.Display, "type": "direct", "$ref": h.base + "/Groups/" + url.PathEscape(g.Value)})
			}
			if gs != nil {
				doc["groups"] = gs
			}
		}
		items = append(items, proj.apply(doc))
	}
	return items, nil
}

// writeUser answers with one user: its ETag, and the projection the
// request asked for.
func (h *Handler) writeUser(w http.ResponseWriter, r *request, status int, u directory.SCIMUser) error {
	items, err := h.renderUsers(r, []directory.SCIMUser{u}, parseProjection(userType, r.URL.Query()))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(u.Version))
	if status == http.StatusCreated {
		r.outcome = createdOutcome(u)
		w.Header().Set("Location", h.base+"/Users/"+url.PathEscape(u.ID))
	}
	writeJSON(w, status, items[0])
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *request, id string) error {
	u, err := h.dir.SCIMGetUser(r.Context(), r.conn, id)
	if err != nil {
		return err
	}
	r.did = "read user " + u.UserName
	if noneMatch(r.Request, u.Version) {
		w.Header().Set("ETag", etag(u.Version))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return h.writeUser(w, r, http.StatusOK, u)
}

func (h *Handler) createUser(w http.ResponseWriter, r *request) error {
	body, err := readJSON(r.Request)
	if err != nil {
		return err
	}
	doc, err := decodeResource(userType, body, r.q)
	if err != nil {
		return err
	}
	in, err := userInput(doc, nil)
	if err != nil {
		return err
	}
	u, did, err := h.dir.SCIMCreateUser(r.Context(), r.conn, in)
	r.did = did
	if err != nil {
		return err
	}
	return h.writeUser(w, r, http.StatusCreated, u)
}

func (h *Handler) replaceUser(w http.ResponseWriter, r *request, id string) error {
	body, err := readJSON(r.Request)
	if err != nil {
		return err
	}
	doc, err := decodeResource(userType, body, r.q)
	if err != nil {
		return err
	}
	var wasSuspended bool
	u, did, err := h.dir.SCIMUpdateUser(r.Context(), r.conn, id, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
		if err := ifMatch(r.Request, cur.Version); err != nil {
			return directory.SCIMUserInput{}, err
		}
		wasSuspended = cur.Status == directory.StatusSuspended
		// A PUT without active leaves it as it is: an IdP that does not
		// manage it must not suspend or reactivate anyone.
		return userInput(doc, &cur.Active)
	})
	r.did = did
	if err != nil {
		return err
	}
	r.outcome = updatedOutcome(wasSuspended, u)
	return h.writeUser(w, r, http.StatusOK, u)
}

func (h *Handler) patchUser(w http.ResponseWriter, r *request, id string) error {
	raw, err := readPatch(r.Request)
	if err != nil {
		return err
	}
	q := r.q.recognizePatch(r.conn.Profile, raw)
	ops, err := normalizePatch(userType, raw, id, q)
	if err != nil {
		return err
	}
	var wasSuspended bool
	u, did, err := h.dir.SCIMUpdateUser(r.Context(), r.conn, id, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
		if err := ifMatch(r.Request, cur.Version); err != nil {
			return directory.SCIMUserInput{}, err
		}
		wasSuspended = cur.Status == directory.StatusSuspended
		doc, err := userState(cur)
		if err != nil {
			return directory.SCIMUserInput{}, err
		}
		if err := applyPatch(doc, ops); err != nil {
			return directory.SCIMUserInput{}, err
		}
		// Removing active (or replacing it with null) unassigns it, which
		// must never provision anyone: the person stays as they are.
		return userInput(doc, &cur.Active)
	})
	r.did = did
	if err != nil {
		return err
	}
	r.outcome = updatedOutcome(wasSuspended, u)
	if q.userPatchNoContent && r.URL.Query().Get("attributes") == "" {
		w.Header().Set("ETag", etag(u.Version))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return h.writeUser(w, r, http.StatusOK, u)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *request, id string) error {
	did, err := h.dir.SCIMDeleteUser(r.Context(), r.conn, id, func(cur directory.SCIMUser) error {
		return ifMatch(r.Request, cur.Version)
	})
	r.did = did
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ifMatch enforces If-Match (RFC 7644 3.14): the request applies only if
// one of the listed tags (or *) is the resource's current one.
func ifMatch(r *http.Request, version int) error {
	h := r.Header.Get("If-Match")
	if h == "" || tagListMatches(h, version) {
		return nil
	}
	return directory.ErrPrecondition
}

// noneMatch reports whether If-None-Match names the current version (a
// GET then answers 304).
func noneMatch(r *http.Request, version int) bool {
	h := r.Header.Get("If-None-Match")
	return h != "" && tagListMatches(h, version)
}

// tagListMatches compares a list of entity tags with a version, weakly
// (W/"3" and "3" are the same tag).
func tagListMatches(list string, version int) bool {
	want := fmt.Sprintf("%d", version)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == want {
			return true
		}
	}
	return false
}
