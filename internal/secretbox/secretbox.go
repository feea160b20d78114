// Package secretbox encrypts the secrets the database keeps for households
// (printer and webhook tokens, SMTP passwords) with a key kept outside the
// database, and derives the server's other keys from it.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// prefix marks a sealed value; a value without it is plain text written
// before encryption was in place.
const prefix = "enc1:"

// Key seals and opens secrets with AES-256-GCM.
type Key struct {
	raw  []byte
	aead cipher.AEAD
}

// New returns the key of raw, which must be KeySize bytes.
func New(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secret key: %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Key{raw: append([]byte(nil), raw...), aead: aead}, nil
}

// Parse reads a key written as 64 hexadecimal digits (as in a key file).
func Parse(text string) (*Key, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil || len(raw) != KeySize {
		return nil, errors.New("secret key: want 64 hexadecimal digits")
	}
	return New(raw)
}

// Generate returns a new random key.
func Generate() *Key {
	raw := make([]byte, KeySize)
	_, _ = rand.Read(raw) // never fails (crypto/rand)
	k, _ := New(raw)
	return k
}

// String returns the key as 64 hexadecimal digits, the form Parse reads.
func (k *Key) String() string { return hex.EncodeToString(k.raw) }

// LoadOrCreate reads the key file at path, or creates it with a new random
// key, readable by its owner only, when there is none.
func LoadOrCreate(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := Parse(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	k := Generate()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first
			return LoadOrCreate(path)
		}
		return nil, fmt.Errorf("create secret key: %w", err)
	}
	if _, err := f.WriteString(k.String() + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	return k, nil
}

// Derive returns a 32-byte key for purpose, independent of the key's
// other uses, so one key file serves every purpose.
func (k *Key) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.raw, nil, "freezer "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot give
	}
	return out
}

// Sealed reports whether value was written by Seal.
func Sealed(value string) bool { return strings.HasPrefix(value, prefix) }

// Seal encrypts plain for the place it is stored at (a column and row, so
// that a sealed value copied elsewhere does not open); "" stays "".
func (k *Key) Seal(plain, place string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return prefix + base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(plain), []byte(place)))
}

// Open decrypts a value written by Seal for place; a value Seal did not
// write is returned as it is.
func (k *Key) Open(value, place string) (string, error) {
	if !Sealed(value) {
		return value, nil
	}
	data, err := base64.RawStdEncoding.DecodeString(value[len(prefix):])
	n := k.aead.NonceSize()
	if err != nil || len(data) < n {
		return "", errors.New("open secret: malformed value")
	}
	plain, err := k.aead.Open(nil, data[:n], data[n:], []byte(place))
	if err != nil {
		return "", errors.New("open secret: wrong secret key, or the value was altered")
	}
	return string(plain), nil
}
