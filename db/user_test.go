package db_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// passwordHash reads a user's stored password hash.
func passwordHash(tb testing.TB, raw *sql.DB, userID int64) string {
	tb.Helper()
	var hash string
	if err := raw.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash); err != nil {
		tb.Fatalf("read password hash: %v", err)
	}
	return hash
}

func TestRegisterUser(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			ctx := context.Background()
			r, err := store.RegisterUser(ctx, freezer.Registration{
				Email: "alice@example.com", Password: testPassword, Language: freezer.LanguageFrench, HouseholdName: "Chez Alice",
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.User.ID == 0 {
				t.Fatal("user id = 0")
			}
			if got, want := r.User.Email, "alice@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
			if got, want := r.User.Language, freezer.LanguageFrench; got != want {
				t.Errorf("language = %q, want %q", got, want)
			}
			if got, want := r.User.Admin, false; got != want {
				t.Errorf("admin = %v, want %v", got, want)
			}
			if got, want := r.User.CreatedAt.Equal(testdb.Now), true; got != want {
				t.Errorf("created_at = %v, want %v", r.User.CreatedAt, testdb.Now)
			}
			if got, want := r.Household.Name, "Chez Alice"; got != want {
				t.Errorf("household name = %q, want %q", got, want)
			}
			if got, want := r.Household.DueSoonDays, freezer.DefaultDueSoonDays; got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
			if got, want := len(r.Token), 64; got != want {
				t.Errorf("token length = %d, want %d", got, want)
			}
			if got, want := strings.HasPrefix(passwordHash(t, raw, r.User.ID), "$argon2id$"), true; got != want {
				t.Errorf("password hash is not argon2id")
			}

			// The user owns their household.
			members, err := store.FindMembers(regCtx(r), r.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(members), 1; got != want {
				t.Fatalf("members = %d, want %d", got, want)
			}
			if got, want := members[0].UserID, r.User.ID; got != want {
				t.Errorf("member = %d, want %d", got, want)
			}
			if got, want := members[0].Role, freezer.RoleOwner; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}

			// The first token works.
			u, tok, err := store.AuthenticateToken(ctx, r.Token)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.ID, r.User.ID; got != want {
				t.Errorf("token user = %d, want %d", got, want)
			}
			if got, want := tok.Name, "default"; got != want {
				t.Errorf("token name = %q, want %q", got, want)
			}

			// The password works.
			if _, err := store.Authenticate(ctx, "alice@example.com", testPassword); err != nil {
				t.Errorf("authenticate: %v", err)
			}
		})
	})

	t.Run("Defaults", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			r := MustRegister(t, store, "bob@example.com")
			if got, want := r.User.Language, freezer.LanguageEnglish; got != want {
				t.Errorf("language = %q, want %q", got, want)
			}
			if got, want := r.Household.Name, "Home"; got != want {
				t.Errorf("household name = %q, want %q", got, want)
			}
		})
	})

	t.Run("EmailNormalized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			r := MustRegister(t, store, "  Alice.Smith@Example.COM ")
			if got, want := r.User.Email, "alice.smith@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
			u, err := store.FindUserByID(regCtx(r), r.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Email, "alice.smith@example.com"; got != want {
				t.Errorf("stored email = %q, want %q", got, want)
			}
			// Signing in with any case finds the account.
			if _, err := store.Authenticate(context.Background(), "ALICE.SMITH@example.com", testPassword); err != nil {
				t.Errorf("authenticate with upper case: %v", err)
			}
		})
	})

	t.Run("ErrEmailTaken", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			MustRegister(t, store, "alice@example.com")
			_, err := store.RegisterUser(context.Background(), freezer.Registration{Email: "ALICE@Example.com", Password: testPassword})
			assertCode(t, err, freezer.ECONFLICT)
			if got, want := freezer.ErrorMessage(err), "That e-mail address is already registered."; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			// Nothing of the failed registration stays: one user, one household.
			users, err := store.FindUsers(systemCtx(), freezer.UserFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(users), 1; got != want {
				t.Errorf("users = %d, want %d", got, want)
			}
			households, err := store.FindHouseholds(systemCtx())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(households), 1; got != want {
				t.Errorf("households = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			tests := []struct {
				desc string
				reg  freezer.Registration
			}{
				{desc: "no email", reg: freezer.Registration{Password: testPassword}},
				{desc: "no at sign", reg: freezer.Registration{Email: "alice.example.com", Password: testPassword}},
				{desc: "display name", reg: freezer.Registration{Email: "Alice <alice@example.com>", Password: testPassword}},
				{desc: "short password", reg: freezer.Registration{Email: "alice@example.com", Password: "short"}},
				{desc: "empty password", reg: freezer.Registration{Email: "alice@example.com"}},
				{desc: "unknown language", reg: freezer.Registration{Email: "alice@example.com", Password: testPassword, Language: "de"}},
				{desc: "household name on two lines", reg: freezer.Registration{Email: "alice@example.com", Password: testPassword, HouseholdName: "a\nb"}},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					_, err := store.RegisterUser(context.Background(), tt.reg)
					assertCode(t, err, freezer.EINVALID)
				})
			}
			users, err := store.FindUsers(systemCtx(), freezer.UserFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(users), 0; got != want {
				t.Errorf("users after invalid registrations = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrForbiddenAdmin", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.RegisterUser(regCtx(alice), freezer.Registration{Email: "eve@example.com", Password: testPassword, Admin: true})
			assertCode(t, err, freezer.EFORBIDDEN)
			_, err = store.RegisterUser(context.Background(), freezer.Registration{Email: "eve@example.com", Password: testPassword, Admin: true})
			assertCode(t, err, freezer.EUNAUTHORIZED)
			// A plain user may still register a plain user.
			if _, err := store.RegisterUser(regCtx(alice), freezer.Registration{Email: "eve@example.com", Password: testPassword}); err != nil {
				t.Errorf("plain registration by a user: %v", err)
			}
		})
	})

	t.Run("AdminBySystemOrAdmin", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			if got, want := root.User.Admin, true; got != want {
				t.Errorf("system-registered admin = %v, want %v", got, want)
			}
			r, err := store.RegisterUser(regCtx(root), freezer.Registration{Email: "second@example.com", Password: testPassword, Admin: true})
			if err != nil {
				t.Fatal(err)
			}
			u, err := store.FindUserByID(systemCtx(), r.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Admin, true; got != want {
				t.Errorf("admin-registered admin = %v, want %v", got, want)
			}
		})
	})
}

