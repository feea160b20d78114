package db_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"regexp"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestCreateToken(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			tok, secret, err := store.CreateToken(regCtx(alice), "kitchen tablet")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex64.MatchString(secret), true; got != want {
				t.Fatalf("secret %q is not 64 lower-case hex characters", secret)
			}
			if got, want := tok.Name, "kitchen tablet"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := tok.UserID, alice.User.ID; got != want {
				t.Errorf("user = %d, want %d", got, want)
			}
			if tok.LastUsedAt != nil {
				t.Errorf("last_used_at = %v, want nil", tok.LastUsedAt)
			}

			// Only the SHA-256 of the secret is stored.
			var stored string
			if err := raw.QueryRow(`SELECT hash FROM tokens WHERE id = ?`, tok.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(secret))
			if got, want := stored, hex.EncodeToString(sum[:]); got != want {
				t.Errorf("stored hash = %q, want SHA-256 %q", got, want)
			}
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM tokens WHERE hash = ? OR name = ?`, secret, secret).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if got, want := n, 0; got != want {
				t.Errorf("rows holding the secret itself = %d, want %d", got, want)
			}

			u, found, err := store.AuthenticateToken(context.Background(), secret)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.ID, alice.User.ID; got != want {
				t.Errorf("authenticated user = %d, want %d", got, want)
			}
			if got, want := found.ID, tok.ID; got != want {
				t.Errorf("authenticated token = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrInvalidName", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, _, err := store.CreateToken(regCtx(alice), "  ")
			assertCode(t, err, freezer.EINVALID)
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			_, _, err := store.CreateToken(context.Background(), "anonymous")
			assertCode(t, err, freezer.EUNAUTHORIZED)
			// The system is not a user: it has no tokens of its own.
			_, _, err = store.CreateToken(systemCtx(), "system")
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestFindTokens(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			for _, name := range []string{"phone", "laptop"} {
				if _, _, err := store.CreateToken(regCtx(alice), name); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := store.CreateToken(regCtx(bob), "bob's"); err != nil {
				t.Fatal(err)
			}
			list, err := store.FindTokens(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tok := range list {
				names = append(names, tok.Name)
				if got, want := tok.UserID, alice.User.ID; got != want {
					t.Errorf("token %q belongs to %d, want %d", tok.Name, got, want)
				}
			}
			if got, want := len(names), 3; got != want {
				t.Fatalf("tokens = %q, want 3", names)
			}
			for i, want := range []string{"laptop", "phone", "default"} {
				if got := names[i]; got != want {
					t.Errorf("tokens[%d] = %q, want %q (newest first)", i, got, want)
				}
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			_, err := store.FindTokens(context.Background())
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestRevokeToken(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			tok, secret, err := store.CreateToken(regCtx(alice), "phone")
			if err != nil {
				t.Fatal(err)
			}
			if err := store.RevokeToken(regCtx(alice), tok.ID); err != nil {
				t.Fatal(err)
			}
			_, _, err = store.AuthenticateToken(context.Background(), secret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
			// The other token keeps working.
			if _, _, err := store.AuthenticateToken(context.Background(), alice.Token); err != nil {
				t.Errorf("default token after revoking another: %v", err)
			}
			// Revoking twice finds nothing.
			assertCode(t, store.RevokeToken(regCtx(alice), tok.ID), freezer.ENOTFOUND)
		})
	})

	t.Run("ErrNotFoundOtherUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			bobTokens, err := store.FindTokens(regCtx(bob))
			if err != nil {
				t.Fatal(err)
			}
			assertCode(t, store.RevokeToken(regCtx(alice), bobTokens[0].ID), freezer.ENOTFOUND)
			if _, _, err := store.AuthenticateToken(context.Background(), bob.Token); err != nil {
				t.Errorf("bob's token after alice's attempt: %v", err)
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			list, err := store.FindTokens(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			assertCode(t, store.RevokeToken(context.Background(), list[0].ID), freezer.EUNAUTHORIZED)
			if _, _, err := store.AuthenticateToken(context.Background(), alice.Token); err != nil {
				t.Errorf("token after an anonymous revoke: %v", err)
			}
		})
	})
}

func TestAuthenticateToken(t *testing.T) {
	t.Run("LastUsedAt", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			list, err := store.FindTokens(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			if list[0].LastUsedAt != nil {
				t.Fatalf("last_used_at before use = %v, want nil", list[0].LastUsedAt)
			}
			_, tok, err := store.AuthenticateToken(context.Background(), alice.Token)
			if err != nil {
				t.Fatal(err)
			}
			if tok.LastUsedAt == nil || !tok.LastUsedAt.Equal(testdb.Now) {
				t.Errorf("returned last_used_at = %v, want %v", tok.LastUsedAt, testdb.Now)
			}
			list, err = store.FindTokens(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			if got := list[0].LastUsedAt; got == nil || !got.Equal(testdb.Now) {
				t.Errorf("stored last_used_at = %v, want %v", got, testdb.Now)
			}

			// A use an hour later moves it.
			later := testdb.Now.Add(time.Hour)
			store.Now = func() time.Time { return later }
			if _, _, err := store.AuthenticateToken(context.Background(), alice.Token); err != nil {
				t.Fatal(err)
			}
			list, err = store.FindTokens(regCtx(alice))
			if err != nil {
				t.Fatal(err)
			}
			if got := list[0].LastUsedAt; got == nil || !got.Equal(later) {
				t.Errorf("last_used_at after a later use = %v, want %v", got, later)
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := context.Background()
			for _, secret := range []string{"", "nope", alice.Token[:63], alice.Token + "0", string(make([]byte, 600))} {
				_, _, err := store.AuthenticateToken(ctx, secret)
				if got, want := freezer.ErrorCode(err), freezer.EUNAUTHORIZED; got != want {
					t.Errorf("AuthenticateToken(%.20q…) code = %q, want %q", secret, got, want)
				}
			}
		})
	})
}
