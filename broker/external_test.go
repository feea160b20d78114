package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/mqtttest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// countingBus counts the acks one hub publishes.
type countingBus struct {
	devices.Bus
	acks atomic.Int64
}

func (b *countingBus) Publish(topic string, payload []byte, retain bool) error {
	b.acks.Add(1)
	return b.Bus.Publish(topic, payload, retain)
}

// TestExternalBrokerSharedScans runs two hubs on one Mosquitto with a shared
// subscription: 1000 scans, each sent twice, are each applied exactly once.
func TestExternalBrokerSharedScans(t *testing.T) {
	url := mqtttest.StartMosquitto(t)
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		const nDevices, perDevice = 20, 50
		ctx := freezer.SystemContext(context.Background())
		reg, err := store.RegisterUser(ctx, freezer.Registration{Email: "shared@example.com", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "chest", NumberBoxes: nDevices}
		if err := store.CreateFreezer(ctx, f); err != nil {
			t.Fatal(err)
		}

		var buses []*countingBus
		for i := range 2 {
			ext, err := broker.DialExternal(broker.ExternalConfig{URL: url, ClientID: fmt.Sprintf("hub-%d-%d", i, time.Now().UnixNano()),
				ShareGroup: broker.DefaultShareGroup}, nil)
			if err != nil {
				t.Fatal(err)
			}
			bus := &countingBus{Bus: ext}
			h := hub.New(hub.Config{}, store, bus, nil)
			if err := h.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close(); ext.Close() })
			buses = append(buses, bus)
		}

		status := make(chan string, 1)
		watcher := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("watcher").SetAutoReconnect(false))
		if tok := watcher.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("watcher connect: %v", tok.Error())
		}
		t.Cleanup(func() { watcher.Disconnect(100) })
		watcher.Subscribe(devices.Topics{Root: devices.DefaultRoot}.HubStatus(), 1, func(_ paho.Client, m paho.Message) {
			select {
			case status <- string(m.Payload()):
			default:
			}
		}).WaitTimeout(5 * time.Second)
		select {
		case s := <-status:
			if s != "online" {
				t.Errorf("retained hub status = %q, want online", s)
			}
		case <-time.After(5 * time.Second):
			t.Error("no retained hub status")
		}

		var acked sync.Map // message id → ack
		var nAcked atomic.Int64
		var wg sync.WaitGroup
		for d := range nDevices {
			dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: fmt.Sprintf("scanner %d", d)}
			if _, err := store.CreateDevice(ctx, dev); err != nil {
				t.Fatal(err)
			}
			codes := make([]string, perDevice)
			for i := range codes {
				p := &freezer.Product{FreezerID: f.ID, Box: d + 1, Name: fmt.Sprintf("p%d-%d", d, i), TypeID: 1,
					DateIn: freezer.MustParseDate("2026-01-01"), PeriodMonths: 6}
				if err := store.CreateProduct(ctx, p); err != nil {
					t.Fatal(err)
				}
				codes[i] = freezer.ProductCode(p.ID)
			}
			c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(dev.ID).SetAutoReconnect(false))
			if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("device connect: %v", tok.Error())
			}
			t.Cleanup(func() { c.Disconnect(100) })
			topics := devices.Topics{Root: devices.DefaultRoot}
			tok := c.Subscribe(topics.Ack(dev.ID), 1, func(_ paho.Client, m paho.Message) {
				a, err := devices.DecodeAck(m.Payload())
				if err != nil {
					return
				}
				if _, loaded := acked.LoadOrStore(a.ID, a); !loaded {
					nAcked.Add(1)
				}
			})
			if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("device subscribe: %v", tok.Error())
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, code := range codes {
					payload, _ := json.Marshal(devices.ScanMessage{ID: fmt.Sprintf("%s-%d", dev.ID, i), Code: code})
					for range 2 { // every scan delivered twice, as a device resending
						c.Publish(topics.Scan(dev.ID), 1, false, payload).WaitTimeout(5 * time.Second)
					}
				}
			}()
		}
		wg.Wait()
		deadline := time.Now().Add(60 * time.Second)
		for nAcked.Load() < nDevices*perDevice && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got, want := nAcked.Load(), int64(nDevices*perDevice); got != want {
			t.Fatalf("acked scans = %d, want %d", got, want)
		}
		acked.Range(func(_, v any) bool {
			if a := v.(devices.Ack); a.Status != freezer.ScanOK && a.Status != freezer.ScanAlready {
				t.Errorf("ack %+v, want ok", a)
			}
			return true
		})
		inside := true
		left, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Inside: &inside})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%d products still inside after every label was scanned", len(left))
		}
		for i, b := range buses {
			if b.acks.Load() == 0 {
				t.Errorf("hub %d answered no scan: the subscription is not shared", i)
			}
		}
		events := countScanEvents(t, store, ctx)
		if got, want := events, nDevices*perDevice; got != want {
			t.Errorf("scan events = %d, want %d (each scan applied once)", got, want)
		}
	})
}

// countScanEvents counts the recorded scans through the store's scan transaction.
func countScanEvents(t *testing.T, store *db.DB, ctx context.Context) int {
	t.Helper()
	devs, err := store.FindDevices(ctx, freezer.DeviceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err = store.RunScans(ctx, make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
		for _, d := range devs {
			for i := 0; i < 1000; i++ {
				e, err := tx.FindScanEvent(ctx, d.ID, fmt.Sprintf("%s-%d", d.ID, i))
				if err != nil {
					return err
				}
				if e == nil {
					break
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
