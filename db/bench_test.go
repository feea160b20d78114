package db_test

import (
	"context"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// benchDialects runs fn as a sub-benchmark per dialect, with a migrated
// store; mysql is skipped like the tests when no server is configured.
func benchDialects(b *testing.B, fn func(b *testing.B, store *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, testdb.MustOpen(b, testdb.SQLiteDSN(b))) })
	b.Run("mysql", func(b *testing.B) { fn(b, testdb.MustOpen(b, testdb.MySQLDSN(b))) })
}

// benchFixture registers a user with a freezer of freezer.MaxBoxes boxes.
func benchFixture(b *testing.B, store *db.DB) (context.Context, *freezer.Freezer) {
	b.Helper()
	alice := MustRegister(b, store, "alice@example.com")
	return regCtx(alice), MustCreateFreezer(b, store, alice, "Bench", freezer.MaxBoxes)
}

// BenchmarkCreateProduct measures putting a product into the next free slot
// of a box, spread over every box so that boxes stay short.
func BenchmarkCreateProduct(b *testing.B) {
	benchDialects(b, func(b *testing.B, store *db.DB) {
		ctx, f := benchFixture(b, store)
		products := make([]*freezer.Product, b.N)
		for i := range products {
			products[i] = newProduct(f, i%f.NumberBoxes+1, 0)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := store.CreateProduct(ctx, products[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got, want := products[b.N-1].Slot, (b.N-1)/f.NumberBoxes+1; got != want {
			b.Fatalf("last slot = %d, want %d", got, want)
		}
	})
}

// BenchmarkTakeOutProduct measures taking a product out: what a scan does.
func BenchmarkTakeOutProduct(b *testing.B) {
	benchDialects(b, func(b *testing.B, store *db.DB) {
		ctx, f := benchFixture(b, store)
		ids := make([]int64, b.N)
		for i := range ids {
			ids[i] = MustCreateProduct(b, ctx, store, newProduct(f, i%f.NumberBoxes+1, 0)).ID
		}
		upd := freezer.ProductUpdate{DateOut: &today}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := store.UpdateProduct(ctx, ids[i], upd); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		inside, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Inside: ptr(true)})
		if err != nil {
			b.Fatal(err)
		}
		if got, want := len(inside), 0; got != want {
			b.Fatalf("products still inside = %d, want %d", got, want)
		}
	})
}
