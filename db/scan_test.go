package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// scanWorld is a household with a freezer, a scanner and a product, and
// another household with its own freezer.
type scanWorld struct {
	store        *db.DB
	raw          *sql.DB
	alice, bob   *freezer.RegisteredUser
	f, bobs      *freezer.Freezer
	dev, bobsDev *freezer.Device
	p            *freezer.Product
}

func eachScanWorld(t *testing.T, fn func(t *testing.T, w *scanWorld)) {
	t.Helper()
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		w := &scanWorld{store: store, raw: raw}
		w.alice = MustRegister(t, store, "alice@example.com")
		w.bob = MustRegister(t, store, "bob@example.com")
		w.f = MustCreateFreezer(t, store, w.alice, "garage", 4)
		w.bobs = MustCreateFreezer(t, store, w.bob, "cellar", 2)
		w.dev, _ = mustCreateDevice(t, store, w.alice, nil)
		w.bobsDev, _ = mustCreateDevice(t, store, w.bob, nil)
		w.p = MustCreateProduct(t, regCtx(w.alice), store, newProduct(w.f, 1, 1))
		fn(t, w)
	})
}

// inScan runs fn as the only job of a batch; a batch error fails the test.
func (w *scanWorld) inScan(t *testing.T, fn func(ctx context.Context, tx freezer.ScanTx) error) error {
	t.Helper()
	errs, err := w.store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error { return fn(ctx, tx) })
	if err != nil {
		t.Fatalf("RunScans: %v", err)
	}
	return errs[0]
}

// mustInScan is inScan for a job that must succeed.
func (w *scanWorld) mustInScan(t *testing.T, fn func(ctx context.Context, tx freezer.ScanTx) error) {
	t.Helper()
	if err := w.inScan(t, fn); err != nil {
		t.Fatalf("scan job: %v", err)
	}
}

func (w *scanWorld) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// takeOut takes product id out today inside a scan job.
func takeOut(ctx context.Context, tx freezer.ScanTx, id int64) error {
	_, err := tx.TakeOut(ctx, id, "")
	return err
}

func event(dev, msgID, code string) *freezer.ScanEvent {
	return &freezer.ScanEvent{DeviceID: dev, MsgID: msgID, Code: code, Mode: freezer.ModeOut, Status: freezer.ScanOK}
}

