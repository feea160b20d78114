package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestSeedPutsProductsInside(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		const inside = 2345 // more than two freezers' worth
		fx, err := seed(dsn, seedPlan{devices: 3, inside: inside, busy: 4, idle: 2})
		if err != nil {
			t.Fatal(err)
		}
		store := testdb.MustOpen(t, dsn)
		ctx := freezer.SystemContext(context.Background())
		for _, c := range []struct {
			h        household
			scanners int
			inside   int
		}{{fx.few, 3, 3}, {fx.many, 3, 3 + inside}, {fx.busy, 4, 4}} {
			groups, err := store.CountInside(ctx, c.h.id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			freezers := map[int64]bool{}
			for _, g := range groups {
				n += g.Count
				freezers[g.FreezerID] = true
			}
			if n != c.inside || len(c.h.scanners) != c.scanners {
				t.Errorf("household %d: %d products inside, %d scanners; want %d, %d", c.h.id, n, len(c.h.scanners), c.inside, c.scanners)
			}
			if c.inside > insideBoxes*insideSlots && len(freezers) < 3 {
				t.Errorf("household %d: %d products inside %d freezers, want them spread over several", c.h.id, n, len(freezers))
			}
			for _, s := range c.h.scanners {
				p, err := store.FindProductByID(ctx, s.productID)
				if err != nil {
					t.Fatal(err)
				}
				if p.HouseholdID != c.h.id || !p.DateOut.IsZero() {
					t.Errorf("scanner %s's product %+v, want inside household %d", s.id, p, c.h.id)
				}
			}
		}
		if len(fx.idle) != 2 {
			t.Errorf("%d idle devices, want 2", len(fx.idle))
		}
	})
}

func TestStorageCeilingLeavesOneEventPerScan(t *testing.T) {
	dsn := testdb.MySQLDSN(t)
	fx, err := seed(dsn, seedPlan{busy: 8})
	if err != nil {
		t.Fatal(err)
	}
	c, err := openCeiling(dsn, fx.busy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	r, err := c.measure(ceilingConfig{inFlight: 8, connections: 2}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count == 0 || r.Count%4 != 0 {
		t.Fatalf("%d scans, want batches of 4", r.Count)
	}
	var events, versions, out int
	if err := c.conn.QueryRow("SELECT COUNT(*), COUNT(DISTINCT device_id, msg_id) FROM scan_events").Scan(&events, new(int)); err != nil {
		t.Fatal(err)
	}
	if err := c.conn.QueryRow("SELECT SUM(version) - COUNT(*), SUM(date_out IS NOT NULL) FROM products WHERE household_id = ?", c.household).Scan(&versions, &out); err != nil {
		t.Fatal(err)
	}
	if events != r.Count || versions != r.Count {
		t.Errorf("%d scans: %d scan events, versions moved %d times; want one each per scan", r.Count, events, versions)
	}
	// A second run starts from every product inside, with new message ids.
	if _, err := c.measure(ceilingConfig{inFlight: 8, connections: 4}, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func TestMySQLDatabaseIsNewEachRun(t *testing.T) {
	base := testdb.MySQLDSN(t)
	created, err := mysqlDatabase(base, "_x")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(created)
	name := strings.Trim(u.Path, "/")
	t.Cleanup(func() { dropDatabase(t, base, name) })
	if !strings.HasSuffix(name, "_x") {
		t.Fatalf("database %q, want the base name and _x", name)
	}
	conn := testdb.Raw(t, created)
	if _, err := conn.Exec("CREATE TABLE left_over (id INT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := mysqlDatabase(base, "_x"); err != nil {
		t.Fatal(err)
	}
	var tables int
	if err := testdb.Raw(t, created).QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables in the new database, want none", tables)
	}
}

func TestWireCountsMySQLCommands(t *testing.T) {
	dsn := testdb.MySQLDSN(t)
	countMySQLTraffic()
	conn := testdb.Raw(t, dsn)
	before := readWireCounts()
	tx, err := conn.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec("SELECT * FROM no_such_table"); err == nil {
		t.Fatal("a query of a missing table succeeded")
	}
	got := readWireCounts().sub(before)
	// START TRANSACTION, SELECT, COMMIT, the failing SELECT.
	if got.Statements < 4 || got.Commits != 1 || got.Errors != 1 || got.Commands < got.Statements {
		t.Errorf("counts %+v, want 4 statements, 1 commit, 1 error", got)
	}
}

func TestPacketReaderFollowsSplitPackets(t *testing.T) {
	var got []string
	p := packetReader{onPacket: func(seq byte, head []byte) { got = append(got, string(rune('0'+seq))+string(head)) }}
	packet := func(seq byte, payload string) []byte {
		n := len(payload)
		return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
	}
	long := strings.Repeat("x", 40)
	stream := append(append(append(packet(0, "\x03COMMIT"), packet(1, "")...), packet(0, long)...), packet(2, "ab")...)
	for i := 0; i < len(stream); i += 3 { // in pieces that cut headers and payloads
		p.feed(stream[i:min(len(stream), i+3)])
	}
	want := []string{"0\x03COMMIT", "1", "0" + long[:headBytes], "2ab"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("packets %q, want %q", got, want)
	}
}

func dropDatabase(t *testing.T, dsn, name string) {
	u, _ := url.Parse(dsn)
	u.Path = "/"
	if _, err := testdb.Raw(t, u.String()).Exec("DROP DATABASE IF EXISTS " + name); err != nil {
		t.Error(err)
	}
}
