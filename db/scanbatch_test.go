package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// runBatch runs jobs as one batch whose keys name the scan world's device
// and product, and fails the test on a batch error.
func (w *scanWorld) runBatch(t *testing.T, keys []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) []error {
	t.Helper()
	errs, err := w.store.RunScans(context.Background(), keys, fn)
	if err != nil {
		t.Fatalf("RunScans: %v", err)
	}
	return errs
}

func (w *scanWorld) keys(n int, msgIDs ...string) []freezer.ScanKey {
	keys := make([]freezer.ScanKey, n)
	for i := range keys {
		keys[i] = freezer.ScanKey{DeviceID: w.dev.ID, ProductID: w.p.ID}
		if i < len(msgIDs) {
			keys[i].MsgID = msgIDs[i]
		}
	}
	return keys
}

// The rows a batch reads at its start are read once for all its jobs;
// each job still sees what the jobs before it changed.
func TestRunScansBatchReads(t *testing.T) {
	t.Run("A job sees what earlier jobs of its batch changed", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			var sawOut bool
			var sawMode string
			var sawEvent *freezer.ScanEvent
			errs := w.runBatch(t, w.keys(4, "m0", "m1", "m2", "m3"), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				switch i {
				case 0:
					if err := takeOut(ctx, tx, w.p.ID); err != nil {
						return err
					}
					return tx.InsertScanEvent(ctx, event(w.dev.ID, "m0", "x"))
				case 1:
					p, err := tx.FindProduct(ctx, w.p.ID)
					if err != nil {
						return err
					}
					sawOut = !p.Inside()
					return tx.SetDeviceScanState(ctx, w.dev.ID, freezer.ModeIn, 0)
				case 2:
					d, err := tx.FindDevice(ctx, w.dev.ID)
					if err != nil {
						return err
					}
					sawMode = d.Mode
				case 3:
					var err error
					sawEvent, err = tx.FindScanEvent(ctx, w.dev.ID, "m0")
					return err
				}
				return nil
			})
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if !sawOut || sawMode != freezer.ModeIn || sawEvent == nil || sawEvent.Code != "x" {
				t.Errorf("later jobs saw: product out %v, mode %q, event %+v; want the changes of earlier jobs", sawOut, sawMode, sawEvent)
			}
			if got := MustFindProduct(t, systemCtx(), w.store, w.p.ID); got.Inside() {
				t.Errorf("product %+v: the move was not stored", got)
			}
		})
	})

	t.Run("A job does not see what a failed job changed", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			var sawInside bool
			errs := w.runBatch(t, w.keys(3), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				switch i {
				case 1:
					if err := takeOut(ctx, tx, w.p.ID); err != nil {
						return err
					}
					return errors.New("the job fails after its move")
				case 2:
					p, err := tx.FindProduct(ctx, w.p.ID)
					sawInside = err == nil && p.Inside()
					return err
				}
				return nil
			})
			if errs[1] == nil || errs[0] != nil || errs[2] != nil {
				t.Fatalf("errors %v, want job 1 alone to fail", errs)
			}
			if !sawInside {
				t.Error("the job after a failed one saw the failed job's move")
			}
		})
	})

	t.Run("A resend of a committed scan is found", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "sent-once", "first"))
			})
			// The job records its scan unless it finds it recorded: the way
			// the hub answers a resend.
			var found *freezer.ScanEvent
			errs := w.runBatch(t, w.keys(2, "new", "sent-once"), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				msg := []string{"new", "sent-once"}[i]
				prev, err := tx.FindScanEvent(ctx, w.dev.ID, msg)
				if err != nil || prev != nil {
					if i == 1 {
						found = prev
					}
					return err
				}
				if i == 1 {
					found = nil
				}
				return tx.InsertScanEvent(ctx, event(w.dev.ID, msg, "again"))
			})
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if found == nil || found.Code != "first" {
				t.Errorf("resend found %+v, want the first recording", found)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, w.dev.ID); n != 2 {
				t.Errorf("%d events, want 2: the resend recorded once", n)
			}
		})
	})

	t.Run("Devices and products that do not exist", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			keys := []freezer.ScanKey{{DeviceID: "scanner-nobody", MsgID: "a", ProductID: 999999}}
			errs := w.runBatch(t, keys, func(ctx context.Context, tx freezer.ScanTx, _ int) error {
				_, errDevice := tx.FindDevice(ctx, "scanner-nobody")
				_, errProduct := tx.FindProduct(ctx, 999999)
				if freezer.ErrorCode(errDevice) != freezer.ENOTFOUND || freezer.ErrorCode(errProduct) != freezer.ENOTFOUND {
					return fmt.Errorf("device: %v, product: %v; want both not found", errDevice, errProduct)
				}
				return nil
			})
			if errs[0] != nil {
				t.Error(errs[0])
			}
		})
	})

	t.Run("Message ids compare as the database compares them", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "m", "x"))
			})
			var found *freezer.ScanEvent
			w.runBatch(t, w.keys(1, "m "), func(ctx context.Context, tx freezer.ScanTx, _ int) (err error) {
				if found, err = tx.FindScanEvent(ctx, w.dev.ID, "m "); err != nil || found != nil {
					return err
				}
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "m ", "y"))
			})
			// MySQL's PAD SPACE collation takes "m " for "m"; SQLite does not.
			if wantFound := w.store.Dialect() == db.MySQL; (found != nil) != wantFound {
				t.Errorf("%s: event for \"m \" = %+v, want found %v", w.store.Dialect(), found, wantFound)
			}
		})
	})

	t.Run("Batches larger than one lookup", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			const n = 300 // more than the largest lookup of 256 keys
			keys := make([]freezer.ScanKey, n)
			for i := range keys {
				keys[i] = freezer.ScanKey{DeviceID: w.dev.ID, MsgID: fmt.Sprint("big-", i), ProductID: int64(i + 1)}
			}
			errs := w.runBatch(t, keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
				if _, err := tx.FindDevice(ctx, w.dev.ID); err != nil {
					return err
				}
				return tx.InsertScanEvent(ctx, event(w.dev.ID, keys[i].MsgID, "x"))
			})
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if got := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, w.dev.ID); got != n {
				t.Errorf("%d events, want %d", got, n)
			}
		})
	})
}

