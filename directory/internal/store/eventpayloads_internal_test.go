package store

import (
	"testing"

	"github.com/rosterhq/roster/event"
)

func TestCheckPayloadRefusesDomainTypes(t *testing.T) {
	for _, p := range []any{Workspace{}, &JoinLink{}, Event{}} {
		if err := checkPayload("x.y", p); err == nil {
			t.Errorf("%T accepted as an event payload", p)
		}
	}
	for _, p := range []any{nil, map[string]string{"a": "b"}, event.Workspace{}, &event.Role{}} {
		if err := checkPayload("x.y", p); err != nil {
			t.Errorf("%T refused: %v", p, err)
		}
	}
}