func TestRunScans(t *testing.T) {
	t.Run("Commits every job at once", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			var order []int
			errs, err := w.store.RunScans(context.Background(), make([]freezer.ScanKey, 3), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				order = append(order, i)
				return tx.InsertScanEvent(ctx, event(w.dev.ID, fmt.Sprint(i), "FZ-C-IN"))
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != 3 || errs[0] != nil || errs[1] != nil || errs[2] != nil {
				t.Errorf("errs = %v", errs)
			}
			if fmt.Sprint(order) != "[0 1 2]" {
				t.Errorf("jobs ran in order %v", order)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, w.dev.ID); n != 3 {
				t.Errorf("%d events, want 3", n)
			}
		})
	})

	t.Run("A failed job is rolled back alone", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			r := MustCreateProduct(t, regCtx(w.alice), w.store, newProduct(w.f, 1, 2))
			errs, err := w.store.RunScans(context.Background(), make([]freezer.ScanKey, 3), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				if err := tx.InsertScanEvent(ctx, event(w.dev.ID, fmt.Sprint(i), "x")); err != nil {
					return err
				}
				if i != 1 {
					return nil
				}
				// Take p out, then try to put it back in r's slot.
				if _, err := tx.TakeOut(ctx, w.p.ID, ""); err != nil {
					return err
				}
				_, err := tx.Restore(ctx, w.p.ID, freezer.ProductPlace{FreezerID: w.f.ID, Box: r.Box, Slot: r.Slot})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if errs[0] != nil || errs[2] != nil {
				t.Errorf("errs = %v, want only job 1 failed", errs)
			}
			assertCode(t, errs[1], freezer.ECONFLICT)
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, w.dev.ID); n != 2 {
				t.Errorf("%d events, want 2 (jobs 0 and 2)", n)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ? AND msg_id = '1'`, w.dev.ID); n != 0 {
				t.Error("the failed job's event was kept")
			}
			got := MustFindProduct(t, systemCtx(), w.store, w.p.ID)
			if !got.Inside() || got.Slot != 1 || got.Version != w.p.Version {
				t.Errorf("product after the failed job: %+v, want unchanged", got)
			}
		})
	})

	t.Run("A deadlock runs the whole batch again", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			calls := map[int]int{}
			errs, err := w.store.RunScans(context.Background(), make([]freezer.ScanKey, 3), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				calls[i]++
				if err := tx.InsertScanEvent(ctx, event(w.dev.ID, fmt.Sprint(i), "x")); err != nil {
					return err
				}
				if i == 1 && calls[i] == 1 {
					return &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range errs {
				if e != nil {
					t.Errorf("job %d: %v", i, e)
				}
			}
			if calls[0] != 2 || calls[1] != 2 || calls[2] != 1 {
				t.Errorf("calls per job %v, want the batch run twice", calls)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, w.dev.ID); n != 3 {
				t.Errorf("%d events, want 3: the first run rolled back", n)
			}
		})
	})

	t.Run("A batch error commits nothing", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := w.store.RunScans(ctx, make([]freezer.ScanKey, 2), func(ctx context.Context, tx freezer.ScanTx, i int) error {
				if err := tx.InsertScanEvent(ctx, event(w.dev.ID, fmt.Sprint(i), "x")); err != nil {
					return err
				}
				if i == 0 {
					if err := takeOut(ctx, tx, w.p.ID); err != nil {
						return err
					}
				}
				if i == 1 {
					cancel() // the connection goes away before the commit
				}
				return nil
			})
			if err == nil {
				t.Fatal("RunScans succeeded with a cancelled context")
			}
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events`); n != 0 {
				t.Errorf("%d events committed", n)
			}
			if got := MustFindProduct(t, systemCtx(), w.store, w.p.ID); !got.Inside() || got.Version != w.p.Version {
				t.Errorf("product changed by a batch that failed: %+v", got)
			}
			// The store works afterwards.
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "after", "x"))
			})
		})
	})

	t.Run("No jobs", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			errs, err := w.store.RunScans(context.Background(), make([]freezer.ScanKey, 0), func(context.Context, freezer.ScanTx, int) error {
				t.Error("fn called for no jobs")
				return nil
			})
			if err != nil || len(errs) != 0 {
				t.Errorf("RunScans(0) = %v, %v", errs, err)
			}
		})
	})
}

