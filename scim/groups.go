package scim

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// listGroups reads a page of groups (with their members when the
// projection wants them) and renders it.
func (h *Handler) listGroups(r *request, query directory.SCIMQuery, proj projection) (int, []any, error) {
	page, err := h.dir.SCIMListGroups(r.Context(), r.conn, query, proj.wants("members"))
	if err != nil {
		return 0, nil, err
	}
	items := make([]any, len(page.Groups))
	for i, g := range page.Groups {
		items[i] = proj.apply(h.groupDoc(g))
	}
	return page.Total, items, nil
}

// writeGroup answers with one group and its ETag.
func (h *Handler) writeGroup(w http.ResponseWriter, r *request, status int, g directory.SCIMGroup) {
	w.Header().Set("ETag", etag(g.Version))
	if status == http.StatusCreated {
		w.Header().Set("Location", h.base+"/Groups/"+url.PathEscape(g.ID))
	}
	writeJSON(w, status, parseProjection(groupType, r.URL.Query()).apply(h.groupDoc(g)))
}

func (h *Handler) getGroup(w http.ResponseWriter, r *request, id string) error {
	proj := parseProjection(groupType, r.URL.Query())
	g, err := h.dir.SCIMGetGroup(r.Context(), r.conn, id, proj.wants("members"))
	if err != nil {
		return err
	}
	r.did = "read group " + g.DisplayName
	if noneMatch(r.Request, g.Version) {
		w.Header().Set("ETag", etag(g.Version))
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// groupBody decodes a POST or PUT body: displayName (required),
// externalId and the members.
func groupBody(r *request) (name string, externalID *string, members []directory.SCIMMemberRef, err error) {
	body, err := readJSON(r.Request)
	if err != nil {
		return "", nil, nil, err
	}
	doc, err := decodeResource(groupType, body, r.q)
	if err != nil {
		return "", nil, nil, err
	}
	name, _ = doc["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return "", nil, nil, errorfValue("displayName is required")
	}
	if s, ok := stringValue(doc["externalId"]); ok {
		externalID = &s
	}
	members = memberRefs(doc["members"])
	return name, externalID, members, nil
}

// memberRefs reads the user ids (and displays) of a members value.
func memberRefs(v any) []directory.SCIMMemberRef {
	list, _ := v.([]any)
	refs := make([]directory.SCIMMemberRef, 0, len(list))
	for _, x := range list {
		if el, ok := x.(map[string]any); ok {
			if s, ok := stringValue(el["value"]); ok && s != "" {
				d, _ := el["display"].(string)
				refs = append(refs, directory.SCIMMemberRef{Value: s, Display: d})
			}
		}
	}
	return refs
}

func (h *Handler) createGroup(w http.ResponseWriter, r *request) error {
	name, ext, members, err := groupBody(r)
	if err != nil {
		return err
	}
	g, did, err := h.dir.SCIMCreateGroup(r.Context(), r.conn, directory.SCIMGroupInput{DisplayName: name, ExternalID: ext, Members: members})
	r.did = did
	if err != nil {
		return err
	}
	if g, err = h.dir.SCIMGetGroup(r.Context(), r.conn, g.ID, true); err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusCreated, g)
	return nil
}

func (h *Handler) replaceGroup(w http.ResponseWriter, r *request, id string) error {
	name, ext, members, err := groupBody(r)
	if err != nil {
		return err
	}
	_, did, err := h.dir.SCIMUpdateGroup(r.Context(), r.conn, id, func(cur directory.SCIMGroup) (directory.SCIMGroupChange, error) {
		if err := ifMatch(r.Request, cur.Version); err != nil {
			return directory.SCIMGroupChange{}, err
		}
		return directory.SCIMGroupChange{DisplayName: &name, SetExternalID: true, ExternalID: ext,
			Members: []directory.SCIMMemberOp{{Op: "set", Members: members}}}, nil
	})
	r.did = did
	if err != nil {
		return err
	}
	proj := parseProjection(groupType, r.URL.Query())
	g, err := h.dir.SCIMGetGroup(r.Context(), r.conn, id, proj.wants("members"))
	if err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// patchGroup applies a PATCH. Member operations become directory member
// operations naming only the members concerned; the answer is 204, since
// a group's representation grows with its members (unless the request
// asks for attributes, RFC 7644 3.5.2).
func (h *Handler) patchGroup(w http.ResponseWriter, r *request, id string) error {
	raw, err := readPatch(r.Request)
	if err != nil {
		return err
	}
	q := r.q.recognizePatch(r.conn.Profile, raw)
	ops, err := normalizePatch(groupType, raw, id, q)
	if err != nil {
		return err
	}
	var attrOps []patchOp
	var memberOps []directory.SCIMMemberOp
	for _, p := range ops {
		if p.target.ext != nil || p.target.top.name != "members" {
			attrOps = append(attrOps, p)
			continue
		}
		mop, err := memberOp(p)
		if err != nil {
			return err
		}
		if mop != nil {
			memberOps = append(memberOps, *mop)
		}
	}
	g, did, err := h.dir.SCIMUpdateGroup(r.Context(), r.conn, id, func(cur directory.SCIMGroup) (directory.SCIMGroupChange, error) {
		if err := ifMatch(r.Request, cur.Version); err != nil {
			return directory.SCIMGroupChange{}, err
		}
		ch := directory.SCIMGroupChange{Members: memberOps}
		if len(attrOps) == 0 {
			return ch, nil
		}
		doc := map[string]any{"displayName": cur.DisplayName}
		if cur.ExternalID != nil {
			doc["externalId"] = *cur.ExternalID
		}
		if err := applyPatch(doc, attrOps); err != nil {
			return ch, err
		}
		name, _ := doc["displayName"].(string)
		if strings.TrimSpace(name) == "" {
			return ch, errorfValue("displayName is required")
		}
		ch.DisplayName = &name
		ch.SetExternalID = true
		if s, ok := stringValue(doc["externalId"]); ok {
			ch.ExternalID = &s
		}
		return ch, nil
	})
	r.did = did
	if err != nil {
		return err
	}
	if r.URL.Query().Get("attributes") == "" {
		// 204, with the ETag of the new version as a user PATCH has.
		w.Header().Set("ETag", etag(g.Version))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	proj := parseProjection(groupType, r.URL.Query())
	g, err = h.dir.SCIMGetGroup(r.Context(), r.conn, id, proj.wants("members"))
	if err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// memberOp turns a normalised operation on members into a member
// operation: add the listed users; remove those a value filter or a value
// list names (Entra's remove-with-value), or everyone when neither is
// given; replace sets the list. Operations on a member's display or type
// change nothing (nil): Roster derives them.
func memberOp(p patchOp) (*directory.SCIMMemberOp, error) {
	if p.target.sub != nil {
		// members.value: the value is the ids themselves.
		if p.target.sub.name != "value" {
			return nil, nil
		}
		refs := idRefs(p.value)
		op := map[string]string{"add": "add", "remove": "remove", "replace": "set"}[p.op]
		if p.op == "remove" && !p.hasValue {
			op, refs = "set", nil
		}
		return &directory.SCIMMemberOp{Op: op, Members: refs}, nil
	}
	if p.filter != nil {
		if p.filterSub != nil && p.filterSub.name != "value" {
			return nil, nil
		}
		refs, ok := filterRefs(p.filter)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", `members filters must be value eq "id" (or several joined by or)`)
		}
		switch p.op {
		case "remove":
			return &directory.SCIMMemberOp{Op: "remove", Members: refs}, nil
		case "add":
			return &directory.SCIMMemberOp{Op: "add", Members: memberRefs([]any{p.value})}, nil
		}
		// replace members[value eq "a"] with another member: a swap.
		return nil, errorf(http.StatusBadRequest, "invalidPath", "replace of a filtered member is not supported; remove and add instead")
	}
	switch p.op {
	case "add":
		return &directory.SCIMMemberOp{Op: "add", Members: memberRefs(p.value)}, nil
	case "replace":
		return &directory.SCIMMemberOp{Op: "set", Members: memberRefs(p.value)}, nil
	}
	if p.hasValue {
		return &directory.SCIMMemberOp{Op: "remove", Members: memberRefs(p.value)}, nil
	}
	return &directory.SCIMMemberOp{Op: "set"}, nil
}

// idRefs reads a string or a list of strings as member ids.
func idRefs(v any) []directory.SCIMMemberRef {
	if s, ok := stringValue(v); ok {
		return []directory.SCIMMemberRef{{Value: s}}
	}
	var out []directory.SCIMMemberRef
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := stringValue(x); ok {
			out = append(out, directory.SCIMMemberRef{Value: s})
		}
	}
	return out
}

// filterRefs reads the ids of value eq "a" or value eq "b".
func filterRefs(f *filter) ([]directory.SCIMMemberRef, bool) {
	switch f.Op {
	case "or":
		l, ok1 := filterRefs(f.Left)
		r, ok2 := filterRefs(f.Right)
		return append(l, r...), ok1 && ok2
	case "eq":
		s, ok := stringValue(f.Value)
		return []directory.SCIMMemberRef{{Value: s}}, ok && f.Attr == "value"
	}
	return nil, false
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *request, id string) error {
	did, err := h.dir.SCIMDeleteGroup(r.Context(), r.conn, id, func(cur directory.SCIMGroup) error {
		return ifMatch(r.Request, cur.Version)
	})
	r.did = did
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
