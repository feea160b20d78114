package db_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// fillForCopy stores a little of everything: two households, tokens, a
// session, freezers, products inside and out, a device, blank labels, a
// printer and alert settings.
func fillForCopy(tb testing.TB, store *db.DB) {
	tb.Helper()
	ann, bob := MustRegister(tb, store, "ann@example.com"), MustRegister(tb, store, "bob@example.com")
	f := MustCreateFreezer(tb, store, ann, "Chest", 3)
	MustCreateFreezer(tb, store, bob, "Upright", 2)
	for i := 0; i < 5; i++ {
		p := MustCreateProduct(tb, regCtx(ann), store, newProduct(f, 1+i%3, 0))
		if i%2 == 0 {
			MustTakeOut(tb, regCtx(ann), store, p.ID, today)
		}
	}
	if _, _, err := store.CreateSession(regCtx(ann)); err != nil {
		tb.Fatal(err)
	}
	if _, _, err := store.CreateToken(regCtx(bob), "script"); err != nil {
		tb.Fatal(err)
	}
	if _, err := store.CreateDevice(regCtx(ann), &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: ann.Household.ID, Name: "door", Mode: freezer.ModeOut}); err != nil {
		tb.Fatal(err)
	}
	if _, err := store.ReserveLabels(regCtx(ann), ann.Household.ID, 3); err != nil {
		tb.Fatal(err)
	}
	if err := store.SetPrinter(regCtx(ann), &freezer.PrinterConfig{HouseholdID: ann.Household.ID, Kind: freezer.PrinterWebhook,
		Target: "https://print.example.com/", Token: "secret", Size: "62mm", DPI: 203, Language: "en"}); err != nil {
		tb.Fatal(err)
	}
	off := false
	if _, err := store.UpdateAlertSettings(regCtx(ann), ann.Household.ID, freezer.AlertSettingsUpdate{MQTT: &off}); err != nil {
		tb.Fatal(err)
	}
}

func mustDump(tb testing.TB, store *db.DB) map[string][]string {
	tb.Helper()
	dump, err := db.Dump(context.Background(), store)
	if err != nil {
		tb.Fatal(err)
	}
	return dump
}

// diffDumps names the tables whose rows differ.
func diffDumps(a, b map[string][]string) string {
	var diffs []string
	for name, rows := range a {
		if !reflect.DeepEqual(rows, b[name]) {
			diffs = append(diffs, fmt.Sprintf("%s:\n  %q\n  %q", name, rows, b[name]))
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, name+": only in the second")
		}
	}
	return strings.Join(diffs, "\n")
}

// TestCopyBothWays copies a filled database into each dialect and back
// into SQLite, and compares every row at each step.
func TestCopyBothWays(t *testing.T) {
	ctx := context.Background()
	source := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	fillForCopy(t, source)
	want := mustDump(t, source)
	if len(want["products"]) != 5 || len(want["label_reservations"]) != 3 || len(want["sessions"]) != 1 {
		t.Fatalf("the fill did not store what the test expects: %d products", len(want["products"]))
	}
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		middle, err := db.Open(ctx, dsn) // not migrated: Copy migrates a new database
		if err != nil {
			t.Fatal(err)
		}
		defer middle.Close()
		report, err := db.Copy(ctx, source, middle)
		if err != nil {
			t.Fatalf("copy: %v", err)
		}
		if report.Tables["products"] != 5 || report.Rows == 0 {
			t.Errorf("report = %+v", report)
		}
		if d := diffDumps(want, mustDump(t, middle)); d != "" {
			t.Errorf("after the copy into %s:\n%s", middle.Dialect(), d)
		}
		back := testdb.MustOpen(t, testdb.SQLiteDSN(t))
		if _, err := db.Copy(ctx, middle, back); err != nil {
			t.Fatalf("copy back: %v", err)
		}
		if d := diffDumps(want, mustDump(t, back)); d != "" {
			t.Errorf("after the copy back:\n%s", d)
		}
		// New rows take ids above the copied ones.
		ann := MustRegister(t, back, "cid@example.com")
		f := MustCreateFreezer(t, back, ann, "New", 1)
		p := MustCreateProduct(t, regCtx(ann), back, newProduct(f, 1, 0))
		if p.ID <= 8 { // 5 products and 3 blank labels were copied
			t.Errorf("a new product after the copy took id %d, at or below the copied ones", p.ID)
		}
	})
}

func TestCopyRefuses(t *testing.T) {
	ctx := context.Background()
	source := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	fillForCopy(t, source)
	testdb.Dialects(t, func(t *testing.T, first string) {
		used := false
		newDSN := func(t *testing.T) string { // each case its own database
			switch {
			case !used:
				used = true
				return first
			case strings.HasPrefix(first, "sqlite:"):
				return testdb.SQLiteDSN(t)
			}
			return testdb.MySQLDSN(t)
		}
		t.Run("ErrTargetNotEmpty", func(t *testing.T) {
			dsn := newDSN(t)
			target := testdb.MustOpen(t, dsn)
			MustRegister(t, target, "zoe@example.com")
			before := mustDump(t, target)
			_, err := db.Copy(ctx, source, target)
			assertCode(t, err, freezer.ECONFLICT)
			if msg := freezer.ErrorMessage(err); !strings.Contains(msg, "not empty") || !strings.Contains(msg, "users has 1 rows") {
				t.Errorf("message = %q", msg)
			}
			if d := diffDumps(before, mustDump(t, target)); d != "" {
				t.Errorf("a refused copy changed the target:\n%s", d)
			}
		})
		t.Run("ErrSourceOlderSchema", func(t *testing.T) {
			old := testdb.SQLiteDSN(t)
			store, err := db.Open(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if err := db.MigrateTo(ctx, store, 5); err != nil {
				t.Fatal(err)
			}
			target, err := db.Open(ctx, newDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			_, err = db.Copy(ctx, store, target)
			assertCode(t, err, freezer.ECONFLICT)
			if msg := freezer.ErrorMessage(err); !strings.Contains(msg, "source sqlite database is at schema version 5") {
				t.Errorf("message = %q", msg)
			}
		})
		t.Run("ErrTargetOlderSchema", func(t *testing.T) {
			dsn := newDSN(t)
			target, err := db.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			if err := db.MigrateTo(ctx, target, 5); err != nil {
				t.Fatal(err)
			}
			_, err = db.Copy(ctx, source, target)
			assertCode(t, err, freezer.ECONFLICT)
			if msg := freezer.ErrorMessage(err); !strings.Contains(msg, "target "+string(target.Dialect())+" database is at schema version 5") {
				t.Errorf("message = %q", msg)
			}
		})
		t.Run("ErrTableMissing", func(t *testing.T) {
			dsn := newDSN(t)
			target := testdb.MustOpen(t, dsn)
			raw := MustOpenRaw(t, dsn)
			if _, err := raw.Exec("CREATE TABLE extra_things (id INTEGER PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			_, err := db.Copy(ctx, source, target)
			assertCode(t, err, freezer.ECONFLICT)
			if msg := freezer.ErrorMessage(err); !strings.Contains(msg, "table extra_things is missing from the source") {
				t.Errorf("message = %q", msg)
			}
		})
	})
}
