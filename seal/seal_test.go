package seal

import (
	"os"
	"path/filepath"
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
	if _, err := rotated.Open(sealed, "oidc.cookie"); err != ErrOpen {
		t.Errorf("opened for another purpose: %v", err)
	}
	onlyNew, _ := New(newKeys...)
	if _, err := onlyNew.Open(sealed, "oidc.client_secret"); err != ErrOpen {
		t.Errorf("opened without the key: %v", err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-2] ^= 1
	if _, err := rotated.Open(string(tampered), "oidc.client_secret"); err != ErrOpen {
		t.Errorf("opened tampered value: %v", err)
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
