package db_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// useMovableClock gives store a clock that the test moves forward.
func useMovableClock(store *db.DB) *testdb.Clock {
	c := testdb.NewClock(testdb.Now)
	store.Now = c.Now
	return c
}

// MustCreateSession signs r in and returns the session and its secret.
func MustCreateSession(tb testing.TB, store *db.DB, r *freezer.RegisteredUser) (*freezer.Session, string) {
	tb.Helper()
	s, secret, err := store.CreateSession(regCtx(r))
	if err != nil {
		tb.Fatalf("create session: %v", err)
	}
	return s, secret
}

// tokenWorks reports whether an API token secret still authenticates.
func tokenWorks(tb testing.TB, store *db.DB, secret string) bool {
	tb.Helper()
	_, _, err := store.AuthenticateToken(context.Background(), secret)
	if err != nil && freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
		tb.Fatalf("authenticate token: %v", err)
	}
	return err == nil
}

func TestCreateSession(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			s, secret := MustCreateSession(t, store, alice)
			if !hex64.MatchString(secret) || !hex64.MatchString(s.CSRFToken) || !hex64.MatchString(s.DashboardToken) {
				t.Fatalf("secret %q, csrf %q, dashboard token %q: want 64 hex digits each", secret, s.CSRFToken, s.DashboardToken)
			}
			sum := sha256.Sum256([]byte(secret))
			if got, want := s.ID, hex.EncodeToString(sum[:]); got != want {
				t.Errorf("id = %q, want the SHA-256 of the secret %q", got, want)
			}
			if got, want := s.ExpiresAt, testdb.Now.Add(freezer.SessionIdleTimeout); !got.Equal(want) {
				t.Errorf("expires = %v, want %v", got, want)
			}

			// The dashboard token is a named API token of the user.
			u, tok, err := store.AuthenticateToken(context.Background(), s.DashboardToken)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.ID, alice.User.ID; got != want {
				t.Errorf("dashboard token user = %d, want %d", got, want)
			}
			if got, want := tok.Name, freezer.DashboardTokenName; got != want {
				t.Errorf("dashboard token name = %q, want %q", got, want)
			}

			// Neither secret is stored as such.
			var id, sealed string
			if err := raw.QueryRow(`SELECT id, dashboard_token_sealed FROM sessions`).Scan(&id, &sealed); err != nil {
				t.Fatal(err)
			}
			if id == secret || strings.Contains(sealed, s.DashboardToken) || sealed == "" {
				t.Errorf("stored id %q / sealed %q reveal a secret", id, sealed)
			}

			// Found again by its secret, token unsealed.
			found, fu, err := store.FindSession(context.Background(), secret)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fu.Email, "alice@example.com"; got != want {
				t.Errorf("user = %q, want %q", got, want)
			}
			if got, want := found.CSRFToken, s.CSRFToken; got != want {
				t.Errorf("csrf = %q, want %q", got, want)
			}
			if got, want := found.DashboardToken, s.DashboardToken; got != want {
				t.Errorf("dashboard token = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrNoUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			_, _, err := store.CreateSession(context.Background())
			assertCode(t, err, freezer.EUNAUTHORIZED)
			_, _, err = store.CreateSession(systemCtx())
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestFindSession(t *testing.T) {
	t.Run("ErrUnknown", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			for _, secret := range []string{"", "short", strings.Repeat("0", 64), strings.Repeat("x", 1000)} {
				_, _, err := store.FindSession(context.Background(), secret)
				assertCode(t, err, freezer.EUNAUTHORIZED)
			}
		})
	})

	t.Run("IdleExpiry", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			clk := useMovableClock(store)
			alice := MustRegister(t, store, "alice@example.com")
			_, secret := MustCreateSession(t, store, alice)
			// Used every 13 days, it lives on past the idle timeout…
			for range 2 {
				clk.Advance(13 * 24 * time.Hour)
				if _, _, err := store.FindSession(context.Background(), secret); err != nil {
					t.Fatalf("after 13 idle days: %v", err)
				}
			}
			// …but not after 14 days without a request.
			clk.Advance(freezer.SessionIdleTimeout)
			_, _, err := store.FindSession(context.Background(), secret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("MaxAge", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			clk := useMovableClock(store)
			alice := MustRegister(t, store, "alice@example.com")
			_, secret := MustCreateSession(t, store, alice)
			for elapsed := time.Duration(0); elapsed+24*time.Hour < freezer.SessionMaxAge; elapsed += 24 * time.Hour {
				clk.Advance(24 * time.Hour)
				if _, _, err := store.FindSession(context.Background(), secret); err != nil {
					t.Fatalf("after %v: %v", elapsed+24*time.Hour, err)
				}
			}
			clk.Advance(24 * time.Hour)
			_, _, err := store.FindSession(context.Background(), secret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("ErrDisabledUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, secret := MustCreateSession(t, store, alice)
			if _, err := store.UpdateUser(systemCtx(), alice.User.ID, freezer.UserUpdate{Disabled: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			_, _, err := store.FindSession(context.Background(), secret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("RevokedDashboardToken", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			s, secret := MustCreateSession(t, store, alice)
			if err := store.RevokeToken(regCtx(alice), s.DashboardTokenID); err != nil {
				t.Fatal(err)
			}
			found, _, err := store.FindSession(context.Background(), secret)
			if err != nil {
				t.Fatal(err)
			}
			if found.DashboardToken != "" || found.DashboardTokenID != 0 {
				t.Errorf("dashboard token = %d %q after revocation, want none", found.DashboardTokenID, found.DashboardToken)
			}
		})
	})
}

func TestDeleteSession(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			s, secret := MustCreateSession(t, store, alice)
			other, otherSecret := MustCreateSession(t, store, alice)
			if err := store.DeleteSession(context.Background(), secret); err != nil {
				t.Fatal(err)
			}
			_, _, err := store.FindSession(context.Background(), secret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
			if tokenWorks(t, store, s.DashboardToken) {
				t.Error("the dashboard token still works after sign-out")
			}
			// The other session and its token are untouched.
			if _, _, err := store.FindSession(context.Background(), otherSecret); err != nil {
				t.Errorf("other session: %v", err)
			}
			if !tokenWorks(t, store, other.DashboardToken) {
				t.Error("the other session's dashboard token stopped working")
			}
			// Signing out twice is fine.
			if err := store.DeleteSession(context.Background(), secret); err != nil {
				t.Errorf("second sign-out: %v", err)
			}
		})
	})

	t.Run("Others", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			keep, keepSecret := MustCreateSession(t, store, alice)
			gone, goneSecret := MustCreateSession(t, store, alice)
			bobs, bobSecret := MustCreateSession(t, store, bob)
			if err := store.DeleteOtherSessions(regCtx(alice), keep.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.FindSession(context.Background(), keepSecret); err != nil {
				t.Errorf("kept session: %v", err)
			}
			_, _, err := store.FindSession(context.Background(), goneSecret)
			assertCode(t, err, freezer.EUNAUTHORIZED)
			if tokenWorks(t, store, gone.DashboardToken) {
				t.Error("the other session's dashboard token still works")
			}
			if _, _, err := store.FindSession(context.Background(), bobSecret); err != nil || !tokenWorks(t, store, bobs.DashboardToken) {
				t.Errorf("another user's session was touched: %v", err)
			}
			assertCode(t, store.DeleteOtherSessions(context.Background(), keep.ID), freezer.EUNAUTHORIZED)
		})
	})

	t.Run("PurgeExpired", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			clk := useMovableClock(store)
			alice := MustRegister(t, store, "alice@example.com")
			old, _ := MustCreateSession(t, store, alice)
			clk.Advance(freezer.SessionIdleTimeout + time.Hour)
			MustCreateSession(t, store, alice) // purges the expired one
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if got, want := n, 1; got != want {
				t.Errorf("sessions = %d, want %d", got, want)
			}
			if tokenWorks(t, store, old.DashboardToken) {
				t.Error("an expired session's dashboard token still works")
			}
		})
	})
}
