package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// benchDevices is how many simulated scanners BenchmarkScanPipeline runs:
// FREEZER_BENCH_DEVICES, 50 by default.
func benchDevices(b *testing.B) int {
	n := 50
	if s := os.Getenv("FREEZER_BENCH_DEVICES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("FREEZER_BENCH_DEVICES=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// BenchmarkScanPipeline measures the whole scan path: simulated scanners
// over TCP, each in closed loop (one scan in flight, the next sent when its
// ack arrives), against the embedded broker, the hub and SQLite. Every scan
// does real work: each device takes its own product out, then puts it back,
// alternately (an explicit mode per scan), so each is a product update and
// a scan event committed before the ack. It reports acked scans per second
// and the scan-to-ack latency.
func BenchmarkScanPipeline(b *testing.B) {
	nDevices := benchDevices(b)
	store := testdb.MustOpen(b, testdb.SQLiteDSN(b))
	store.Now = time.Now
	ctx := freezer.SystemContext(context.Background())
	reg, err := store.RegisterUser(ctx, freezer.Registration{Email: "bench@example.com", Password: "password1"})
	if err != nil {
		b.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "bench", NumberBoxes: 1}
	if err := store.CreateFreezer(ctx, f); err != nil {
		b.Fatal(err)
	}
	br, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", MaxPendingPerIP: loopbackClients}, store, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := br.Start(); err != nil {
		b.Fatal(err)
	}
	h := hub.New(hub.Config{}, store, br, nil)
	if err := h.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close(); h.Close() })

	type scanner struct {
		id   string
		code string
		c    paho.Client
		acks chan devices.Ack
	}
	scanners := make([]*scanner, nDevices)
	dateIn := freezer.DateOf(time.Now()).AddDays(-10)
	for i := range scanners {
		d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: fmt.Sprintf("scanner %d", i)}
		password, err := store.CreateDevice(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		p := &freezer.Product{FreezerID: f.ID, Box: 1, Slot: i + 1, Name: fmt.Sprintf("p%d", i), TypeID: 1, DateIn: dateIn, PeriodMonths: 6}
		if err := store.CreateProduct(ctx, p); err != nil {
			b.Fatal(err)
		}
		s := &scanner{id: d.ID, code: freezer.ProductCode(p.ID), acks: make(chan devices.Ack, 1)}
		s.c = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + br.TCPAddr()).SetClientID(d.ID).SetUsername(d.ID).SetPassword(password).
			SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
		if tok := s.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("connect: %v", tok.Error())
		}
		b.Cleanup(func() { s.c.Disconnect(50) })
		if tok := s.c.Subscribe(topics.Ack(d.ID), 1, func(_ paho.Client, m paho.Message) {
			if a, err := devices.DecodeAck(m.Payload()); err == nil {
				s.acks <- a
			}
		}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			b.Fatalf("subscribe: %v", tok.Error())
		}
		scanners[i] = s
	}

	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	latencies := make([][]time.Duration, nDevices)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, s := range scanners {
		wg.Go(func() {
			for seq := 0; remaining.Add(-1) >= 0; seq++ {
				mode := freezer.ModeOut
				if seq%2 == 1 {
					mode = freezer.ModeIn
				}
				payload, _ := json.Marshal(devices.ScanMessage{ID: fmt.Sprintf("%s-%d", s.id, seq), Code: s.code, Mode: mode})
				sent := time.Now()
				s.c.Publish(topics.Scan(s.id), 1, false, payload)
				select {
				case a := <-s.acks:
					latencies[i] = append(latencies[i], time.Since(sent))
					if a.Status != freezer.ScanOK {
						failed.Add(1)
					}
				case <-time.After(30 * time.Second):
					failed.Add(1)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	all := slices.Concat(latencies...)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d scans not acked ok", f, len(all))
	}
	if len(all) != b.N {
		b.Fatalf("%d scans acked, want %d", len(all), b.N)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "scans/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(nDevices), "devices")
}
