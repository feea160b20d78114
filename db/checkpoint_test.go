package db_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// SQLite's log is copied into the database beside the writer, and stays
// bounded under a steady stream of commits; nothing committed is lost.
func TestCheckpointerBoundsTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a few thousand transactions")
	}
	dsn := testdb.SQLiteDSN(t)
	store := testdb.MustOpen(t, dsn)
	wal := strings.TrimPrefix(dsn, "sqlite:") + "-wal"
	dev, _ := mustCreateDevice(t, store, MustRegister(t, store, "alice@example.com"), nil)

	// Each commit adds a few pages to the log; unchecked, these would make
	// it grow past 24 000 pages (≈ 94 MB). The bound leaves room for a
	// checkpointer that other tests' load keeps waiting for a core.
	const commits = 6000
	const maxLog = 48 << 20
	var largest int64
	for i := range commits {
		_, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
			return tx.InsertScanEvent(ctx, event(dev.ID, fmt.Sprint("m-", i), strings.Repeat("x", 200)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if st, err := os.Stat(wal); err == nil {
				largest = max(largest, st.Size())
			}
		}
	}
	if largest == 0 || largest > maxLog {
		t.Errorf("the log grew to %d bytes, want at most %d", largest, maxLog)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := MustOpenRaw(t, dsn).QueryRow(`SELECT COUNT(*) FROM scan_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != commits {
		t.Errorf("%d events after reopening, want %d", n, commits)
	}
}