// What one batch read is kept for the next only while nothing else wrote.
func TestRunScansKeptRows(t *testing.T) {
	findDevice := func(t *testing.T, w *scanWorld) (d *freezer.Device) {
		t.Helper()
		w.runBatch(t, w.keys(1), func(ctx context.Context, tx freezer.ScanTx, _ int) (err error) {
			d, err = tx.FindDevice(ctx, w.dev.ID)
			return err
		})
		return d
	}
	findProduct := func(t *testing.T, w *scanWorld) (p *freezer.Product) {
		t.Helper()
		w.runBatch(t, w.keys(1), func(ctx context.Context, tx freezer.ScanTx, _ int) (err error) {
			p, err = tx.FindProduct(ctx, w.p.ID)
			return err
		})
		return p
	}

	t.Run("A change through the store since the last batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			if d := findDevice(t, w); d.Mode != freezer.ModeOut {
				t.Fatalf("mode %q, want out", d.Mode)
			}
			in := freezer.ModeIn
			if _, err := w.store.UpdateDevice(regCtx(w.alice), w.dev.ID, freezer.DeviceUpdate{Mode: &in}); err != nil {
				t.Fatal(err)
			}
			if d := findDevice(t, w); d.Mode != freezer.ModeIn {
				t.Errorf("mode %q after the update, want in", d.Mode)
			}
		})
	})

	t.Run("A change by another connection since the last batch", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			findProduct(t, w)
			if _, err := w.raw.Exec(`UPDATE products SET slot = 3 WHERE id = ?`, w.p.ID); err != nil {
				t.Fatal(err)
			}
			if p := findProduct(t, w); p.Slot != 3 {
				t.Errorf("slot %d after another connection moved it, want 3", p.Slot)
			}
		})
	})

	t.Run("A batch that failed leaves nothing it changed", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			findProduct(t, w)
			_, err := w.store.RunScans(context.Background(), w.keys(1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
				if err := takeOut(ctx, tx, w.p.ID); err != nil {
					return err
				}
				return &mysql.MySQLError{Number: 1062, Message: "the batch fails after the move"}
			})
			if err != nil {
				t.Fatal(err)
			}
			if p := findProduct(t, w); !p.Inside() {
				t.Errorf("product %+v: a rolled-back move was kept", p)
			}
		})
	})
}

// A device's recent events are found among other devices' later ones; on
// SQLite among the latest 10 000 events at most (db.recentScanRows).
func TestRecentEventsAmongOtherDevices(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		place := &freezer.ProductPlace{FreezerID: w.f.ID, Box: 1, Slot: 1}
		mine := &freezer.ScanEvent{DeviceID: w.dev.ID, MsgID: "mine", Code: "FZ-I-1", Mode: freezer.ModeOut, Op: freezer.OpOut,
			Status: freezer.ScanOK, ProductID: &w.p.ID, Undo: place}
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.InsertScanEvent(ctx, mine) })
		others := func(from, n int) {
			keys := make([]freezer.ScanKey, n)
			w.runBatch(t, keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
				return tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: w.bobsDev.ID, MsgID: fmt.Sprint("bob-", from+i), Code: "FZ-I-1",
					Mode: freezer.ModeOut, Op: freezer.OpOut, Status: freezer.ScanOK, Undo: place})
			})
		}
		find := func() (undoable, recent *freezer.ScanEvent) {
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				if undoable, err = tx.FindLastUndoable(ctx, w.dev.ID, testdb.Now.Add(-time.Minute)); err != nil {
					return err
				}
				recent, err = tx.FindRecentScan(ctx, w.dev.ID, "FZ-I-1", testdb.Now.Add(-time.Minute))
				return err
			})
			return undoable, recent
		}

		others(0, 500)
		if undoable, recent := find(); undoable == nil || undoable.MsgID != "mine" || recent == nil || recent.MsgID != "mine" {
			t.Fatalf("after 500 events of another device: undoable %+v, recent %+v; want the device's own", undoable, recent)
		}
		others(500, 10000)
		undoable, recent := find()
		if w.store.Dialect() == db.SQLite {
			if undoable != nil || recent != nil {
				t.Errorf("after 10 500 newer events: undoable %+v, recent %+v; want none on SQLite", undoable, recent)
			}
		} else if undoable == nil || recent == nil {
			t.Errorf("after 10 500 newer events: undoable %+v, recent %+v; want the device's own on MySQL", undoable, recent)
		}
	})
}
