package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// msgSeq numbers the messages of outcomes.
var msgSeq int

// outcomes runs a batch of one job per key, each taking its product out
// (odd i: putting it back when take is false), and returns what each
// product operation answered, of the batch's last run.
func (w *scanWorld) outcomes(t *testing.T, ids []int64, take func(i int) bool, before func(i int)) []error {
	t.Helper()
	keys := make([]freezer.ScanKey, len(ids))
	for i, id := range ids {
		msgSeq++
		keys[i] = freezer.ScanKey{DeviceID: w.dev.ID, MsgID: fmt.Sprint("m", msgSeq), ProductID: id}
	}
	answers := make([]error, len(ids))
	errs := w.runBatch(t, keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
		if before != nil {
			before(i)
		}
		var err error
		if take(i) {
			_, err = tx.TakeOut(ctx, ids[i], "")
		} else {
			_, err = tx.PutBack(ctx, ids[i])
		}
		if freezer.ErrorReason(err) == "" && err != nil {
			return err
		}
		answers[i] = err
		return tx.InsertScanEvent(ctx, event(w.dev.ID, keys[i].MsgID, freezer.ProductCode(ids[i])))
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	return answers
}

// A batch sends its product writes together: one product changed twice
// is written once, with the version of both changes.
func TestScanBatchProductWrites(t *testing.T) {
	t.Run("The same product taken out twice", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			answers := w.outcomes(t, []int64{w.p.ID, w.p.ID}, func(int) bool { return true }, nil)
			if answers[0] != nil || freezer.ErrorReason(answers[1]) != freezer.ReasonAlreadyOut {
				t.Fatalf("answers = %v, want nil then already out", answers)
			}
			p := MustFindProduct(t, regCtx(w.alice), w.store, w.p.ID)
			if p.Inside() || p.Version != w.p.Version+1 {
				t.Errorf("product inside %v, version %d; want out, version %d", p.Inside(), p.Version, w.p.Version+1)
			}
		})
	})
	t.Run("Taken out and put back in one batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			answers := w.outcomes(t, []int64{w.p.ID, w.p.ID}, func(i int) bool { return i == 0 }, nil)
			if answers[0] != nil || answers[1] != nil {
				t.Fatalf("answers = %v", answers)
			}
			p := MustFindProduct(t, regCtx(w.alice), w.store, w.p.ID)
			if !p.Inside() || p.Slot != w.p.Slot || p.Version != w.p.Version+2 {
				t.Errorf("product inside %v, slot %d, version %d; want inside, slot %d, version %d", p.Inside(), p.Slot, p.Version, w.p.Slot, w.p.Version+2)
			}
		})
	})
	t.Run("Put back and taken out in one batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			MustTakeOut(t, regCtx(w.alice), w.store, w.p.ID, today)
			out := MustFindProduct(t, regCtx(w.alice), w.store, w.p.ID)
			answers := w.outcomes(t, []int64{w.p.ID, w.p.ID}, func(i int) bool { return i == 1 }, nil)
			if answers[0] != nil || answers[1] != nil {
				t.Fatalf("answers = %v", answers)
			}
			p := MustFindProduct(t, regCtx(w.alice), w.store, w.p.ID)
			if p.Inside() || p.Version != out.Version+2 {
				t.Errorf("product inside %v, version %d; want out, version %d", p.Inside(), p.Version, out.Version+2)
			}
		})
	})
	t.Run("A slot taken by an earlier job of the batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			// Two products out of slot 1 of box 1: the first put back takes
			// it, the second goes to the next free slot of the box.
			ctx := regCtx(w.alice)
			MustTakeOut(t, ctx, w.store, w.p.ID, today)
			other := MustCreateProduct(t, ctx, w.store, newProduct(w.f, 1, 1))
			MustTakeOut(t, ctx, w.store, other.ID, today)
			MustCreateProduct(t, ctx, w.store, newProduct(w.f, 1, 2))
			answers := w.outcomes(t, []int64{w.p.ID, other.ID}, func(int) bool { return false }, nil)
			if answers[0] != nil || answers[1] != nil {
				t.Fatalf("answers = %v", answers)
			}
			if got, want := MustFindProduct(t, ctx, w.store, w.p.ID).Slot, 1; got != want {
				t.Errorf("first put back: slot %d, want %d", got, want)
			}
			if got, want := MustFindProduct(t, ctx, w.store, other.ID).Slot, 3; got != want {
				t.Errorf("second put back: slot %d, want %d", got, want)
			}
		})
	})
	t.Run("A product changed by another transaction during the batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			if w.store.Dialect() != db.MySQL {
				t.Skip("SQLite's one writer lets no other transaction write during a batch")
			}
			ctx := regCtx(w.alice)
			other := MustCreateProduct(t, ctx, w.store, newProduct(w.f, 2, 1))
			runs := 0
			answers := w.outcomes(t, []int64{w.p.ID, other.ID}, func(int) bool { return true }, func(i int) {
				if i != 0 {
					return
				}
				if runs++; runs == 1 {
					// After the batch read both products, before it writes them.
					if _, err := w.raw.Exec("UPDATE products SET date_out = ?, version = version + 1 WHERE id = ?", today, other.ID); err != nil {
						t.Fatal(err)
					}
				}
			})
			if runs != 2 {
				t.Errorf("the batch ran %d times, want 2", runs)
			}
			if answers[0] != nil || freezer.ErrorReason(answers[1]) != freezer.ReasonAlreadyOut {
				t.Errorf("answers = %v, want nil then already out", answers)
			}
			if p := MustFindProduct(t, ctx, w.store, w.p.ID); p.Inside() || p.Version != w.p.Version+1 {
				t.Errorf("first product inside %v, version %d; want out, version %d", p.Inside(), p.Version, w.p.Version+1)
			}
			if p := MustFindProduct(t, ctx, w.store, other.ID); p.Inside() || p.Version != other.Version+1 {
				t.Errorf("changed product inside %v, version %d; want out, version %d (the other write alone)", p.Inside(), p.Version, other.Version+1)
			}
		})
	})
}