func TestScanEvents(t *testing.T) {
	t.Run("Insert and find", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			e := &freezer.ScanEvent{DeviceID: w.dev.ID, MsgID: w.dev.ID + "-1", Code: "FZ-I-000001", Mode: freezer.ModeOut, Op: freezer.OpOut,
				Status: freezer.ScanOK, ProductID: &w.p.ID, Message: "taken out", Location: "F1 B1 S1", Product: "Crème brûlée",
				Undo: &freezer.ProductPlace{FreezerID: w.f.ID, Box: 1, Slot: 1}}
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.InsertScanEvent(ctx, e) })
			if e.ID == 0 || !e.CreatedAt.Equal(testdb.Now) {
				t.Errorf("inserted event id %d created %v", e.ID, e.CreatedAt)
			}
			var got, missing, otherDevice *freezer.ScanEvent
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				if got, err = tx.FindScanEvent(ctx, w.dev.ID, w.dev.ID+"-1"); err != nil {
					return err
				}
				if missing, err = tx.FindScanEvent(ctx, w.dev.ID, w.dev.ID+"-2"); err != nil {
					return err
				}
				otherDevice, err = tx.FindScanEvent(ctx, w.bobsDev.ID, w.dev.ID+"-1")
				return err
			})
			if got == nil {
				t.Fatal("event not found")
			}
			if got.ID != e.ID || got.DeviceID != e.DeviceID || got.MsgID != e.MsgID || got.Code != e.Code || got.Mode != e.Mode || got.Op != e.Op ||
				got.Status != e.Status || got.ProductID == nil || *got.ProductID != w.p.ID || got.Message != e.Message || got.Location != e.Location ||
				got.Product != e.Product || got.Undone || !got.CreatedAt.Equal(testdb.Now) {
				t.Errorf("found %+v, want %+v", got, e)
			}
			if got.Undo == nil || *got.Undo != *e.Undo {
				t.Errorf("undo place %+v, want %+v", got.Undo, e.Undo)
			}
			if missing != nil || otherDevice != nil {
				t.Errorf("found events that do not exist: %+v, %+v", missing, otherDevice)
			}

			// An event without product or undo place.
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "bare", "hello"))
			})
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				got, err = tx.FindScanEvent(ctx, w.dev.ID, "bare")
				return err
			})
			if got == nil || got.ProductID != nil || got.Undo != nil || got.Product != "" || got.Location != "" {
				t.Errorf("bare event %+v", got)
			}

			// Deleting the product keeps the event, without its product.
			if err := w.store.DeleteProduct(regCtx(w.alice), w.p.ID); err != nil {
				t.Fatal(err)
			}
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				got, err = tx.FindScanEvent(ctx, w.dev.ID, w.dev.ID+"-1")
				return err
			})
			if got == nil || got.ProductID != nil || got.Product != e.Product {
				t.Errorf("event after its product was deleted: %+v", got)
			}
		})
	})

	t.Run("The same message id twice", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "m", "x"))
			})
			err := w.inScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "m", "y"))
			})
			if !errors.Is(err, freezer.ErrDuplicateScan) {
				t.Errorf("duplicate insert: %v, want ErrDuplicateScan", err)
			}
			// Ids are per device, and case-sensitive. (Trailing spaces are not
			// compared on MySQL, whose PAD SPACE collations ignore them.)
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.bobsDev.ID, "m", "x"))
			})
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				return tx.InsertScanEvent(ctx, event(w.dev.ID, "M", "x"))
			})
			if n := w.count(t, `SELECT COUNT(*) FROM scan_events`); n != 3 {
				t.Errorf("%d events, want 3", n)
			}
		})
	})

	t.Run("Fields of the maximum length", func(t *testing.T) {
		eachScanWorld(t, func(t *testing.T, w *scanWorld) {
			id := strings.Repeat("é", 128)   // devices.MaxMsgIDLength characters
			code := strings.Repeat("ß", 255) // what the hub keeps of a code
			e := event(w.dev.ID, id, code)
			e.Message = strings.Repeat("m", 200)
			e.Product = strings.Repeat("ü", freezer.MaxNameLength)
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.InsertScanEvent(ctx, e) })
			var got *freezer.ScanEvent
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				got, err = tx.FindScanEvent(ctx, w.dev.ID, id)
				return err
			})
			if got == nil || got.Code != code || got.Product != e.Product || got.Message != e.Message {
				t.Errorf("long event not read back: %+v", got)
			}
		})
	})
}

