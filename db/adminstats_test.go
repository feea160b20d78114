package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestSiteStats(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
			admin := MustRegisterAdmin(t, store, "admin@example.com")
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			if _, err := store.UpdateUser(systemCtx(), bob.User.ID, freezer.UserUpdate{Disabled: ptr(true)}); err != nil {
				t.Fatal(err)
			}
			f := MustCreateFreezer(t, store, alice, "Garage", 3)
			for range 4 {
				MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
			}
			MustTakeOut(t, regCtx(alice), store, 1, today)
			for _, name := range []string{"door", "garage"} {
				d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household.ID, Name: name, Mode: freezer.ModeOut}
				if _, err := store.CreateDevice(regCtx(alice), d); err != nil {
					t.Fatal(err)
				}
				if name == "door" {
					if err := store.SetDeviceOnline(systemCtx(), d.ID, true); err != nil {
						t.Fatal(err)
					}
					// Two scans today, one yesterday evening.
					for i, at := range []time.Time{testdb.Now.Add(-13 * time.Hour), testdb.Now.Add(-time.Hour), testdb.Now} {
						if _, err := raw.Exec(`INSERT INTO scan_events (device_id, msg_id, code, mode, status, created_at) VALUES (?, ?, 'FZ-C-IN', 'in', 'ok', ?)`,
							d.ID, fmt.Sprint(i), at.UTC()); err != nil {
							t.Fatal(err)
						}
					}
				}
			}

			st, err := store.SiteStats(regCtx(admin))
			if err != nil {
				t.Fatal(err)
			}
			want := freezer.SiteStats{Users: 3, Admins: 1, DisabledUsers: 1, Households: 3, Freezers: 1,
				ProductsInside: 3, ProductsTotal: 4, ProductsPerUser: 1.33, Devices: 2, DevicesOnline: 1, ScansToday: 2}
			if got := *st; got != want {
				t.Errorf("stats = %+v, want %+v", got, want)
			}
		})
	})

	t.Run("ErrNotAdmin", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.SiteStats(regCtx(alice))
			assertCode(t, err, freezer.EFORBIDDEN)
			_, err = store.SiteStats(context.Background())
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}