// A batch of scans sends a few statements, however many scans it holds:
// its rows are read together, its product writes, scan events and change
// log sent together, and a freezer locked once.
func TestScanBatchStatements(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		ctx := regCtx(w.alice)
		const n = 64
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = MustCreateProduct(t, ctx, w.store, newProduct(w.f, i%w.f.NumberBoxes+1, 0)).ID
		}
		for i := 1; i < n; i += 2 {
			MustTakeOut(t, ctx, w.store, ids[i], today)
		}
		var statements []string
		db.TraceStatements(w.store, func(query string) { statements = append(statements, strings.Join(strings.Fields(query), " ")) })
		defer db.TraceStatements(w.store, nil)
		answers := w.outcomes(t, ids, func(i int) bool { return i%2 == 0 }, nil)
		for i, err := range answers {
			if err != nil {
				t.Fatalf("scan %d: %v", i, err)
			}
		}
		// Product writes: on MySQL one statement per 64 products (each costs
		// a round trip there), on SQLite one per product (no round trip).
		writes, others := 0, 0
		for _, q := range statements {
			if strings.HasPrefix(q, "UPDATE products") {
				writes++
			} else {
				others++
			}
		}
		maxWrites := 1
		if w.store.Dialect() == db.SQLite {
			maxWrites = n
		}
		// begin, data_version (SQLite), devices, products, their slots, a
		// freezer, the products inside counted (SQLite, a household's first
		// batch), events, commit
		if maxOthers := 9; writes > maxWrites || others > maxOthers {
			t.Errorf("a batch of %d scans sent %d product writes (want at most %d) and %d other statements (want at most %d):\n%s",
				n, writes, maxWrites, others, maxOthers, strings.Join(statements, "\n"))
		}
	})
}