func TestFindRecentScan(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		base := testdb.Now.Add(500 * time.Millisecond) // sub-second times compare right too
		clock := base
		w.store.Now = func() time.Time { return clock }
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.InsertScanEvent(ctx, event(w.dev.ID, "raw-1", "FZ-I-000001"))
		})
		clock = base.Add(time.Second)
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.InsertScanEvent(ctx, event(w.dev.ID, "raw-2", "FZ-I-000001"))
		})
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.InsertScanEvent(ctx, event(w.dev.ID, "raw-3", "FZ-C-IN"))
		})

		tests := []struct {
			desc   string
			dev    string
			code   string
			since  time.Time
			wantID string
		}{
			{"the latest of two", w.dev.ID, "FZ-I-000001", base.Add(-2 * time.Second), "raw-2"},
			{"since exactly the latest", w.dev.ID, "FZ-I-000001", base.Add(time.Second), "raw-2"},
			{"since just before the latest", w.dev.ID, "FZ-I-000001", base.Add(999 * time.Millisecond), "raw-2"},
			{"since just after the latest", w.dev.ID, "FZ-I-000001", base.Add(1001 * time.Millisecond), ""},
			{"since a whole second before", w.dev.ID, "FZ-I-000001", testdb.Now.Add(time.Second), "raw-2"},
			{"since a whole second after", w.dev.ID, "FZ-I-000001", testdb.Now.Add(2 * time.Second), ""},
			{"another code", w.dev.ID, "FZ-I-000002", base.Add(-time.Hour), ""},
			{"another device", w.bobsDev.ID, "FZ-I-000001", base.Add(-time.Hour), ""},
			{"a since in another time zone", w.dev.ID, "FZ-C-IN", base.Add(time.Second).In(time.FixedZone("UTC+2", 2*3600)), "raw-3"},
			{"a since in another time zone, after", w.dev.ID, "FZ-C-IN", base.Add(1001 * time.Millisecond).In(time.FixedZone("UTC-5", -5*3600)), ""},
		}
		for _, tt := range tests {
			var got *freezer.ScanEvent
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				got, err = tx.FindRecentScan(ctx, tt.dev, tt.code, tt.since)
				return err
			})
			switch {
			case tt.wantID == "" && got != nil:
				t.Errorf("%s: found %s, want none", tt.desc, got.MsgID)
			case tt.wantID != "" && (got == nil || got.MsgID != tt.wantID):
				t.Errorf("%s: found %+v, want %s", tt.desc, got, tt.wantID)
			}
		}
	})
}

func TestFindLastUndoable(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		clock := testdb.Now
		w.store.Now = func() time.Time { return clock }
		place := &freezer.ProductPlace{FreezerID: w.f.ID, Box: 1, Slot: 1}
		insert := func(msgID, status, op string, undo *freezer.ProductPlace) *freezer.ScanEvent {
			e := &freezer.ScanEvent{DeviceID: w.dev.ID, MsgID: msgID, Code: "c", Mode: freezer.ModeOut, Op: op, Status: status, ProductID: &w.p.ID, Undo: undo}
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.InsertScanEvent(ctx, e) })
			clock = clock.Add(time.Second)
			return e
		}
		last := func(since time.Time) string {
			var got *freezer.ScanEvent
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				got, err = tx.FindLastUndoable(ctx, w.dev.ID, since)
				return err
			})
			if got == nil {
				return ""
			}
			return got.MsgID
		}

		old := insert("old-out", freezer.ScanOK, freezer.OpOut, place)
		move := insert("move", freezer.ScanOK, freezer.OpMove, place)
		in := insert("in", freezer.ScanOK, freezer.OpIn, place)
		// None of these can be undone.
		insert("pick-up", freezer.ScanOK, freezer.OpMove, nil)
		insert("mode", freezer.ScanOK, freezer.OpMode, nil)
		insert("undo", freezer.ScanOK, freezer.OpUndo, nil)
		insert("already", freezer.ScanAlready, freezer.OpOut, place)
		insert("error", freezer.ScanError, freezer.OpOut, place)
		insert("denied", freezer.ScanDenied, "", nil)
		// Another device's operation.
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: w.bobsDev.ID, MsgID: "bob", Code: "c", Mode: "out", Op: freezer.OpOut, Status: freezer.ScanOK, Undo: place})
		})

		if got := last(testdb.Now); got != "in" {
			t.Errorf("last undoable = %q, want in", got)
		}
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.MarkUndone(ctx, in.ID) })
		if got := last(testdb.Now); got != "move" {
			t.Errorf("after undoing in: %q, want move", got)
		}
		// The window: a since after the move leaves only events that cannot be undone.
		if got := last(move.CreatedAt.Add(time.Millisecond)); got != "" {
			t.Errorf("since after the move: %q, want none", got)
		}
		if got := last(move.CreatedAt); got != "move" {
			t.Errorf("since the move: %q, want move", got)
		}
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.MarkUndone(ctx, move.ID) })
		if got := last(testdb.Now); got != "old-out" {
			t.Errorf("after undoing the move: %q, want old-out", got)
		}
		var e *freezer.ScanEvent
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			e, err = tx.FindScanEvent(ctx, w.dev.ID, "move")
			return err
		})
		if !e.Undone {
			t.Error("MarkUndone not stored")
		}
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error { return tx.MarkUndone(ctx, old.ID) })
		if got := last(testdb.Now.Add(-time.Hour)); got != "" {
			t.Errorf("everything undone: %q, want none", got)
		}
	})
}

