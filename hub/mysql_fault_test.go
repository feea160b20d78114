package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/bustest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/internal/testnet"
)

// TestMySQLCutMidStream: the database connection is cut while devices are
// scanning. Scans are acked only once the database is back, every scan is
// acked, and none is applied twice.
func TestMySQLCutMidStream(t *testing.T) {
	dsn := testdb.MySQLDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testnet.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	e := testdb.NewHousehold(t, u.String()+"?timeout=2s&readTimeout=2s&writeTimeout=2s", time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC))

	const nDevices, perDevice = 5, 40
	type device struct {
		id      string
		product int64
	}
	var devs []device
	for i := range nDevices {
		d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.User.Household.ID, Name: fmt.Sprintf("door %d", i)}
		if _, err := e.Store.CreateDevice(freezer.SystemContext(context.Background()), d); err != nil {
			t.Fatal(err)
		}
		devs = append(devs, device{id: d.ID, product: e.Product(t, fmt.Sprintf("product %d", i), e.Today(), 6).ID})
	}
	bus := &bustest.Bus{}
	h := New(Config{Now: e.Clock.Now}, e.Store, bus, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)

	topics := devices.Topics{Root: devices.DefaultRoot}
	var downSince, upAt atomic.Int64 // unix nanoseconds of the cut and the restore
	var ackedDuringCut atomic.Int64
	var wg sync.WaitGroup
	for _, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perDevice {
				id := fmt.Sprintf("%s-%d", d.id, i)
				mode := []string{freezer.ModeOut, freezer.ModeIn}[i%2]
				payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: freezer.ProductCode(d.product), Mode: mode})
				sentAt := time.Now()
				for attempt := 0; ; attempt++ { // a device resends the same id until it is acked
					bus.Deliver(topics.Scan(d.id), string(payload))
					deadline := time.Now().Add(500 * time.Millisecond)
					for time.Now().Before(deadline) && !acked(bus, topics.Ack(d.id), id) {
						time.Sleep(5 * time.Millisecond)
					}
					if acked(bus, topics.Ack(d.id), id) {
						break
					}
					if attempt > 120 {
						t.Errorf("%s never acked", id)
						return
					}
				}
				// An ack for a scan sent while the database was down must come after it is back.
				if down := downSince.Load(); down != 0 && sentAt.UnixNano() > down && (upAt.Load() == 0 || time.Now().UnixNano() < upAt.Load()) {
					ackedDuringCut.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	downSince.Store(time.Now().UnixNano())
	proxy.Cut()
	time.Sleep(2 * time.Second)
	upAt.Store(time.Now().UnixNano())
	proxy.Restore()
	wg.Wait()

	if n := ackedDuringCut.Load(); n != 0 {
		t.Errorf("%d scans sent during the cut were acked before the database came back", n)
	}
	raw := testdb.Raw(t, dsn)
	for _, d := range devs {
		var events, distinct int
		if err := raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT msg_id) FROM scan_events WHERE device_id = ?`, d.id).Scan(&events, &distinct); err != nil {
			t.Fatal(err)
		}
		if events != perDevice || distinct != perDevice {
			t.Errorf("device %s: %d scan events (%d ids), want %d applied once each", d.id, events, distinct, perDevice)
		}
		var version int64
		if err := raw.QueryRow(`SELECT version FROM products WHERE id = ?`, d.product).Scan(&version); err != nil {
			t.Fatal(err)
		}
		if version != perDevice+1 { // out, in, out, in… each scan changed the product once
			t.Errorf("device %s: product version %d, want %d", d.id, version, perDevice+1)
		}
	}
}

// acked reports whether an ack with that id was published on topic.
func acked(bus *bustest.Bus, topic, id string) bool {
	for _, p := range bus.On(topic) {
		if strings.Contains(p, `"id":"`+id+`"`) {
			return true
		}
	}
	return false
}
