package broker_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/internal/testdb"
)

// After a burst of connections the broker trims its memory once; a few
// connections are no burst.
func TestTrimsMemoryAfterAConnectionBurst(t *testing.T) {
	e := newEnv(t, testdb.MustOpen(t, testdb.SQLiteDSN(t)))
	var trims atomic.Int32
	const quiet = 200 * time.Millisecond
	e.broker.SetTrim(quiet, func() { trims.Add(1) })

	connectMany := func(n int) {
		for range n {
			d, password := e.newDevice(t, nil)
			c, _, err := e.dial(t, d.ID, d.ID, password)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Disconnect(0) })
		}
	}
	connectMany(20)
	time.Sleep(3 * quiet)
	if n := trims.Load(); n != 0 {
		t.Fatalf("%d trims after 20 connections, want none", n)
	}
	connectMany(80) // a hundred in all: a burst
	deadline := time.Now().Add(10 * time.Second)
	for trims.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(quiet / 4)
	}
	time.Sleep(3 * quiet)
	if n := trims.Load(); n != 1 {
		t.Fatalf("%d trims after a burst of 100 connections, want 1", n)
	}
}
