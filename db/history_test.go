package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// mustFindEvents reads the change log as the actor of ctx.
func mustFindEvents(tb testing.TB, ctx context.Context, store *db.DB, filter freezer.EventFilter) []*freezer.HistoryEvent {
	tb.Helper()
	list, err := store.FindEvents(ctx, filter)
	if err != nil {
		tb.Fatalf("find events %+v: %v", filter, err)
	}
	return list
}

// lastEvent returns the newest event about product id.
func lastEvent(tb testing.TB, ctx context.Context, store *db.DB, id int64) *freezer.HistoryEvent {
	tb.Helper()
	list := mustFindEvents(tb, ctx, store, freezer.EventFilter{ProductID: &id, Limit: 1})
	if len(list) != 1 {
		tb.Fatalf("no event for product %d", id)
	}
	return list[0]
}

// wantEvent fails the test unless e has the given action, actor and summary.
func wantEvent(tb testing.TB, e *freezer.HistoryEvent, action, actor, summary string) {
	tb.Helper()
	if e.Action != action || e.Actor != actor || e.Summary != summary {
		tb.Fatalf("event = %s by %s %q, want %s by %s %q", e.Action, e.Actor, e.Summary, action, actor, summary)
	}
}

func TestHistoryProductChanges(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		actor := fmt.Sprintf("user:%d", alice.User.ID)
		f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
		g := MustCreateFreezer(t, store, alice, "Garage", 2)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		loc := func(fr *freezer.Freezer, box, slot int) string { return fmt.Sprintf("F%d B%d S%d", fr.ID, box, slot) }

		e := lastEvent(t, ctx, store, p.ID)
		wantEvent(t, e, freezer.ActionCreate, actor, "created Lasagne in "+loc(f, 1, 1))
		if e.HouseholdID != alice.Household.ID || *e.ProductID != p.ID || !e.CreatedAt.Equal(testdb.Now) {
			t.Fatalf("event = %+v, want household %d, product %d, at %v", e, alice.Household.ID, p.ID, testdb.Now)
		}

		steps := []struct {
			desc            string
			upd             freezer.ProductUpdate
			action, summary string
		}{
			{"Edit", freezer.ProductUpdate{Quantity: ptr(3), Name: ptr("Lasagne verte")},
				freezer.ActionUpdate, "updated Lasagne verte: name, quantity"},
			{"Move to another box", freezer.ProductUpdate{Box: ptr(2), Slot: ptr(0)},
				freezer.ActionMove, "moved Lasagne verte from " + loc(f, 1, 1) + " to " + loc(f, 2, 1)},
			{"Move to another freezer", freezer.ProductUpdate{FreezerID: &g.ID, Box: ptr(1), Slot: ptr(4)},
				freezer.ActionMove, "moved Lasagne verte from " + loc(f, 2, 1) + " to " + loc(g, 1, 4)},
			{"Take out", freezer.ProductUpdate{DateOut: ptr(daysAgo(1))},
				freezer.ActionTakeOut, "took out Lasagne verte from " + loc(g, 1, 4)},
			{"Change the day it went out", freezer.ProductUpdate{DateOut: ptr(daysAgo(2))},
				freezer.ActionUpdate, "updated Lasagne verte: date_out"},
			{"Put back with another quantity", freezer.ProductUpdate{DateOut: &freezer.Date{}, Quantity: ptr(1)},
				freezer.ActionPutBack, "put back Lasagne verte in " + loc(g, 1, 4) + " (also changed quantity)"},
			{"Nothing changes", freezer.ProductUpdate{},
				freezer.ActionUpdate, "updated Lasagne verte (nothing changed)"},
		}
		for _, step := range steps {
			if _, err := store.UpdateProduct(ctx, p.ID, step.upd); err != nil {
				t.Fatalf("%s: %v", step.desc, err)
			}
			wantEvent(t, lastEvent(t, ctx, store, p.ID), step.action, actor, step.summary)
		}

		// A change that fails leaves no event.
		before := len(mustFindEvents(t, ctx, store, freezer.EventFilter{}))
		_, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Quantity: ptr(9), Version: 1})
		assertCode(t, err, freezer.ECONFLICT)
		if got := len(mustFindEvents(t, ctx, store, freezer.EventFilter{})); got != before {
			t.Fatalf("events after a failed update = %d, want %d", got, before)
		}

		if err := store.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		wantEvent(t, lastEvent(t, ctx, store, p.ID), freezer.ActionDelete, actor, "deleted Lasagne verte from "+loc(g, 1, 4))
		if got, want := len(mustFindEvents(t, ctx, store, freezer.EventFilter{ProductID: &p.ID})), len(steps)+2; got != want {
			t.Fatalf("events of the deleted product = %d, want %d", got, want)
		}
	})
}

