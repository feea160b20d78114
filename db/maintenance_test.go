package db_test

import (
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestOwnerLeaving: when the last owner leaves, the longest-standing member
// becomes an owner, so that the household stays manageable.
func TestOwnerLeaving(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		MustRegister(t, store, "bob@example.com")
		bob := mustJoin(t, store, alice, alice.Household.ID, "bob@example.com")
		if err := store.RemoveMember(regCtx(alice), alice.Household.ID, alice.User.ID); err != nil {
			t.Fatal(err)
		}
		members, err := store.FindMembers(systemCtx(), alice.Household.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 1 || members[0].UserID != bob.UserID || members[0].Role != freezer.RoleOwner {
			t.Fatalf("members after the owner left = %+v, want bob as owner", members)
		}
	})
}

func TestUpdateHouseholdErrReturnsNil(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		h, err := store.UpdateHousehold(regCtx(alice), alice.Household.ID, freezer.HouseholdUpdate{DueSoonDays: ptr(-1)})
		assertCode(t, err, freezer.EINVALID)
		if h != nil {
			t.Errorf("a failed update returned %+v, want nil", h)
		}
	})
}

func TestArchiveTwiceKeepsFirstTime(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "old", 2)
		first, err := store.ArchiveFreezer(regCtx(alice), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		store.Now = func() time.Time { return testdb.Now.Add(48 * time.Hour) }
		second, err := store.ArchiveFreezer(regCtx(alice), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !second.ArchivedAt.Equal(*first.ArchivedAt) {
			t.Errorf("archived_at = %v after a second archive, want the first %v", second.ArchivedAt, first.ArchivedAt)
		}
	})
}

// TestEditHistoryInRemovedBox: a taken-out product in a box the freezer no
// longer has can still be renamed, but not put back there.
func TestEditHistoryInRemovedBox(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "chest", 4)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 4, 0))
		MustTakeOut(t, ctx, store, p.ID, daysAgo(1))
		if _, err := store.UpdateFreezer(ctx, f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		got, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("Old lasagne")})
		if err != nil {
			t.Fatalf("rename a product of a removed box: %v", err)
		}
		if got.Name != "Old lasagne" || got.Box != 4 {
			t.Errorf("product = %+v, want renamed and still in box 4", got)
		}
		_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{DateOut: &freezer.Date{}})
		assertCode(t, err, freezer.EINVALID)
	})
}

// TestTimesAreUTC: timestamps read back in UTC whatever the server's zone.
func TestTimesAreUTC(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		u, err := store.FindUserByID(regCtx(alice), alice.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.CreatedAt.Location() != time.UTC || !u.CreatedAt.Equal(testdb.Now) {
			t.Errorf("created_at = %v (%v), want %v in UTC", u.CreatedAt, u.CreatedAt.Location(), testdb.Now)
		}
	})
}

// TestParseDSNDriverTimeouts: timeout options configure the driver instead
// of being sent to the server as session variables.
func TestParseDSNDriverTimeouts(t *testing.T) {
	_, driverDSN, err := db.ParseDSN("mysql://u:p@h:3306/d?timeout=5s&readTimeout=2s&writeTimeout=3s&sql_mode=TRADITIONAL")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 5*time.Second || cfg.ReadTimeout != 2*time.Second || cfg.WriteTimeout != 3*time.Second {
		t.Errorf("timeouts = %v/%v/%v, want 5s/2s/3s", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
	if _, ok := cfg.Params["timeout"]; ok {
		t.Errorf("timeout sent as a session variable: %v", cfg.Params)
	}
	if got := cfg.Params["sql_mode"]; got != "TRADITIONAL" {
		t.Errorf("sql_mode = %q, want it passed to the server", got)
	}
	if _, _, err := db.ParseDSN("mysql://u:p@h/d?timeout=soon"); err == nil {
		t.Error("a bad timeout was accepted")
	}
}
