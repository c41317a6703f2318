package directory_test

import (
	"errors"
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

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Acme.COM", "acme.com", true},
		{" acme.com. ", "acme.com", true},
		{"@acme.com", "acme.com", true},
		{"Bücher.example", "xn--bcher-kva.example", true},
		{"XN--BCHER-KVA.example", "xn--bcher-kva.example", true},
		{"ＡＣＭＥ.com", "acme.com", true},
		{"eu.acme.co.uk", "eu.acme.co.uk", true},
		{"", "", false},
		{"localhost", "", false},
		{"192.168.0.1", "", false},
		{"http://acme.com", "", false},
		{"*.acme.com", "", false},
		{"acme..com", "", false},
		{"acme .com", "", false},
		{"under_score.com", "", false},
		{"jane@acme.com", "", false},
	}
	for _, tt := range tests {
		got, err := directory.NormalizeDomain(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("NormalizeDomain(%q) error %v is not ErrInvalid", tt.in, err)
		}
	}
}
