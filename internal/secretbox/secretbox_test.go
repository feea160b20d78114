package secretbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer/internal/secretbox"
)

func TestSealOpen(t *testing.T) {
	k := secretbox.Generate()
	sealed := k.Seal("hunter2", "printers.token/1")
	if !secretbox.Sealed(sealed) || strings.Contains(sealed, "hunter2") {
		t.Fatalf("sealed %q", sealed)
	}
	if got, err := k.Open(sealed, "printers.token/1"); err != nil || got != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "printers.token/2"); err == nil {
		t.Error("a value opened at another place")
	}
	if _, err := secretbox.Generate().Open(sealed, "printers.token/1"); err == nil {
		t.Error("a value opened with another key")
	}
	if got, err := k.Open("plain", "x"); err != nil || got != "plain" {
		t.Errorf("Open(plain) = %q, %v", got, err)
	}
	if k.Seal("", "x") != "" {
		t.Error(`Seal("") is not ""`)
	}
	if string(k.Derive("csrf")) == string(k.Derive("other")) {
		t.Error("two purposes share a key")
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k, err := secretbox.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %v, want 0600", perm)
	}
	again, err := secretbox.LoadOrCreate(path)
	if err != nil || again.String() != k.String() {
		t.Fatalf("second load: %v, same key %v", err, again != nil && again.String() == k.String())
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.LoadOrCreate(path); err == nil {
		t.Error("a malformed key file loaded")
	}
}
