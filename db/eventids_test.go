package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// A batch's scan events get the ids they are stored under even where one
// INSERT numbers its rows with gaps: an auto-increment step of 3, as on
// each node of a 3-node Galera cluster.
// Both ways of getting them are checked: with the insert (MariaDB's
// INSERT … RETURNING) and read back after it (MySQL).
func TestScanEventIDsWithGaps(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		returning bool
	}{{"Returned by the insert", true}, {"Read back", false}} {
		t.Run(tc.desc, func(t *testing.T) {
			dsn := testdb.MySQLDSN(t) + "?auto_increment_increment=3"
			store := testdb.MustOpen(t, dsn)
			if !tc.returning {
				db.WithoutInsertReturning(store)
			}
			checkScanEventIDs(t, store, MustOpenRaw(t, dsn))
		})
	}
}

// checkScanEventIDs runs batches of scans, with and without a failing job
// (which runs the batch again with savepoints, one insert per event), and
// compares each event's id with the stored one; the undo of the last scan
// marks that very event undone.
func checkScanEventIDs(t *testing.T, store *db.DB, raw *sql.DB) {
	t.Helper()
	alice := MustRegister(t, store, "alice@example.com")
	dev, _ := mustCreateDevice(t, store, alice, nil)
	var events []*freezer.ScanEvent
	for batch, failing := range []int{-1, 2, -1} {
		keys := make([]freezer.ScanKey, 6)
		for i := range keys {
			keys[i] = freezer.ScanKey{DeviceID: dev.ID, MsgID: fmt.Sprintf("b%d-%d", batch, i)}
		}
		errs, err := store.RunScans(context.Background(), keys, func(ctx context.Context, tx freezer.ScanTx, i int) error {
			if i == failing {
				return freezer.Errorf(freezer.EINVALID, "job %d fails", i)
			}
			e := event(dev.ID, keys[i].MsgID, "FZ-I-1")
			e.Op, e.Undo = freezer.OpOut, &freezer.ProductPlace{FreezerID: 1, Box: 1, Slot: 1}
			if err := tx.InsertScanEvent(ctx, e); err != nil {
				return err
			}
			events = append(events, e)
			return nil
		})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if failing >= 0 && errs[failing] == nil {
			t.Fatalf("batch %d: job %d did not fail", batch, failing)
		}
	}
	// A batch that ran again appended its events twice: keep the last of each.
	byMsg := map[string]*freezer.ScanEvent{}
	for _, e := range events {
		byMsg[e.MsgID] = e
	}
	if len(byMsg) != 17 {
		t.Fatalf("%d events, want 17", len(byMsg))
	}
	for msgID, e := range byMsg {
		var id int64
		if err := raw.QueryRow("SELECT id FROM scan_events WHERE device_id = ? AND msg_id = ?", dev.ID, msgID).Scan(&id); err != nil {
			t.Fatalf("event %s: %v", msgID, err)
		}
		if e.ID != id {
			t.Errorf("event %s: id %d, stored as %d", msgID, e.ID, id)
		}
	}
	var undone *freezer.ScanEvent
	if _, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
		var err error
		if undone, err = tx.FindLastUndoable(ctx, dev.ID, testdb.Now.Add(-60e9)); err != nil || undone == nil {
			return fmt.Errorf("no undoable scan: %v", err)
		}
		return tx.MarkUndone(ctx, undone.ID)
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.QueryRow("SELECT COUNT(*) FROM scan_events WHERE undone = 1 AND id = ?", undone.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("event %d marked undone: %d rows, %v", undone.ID, n, err)
	}
}
