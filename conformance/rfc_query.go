package conformance

// The RFC checks of reading: filters, paging, sorting, attribute
// selection and ETags (rfcChecks in rfc.go lists them all).

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

func checkFilterUserNameCase(t *tester) {
	u := t.name("MiXed") + "@Example.com"
	id, _ := t.createUser(simpleUser(u))
	for _, v := range []string{u, strings.ToUpper(u), strings.ToLower(u)} {
		t.wantIDs(`userName eq "`+v+`"`, t.filter("/Users", `userName eq "`+v+`"`), id)
	}
}

func checkFilterNameCase(t *tester) {
	u := t.email("case")
	id, _ := t.createUser(simpleUser(u))
	for _, f := range []string{`USERNAME eq "` + u + `"`, `userName EQ "` + u + `"`, `UserName Eq "` + u + `"`} {
		t.wantIDs(f, t.filter("/Users", f), id)
	}
}

func checkFilterIDs(t *tester) {
	body := simpleUser(t.email("ids"))
	ext := "Ext-" + t.sfx
	body["externalId"] = ext
	id, _ := t.createUser(body)
	other := t.newUser("other")
	t.wantIDs(`externalId eq`, t.filter("/Users", `externalId eq "`+ext+`"`), id)
	// externalId is caseExact (RFC 7643 3.1), unlike userName.
	t.wantIDs(`externalId eq (other case)`, t.filter("/Users", `externalId eq "`+strings.ToUpper(ext)+`"`))
	t.wantIDs(`id eq`, t.filter("/Users", `id eq "`+id+`"`), id)
	t.wantIDs(`id eq or id eq`, t.filter("/Users", `id eq "`+id+`" or id eq "`+other+`"`), id, other)
}

func checkFilterEmails(t *tester) {
	u := t.email("mail")
	id, _ := t.createUser(simpleUser(u))
	t.newUser("othermail")
	for _, f := range []string{
		`emails[type eq "work" and value eq "` + u + `"]`,
		`emails[type eq "work"].value eq "` + u + `"`,
		`emails.value eq "` + u + `"`,
		`emails eq "` + u + `"`,
	} {
		t.wantIDs(f, t.filter("/Users", f), id)
	}
	t.wantIDs(`emails[type eq "home"].value eq`, t.filter("/Users", `emails[type eq "home"].value eq "`+u+`"`))
}

// threeUsers creates users whose userNames share the prefix it returns and
// end in a@, b@ and c@example.com; only b has a title.
func (t *tester) threeUsers() (prefix string, a, b, c string) {
	prefix = t.name("")
	ids := make([]string, 3)
	for i, tag := range []string{"b", "c", "a"} { // not in sort order on purpose
		body := simpleUser(prefix + tag + "@example.com")
		if tag == "b" {
			body["title"] = "Conformance Title"
		}
		id, _ := t.createUser(body)
		ids[i] = id
	}
	return prefix, ids[2], ids[0], ids[1]
}