func TestScanTxDevices(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		clock := testdb.Now.Add(time.Hour)
		w.store.Now = func() time.Time { return clock }
		var d *freezer.Device
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			if err := tx.SetDeviceScanState(ctx, w.dev.ID, freezer.ModeMove, w.p.ID); err != nil {
				return err
			}
			d, err = tx.FindDevice(ctx, w.dev.ID)
			return err
		})
		if d.Mode != freezer.ModeMove || d.MovingProductID != w.p.ID || d.LastSeenAt == nil || !d.LastSeenAt.Equal(clock) {
			t.Errorf("device after SetDeviceScanState: %+v", d)
		}
		// Any household's device: the scan transaction acts as the system.
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			d, err = tx.FindDevice(ctx, w.bobsDev.ID)
			return err
		})
		if d.HouseholdID != w.bob.Household.ID {
			t.Errorf("bob's device %+v", d)
		}
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			if err := tx.SetDeviceScanState(ctx, w.dev.ID, freezer.ModeIn, 0); err != nil {
				return err
			}
			d, err = tx.FindDevice(ctx, w.dev.ID)
			return err
		})
		if d.Mode != freezer.ModeIn || d.MovingProductID != 0 {
			t.Errorf("device after clearing: %+v", d)
		}
		if n := w.count(t, `SELECT COUNT(*) FROM devices WHERE id = ? AND moving_product_id IS NULL`, w.dev.ID); n != 1 {
			t.Error("moving product 0 not stored as NULL")
		}
		err := w.inScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			_, err := tx.FindDevice(ctx, "scanner-nobody")
			return err
		})
		assertCode(t, err, freezer.ENOTFOUND)
		err = w.inScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.SetDeviceScanState(ctx, w.dev.ID, "sideways", 0)
		})
		assertCode(t, err, freezer.EINVALID)

		// The moving product goes away with its product.
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			return tx.SetDeviceScanState(ctx, w.dev.ID, freezer.ModeMove, w.p.ID)
		})
		if err := w.store.DeleteProduct(regCtx(w.alice), w.p.ID); err != nil {
			t.Fatal(err)
		}
		got, err := w.store.FindDeviceByID(systemCtx(), w.dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MovingProductID != 0 {
			t.Errorf("moving product %d after it was deleted", got.MovingProductID)
		}
	})
}

