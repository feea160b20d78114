package testdb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// Household is a migrated store with one registered user, their household
// and a freezer, on a settable clock in UTC.
type Household struct {
	DSN     string
	Store   *db.DB
	Clock   *Clock
	User    *freezer.RegisteredUser
	Ctx     context.Context // acts as the user
	Freezer *freezer.Freezer
}

// NewHousehold opens a migrated database at dsn whose clock starts at now,
// and registers a user with a three-box freezer.
func NewHousehold(t *testing.T, dsn string, now time.Time) *Household {
	t.Helper()
	h := &Household{DSN: dsn, Clock: NewClock(now)}
	h.Store = h.Open(t)
	sys := freezer.SystemContext(context.Background())
	r, err := h.Store.RegisterUser(sys, freezer.Registration{Email: "ann@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	h.User, h.Ctx = r, freezer.NewContextWithUser(context.Background(), r.User)
	h.Freezer = &freezer.Freezer{HouseholdID: r.Household.ID, Name: "Garage", NumberBoxes: 3}
	if err := h.Store.CreateFreezer(h.Ctx, h.Freezer); err != nil {
		t.Fatal(err)
	}
	return h
}

// Open opens another handle on the household's database, as another
// process would, on the same clock.
func (h *Household) Open(t *testing.T) *db.DB {
	t.Helper()
	store := MustOpen(t, h.DSN)
	store.Now = h.Clock.Now
	store.Location = time.UTC
	return store
}

// Today is the clock's calendar day in UTC.
func (h *Household) Today() freezer.Date { return freezer.Today(h.Clock.Now(), time.UTC) }

// Product puts a product in box 1 of the freezer, on dateIn, for months.
func (h *Household) Product(t *testing.T, name string, dateIn freezer.Date, months int) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: h.Freezer.ID, Box: 1, Name: name, TypeID: 1, Quantity: 2, DateIn: dateIn, PeriodMonths: months}
	if err := h.Store.CreateProduct(h.Ctx, p); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return p
}

// Settings changes the household's alert settings.
func (h *Household) Settings(t *testing.T, upd freezer.AlertSettingsUpdate) {
	t.Helper()
	if _, err := h.Store.UpdateAlertSettings(h.Ctx, h.User.Household.ID, upd); err != nil {
		t.Fatal(err)
	}
}

// Raw opens a plain database/sql connection to the database at dsn,
// closed when the test ends.
func Raw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	dialect, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(string(dialect), driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
