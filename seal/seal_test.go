package seal

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	oldKeys, _ := ParseKeys(NewKey())
	newKeys, _ := ParseKeys(NewKey())
	old, _ := New(oldKeys...)
	sealed := old.Seal([]byte("client-secret"), "oidc.client_secret")

	rotated, err := New(newKeys[0], oldKeys[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open(sealed, "oidc.client_secret")
	if err != nil || string(got) != "client-secret" {
		t.Fatalf("open after rotation = %q, %v", got, err)
	}
	if _, err := rotated.Open(sealed, "oidc.cookie"); !errors.Is(err, ErrAuthentication) {
		t.Errorf("opened for another purpose: %v, want ErrAuthentication", err)
	}
	onlyNew, _ := New(newKeys...)
	if _, err := onlyNew.Open(sealed, "oidc.client_secret"); !errors.Is(err, ErrAuthentication) {
		t.Errorf("opened without the key: %v, want ErrAuthentication", err)
	}
}

// TestOpenRefuses tampers with the decoded bytes of a sealed value (so the
// value still decodes, and only authentication can catch it) and feeds
// Open values that do not decode: the two failures are told apart, and
// both are ErrOpen.
func TestOpenRefuses(t *testing.T) {
	keys, _ := ParseKeys(NewKey())
	box, _ := New(keys...)
	sealed := box.Seal([]byte("client-secret"), "oidc.client_secret")
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		t.Fatal(err)
	}
	nonce := box.aeads[0].NonceSize()
	flip := func(i int) string {
		b := slices.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name   string
		sealed string
		want   error
	}{
		{"nonce byte flipped", flip(0), ErrAuthentication},
		{"ciphertext byte flipped", flip(nonce), ErrAuthentication},
		{"tag byte flipped", flip(len(raw) - 1), ErrAuthentication},
		{"tag cut short", base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]), ErrAuthentication},
		{"shorter than a nonce and a tag", base64.RawURLEncoding.EncodeToString(raw[:nonce+box.aeads[0].Overhead()-1]), ErrMalformed},
		{"not base64", sealed[:10] + "!" + sealed[11:], ErrMalformed},
		{"padded base64", base64.URLEncoding.EncodeToString(raw[:len(raw)-1]), ErrMalformed},
		{"empty", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := box.Open(tt.sealed, "oidc.client_secret")
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrOpen) || out != nil {
				t.Errorf("Open = %q, %v; want %v", out, err, tt.want)
			}
			other := ErrMalformed
			if tt.want == ErrMalformed {
				other = ErrAuthentication
			}
			if errors.Is(err, other) {
				t.Errorf("Open error %v is also %v", err, other)
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.key")
	k1, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKeyFile(path)
	if err != nil || string(k1[0]) != string(k2[0]) {
		t.Errorf("key changed between loads: %v", err)
	}
	if _, err := ParseKeys("c2hvcnQ="); err == nil {
		t.Error("short key accepted")
	}
}
