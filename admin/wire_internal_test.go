package admin

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// wireSchemas names the schemas of openapi.json each wire type is: answers
// (wire.go), request bodies (wire_requests.go) and problems.
var wireSchemas = map[reflect.Type][]string{
	reflect.TypeFor[Workspace]():           {"Workspace"},
	reflect.TypeFor[WorkspaceList]():       {"WorkspaceList"},
	reflect.TypeFor[WorkspaceCreated]():    {"WorkspaceCreated"},
	reflect.TypeFor[Seats]():               {"Seats"},
	reflect.TypeFor[Member]():              {"Member"},
	reflect.TypeFor[MemberPage]():          {"MemberPage"},
	reflect.TypeFor[MemberList]():          {"MemberList"},
	reflect.TypeFor[Lookup]():              {"Lookup"},
	reflect.TypeFor[Invitation]():          {"Invitation"},
	reflect.TypeFor[InvitationList]():      {"InvitationList"},
	reflect.TypeFor[InviteOutcome]():       {"InviteOutcome"},
	reflect.TypeFor[InviteResult]():        {"InviteResult"},
	reflect.TypeFor[ImportOutcome]():       {"ImportOutcome"},
	reflect.TypeFor[ImportResult]():        {"ImportResult"},
	reflect.TypeFor[Role]():                {"Role"},
	reflect.TypeFor[RoleList]():            {"RoleList"},
	reflect.TypeFor[Event]():               {"Event"},
	reflect.TypeFor[EventRef]():            {"EventRef"},
	reflect.TypeFor[FeedEvent]():           {"FeedEvent"},
	reflect.TypeFor[EventPage]():           {"EventPage"},
	reflect.TypeFor[Webhook]():             {"Webhook"},
	reflect.TypeFor[WebhookList]():         {"WebhookList"},
	reflect.TypeFor[WebhookWithSecret]():   {"WebhookWithSecret"},
	reflect.TypeFor[WebhookAttempt]():      {"WebhookAttempt"},
	reflect.TypeFor[WebhookDelivery]():     {"WebhookDelivery"},
	reflect.TypeFor[WebhookDeliveryList](): {"WebhookDeliveryList"},
	reflect.TypeFor[Requeued]():            {"Requeued"},
	reflect.TypeFor[OutboxMessage]():       {"OutboxMessage"},
	reflect.TypeFor[OutboxList]():          {"OutboxList"},
	reflect.TypeFor[APIKey]():              {"APIKey"},
	reflect.TypeFor[APIKeyList]():          {"APIKeyList"},
	reflect.TypeFor[APIKeyCreated]():       {"APIKeyCreated"},
	reflect.TypeFor[Team]():                {"Team"},
	reflect.TypeFor[TeamList]():            {"TeamList"},
	reflect.TypeFor[Domain]():              {"Domain"},
	reflect.TypeFor[DomainList]():          {"DomainList"},
	reflect.TypeFor[JoinLink]():            {"JoinLink"},
	reflect.TypeFor[JoinLinkList]():        {"JoinLinkList"},
	reflect.TypeFor[JoinLinkCreated]():     {"JoinLinkCreated"},
	reflect.TypeFor[JoinRequest]():         {"JoinRequest"},
	reflect.TypeFor[JoinRequestList]():     {"JoinRequestList"},
	reflect.TypeFor[SCIMConnection]():      {"SCIMConnection"},
	reflect.TypeFor[SCIMConnectionList]():  {"SCIMConnectionList"},
	reflect.TypeFor[SCIMToken]():           {"SCIMToken"},
	reflect.TypeFor[SCIMTokenList]():       {"SCIMTokenList"},
	reflect.TypeFor[SCIMTokenCreated]():    {"SCIMTokenCreated"},
	reflect.TypeFor[SCIMRequest]():         {"SCIMRequest"},
	reflect.TypeFor[SCIMRequestList]():     {"SCIMRequestList"},
	reflect.TypeFor[OIDCConnection]():      {"OIDCConnection"},
	reflect.TypeFor[OIDCConnectionList]():  {"OIDCConnectionList"},

	reflect.TypeFor[createWorkspaceBody](): {"WorkspaceCreate"},
	reflect.TypeFor[updateWorkspaceBody](): {"WorkspaceUpdate"},
	reflect.TypeFor[setSeatsBody]():        {"SeatsUpdate"},
	reflect.TypeFor[profileBody]():         {"ProfileUpdate"},
	reflect.TypeFor[roleBody]():            {"RoleChange"},
	reflect.TypeFor[inviteeBody]():         {"Invitee"},
	reflect.TypeFor[inviteBody]():          {"InviteRequest"},
	reflect.TypeFor[roleDefBody]():         {"RoleDefinition"},
	reflect.TypeFor[apiKeyBody]():          {"APIKeyCreate"},
	reflect.TypeFor[teamBody]():            {"TeamCreate", "TeamUpdate"},
	reflect.TypeFor[teamMembersBody]():     {"TeamMembersAdd"},
	reflect.TypeFor[domainBody]():          {"DomainCreate"},
	reflect.TypeFor[domainPolicyBody]():    {"DomainPolicy"},
	reflect.TypeFor[joinLinkBody]():        {"JoinLinkCreate", "JoinLinkUpdate"},
	// PATCH refuses "secret" (rotate-secret changes it), so WebhookUpdate
	// documents all fields but that one.
	reflect.TypeFor[webhookBody]():         {"WebhookCreate", "WebhookUpdate-secret"},
	reflect.TypeFor[secretBody]():          {"WebhookSecret"},
	reflect.TypeFor[scimConnectionBody]():  {"SCIMConnectionSettings"},
	reflect.TypeFor[scimTokenBody]():       {"SCIMTokenCreate"},
	reflect.TypeFor[oidcConnectionBody]():  {"OIDCConnectionCreate"},
	reflect.TypeFor[oidcConnectionPatch](): {"OIDCConnectionUpdate"},

	reflect.TypeFor[Problem]():    {"Problem"},
	reflect.TypeFor[FieldError](): {"FieldError"},
}

