package db_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// racers is how many goroutines compete for one box.
const racers = 20

// race runs fn(i) on racers goroutines released at the same moment and
// returns their errors, indexed like i.
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestCreateProductRace(t *testing.T) {
	t.Run("ErrConflictSameSlot", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			products := make([]*freezer.Product, racers)
			errs := race(func(i int) error {
				products[i] = newProduct(f, 1, 7)
				return store.CreateProduct(ctx, products[i])
			})
			var ok, conflicts int
			var winner *freezer.Product
			for i, err := range errs {
				switch freezer.ErrorCode(err) {
				case "":
					ok++
					winner = products[i]
				case freezer.ECONFLICT:
					conflicts++
				default:
					t.Errorf("goroutine %d: unexpected error %v", i, err)
				}
			}
			if got, want := ok, 1; got != want {
				t.Fatalf("successes = %d, want %d", got, want)
			}
			if got, want := conflicts, racers-1; got != want {
				t.Errorf("conflicts = %d, want %d", got, want)
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := productIDs(list), []int64{winner.ID}; !equalIDs(got, want) {
				t.Errorf("stored products = %v, want only the winner %v", got, want)
			}
		})
	})

	t.Run("NextFreeSlot", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			products := make([]*freezer.Product, racers)
			errs := race(func(i int) error {
				products[i] = newProduct(f, 2, 0)
				return store.CreateProduct(ctx, products[i])
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("goroutine %d: %v", i, err)
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			var slots []int
			for _, p := range products {
				slots = append(slots, p.Slot)
			}
			slices.Sort(slots)
			for i, slot := range slots {
				if got, want := slot, i+1; got != want {
					t.Fatalf("slots = %v, want 1..%d each once", slots, racers)
				}
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Box: ptr(2), Inside: ptr(true)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), racers; got != want {
				t.Errorf("stored products = %d, want %d", got, want)
			}
			next, err := store.NextFreeSlots(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := next[2], racers+1; got != want {
				t.Errorf("next free slot = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrConflictPutBack", func(t *testing.T) {
		// Several products taken out of one slot are put back into it at once: one wins.
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			ctx, f, ids := takenOutOfOneSlot(t, store)
			errs := race(func(i int) error {
				_, err := store.UpdateProduct(ctx, ids[i], freezer.ProductUpdate{DateOut: &freezer.Date{}, Slot: ptr(1)})
				return err
			})
			var ok, conflicts int
			for i, err := range errs {
				switch freezer.ErrorCode(err) {
				case "":
					ok++
				case freezer.ECONFLICT:
					conflicts++
				default:
					t.Errorf("goroutine %d: unexpected error %v", i, err)
				}
			}
			if got, want := ok, 1; got != want {
				t.Errorf("successes = %d, want %d", got, want)
			}
			if got, want := conflicts, racers-1; got != want {
				t.Errorf("conflicts = %d, want %d", got, want)
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Inside: ptr(true)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 1; got != want {
				t.Errorf("products inside = %d, want %d", got, want)
			}
		})
	})

	t.Run("PutBackFallsBackToFreeSlots", func(t *testing.T) {
		// Several products taken out of one slot are put back at once without
		// a slot: each gets a slot of its own.
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			ctx, f, ids := takenOutOfOneSlot(t, store)
			errs := race(func(i int) error {
				_, err := store.PutBackProduct(ctx, ids[i], freezer.PutBackRequest{})
				return err
			})
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Inside: ptr(true)})
			if err != nil {
				t.Fatal(err)
			}
			slots := map[int]bool{}
			for _, p := range list {
				slots[p.Slot] = true
			}
			if len(list) != racers || len(slots) != racers {
				t.Errorf("%d products inside in %d slots, want %d in as many", len(list), len(slots), racers)
			}
		})
	})

	t.Run("TakeOutOnce", func(t *testing.T) {
		// One product taken out by several callers at once: one wins, the
		// others are told it is already out, and it is written once.
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
			errs := race(func(int) error {
				_, err := store.TakeOutProduct(ctx, p.ID, freezer.TakeOutRequest{})
				return err
			})
			var ok, already int
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case freezer.ErrorReason(err) == freezer.ReasonAlreadyOut:
					already++
				default:
					t.Errorf("goroutine %d: unexpected error %v", i, err)
				}
			}
			if ok != 1 || already != racers-1 {
				t.Errorf("%d taken out, %d already out; want 1 and %d", ok, already, racers-1)
			}
			if got := MustFindProduct(t, ctx, store, p.ID); got.Version != 2 {
				t.Errorf("version = %d, want 2", got.Version)
			}
		})
	})
}

// takenOutOfOneSlot makes racers products that were all in slot 1 of a
// one-box freezer and were taken out, and returns their owner's context,
// the freezer and their ids.
func takenOutOfOneSlot(t *testing.T, store *db.DB) (context.Context, *freezer.Freezer, []int64) {
	t.Helper()
	alice := MustRegister(t, store, "alice@example.com")
	ctx := regCtx(alice)
	f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
	ids := make([]int64, racers)
	for i := range ids {
		p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
		MustTakeOut(t, ctx, store, p.ID, today)
		ids[i] = p.ID
	}
	return ctx, f, ids
}
