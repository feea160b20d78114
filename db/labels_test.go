package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// MustReserve reserves n blank labels of the user's own household.
func MustReserve(tb testing.TB, store *db.DB, r *freezer.RegisteredUser, n int) []*freezer.LabelReservation {
	tb.Helper()
	list, err := store.ReserveLabels(regCtx(r), r.Household.ID, n)
	if err != nil {
		tb.Fatalf("reserve %d labels: %v", n, err)
	}
	return list
}

func TestReserveLabels(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			before := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			list := MustReserve(t, store, alice, 3)
			for i, r := range list {
				if got, want := r.ID, before.ID+1+int64(i); got != want {
					t.Errorf("reservation %d: id %d, want %d (consecutive, above every product)", i, got, want)
				}
				if r.HouseholdID != alice.Household.ID || r.ClaimedAt != nil || !r.CreatedAt.Equal(testdb.Now) {
					t.Errorf("reservation %d = %+v", i, r)
				}
			}
			// Products created afterwards never take a reserved id.
			after := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			if got, want := after.ID, list[2].ID+1; got != want {
				t.Errorf("next product id = %d, want %d (after the reserved ones)", got, want)
			}
			got, err := store.FindLabelReservation(ctx, list[1].ID)
			if err != nil || got.ID != list[1].ID || got.ClaimedAt != nil {
				t.Errorf("FindLabelReservation = %+v, %v", got, err)
			}
		})
	})

	t.Run("ErrInvalidCount", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			for _, n := range []int{0, -1, freezer.MaxBlankLabels + 1} {
				_, err := store.ReserveLabels(regCtx(alice), alice.Household.ID, n)
				assertCode(t, err, freezer.EINVALID)
			}
			if list := MustReserve(t, store, alice, freezer.MaxBlankLabels); len(list) != freezer.MaxBlankLabels {
				t.Errorf("%d reservations, want %d", len(list), freezer.MaxBlankLabels)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.ReserveLabels(regCtx(bob), alice.Household.ID, 2)
			assertCode(t, err, freezer.ENOTFOUND)
			list := MustReserve(t, store, alice, 1)
			_, err = store.FindLabelReservation(regCtx(bob), list[0].ID)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindLabelReservation(regCtx(alice), list[0].ID+1)
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestCreateProductWithLabel(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			list := MustReserve(t, store, alice, 3)
			p := newProduct(f, 2, 0)
			if err := store.CreateProductWithLabel(ctx, p, list[1].ID); err != nil {
				t.Fatal(err)
			}
			if got, want := p.ID, list[1].ID; got != want {
				t.Errorf("product id = %d, want the label's %d", got, want)
			}
			stored := MustFindProduct(t, ctx, store, list[1].ID)
			if stored.Name != p.Name || stored.Box != 2 || stored.Slot != 1 {
				t.Errorf("stored = %+v", stored)
			}
			r, err := store.FindLabelReservation(ctx, list[1].ID)
			if err != nil || r.ClaimedAt == nil || !r.ClaimedAt.Equal(testdb.Now) {
				t.Errorf("reservation after the claim = %+v, %v; want claimed now", r, err)
			}
		})
	})

	t.Run("ErrConflictClaimedTwice", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			list := MustReserve(t, store, alice, 1)
			if err := store.CreateProductWithLabel(ctx, newProduct(f, 1, 0), list[0].ID); err != nil {
				t.Fatal(err)
			}
			err := store.CreateProductWithLabel(ctx, newProduct(f, 1, 0), list[0].ID)
			assertCode(t, err, freezer.ECONFLICT)
		})
	})

	t.Run("ErrInvalidNotABlankLabel", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			existing := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			bobs := MustReserve(t, store, bob, 1)
			for _, id := range []int64{existing.ID, bobs[0].ID, bobs[0].ID + 100, 0, -4} {
				err := store.CreateProductWithLabel(ctx, newProduct(f, 1, 0), id)
				assertCode(t, err, freezer.EINVALID)
			}
			// Bob's label is still his to use.
			bf := MustCreateFreezer(t, store, bob, "Cellar", 1)
			if err := store.CreateProductWithLabel(regCtx(bob), newProduct(bf, 1, 0), bobs[0].ID); err != nil {
				t.Errorf("bob claims his own label: %v", err)
			}
		})
	})

	t.Run("FailedCreationKeepsTheLabel", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
			list := MustReserve(t, store, alice, 1)
			err := store.CreateProductWithLabel(ctx, newProduct(f, 1, 1), list[0].ID) // slot taken
			assertCode(t, err, freezer.ECONFLICT)
			r, err := store.FindLabelReservation(ctx, list[0].ID)
			if err != nil || r.ClaimedAt != nil {
				t.Fatalf("reservation after a failed creation = %+v, %v; want still unused", r, err)
			}
			if err := store.CreateProductWithLabel(ctx, newProduct(f, 1, 2), list[0].ID); err != nil {
				t.Errorf("claim after a failed attempt: %v", err)
			}
		})
	})

	t.Run("ErrConflictImportOnReservedID", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			list := MustReserve(t, store, alice, 1)
			p := newProduct(f, 1, 0)
			p.ID = list[0].ID
			assertCode(t, store.CreateProduct(systemCtx(), p), freezer.ECONFLICT)
			p = newProduct(f, 1, 0)
			p.ID = list[0].ID + 50
			if err := store.CreateProduct(systemCtx(), p); err != nil {
				t.Fatalf("an import keeps a free id: %v", err)
			}
			// The sequence continues above imported ids.
			next := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
			if got, want := next.ID, list[0].ID+51; got != want {
				t.Errorf("next id = %d, want %d", got, want)
			}
		})
	})
}

// TestLabelIDRace: blank labels reserved while products are created never
// share an id, on either dialect.
func TestLabelIDRace(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "Kitchen", racers)
		reserved := make([][]*freezer.LabelReservation, racers)
		products := make([]*freezer.Product, racers)
		errs := race(func(i int) error {
			if i%2 == 0 {
				var err error
				reserved[i], err = store.ReserveLabels(ctx, alice.Household.ID, 3)
				return err
			}
			products[i] = newProduct(f, i+1, 0)
			return store.CreateProduct(ctx, products[i])
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("goroutine %d: %v", i, err)
			}
		}
		var ids []int64
		for i := range racers {
			if i%2 == 0 {
				for _, r := range reserved[i] {
					ids = append(ids, r.ID)
				}
			} else {
				ids = append(ids, products[i].ID)
			}
		}
		slices.Sort(ids)
		if len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("ids handed out twice: %v", ids)
		}
		// Every reserved label can still be claimed.
		for i := 0; i < racers; i += 2 {
			for j, r := range reserved[i] {
				if err := store.CreateProductWithLabel(ctx, newProduct(f, i+1, 0), r.ID); err != nil {
					t.Errorf("claim %d (goroutine %d, label %d): %v", r.ID, i, j, err)
				}
			}
		}
	})
}

// TestScanTxBlankLabel: the hub's transaction tells a blank label from an unknown id.
func TestScanTxBlankLabel(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		list := MustReserve(t, store, alice, 1)
		var found, missing *freezer.LabelReservation
		_, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
			var err error
			if found, err = tx.FindLabelReservation(ctx, list[0].ID); err != nil {
				return err
			}
			missing, err = tx.FindLabelReservation(ctx, list[0].ID+1)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if found == nil || found.HouseholdID != alice.Household.ID || missing != nil {
			t.Errorf("found %+v, missing %+v", found, missing)
		}
	})
}