func TestAuthenticate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			r := MustRegister(t, store, "alice@example.com")
			u, err := store.Authenticate(context.Background(), "alice@example.com", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.ID, r.User.ID; got != want {
				t.Errorf("user = %d, want %d", got, want)
			}
			if got, want := u.Email, "alice@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			MustRegister(t, store, "alice@example.com")
			ctx := context.Background()
			_, errWrong := store.Authenticate(ctx, "alice@example.com", "wrong password")
			assertCode(t, errWrong, freezer.EUNAUTHORIZED)
			_, errUnknown := store.Authenticate(ctx, "nobody@example.com", testPassword)
			assertCode(t, errUnknown, freezer.EUNAUTHORIZED)
			_, errEmpty := store.Authenticate(ctx, "alice@example.com", "")
			assertCode(t, errEmpty, freezer.EUNAUTHORIZED)
			// No hint which of the two was wrong.
			if got, want := freezer.ErrorMessage(errUnknown), freezer.ErrorMessage(errWrong); got != want {
				t.Errorf("unknown e-mail message = %q, wrong password message = %q: they differ", got, want)
			}
		})
	})

	t.Run("ErrDisabled", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			if _, err := store.UpdateUser(systemCtx(), alice.User.ID, freezer.UserUpdate{Disabled: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			_, err := store.Authenticate(context.Background(), "alice@example.com", testPassword)
			assertCode(t, err, freezer.EUNAUTHORIZED)
			// Its token stops working too.
			_, _, err = store.AuthenticateToken(context.Background(), alice.Token)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("BcryptUpgraded", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			hash, err := bcrypt.GenerateFromPassword([]byte("legacy password"), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(`UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), alice.User.ID); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()

			// A wrong password leaves the old hash in place.
			_, err = store.Authenticate(ctx, "alice@example.com", "wrong password")
			assertCode(t, err, freezer.EUNAUTHORIZED)
			if got, want := passwordHash(t, raw, alice.User.ID), string(hash); got != want {
				t.Fatalf("hash after a failed sign-in = %q, want the bcrypt hash %q", got, want)
			}

			u, err := store.Authenticate(ctx, "alice@example.com", "legacy password")
			if err != nil {
				t.Fatalf("authenticate with a bcrypt hash: %v", err)
			}
			if got, want := u.ID, alice.User.ID; got != want {
				t.Errorf("user = %d, want %d", got, want)
			}
			if got, want := strings.HasPrefix(passwordHash(t, raw, alice.User.ID), "$argon2id$"), true; got != want {
				t.Fatalf("hash after sign-in = %q, want an $argon2id$ hash", passwordHash(t, raw, alice.User.ID))
			}
			// The new hash still accepts the same password, and only it.
			if _, err := store.Authenticate(ctx, "alice@example.com", "legacy password"); err != nil {
				t.Errorf("authenticate with the upgraded hash: %v", err)
			}
			_, err = store.Authenticate(ctx, "alice@example.com", testPassword)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestFindUser(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			u, err := store.FindUserByID(regCtx(alice), alice.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Email, "alice@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.FindUserByID(regCtx(alice), bob.User.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			// The answer for an existing user is the same as for a missing one.
			_, err = store.FindUserByID(regCtx(alice), bob.User.ID+1000)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindUserByID(context.Background(), alice.User.ID)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("AdminSeesOthers", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			u, err := store.FindUserByID(regCtx(root), bob.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Email, "bob@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
			_, err = store.FindUserByID(regCtx(root), bob.User.ID+1000)
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestFindUsers(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			users, err := store.FindUsers(regCtx(root), freezer.UserFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(users), 3; got != want {
				t.Fatalf("users = %d, want %d", got, want)
			}
			for i, want := range []string{"root@example.com", "alice@example.com", "bob@example.com"} {
				if got := users[i].Email; got != want {
					t.Errorf("users[%d] = %q, want %q", i, got, want)
				}
			}
			users, err = store.FindUsers(regCtx(root), freezer.UserFilter{Email: ptr("BOB@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(users), 1; got != want {
				t.Fatalf("users by e-mail = %d, want %d", got, want)
			}
			if got, want := users[0].ID, bob.User.ID; got != want {
				t.Errorf("user by e-mail = %d, want %d", got, want)
			}
			users, err = store.FindUsers(regCtx(root), freezer.UserFilter{Offset: 1, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(users), 1; got != want {
				t.Fatalf("users page = %d, want %d", got, want)
			}
			if got, want := users[0].Email, "alice@example.com"; got != want {
				t.Errorf("users page = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.FindUsers(regCtx(alice), freezer.UserFilter{})
			assertCode(t, err, freezer.EFORBIDDEN)
			_, err = store.FindUsers(context.Background(), freezer.UserFilter{})
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

func TestUpdateUser(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			u, err := store.UpdateUser(regCtx(alice), alice.User.ID, freezer.UserUpdate{
				Language: ptr(freezer.LanguageFrench), Email: ptr("Alice.New@Example.com"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Language, freezer.LanguageFrench; got != want {
				t.Errorf("language = %q, want %q", got, want)
			}
			if got, want := u.Email, "alice.new@example.com"; got != want {
				t.Errorf("email = %q, want %q", got, want)
			}
			u, err = store.FindUserByID(regCtx(alice), alice.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Language, freezer.LanguageFrench; got != want {
				t.Errorf("stored language = %q, want %q", got, want)
			}
			if _, err := store.Authenticate(context.Background(), "alice.new@example.com", testPassword); err != nil {
				t.Errorf("authenticate with the new e-mail: %v", err)
			}
		})
	})

	t.Run("ErrForbiddenOwnAdmin", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.UpdateUser(regCtx(alice), alice.User.ID, freezer.UserUpdate{Admin: ptr(true)})
			assertCode(t, err, freezer.EFORBIDDEN)
			_, err = store.UpdateUser(regCtx(alice), alice.User.ID, freezer.UserUpdate{Disabled: ptr(true)})
			assertCode(t, err, freezer.EFORBIDDEN)
			u, err := store.FindUserByID(regCtx(alice), alice.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Admin, false; got != want {
				t.Errorf("admin = %v, want %v", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.UpdateUser(regCtx(alice), bob.User.ID, freezer.UserUpdate{Language: ptr(freezer.LanguageFrench)})
			assertCode(t, err, freezer.ENOTFOUND)
			u, err := store.FindUserByID(regCtx(bob), bob.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Language, freezer.LanguageEnglish; got != want {
				t.Errorf("language = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrEmailTaken", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.UpdateUser(regCtx(bob), bob.User.ID, freezer.UserUpdate{Email: ptr("ALICE@example.com")})
			assertCode(t, err, freezer.ECONFLICT)
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.UpdateUser(regCtx(alice), alice.User.ID, freezer.UserUpdate{Language: ptr("xx")})
			assertCode(t, err, freezer.EINVALID)
			_, err = store.UpdateUser(regCtx(alice), alice.User.ID, freezer.UserUpdate{Email: ptr("not an address")})
			assertCode(t, err, freezer.EINVALID)
		})
	})

	t.Run("AdminChangesFlags", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			alice := MustRegister(t, store, "alice@example.com")
			u, err := store.UpdateUser(regCtx(root), alice.User.ID, freezer.UserUpdate{Admin: ptr(true)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Admin, true; got != want {
				t.Errorf("admin = %v, want %v", got, want)
			}
			_, err = store.UpdateUser(regCtx(root), alice.User.ID+1000, freezer.UserUpdate{Admin: ptr(true)})
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestSetPassword(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			if err := store.SetPassword(regCtx(alice), alice.User.ID, "a brand new secret"); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := store.Authenticate(ctx, "alice@example.com", "a brand new secret"); err != nil {
				t.Errorf("authenticate with the new password: %v", err)
			}
			_, err := store.Authenticate(ctx, "alice@example.com", testPassword)
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			err := store.SetPassword(regCtx(alice), alice.User.ID, "short")
			assertCode(t, err, freezer.EINVALID)
			if _, err := store.Authenticate(context.Background(), "alice@example.com", testPassword); err != nil {
				t.Errorf("old password after a refused change: %v", err)
			}
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			err := store.SetPassword(regCtx(alice), bob.User.ID, "a brand new secret")
			assertCode(t, err, freezer.ENOTFOUND)
			err = store.SetPassword(systemCtx(), bob.User.ID+1000, "a brand new secret")
			assertCode(t, err, freezer.ENOTFOUND)
			if _, err := store.Authenticate(context.Background(), "bob@example.com", testPassword); err != nil {
				t.Errorf("bob's password changed: %v", err)
			}
		})
	})
}