// jsonFields lists the JSON names of t's fields (those of embedded
// structs included) and whether each is omitted when empty.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for f := range t.Fields() {
		tag, ok := f.Tag.Lookup("json")
		if f.Anonymous && !ok {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = strings.Contains(opts, "omitempty")
	}
	return out
}

// TestWireTypesMatchOpenAPI checks every wire type against the schema that
// documents it: the same fields, and no field the schema requires left
// out when empty. Every type of wire.go and wire_requests.go must be
// listed, so a new one cannot go undocumented.
func TestWireTypesMatchOpenAPI(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
				AllOf      []struct {
					Ref        string         `json:"$ref"`
					Properties map[string]any `json:"properties"`
				} `json:"allOf"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	var properties func(name string) []string
	properties = func(name string) []string {
		s, ok := schemas[name]
		if !ok {
			t.Fatalf("openapi.json has no schema %s", name)
		}
		names := slices.Collect(maps.Keys(s.Properties))
		for _, part := range s.AllOf {
			if ref, ok := strings.CutPrefix(part.Ref, "#/components/schemas/"); ok {
				names = append(names, properties(ref)...)
			}
			names = append(names, slices.Collect(maps.Keys(part.Properties))...)
		}
		return names
	}
	for typ, names := range wireSchemas {
		fields := jsonFields(typ)
		for _, name := range names {
			name, without, _ := strings.Cut(name, "-")
			want := slices.Sorted(slices.Values(properties(name)))
			got := slices.Sorted(maps.Keys(fields))
			if without != "" {
				got = slices.DeleteFunc(got, func(f string) bool { return f == without })
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s has fields %v; schema %s documents %v", typ.Name(), got, name, want)
			}
			for _, r := range schemas[name].Required {
				if fields[r] {
					t.Errorf("%s.%s is required by schema %s but omitted when empty", typ.Name(), r, name)
				}
			}
		}
	}

	listed := map[string]bool{}
	for typ := range wireSchemas {
		listed[typ.Name()] = true
	}
	fset := token.NewFileSet()
	for _, file := range []string{"wire.go", "wire_requests.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, spec := range g.Specs {
				if name := spec.(*ast.TypeSpec).Name.Name; !listed[name] {
					t.Errorf("%s: type %s is not in wireSchemas", file, name)
				}
			}
		}
	}
}

func TestCheckWireRefusesDirectoryTypes(t *testing.T) {
	for _, body := range []any{directory.Member{}, &directory.Workspace{}, []directory.Team{}, map[string]directory.Role{}} {
		if checkWire(body) == nil {
			t.Errorf("%T accepted as an answer", body)
		}
	}
	for _, body := range []any{nil, Member{}, []Team{}, json.RawMessage(`{}`), map[string]int{}} {
		if err := checkWire(body); err != nil {
			t.Errorf("%T refused: %v", body, err)
		}
	}
}
