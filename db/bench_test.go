package db_test

import (
	"context"
	"errors"
	"fmt"
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

// BenchmarkScanBatch measures the store's part of the scan pipeline: batches
// of 16 scans from 50 scanners, each taking its own product out or putting
// it back (what freezer-bench's load does), with 50 or 10 000 other
// products inside the household, and after each batch the recount of the
// household's products inside that the publisher makes. It reports the
// time per scan, which should not grow with the products inside.
func BenchmarkScanBatch(b *testing.B) {
	for _, inside := range []int{50, 10_000} {
		b.Run(fmt.Sprint("inside=", inside), func(b *testing.B) {
			benchDialects(b, func(b *testing.B, store *db.DB) { benchScanBatch(b, store, inside) })
		})
	}
}

func benchScanBatch(b *testing.B, store *db.DB, inside int) {
	alice := MustRegister(b, store, "alice@example.com")
	ctx := regCtx(alice)
	f := MustCreateFreezer(b, store, alice, "Bench", freezer.MaxBoxes)
	for i := range inside {
		p := newProduct(f, i%f.NumberBoxes+1, 0)
		p.DateIn = today.AddDays(-i % 400)
		MustCreateProduct(b, ctx, store, p)
	}
	const scanners, perBatch = 50, 16
	type scanner struct {
		id      string
		product int64
		sent    int
	}
	list := make([]*scanner, scanners)
	for i := range list {
		d, _ := mustCreateDevice(b, store, alice, nil)
		list[i] = &scanner{id: d.ID, product: MustCreateProduct(b, ctx, store, newProduct(f, 1, 0)).ID}
	}
	b.ReportAllocs()
	b.ResetTimer()
	next := 0
	for range b.N {
		batch := make([]*scanner, perBatch)
		keys := make([]freezer.ScanKey, perBatch)
		for i := range batch {
			s := list[next%scanners]
			next++
			s.sent++
			batch[i] = s
			keys[i] = freezer.ScanKey{DeviceID: s.id, MsgID: fmt.Sprint(s.sent), ProductID: s.product}
		}
		errs, err := store.RunScans(context.Background(), keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
			if _, err := tx.FindDevice(ctx, keys[i].DeviceID); err != nil {
				return err
			}
			if prev, err := tx.FindScanEvent(ctx, keys[i].DeviceID, keys[i].MsgID); err != nil || prev != nil {
				return fmt.Errorf("resend %v: %w", prev, err)
			}
			p, err := tx.FindProduct(ctx, keys[i].ProductID)
			if err != nil {
				return err
			}
			if batch[i].sent%2 == 1 {
				p, err = tx.TakeOut(ctx, p.ID, "")
			} else {
				p, err = tx.PutBack(ctx, p.ID)
			}
			if err != nil {
				return err
			}
			e := &freezer.ScanEvent{DeviceID: keys[i].DeviceID, MsgID: keys[i].MsgID, Code: "FZ-I-1", Mode: freezer.ModeOut,
				Op: freezer.OpOut, Status: freezer.ScanOK, ProductID: &p.ID, Product: p.Name, Location: "F1 B1 S1"}
			return tx.InsertScanEvent(ctx, e)
		})
		if err := errors.Join(append(errs, err)...); err != nil {
			b.Fatal(err)
		}
		// As the publisher counts: as the server.
		if _, err := store.CountInside(systemCtx(), alice.Household.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := store.CountDiscarded(systemCtx(), alice.Household.ID, freezer.Date{Year: today.Year, Month: today.Month, Day: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBatch), "ns/scan")
}

// BenchmarkProductHistory measures reading one product's change log, newest
// first, in a household whose log holds 100 000 scans of 1000 products.
func BenchmarkProductHistory(b *testing.B) {
	benchDialects(b, func(b *testing.B, store *db.DB) {
		alice := MustRegister(b, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(b, store, alice, "Bench", freezer.MaxBoxes)
		const products, scans = 1000, 100_000
		ids := make([]int64, products)
		for i := range ids {
			ids[i] = MustCreateProduct(b, ctx, store, newProduct(f, i%f.NumberBoxes+1, 0)).ID
		}
		device, _ := mustCreateDevice(b, store, alice, nil)
		mustScanRoundRobin(b, store, device.ID, ids, scans)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			id := ids[i*7919%products]
			list, err := store.FindEvents(ctx, freezer.EventFilter{ProductID: &id, Limit: 50})
			if err != nil {
				b.Fatal(err)
			}
			if len(list) != 50 {
				b.Fatalf("product %d: %d history entries, want 50", id, len(list))
			}
		}
	})
}

// mustScanRoundRobin takes out and puts back the products in turn, n scans
// of deviceID in all, in batches as the hub commits them.
func mustScanRoundRobin(tb testing.TB, store *db.DB, deviceID string, ids []int64, n int) {
	tb.Helper()
	const perBatch = 256
	for done := 0; done < n; done += perBatch {
		keys := make([]freezer.ScanKey, min(perBatch, n-done))
		for i := range keys {
			keys[i] = freezer.ScanKey{DeviceID: deviceID, MsgID: fmt.Sprint(done + i), ProductID: ids[(done+i)%len(ids)]}
		}
		errs, err := store.RunScans(context.Background(), keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
			p, err := tx.FindProduct(ctx, keys[i].ProductID)
			if err != nil {
				return err
			}
			if p.Inside() {
				p, err = tx.TakeOut(ctx, p.ID, "")
			} else {
				p, err = tx.PutBack(ctx, p.ID)
			}
			if err != nil {
				return err
			}
			return tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: deviceID, MsgID: keys[i].MsgID, Code: "FZ-I-1",
				Mode: freezer.ModeOut, Op: freezer.OpOut, Status: freezer.ScanOK, ProductID: &p.ID, Product: p.Name})
		})
		if err := errors.Join(append(errs, err)...); err != nil {
			tb.Fatal(err)
		}
	}
}