func TestScanTxProducts(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		bobsProduct := MustCreateProduct(t, regCtx(w.bob), w.store, newProduct(w.bobs, 1, 1))
		var got *freezer.Product
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			got, err = tx.FindProduct(ctx, bobsProduct.ID)
			return err
		})
		if got.ID != bobsProduct.ID || got.HouseholdID != w.bob.Household.ID {
			t.Errorf("FindProduct of another household: %+v", got)
		}
		err := w.inScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			_, err := tx.FindProduct(ctx, 999999)
			return err
		})
		assertCode(t, err, freezer.ENOTFOUND)

		// Freezers of any household, archived ones too.
		archived := MustCreateFreezer(t, w.store, w.alice, "old", 1)
		if _, err := w.store.ArchiveFreezer(regCtx(w.alice), archived.ID); err != nil {
			t.Fatal(err)
		}
		var f, a *freezer.Freezer
		w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
			if f, err = tx.FindFreezer(ctx, w.bobs.ID); err != nil {
				return err
			}
			a, err = tx.FindFreezer(ctx, archived.ID)
			return err
		})
		if f.HouseholdID != w.bob.Household.ID || f.NumberBoxes != 2 || a.ArchivedAt == nil {
			t.Errorf("FindFreezer: %+v, %+v", f, a)
		}
		err = w.inScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
			_, err := tx.FindFreezer(ctx, 999999)
			return err
		})
		assertCode(t, err, freezer.ENOTFOUND)
	})
}

func TestScanTxProductLife(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		q := MustCreateProduct(t, regCtx(w.alice), w.store, newProduct(w.f, 1, 3))
		MustCreateProduct(t, regCtx(w.alice), w.store, newProduct(w.f, 2, 1))
		gone := MustCreateProduct(t, regCtx(w.alice), w.store, newProduct(w.f, 1, 2))
		MustTakeOut(t, regCtx(w.alice), w.store, gone.ID, today)
		clock := testdb.Now.Add(time.Hour)
		w.store.Now = func() time.Time { return clock }
		op := func(do func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error)) (got *freezer.Product, err error) {
			t.Helper()
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) error {
				got, err = do(ctx, tx)
				return nil
			})
			return got, err
		}

		// Move p to box 3 (its next free slot, 1); take q out.
		got, err := op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) {
			return tx.Move(ctx, w.p.ID, freezer.Destination{FreezerID: w.f.ID, Box: 3})
		})
		if err != nil || got.Box != 3 || got.Slot != 1 || !got.Inside() || got.Version != w.p.Version+1 || !got.UpdatedAt.Equal(clock) {
			t.Errorf("Move = %+v, %v", got, err)
		}
		if got, err := op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) {
			return tx.TakeOut(ctx, q.ID, "")
		}); err != nil || got.DateOut != today {
			t.Errorf("TakeOut = %+v, %v", got, err)
		}
		if got := MustFindProduct(t, systemCtx(), w.store, q.ID); got.Inside() || got.DateOut != today || got.Version != q.Version+1 {
			t.Errorf("taken out product %+v", got)
		}

		// Taken out again: already, with the product as stored; nothing written.
		got, err = op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) {
			return tx.TakeOut(ctx, q.ID, "")
		})
		if freezer.ErrorReason(err) != freezer.ReasonAlreadyOut || got == nil || got.DateOut != today {
			t.Errorf("TakeOut of a product out = %+v, %v", got, err)
		}
		if got := MustFindProduct(t, systemCtx(), w.store, q.ID); got.Version != q.Version+1 {
			t.Errorf("already out, yet written: version %d", got.Version)
		}

		// Put back while its slot is free: its own slot.
		if got, err := op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) { return tx.PutBack(ctx, q.ID) }); err != nil || got.Slot != 3 || !got.Inside() {
			t.Errorf("PutBack = %+v, %v", got, err)
		}
		if _, err := op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) { return tx.PutBack(ctx, q.ID) }); freezer.ErrorReason(err) != freezer.ReasonAlreadyInside {
			t.Errorf("PutBack of a product inside: %v", err)
		}

		// Restore into a taken slot: slot taken, nothing changes.
		_, err = op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) {
			return tx.Restore(ctx, q.ID, freezer.ProductPlace{FreezerID: w.f.ID, Box: 3, Slot: 1})
		})
		if freezer.ErrorReason(err) != freezer.ReasonSlotTaken {
			t.Errorf("Restore into a taken slot: %v", err)
		}
		if got := MustFindProduct(t, systemCtx(), w.store, q.ID); !got.Inside() || got.Box != 1 || got.Slot != 3 {
			t.Errorf("conflicting restore changed the product: %+v", got)
		}

		// Gone's slot (2) is held by nobody; put back after another product took it: next free.
		MustCreateProduct(t, regCtx(w.alice), w.store, newProduct(w.f, 1, 2))
		if got, err := op(func(ctx context.Context, tx freezer.ScanTx) (*freezer.Product, error) {
			return tx.PutBack(ctx, gone.ID)
		}); err != nil || got.Box != 1 || got.Slot != 1 {
			t.Errorf("PutBack into a taken slot = %+v, %v; want the next free slot, 1", got, err)
		}
	})
}