func checkFilterOperators(t *tester) {
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	ua, ub := p+"a@example.com", p+"b@example.com"
	cases := []struct {
		filter string
		want   []string
	}{
		{sw, []string{a, b, c}},
		{`userName co "` + t.sfx + `-b@"`, []string{b}},
		{`userName ew "` + t.sfx + `-c@example.com"`, []string{c}},
		{sw + ` and title pr`, []string{b}},
		{sw + ` and userName gt "` + ua + `"`, []string{b, c}},
		{sw + ` and userName ge "` + ub + `"`, []string{b, c}},
		{sw + ` and userName lt "` + ub + `"`, []string{a}},
		{sw + ` and userName le "` + ub + `"`, []string{a, b}},
		{sw + ` and userName ne "` + ua + `"`, []string{b, c}},
		{sw + ` and title eq "conformance title"`, []string{b}}, // title is caseExact false
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterLogic(t *tester) {
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	ua, ub, uc := p+"a@example.com", p+"b@example.com", p+"c@example.com"
	cases := []struct {
		filter string
		want   []string
	}{
		{sw + ` and (userName eq "` + ua + `" or userName eq "` + uc + `")`, []string{a, c}},
		{sw + ` and not (userName eq "` + ub + `")`, []string{a, c}},
		{`(userName eq "` + ua + `") or (userName eq "` + ub + `")`, []string{a, b}},
		// "and" binds tighter than "or": a or (c and title pr) is just a.
		{`userName eq "` + ua + `" or userName eq "` + uc + `" and title pr`, []string{a}},
		{`userName eq "` + ua + `" or userName eq "` + ub + `" and title pr`, []string{a, b}},
		{`(userName eq "` + ua + `" or userName eq "` + uc + `") and title pr`, []string{}},
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterLastModified(t *tester) {
	u := t.email("lastmod")
	id, o := t.createUser(simpleUser(u))
	lm, ok := parseTime(str(o, "meta.lastModified"))
	if !ok {
		o = t.get("/Users", id)
		if lm, ok = parseTime(str(o, "meta.lastModified")); !ok {
			t.fatalf("meta.lastModified %q is not an RFC 3339 dateTime", str(o, "meta.lastModified"))
		}
	}
	exact := str(o, "meta.lastModified")
	ueq := ` and userName eq "` + u + `"`
	ts := func(d time.Duration) string { return lm.Add(d).UTC().Format(time.RFC3339) }
	cases := []struct {
		filter string
		want   []string
	}{
		{`meta.lastModified gt "` + ts(-time.Hour) + `"` + ueq, []string{id}},
		{`meta.lastModified gt "` + ts(time.Hour) + `"` + ueq, nil},
		{`meta.lastModified lt "` + ts(time.Hour) + `"` + ueq, []string{id}},
		{`meta.lastModified ge "` + exact + `"` + ueq, []string{id}},
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterInvalid(t *tester) {
	for _, f := range []string{
		`scimconfNoSuchAttribute eq "x"`,
		`userName eq`,
		`userName zz "x"`,
		`(userName eq "x"`,
	} {
		r := t.do(http.MethodGet, "/Users?"+query("filter", f), nil)
		t.wantSCIMError(r, http.StatusBadRequest, "invalidFilter")
	}
}

func checkFilterEmpty(t *tester) {
	for _, p := range []string{
		"/Users?" + query("filter", `userName eq "`+t.email("nobody")+`"`),
		"/Groups?" + query("filter", `displayName eq "`+t.name("nogroup")+`"`),
	} {
		r := t.do(http.MethodGet, p, nil)
		o := t.wantObj(r, http.StatusOK)
		l := t.checkList(r, o)
		if l.total != 0 {
			t.errorf("%s; totalResults %d, want 0", r, l.total)
		}
		res, present := o["Resources"]
		if arr, ok := res.([]any); !present || !ok || len(arr) != 0 {
			t.errorf("%s; want \"Resources\": [] (IdPs read it unconditionally)", r)
		}
	}
}

func checkPaging(t *tester) {
	p := t.name("")
	var all []string
	for i := 1; i <= 5; i++ {
		all = append(all, t.newUser("p"+itoa(i)))
	}
	sw := `userName sw "` + p + `"`
	whole := t.list("/Users", "filter", sw, "startIndex", "1", "count", "10")
	if whole.total != 5 || len(whole.items) != 5 {
		t.fatalf("filter %s count=10: totalResults %d, %d Resources, want 5 and 5", sw, whole.total, len(whole.items))
	}
	pass := func() []string {
		var seen []string
		for _, start := range []int{1, 3, 5} {
			l := t.list("/Users", "filter", sw, "startIndex", itoa(start), "count", "2")
			want := min(2, 5-start+1)
			if l.total != 5 {
				t.errorf("startIndex=%d count=2: totalResults %d, want 5", start, l.total)
			}
			if len(l.items) != want {
				t.errorf("startIndex=%d count=2: %d Resources, want %d", start, len(l.items), want)
			}
			if _, present := l.raw["startIndex"]; !present {
				t.errorf("startIndex=%d count=2: startIndex missing from a paged response", start)
			} else if l.start != start {
				t.errorf("startIndex=%d count=2: response startIndex %d", start, l.start)
			}
			seen = append(seen, l.ids()...)
		}
		return seen
	}
	first := pass()
	t.wantIDs("union of pages", first, all...)
	second := pass()
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.errorf("order differs between two identical paging passes: %v then %v", first, second)
	}
	// The server-wide list too, as Okta imports it.
	l := t.list("/Users", "startIndex", "1", "count", "3")
	if len(l.items) > 3 {
		t.errorf("GET /Users?startIndex=1&count=3 returned %d Resources", len(l.items))
	}
}

func checkPagingEdges(t *tester) {
	p, _, _, _ := t.threeUsers()
	sw := `userName sw "` + p + `"`
	l := t.list("/Users", "filter", sw, "count", "0")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("count=0: totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "count", "-1")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("count=-1 (interpreted as 0): totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "startIndex", "0", "count", "10")
	if l.total != 3 || len(l.items) != 3 {
		t.errorf("startIndex=0 (interpreted as 1): totalResults %d with %d Resources, want 3 and 3", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "startIndex", "10", "count", "10")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("startIndex=10: totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
}

func checkSort(t *tester) {
	if !t.env.feature("sort") {
		t.skipf("ServiceProviderConfig sort.supported is not true")
	}
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	asc := t.list("/Users", "filter", sw, "sortBy", "userName")
	if got := strings.Join(asc.ids(), ","); got != strings.Join([]string{a, b, c}, ",") {
		t.errorf("sortBy=userName: order %v, want a, b, c (%v)", asc.ids(), []string{a, b, c})
	}
	desc := t.list("/Users", "filter", sw, "sortBy", "userName", "sortOrder", "descending")
	if got := strings.Join(desc.ids(), ","); got != strings.Join([]string{c, b, a}, ",") {
		t.errorf("sortOrder=descending: order %v, want c, b, a (%v)", desc.ids(), []string{c, b, a})
	}
}

func checkAttributes(t *tester) {
	u := t.email("attrs")
	body := simpleUser(u)
	body["title"] = "Attr Title"
	id, _ := t.createUser(body)

	o := t.get("/Users", id, "attributes", "userName")
	if str(o, "id") != id || !strings.EqualFold(str(o, "userName"), u) {
		t.errorf("attributes=userName: id and userName must be returned, got %v", o)
	}
	for _, gone := range []string{"emails", "name", "title"} {
		if lookup(o, gone) != nil {
			t.errorf("attributes=userName still returns %s", gone)
		}
	}
	o = t.get("/Users", id, "attributes", "name.givenName")
	if str(o, "name.givenName") != "Conformance" || lookup(o, "name.familyName") != nil || lookup(o, "emails") != nil {
		t.errorf("attributes=name.givenName: want only name.givenName, got %v", o)
	}
	o = t.get("/Users", id, "excludedAttributes", "emails,title")
	if lookup(o, "emails") != nil || lookup(o, "title") != nil {
		t.errorf("excludedAttributes=emails,title still returns them: %v", o)
	}
	if str(o, "id") != id || str(o, "name.givenName") != "Conformance" {
		t.errorf("excludedAttributes=emails,title dropped other attributes: %v", o)
	}
	l := t.list("/Users", "filter", `userName eq "`+u+`"`, "attributes", "userName")
	if len(l.items) != 1 {
		t.fatalf("filter userName eq with attributes=userName: %d Resources, want 1", len(l.items))
	}
	if it := l.items[0]; str(it, "id") != id || lookup(it, "emails") != nil || lookup(it, "name") != nil {
		t.errorf("list with attributes=userName: want id and userName only, got %v", it)
	}
	l = t.list("/Users", "filter", `userName eq "`+u+`"`, "excludedAttributes", "name")
	if len(l.items) != 1 || lookup(l.items[0], "name") != nil || str(l.items[0], "id") != id {
		t.errorf("list with excludedAttributes=name: got %v", l.items)
	}
}

func checkETag(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("etag")))
	p := "/Users/" + url.PathEscape(id)
	r := t.do(http.MethodGet, p, nil)
	o := t.wantObj(r, http.StatusOK)
	etag := r.header.Get("ETag")
	if etag == "" {
		if t.env.feature("etag") {
			t.fatalf("etag.supported is true but GET %s has no ETag header", p)
		}
		t.skipf("ServiceProviderConfig etag.supported is not true and responses carry no ETag")
	}
	if v := str(o, "meta.version"); v != "" && v != etag {
		t.errorf("meta.version %q differs from the ETag header %q", v, etag)
	}
	t.want(t.do(http.MethodGet, p, nil, withHeader("If-None-Match", etag)), http.StatusNotModified)

	stale := `W/"scimconf-stale-` + t.sfx + `"`
	bad := t.do(http.MethodPatch, p, patchOps(op("replace", "title", "Should Not Stick")), withHeader("If-Match", stale))
	t.wantSCIMError(bad, http.StatusPreconditionFailed, "")
	if got := t.get("/Users", id); lookup(got, "title") != nil {
		t.errorf("a PATCH refused with 412 still changed title to %v", lookup(got, "title"))
	}
	t.want(t.do(http.MethodPut, p, simpleUser(t.email("etag")), withHeader("If-Match", stale)), http.StatusPreconditionFailed)

	after := t.patch("/Users", id, patchOps(op("replace", "title", "Fresh")), withHeader("If-Match", etag))
	if str(after, "title") != "Fresh" {
		t.errorf("PATCH with the current If-Match did not apply: title %v", lookup(after, "title"))
	}
	r = t.do(http.MethodGet, p, nil, withHeader("If-None-Match", etag))
	t.want(r, http.StatusOK)
	if r.header.Get("ETag") == etag {
		t.errorf("ETag %s unchanged after a modification", etag)
	}
}
