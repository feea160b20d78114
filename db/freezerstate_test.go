package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// TestCountInside counts a household's products inside by freezer, day in
// and period, leaving out those taken out and other households'.
func TestCountInside(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, _ *sql.DB) {
		ann, bob := MustRegister(t, store, "ann@example.com"), MustRegister(t, store, "bob@example.com")
		f1, f2 := MustCreateFreezer(t, store, ann, "one", 2), MustCreateFreezer(t, store, ann, "two", 2)
		other := MustCreateFreezer(t, store, bob, "bob's", 1)
		ctx := regCtx(ann)
		add := func(f *freezer.Freezer, dateIn freezer.Date, months int) *freezer.Product {
			p := newProduct(f, 1, 0)
			p.DateIn, p.PeriodMonths = dateIn, months
			return MustCreateProduct(t, ctx, store, p)
		}
		add(f1, daysAgo(10), 6)
		add(f1, daysAgo(10), 6)
		add(f1, daysAgo(10), 3)
		out := add(f1, daysAgo(5), 6)
		add(f2, daysAgo(400), 1)
		MustCreateProduct(t, regCtx(bob), store, newProduct(other, 1, 0))
		MustTakeOut(t, ctx, store, out.ID, today)

		groups, err := store.CountInside(ctx, ann.Household.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, g := range groups {
			got[fmt.Sprintf("%d %s %d", g.FreezerID, g.DateIn, g.PeriodMonths)] += g.Count
		}
		want := map[string]int{
			fmt.Sprintf("%d %s 6", f1.ID, daysAgo(10)):  2,
			fmt.Sprintf("%d %s 3", f1.ID, daysAgo(10)):  1,
			fmt.Sprintf("%d %s 1", f2.ID, daysAgo(400)): 1,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("groups = %v, want %v", got, want)
		}
		if groups, err := store.CountInside(regCtx(bob), ann.Household.ID); err != nil {
			t.Fatal(err)
		} else if len(groups) != 0 {
			t.Errorf("another household's member counts %d groups, want none", len(groups))
		}
	})
}

// BenchmarkFreezerStates measures what publishing a household's freezer
// states after a scan batch reads, with 2000 products inside: every
// product (what the publisher did) or the counts by group (what it does).
func BenchmarkFreezerStates(b *testing.B) {
	benchDialects(b, func(b *testing.B, store *db.DB) {
		ctx, f := benchFixture(b, store)
		for i := range 2000 {
			p := newProduct(f, i%f.NumberBoxes+1, 0)
			p.DateIn, p.PeriodMonths = daysAgo(i%120), 3+i%4
			MustCreateProduct(b, ctx, store, p)
		}
		h := f.HouseholdID
		inside := true
		b.Run("FindProducts", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if list, err := store.FindProducts(ctx, freezer.ProductFilter{HouseholdID: &h, Inside: &inside}); err != nil || len(list) != 2000 {
					b.Fatal(len(list), err)
				}
			}
		})
		b.Run("CountInside", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := store.CountInside(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// The server's count of products inside follows the scans that change
// them, and what else changes products, as the database counts them.
func TestCountInsideAfterScans(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		ctx := regCtx(w.alice)
		counts := func(ctx context.Context) map[string]int {
			t.Helper()
			groups, err := w.store.CountInside(ctx, w.alice.Household.ID)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]int{}
			for _, g := range groups {
				m[fmt.Sprintf("%d %s %d", g.FreezerID, g.DateIn, g.PeriodMonths)] += g.Count
			}
			return m
		}
		check := func(step string) {
			t.Helper()
			if got, want := counts(systemCtx()), counts(ctx); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: counted %v, the database holds %v", step, got, want)
			}
		}
		other := newProduct(w.f, 2, 0)
		other.DateIn = daysAgo(3)
		other = MustCreateProduct(t, ctx, w.store, other)
		ids := []int64{w.p.ID, other.ID}
		w.outcomes(t, ids, func(int) bool { return true }, nil)
		check("taken out")
		w.outcomes(t, ids[:1], func(int) bool { return false }, nil)
		check("one put back")
		w.outcomes(t, ids, func(i int) bool { return i == 0 }, nil)
		check("one taken out, the other put back")
		MustCreateProduct(t, ctx, w.store, newProduct(w.f, 3, 0))
		check("a product created")
		w.outcomes(t, ids, func(i int) bool { return i == 1 }, nil)
		check("taken out and put back")
	})
}
