// Package seal encrypts small secrets with the server's key (AES-256-GCM):
// OIDC client secrets and webhook secrets at rest, and the short-lived
// cookies that carry OIDC transactions between replicas. It knows nothing
// of what it seals.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key in bytes.
const KeySize = 32

// ErrOpen is returned for anything that does not open. The error is one of
// two kinds, both matching ErrOpen with errors.Is: ErrMalformed or
// ErrAuthentication.
var ErrOpen = errors.New("seal: cannot open")

// ErrMalformed is a value that is not something Seal produced: not
// URL-safe base64, or too short to hold a nonce and a tag.
var ErrMalformed = fmt.Errorf("%w: malformed sealed value", ErrOpen)

// ErrAuthentication is a well-formed value that no key of the Box
// authenticates: tampered with, sealed with an unknown key, or sealed for
// another purpose.
var ErrAuthentication = fmt.Errorf("%w: authentication failed", ErrOpen)

// Box seals with its first key and opens with any of its keys, so a key can
// be rotated: put the new key first and keep the old ones until everything
// sealed with them has been re-sealed or has expired.
type Box struct {
	aeads []cipher.AEAD
}

// New returns a Box over one or more 32-byte keys.
func New(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	b := &Box{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("seal: key %d is %d bytes, want %d", i, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %d: %w", i, err)
		}
		b.aeads = append(b.aeads, aead)
	}
	return b, nil
}

// ParseKeys reads keys written as base64 (standard or URL alphabet),
// separated by commas: the form of ROSTER_SECRET_KEY.
func ParseKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, err := decodeKey(part)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("seal: no key given")
	}
	return keys, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("seal: key is %d bytes, want %d (generate one with: openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("seal: key is not base64")
}

// NewKey returns a random key encoded as base64.
func NewKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// LoadOrCreateKeyFile reads the key file at path, creating it with a new
// random key (mode 0600) when it does not exist. It is how the embedded
// default keeps its key next to its database.
func LoadOrCreateKeyFile(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create key directory: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create key file: %w", err)
		}
		key := NewKey()
		if _, err := f.WriteString(key + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("write key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("write key file: %w", err)
		}
		return ParseKeys(key)
	} else if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	return ParseKeys(string(data))
}

// Seal encrypts plaintext; purpose is authenticated but not encrypted, so
// a value sealed for one purpose (an OIDC cookie) never opens as another
// (a client secret). The result is URL-safe base64.
func (b *Box) Seal(plaintext []byte, purpose string) string {
	aead := b.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plaintext, []byte(purpose)))
}

// Open decrypts what Seal produced for the same purpose with any key of
// the Box. What does not open is ErrMalformed or ErrAuthentication.
func (b *Box) Open(sealed, purpose string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, ErrMalformed
	}
	for _, aead := range b.aeads {
		n := aead.NonceSize()
		if len(raw) < n+aead.Overhead() {
			return nil, ErrMalformed
		}
		if out, err := aead.Open(nil, raw[:n], raw[n:], []byte(purpose)); err == nil {
			return out, nil
		}
	}
	return nil, ErrAuthentication
}
