package directory_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{" Jane.Doe@Example.COM ", "jane.doe@example.com", true},
		{"ÉMILE@exemple.fr", "émile@exemple.fr", true},
		{"Jane <jane@x.example>", "", false},
		{"jane@localhost", "", false},
		{"jane", "", false},
		{"", "", false},
		{"a b@x.example", "", false},
	}
	for _, tt := range tests {
		got, err := directory.NormalizeEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := directory.GuessName("jane.doe@x.example"); got != "Jane Doe" {
		t.Errorf("GuessName = %q", got)
	}
	if got := directory.ParseAddressList("a@x.example, b@x.example;c@x.example\nJane Doe <d@x.example>  e@x.example"); strings.Join(got, " ") != "a@x.example b@x.example c@x.example d@x.example e@x.example" {
		t.Errorf("ParseAddressList = %q", got)
	}
}
