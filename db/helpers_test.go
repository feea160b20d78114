package db_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/go-sql-driver/mysql" // the raw connection to a MySQL test database
	_ "modernc.org/sqlite"             // the raw connection to a SQLite test file

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// testPassword is the password of every user the helpers register.
const testPassword = "correct horse battery"

// today is the calendar day of the fixed test clock (2026-03-15).
var today = freezer.DateOf(testdb.Now)

// daysAgo returns the day n days before today.
func daysAgo(n int) freezer.Date { return today.AddDays(-n) }

// ptr returns a pointer to v, for the pointer fields of filters and updates.
func ptr[T any](v T) *T { return &v }

// userCtx returns a context acting as u.
func userCtx(u *freezer.User) context.Context {
	return freezer.NewContextWithUser(context.Background(), u)
}

// regCtx returns a context acting as a registered user.
func regCtx(r *freezer.RegisteredUser) context.Context { return userCtx(r.User) }

// systemCtx returns a context acting as the server itself.
func systemCtx() context.Context { return freezer.SystemContext(context.Background()) }

// MustRegister registers a plain user with testPassword and fails the test on error.
func MustRegister(tb testing.TB, store *db.DB, email string) *freezer.RegisteredUser {
	tb.Helper()
	r, err := store.RegisterUser(context.Background(), freezer.Registration{Email: email, Password: testPassword})
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return r
}

// MustRegisterAdmin registers an admin through the system context.
func MustRegisterAdmin(tb testing.TB, store *db.DB, email string) *freezer.RegisteredUser {
	tb.Helper()
	r, err := store.RegisterUser(systemCtx(), freezer.Registration{Email: email, Password: testPassword, Admin: true})
	if err != nil {
		tb.Fatalf("register admin %s: %v", email, err)
	}
	return r
}

// MustCreateFreezer creates a freezer with boxes boxes in the user's own household.
func MustCreateFreezer(tb testing.TB, store *db.DB, r *freezer.RegisteredUser, name string, boxes int) *freezer.Freezer {
	tb.Helper()
	f := &freezer.Freezer{HouseholdID: r.Household.ID, Name: name, NumberBoxes: boxes}
	if err := store.CreateFreezer(regCtx(r), f); err != nil {
		tb.Fatalf("create freezer %q: %v", name, err)
	}
	return f
}

// newProduct returns a valid product for box and slot of f (slot 0: the next
// free one), put in ten days ago for three months.
func newProduct(f *freezer.Freezer, box, slot int) *freezer.Product {
	return &freezer.Product{
		FreezerID:    f.ID,
		Box:          box,
		Slot:         slot,
		Name:         "Lasagne",
		Description:  "Two portions",
		TypeID:       1,
		Quantity:     2,
		DateIn:       daysAgo(10),
		PeriodMonths: 3,
	}
}

// MustCreateProduct stores p as the actor of ctx and fails the test on error.
func MustCreateProduct(tb testing.TB, ctx context.Context, store *db.DB, p *freezer.Product) *freezer.Product {
	tb.Helper()
	if err := store.CreateProduct(ctx, p); err != nil {
		tb.Fatalf("create product %+v: %v", *p, err)
	}
	return p
}

// MustTakeOut takes a product out on day and returns it.
func MustTakeOut(tb testing.TB, ctx context.Context, store *db.DB, id int64, day freezer.Date) *freezer.Product {
	tb.Helper()
	p, err := store.UpdateProduct(ctx, id, freezer.ProductUpdate{DateOut: &day})
	if err != nil {
		tb.Fatalf("take out product %d: %v", id, err)
	}
	return p
}

// MustFindProduct reads a product back as the actor of ctx.
func MustFindProduct(tb testing.TB, ctx context.Context, store *db.DB, id int64) *freezer.Product {
	tb.Helper()
	p, err := store.FindProductByID(ctx, id)
	if err != nil {
		tb.Fatalf("find product %d: %v", id, err)
	}
	return p
}

// MustOpenRaw opens a database/sql connection to the database at a freezerd
// DSN, beside the store: the store has no exported raw handle, and these
// checks need to go around it.
func MustOpenRaw(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	dialect, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("parse dsn: %v", err)
	}
	raw, err := sql.Open(string(dialect), driverDSN) // driver names: "sqlite" (modernc) and "mysql"
	if err != nil {
		tb.Fatalf("open raw %s connection: %v", dialect, err)
	}
	tb.Cleanup(func() { raw.Close() })
	if err := raw.Ping(); err != nil {
		tb.Fatalf("ping raw %s connection: %v", dialect, err)
	}
	return raw
}

// eachDBWithRaw is testdb.EachDB with, in addition, a raw connection to the
// same database.
func eachDBWithRaw(t *testing.T, fn func(t *testing.T, store *db.DB, raw *sql.DB)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		store := testdb.MustOpen(t, dsn)
		fn(t, store, MustOpenRaw(t, dsn))
	})
}

// assertCode fails the test unless err carries the code want.
func assertCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got, want := freezer.ErrorCode(err), want; got != want {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, want, err)
	}
}