func TestFindOldestInsideByBarcode(t *testing.T) {
	eachScanWorld(t, func(t *testing.T, w *scanWorld) {
		const code = "4006381333931"
		second := MustCreateFreezer(t, w.store, w.alice, "kitchen", 2)
		mk := func(f *freezer.Freezer, r *freezer.RegisteredUser, box int, daysIn int) *freezer.Product {
			p := newProduct(f, box, 0)
			p.Barcode, p.DateIn = code, daysAgo(daysIn)
			return MustCreateProduct(t, regCtx(r), w.store, p)
		}
		oldest := mk(w.f, w.alice, 1, 40)
		tie := mk(w.f, w.alice, 2, 40) // the same day as oldest, created after it
		inSecond := mk(second, w.alice, 1, 10)
		out := mk(w.f, w.alice, 3, 90)
		MustTakeOut(t, regCtx(w.alice), w.store, out.ID, today)
		bobs := mk(w.bobs, w.bob, 1, 100)
		other := newProduct(w.f, 4, 0)
		other.Barcode, other.DateIn = "96385074", daysAgo(200)
		MustCreateProduct(t, regCtx(w.alice), w.store, other)

		find := func(household int64, barcode string, prefer int64) int64 {
			var p *freezer.Product
			w.mustInScan(t, func(ctx context.Context, tx freezer.ScanTx) (err error) {
				p, err = tx.FindOldestInsideByBarcode(ctx, household, barcode, prefer)
				return err
			})
			if p == nil {
				return 0
			}
			return p.ID
		}
		tests := []struct {
			desc      string
			household int64
			barcode   string
			prefer    int64
			want      int64
		}{
			{"oldest first, ties by id", w.alice.Household.ID, code, 0, oldest.ID},
			{"the preferred freezer first", w.alice.Household.ID, code, second.ID, inSecond.ID},
			{"a preferred freezer without it", w.alice.Household.ID, code, w.bobs.ID, oldest.ID},
			{"another household's own", w.bob.Household.ID, code, 0, bobs.ID},
			{"another household preferring ours", w.bob.Household.ID, code, w.f.ID, bobs.ID},
			{"an unknown barcode", w.alice.Household.ID, "036000291452", 0, 0},
		}
		for _, tt := range tests {
			if got := find(tt.household, tt.barcode, tt.prefer); got != tt.want {
				t.Errorf("%s: product %d, want %d", tt.desc, got, tt.want)
			}
		}
		MustTakeOut(t, regCtx(w.alice), w.store, oldest.ID, today)
		if got := find(w.alice.Household.ID, code, 0); got != tie.ID {
			t.Errorf("after the oldest left: %d, want %d", got, tie.ID)
		}
		MustTakeOut(t, regCtx(w.alice), w.store, tie.ID, today)
		MustTakeOut(t, regCtx(w.alice), w.store, inSecond.ID, today)
		if got := find(w.alice.Household.ID, code, 0); got != 0 {
			t.Errorf("none inside: %d, want none", got)
		}
	})
}