func TestHistoryActors(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Kitchen", 3)

		p := MustCreateProduct(t, systemCtx(), store, newProduct(f, 1, 0))
		wantEvent(t, lastEvent(t, systemCtx(), store, p.ID), freezer.ActionCreate, "system", fmt.Sprintf("created Lasagne in F%d B1 S1", f.ID))

		device := freezer.NewContextWithActor(context.Background(),
			freezer.Actor{Kind: freezer.ActorDevice, DeviceID: "scanner-x", HouseholdID: alice.Household.ID})
		MustTakeOut(t, device, store, p.ID, today)
		wantEvent(t, lastEvent(t, device, store, p.ID), freezer.ActionTakeOut, "device:scanner-x", fmt.Sprintf("took out Lasagne from F%d B1 S1", f.ID))

		if err := store.DeleteProduct(regCtx(alice), p.ID); err != nil {
			t.Fatal(err)
		}
		wantEvent(t, lastEvent(t, systemCtx(), store, p.ID), freezer.ActionDelete, fmt.Sprintf("user:%d", alice.User.ID),
			fmt.Sprintf("deleted Lasagne (taken out on %s from F%d B1 S1)", today, f.ID))
	})
}

func TestHistoryOutlivesDeletedProduct(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
		MustTakeOut(t, ctx, store, p.ID, today)
		if err := store.DeleteProduct(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		_, err := store.FindProductByID(ctx, p.ID)
		assertCode(t, err, freezer.ENOTFOUND)

		var rows int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM history WHERE product_id = ?`, p.ID).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 3 {
			t.Fatalf("history rows of the deleted product = %d, want 3", rows)
		}
		var actions []string
		for _, e := range mustFindEvents(t, ctx, store, freezer.EventFilter{ProductID: &p.ID}) {
			actions = append(actions, e.Action)
		}
		if got, want := fmt.Sprint(actions), "[delete take_out create]"; got != want {
			t.Fatalf("actions = %s, want %s (newest first)", got, want)
		}
	})
}

func TestFindEvents(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		fa := MustCreateFreezer(t, store, alice, "Kitchen", 3)
		fb := MustCreateFreezer(t, store, bob, "Cellar", 3)
		var aliceIDs []int64
		for range 5 {
			p := MustCreateProduct(t, regCtx(alice), store, newProduct(fa, 1, 0))
			aliceIDs = append(aliceIDs, p.ID)
		}
		bobs := MustCreateProduct(t, regCtx(bob), store, newProduct(fb, 1, 0))

		t.Run("OwnHouseholdsOnly", func(t *testing.T) {
			list := mustFindEvents(t, regCtx(alice), store, freezer.EventFilter{})
			if len(list) != 5 {
				t.Fatalf("alice sees %d events, want 5", len(list))
			}
			for i, e := range list {
				if e.HouseholdID != alice.Household.ID {
					t.Fatalf("alice sees an event of household %d", e.HouseholdID)
				}
				if want := aliceIDs[len(aliceIDs)-1-i]; *e.ProductID != want {
					t.Fatalf("event %d is about product %d, want %d (newest first)", i, *e.ProductID, want)
				}
			}
			if list := mustFindEvents(t, regCtx(alice), store, freezer.EventFilter{ProductID: &bobs.ID}); len(list) != 0 {
				t.Fatalf("alice sees %d events of bob's product", len(list))
			}
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			_, err := store.FindEvents(regCtx(alice), freezer.EventFilter{HouseholdID: &bob.Household.ID})
			assertCode(t, err, freezer.ENOTFOUND)
		})
		t.Run("ErrNoActor", func(t *testing.T) {
			_, err := store.FindEvents(context.Background(), freezer.EventFilter{})
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
		t.Run("Pages", func(t *testing.T) {
			var seen []int64
			filter := freezer.EventFilter{HouseholdID: &alice.Household.ID, Limit: 2}
			for {
				list := mustFindEvents(t, regCtx(alice), store, filter)
				if len(list) == 0 {
					break
				}
				for _, e := range list {
					seen = append(seen, *e.ProductID)
				}
				filter.BeforeID = list[len(list)-1].ID
			}
			if got, want := fmt.Sprint(seen), fmt.Sprint([]int64{aliceIDs[4], aliceIDs[3], aliceIDs[2], aliceIDs[1], aliceIDs[0]}); got != want {
				t.Fatalf("pages = %s, want %s", got, want)
			}
		})
	})
}

func TestHistoryScans(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
		p := MustCreateProduct(t, ctx, store, newProduct(f, 2, 5))
		dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household.ID, Name: "door"}
		if _, err := store.CreateDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
		actor := "device:" + dev.ID
		loc := fmt.Sprintf("F%d B2 S5", f.ID)
		events := func() int { return len(mustFindEvents(t, ctx, store, freezer.EventFilter{ProductID: &p.ID})) }
		scan := func(msgID, op, status string, change func(ctx context.Context, tx freezer.ScanTx, q *freezer.Product) error) error {
			errs, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
				q, err := tx.FindProduct(ctx, p.ID)
				if err != nil {
					return err
				}
				if err := change(ctx, tx, q); err != nil {
					return err
				}
				return tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: dev.ID, MsgID: msgID, Code: fmt.Sprintf("FZ-I-%d", p.ID),
					Mode: freezer.ModeOut, Op: op, Status: status, ProductID: &q.ID, Product: q.Name})
			})
			if err != nil {
				t.Fatalf("RunScans: %v", err)
			}
			return errs[0]
		}
		takeOut := func(ctx context.Context, tx freezer.ScanTx, q *freezer.Product) error {
			_, err := tx.TakeOut(ctx, q.ID, "")
			return err
		}
		putBack := func(ctx context.Context, tx freezer.ScanTx, q *freezer.Product) error {
			_, err := tx.PutBack(ctx, q.ID)
			return err
		}
		nothing := func(context.Context, freezer.ScanTx, *freezer.Product) error { return nil }

		t.Run("OK", func(t *testing.T) {
			n := events()
			if err := scan("1", freezer.OpOut, freezer.ScanOK, takeOut); err != nil {
				t.Fatal(err)
			}
			wantEvent(t, lastEvent(t, ctx, store, p.ID), freezer.ActionScan, actor, "scan out: took out Lasagne from "+loc)
			if err := scan("2", freezer.OpIn, freezer.ScanOK, putBack); err != nil {
				t.Fatal(err)
			}
			wantEvent(t, lastEvent(t, ctx, store, p.ID), freezer.ActionScan, actor, "scan in: put back Lasagne in "+loc)
			if got, want := events(), n+2; got != want {
				t.Fatalf("events = %d, want %d", got, want)
			}
		})
		t.Run("NoChangeNoEvent", func(t *testing.T) {
			n := events()
			if err := scan("3", freezer.OpIn, freezer.ScanAlready, nothing); err != nil {
				t.Fatal(err)
			}
			if err := scan("4", freezer.OpMove, freezer.ScanOK, nothing); err != nil { // a move picks the product up first
				t.Fatal(err)
			}
			if got := events(); got != n {
				t.Fatalf("events = %d, want %d", got, n)
			}
		})
		t.Run("FailedJobNoEvent", func(t *testing.T) {
			n := events()
			boom := errors.New("boom")
			err := scan("5", freezer.OpOut, freezer.ScanOK, func(ctx context.Context, tx freezer.ScanTx, q *freezer.Product) error {
				if err := takeOut(ctx, tx, q); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("job error = %v, want boom", err)
			}
			if got := events(); got != n {
				t.Fatalf("events = %d, want %d", got, n)
			}
			if q := MustFindProduct(t, ctx, store, p.ID); !q.Inside() {
				t.Fatal("the failed job's change was kept")
			}
		})
		t.Run("Batch", func(t *testing.T) {
			n := events()
			// One job fails after recording its event; the others keep theirs.
			errs, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 3), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				q, err := tx.FindProduct(ctx, p.ID)
				if err != nil {
					return err
				}
				change, op := takeOut, freezer.OpOut
				if !q.Inside() {
					change, op = putBack, freezer.OpIn
				}
				if err := change(ctx, tx, q); err != nil {
					return err
				}
				err = tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: dev.ID, MsgID: fmt.Sprintf("b%d", i), Code: "x",
					Mode: freezer.ModeOut, Op: op, Status: freezer.ScanOK, ProductID: &q.ID})
				if err == nil && i == 1 {
					return errors.New("boom")
				}
				return err
			})
			if err != nil || errs[0] != nil || errs[1] == nil || errs[2] != nil {
				t.Fatalf("RunScans = %v, %v", errs, err)
			}
			list := mustFindEvents(t, ctx, store, freezer.EventFilter{ProductID: &p.ID, Limit: 2})
			if got := events(); got != n+2 {
				t.Fatalf("events = %d, want %d", got, n+2)
			}
			// Job 0 took it out, job 1 (put back) was rolled back, job 2 put it back.
			wantEvent(t, list[1], freezer.ActionScan, actor, "scan out: took out Lasagne from "+loc)
			wantEvent(t, list[0], freezer.ActionScan, actor, "scan in: put back Lasagne in "+loc)
		})
	})
}
