package hub_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
)

var topics = devices.Topics{Root: devices.DefaultRoot}

// published is one message the hub sent.
type published struct {
	topic   string
	payload []byte
	retain  bool
}

// fakeBus is an in-memory devices.Bus: tests hand messages to the hub's
// handler and read back what it publishes.
type fakeBus struct {
	mu           sync.Mutex
	filter       string // the first subscription's
	subs         map[string]func(devices.Message)
	pubs         []published
	subscribeErr error
	// onPublish, when set, runs before a message is recorded.
	onPublish func(topic string, payload []byte)
}

func (b *fakeBus) Subscribe(filter string, handler func(devices.Message)) error {
	if b.subscribeErr != nil {
		return b.subscribeErr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.filter, b.subs = filter, map[string]func(devices.Message){}
	}
	b.subs[filter] = handler
	return nil
}

func (b *fakeBus) Unsubscribe(filter string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, filter)
	return nil
}

func (b *fakeBus) Publish(topic string, payload []byte, retain bool) error {
	if b.onPublish != nil {
		b.onPublish(topic, payload)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pubs = append(b.pubs, published{topic: topic, payload: append([]byte(nil), payload...), retain: retain})
	return nil
}

// deliver hands one message to the subscriber of the scan topics, as a
// broker would, whether it matches or not (the hub must check); with no
// subscriber (the hub stepped aside) the message goes nowhere.
func (b *fakeBus) deliver(topic string, payload []byte, done func()) {
	b.mu.Lock()
	h := b.subs[topics.ScanFilter()]
	b.mu.Unlock()
	if h != nil {
		h(devices.Message{Topic: topic, Payload: payload, Done: done})
	}
}

// acks returns the acks published to device dev so far.
func (b *fakeBus) acks(t *testing.T, dev string) []devices.Ack {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []devices.Ack
	for _, p := range b.pubs {
		if p.topic == topics.Ack(dev) {
			a, err := devices.DecodeAck(p.payload)
			if err != nil {
				t.Fatalf("bad ack %q: %v", p.payload, err)
			}
			list = append(list, a)
		}
	}
	return list
}

// count returns how many messages were published to topic.
func (b *fakeBus) count(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, p := range b.pubs {
		if p.topic == topic {
			n++
		}
	}
	return n
}

func (b *fakeBus) all() []published {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]published(nil), b.pubs...)
}

// fixture is a household with a freezer and a scanner, on a real database.
type fixture struct {
	store   *db.DB
	raw     *sql.DB
	clock   *testdb.Clock
	bus     *fakeBus
	hub     *hub.Hub
	house   int64
	freezer *freezer.Freezer
	dev     *freezer.Device
}

var sys = freezer.SystemContext(context.Background())

// eachDB runs fn on each dialect with a fixture whose hub is not started.
func eachDB(t *testing.T, fn func(t *testing.T, fx *fixture)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		store := testdb.MustOpen(t, dsn)
		clk := testdb.NewClock(testdb.Now)
		store.Now = clk.Now // set before any goroutine uses the store
		raw := testdb.Raw(t, dsn)
		reg, err := store.RegisterUser(context.Background(), freezer.Registration{Email: "hub@example.com", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "garage", NumberBoxes: 4}
		if err := store.CreateFreezer(sys, f); err != nil {
			t.Fatal(err)
		}
		fx := &fixture{store: store, raw: raw, clock: clk, bus: &fakeBus{}, house: reg.Household.ID, freezer: f}
		fx.dev = fx.device(t, freezer.DeviceScanner)
		fn(t, fx)
	})
}

func (fx *fixture) device(t *testing.T, kind string) *freezer.Device {
	t.Helper()
	d := &freezer.Device{Kind: kind, HouseholdID: fx.house, Name: "door"}
	if _, err := fx.store.CreateDevice(sys, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// start runs a hub on scans (the fixture's store when nil).
func (fx *fixture) start(t *testing.T, scans freezer.ScanStore, cfg hub.Config) {
	t.Helper()
	if scans == nil {
		scans = fx.store
	}
	cfg.Now = fx.clock.Now
	fx.hub = hub.New(cfg, scans, fx.bus, nil)
	if err := fx.hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.hub.Close)
	if got, want := fx.bus.filter, topics.ScanFilter(); got != want {
		t.Fatalf("hub subscribed to %q, want %q", got, want)
	}
}

// product stores a product inside at box, slot of the fixture's freezer.
func (fx *fixture) product(t *testing.T, box, slot int) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: fx.freezer.ID, Box: box, Slot: slot, Name: fmt.Sprintf("Soupe %d-%d", box, slot), TypeID: 1, Quantity: 2,
		DateIn: freezer.MustParseDate("2026-01-10"), PeriodMonths: 3}
	if err := fx.store.CreateProduct(sys, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (fx *fixture) find(t *testing.T, id int64) *freezer.Product {
	t.Helper()
	p, err := fx.store.FindProductByID(sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// events counts the scan events recorded for dev.
func (fx *fixture) events(t *testing.T, dev string) int {
	t.Helper()
	var n int
	if err := fx.raw.QueryRow(`SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, dev).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventsOf counts the scan events recorded for (dev, msgID).
func (fx *fixture) eventsOf(t *testing.T, dev, msgID string) int {
	t.Helper()
	var n int
	if err := fx.raw.QueryRow(`SELECT COUNT(*) FROM scan_events WHERE device_id = ? AND msg_id = ?`, dev, msgID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func scanPayload(id, code, mode string) []byte {
	b, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code, Mode: mode})
	return b
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitAcks waits until dev has n acks and returns them.
func (fx *fixture) waitAcks(t *testing.T, dev string, n int) []devices.Ack {
	t.Helper()
	var acks []devices.Ack
	waitFor(t, fmt.Sprintf("%d acks", n), func() bool {
		acks = fx.bus.acks(t, dev)
		return len(acks) >= n
	})
	if len(acks) > n {
		t.Fatalf("%d acks, want %d: %+v", len(acks), n, acks)
	}
	return acks
}

// scanOne sends one scan and returns its ack.
func (fx *fixture) scanOne(t *testing.T, dev string, payload []byte) devices.Ack {
	t.Helper()
	before := len(fx.bus.acks(t, dev))
	fx.bus.deliver(topics.Scan(dev), payload, nil)
	return fx.waitAcks(t, dev, before+1)[before]
}

// countingStore counts RunScans calls and their sizes; when gate is set,
// the first call waits until it is closed (or the hub stops).
type countingStore struct {
	freezer.ScanStore
	gate    chan struct{}
	entered chan struct{} // closed when the first call starts

	mu    sync.Mutex
	sizes []int
}

func newCountingStore(inner freezer.ScanStore, gated bool) *countingStore {
	s := &countingStore{ScanStore: inner, entered: make(chan struct{})}
	if gated {
		s.gate = make(chan struct{})
	}
	return s
}

func (s *countingStore) RunScans(ctx context.Context, batch []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) ([]error, error) {
	s.mu.Lock()
	s.sizes = append(s.sizes, len(batch))
	first := len(s.sizes) == 1
	s.mu.Unlock()
	if first {
		close(s.entered)
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return s.ScanStore.RunScans(ctx, batch, fn)
}

func (s *countingStore) calls() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.sizes...)
}

// Scans that queue up while a batch commits are committed together, each
// applied once, and each acked after its commit, before the broker is told
// that the message is handled.
func TestBatchesQueuedScans(t *testing.T) {
	const n = 500
	eachDB(t, func(t *testing.T, fx *fixture) {
		products := make([]*freezer.Product, n)
		for i := range products {
			products[i] = fx.product(t, i%4+1, i/4+1)
		}
		counting := newCountingStore(fx.store, true)

		var acked sync.Map // msg id → true once its ack is published
		var badOrder atomic.Int64
		fx.bus.onPublish = func(topic string, payload []byte) {
			if a, err := devices.DecodeAck(payload); err == nil && topic == topics.Ack(fx.dev.ID) {
				acked.Store(a.ID, true)
			}
		}
		fx.start(t, counting, hub.Config{})

		var done atomic.Int64
		for i, p := range products {
			id := fmt.Sprintf("%s-%d", fx.dev.ID, i)
			fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload(id, freezer.ProductCode(p.ID), ""), func() {
				if _, ok := acked.Load(id); !ok {
					badOrder.Add(1)
				}
				done.Add(1)
			})
			if i == 0 {
				<-counting.entered // the first scan is being committed alone
			}
		}
		close(counting.gate)

		acks := fx.waitAcks(t, fx.dev.ID, n)
		seen := map[string]bool{}
		for _, a := range acks {
			if a.Status != freezer.ScanOK || a.Op != freezer.OpOut {
				t.Errorf("ack %+v, want ok/out", a)
			}
			if seen[a.ID] {
				t.Errorf("ack %q published twice", a.ID)
			}
			seen[a.ID] = true
		}
		waitFor(t, "every message done", func() bool { return done.Load() == n })
		if badOrder.Load() != 0 {
			t.Errorf("%d messages were marked done before their ack was published", badOrder.Load())
		}

		calls := counting.calls()
		total := 0
		for _, size := range calls {
			total += size
			if size > hub.DefaultMaxBatch {
				t.Errorf("batch of %d scans, over MaxBatch %d", size, hub.DefaultMaxBatch)
			}
		}
		t.Logf("%d scans in %d RunScans calls: %v", n, len(calls), calls)
		if total != n {
			t.Errorf("RunScans saw %d jobs in all, want %d (no retries)", total, n)
		}
		if len(calls) >= n || len(calls) > 5 {
			t.Errorf("%d RunScans calls for %d scans queued at once, want a few batches", len(calls), n)
		}

		for _, p := range products {
			got := fx.find(t, p.ID)
			if got.Inside() || got.Version != p.Version+1 {
				t.Fatalf("product %d: inside=%v version=%d, want taken out once (version %d)", p.ID, got.Inside(), got.Version, p.Version+1)
			}
		}
		if got := fx.events(t, fx.dev.ID); got != n {
			t.Errorf("%d scan events, want %d", got, n)
		}
	})
}

// flakyStore fails the first failures batches after running their jobs:
// the work is done, then the commit is lost.
type flakyStore struct {
	freezer.ScanStore
	failures  atomic.Int64
	attempts  atomic.Int64
	committed atomic.Bool
}

var errDatabaseDown = errors.New("database went away")

func (s *flakyStore) RunScans(ctx context.Context, batch []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) ([]error, error) {
	s.attempts.Add(1)
	if s.failures.Add(-1) >= 0 {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, err := s.ScanStore.RunScans(cctx, batch, func(ctx context.Context, tx freezer.ScanTx, i int) error {
			jobErr := fn(ctx, tx, i)
			if i == len(batch)-1 {
				cancel() // the connection drops before the commit
			}
			return jobErr
		})
		if err == nil {
			return nil, errors.New("flakyStore: the batch was committed although its context was cancelled")
		}
		return nil, fmt.Errorf("%w: %v", errDatabaseDown, err)
	}
	errs, err := s.ScanStore.RunScans(ctx, batch, fn)
	if err == nil {
		s.committed.Store(true)
	}
	return errs, err
}

// A batch that cannot be committed is retried: its scans are acked only
// once it succeeds, none is lost and none is applied twice.
func TestRetriesBatchUntilCommitted(t *testing.T) {
	const n = 20
	eachDB(t, func(t *testing.T, fx *fixture) {
		products := make([]*freezer.Product, n)
		for i := range products {
			products[i] = fx.product(t, 1, i+1)
		}
		flaky := &flakyStore{ScanStore: fx.store}
		flaky.failures.Store(3)
		var early, notCommitted atomic.Int64
		fx.bus.onPublish = func(topic string, payload []byte) {
			if !flaky.committed.Load() {
				early.Add(1)
			}
			a, err := devices.DecodeAck(payload)
			if err != nil || !strings.HasSuffix(topic, "/ack") {
				return
			}
			var i int
			if _, err := fmt.Sscanf(strings.TrimPrefix(a.ID, fx.dev.ID+"-"), "%d", &i); err != nil {
				return
			}
			if p, err := fx.store.FindProductByID(sys, products[i].ID); err != nil || p.Inside() {
				notCommitted.Add(1) // acked while the change is not visible
			}
		}
		fx.start(t, flaky, hub.Config{})
		// The hub takes no scans while the store fails: the device resends
		// what is not acked, as devices do, until every scan is.
		var acks []devices.Ack
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			acked := map[string]bool{}
			acks = fx.bus.acks(t, fx.dev.ID)
			for _, a := range acks {
				acked[a.ID] = true
			}
			if len(acked) == n {
				break
			}
			for i, p := range products {
				if id := fmt.Sprintf("%s-%d", fx.dev.ID, i); !acked[id] {
					fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload(id, freezer.ProductCode(p.ID), ""), nil)
				}
			}
		}
		if got := flaky.attempts.Load(); got < 4 {
			t.Errorf("%d RunScans attempts, want at least 4 (3 failures)", got)
		}
		if early.Load() != 0 {
			t.Errorf("%d messages published before any batch was committed", early.Load())
		}
		if notCommitted.Load() != 0 {
			t.Errorf("%d acks published before their product was taken out", notCommitted.Load())
		}
		ids := map[string]bool{}
		for _, a := range acks {
			if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.Msg != "taken out" {
				t.Errorf("ack %+v, want ok/out taken out", a)
			}
			ids[a.ID] = true
		}
		if len(ids) != n {
			t.Errorf("%d distinct acked ids, want %d", len(ids), n)
		}
		for i, p := range products {
			got := fx.find(t, p.ID)
			if got.Inside() || got.Version != p.Version+1 {
				t.Errorf("product %d: inside=%v version=%d, want taken out once", p.ID, got.Inside(), got.Version)
			}
			if c := fx.eventsOf(t, fx.dev.ID, fmt.Sprintf("%s-%d", fx.dev.ID, i)); c != 1 {
				t.Errorf("scan %d recorded %d times, want once", i, c)
			}
		}
	})
}

// failingTx makes InsertScanEvent fail for one code, after the job has
// already changed its product.
type failingTx struct {
	freezer.ScanTx
	code string
}

func (tx failingTx) InsertScanEvent(ctx context.Context, e *freezer.ScanEvent) error {
	if e.Code == tx.code {
		return errors.New("disk I/O error")
	}
	return tx.ScanTx.InsertScanEvent(ctx, e)
}

type failingJobStore struct {
	*countingStore
	code atomic.Value // string
}

func (s *failingJobStore) RunScans(ctx context.Context, batch []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) ([]error, error) {
	code, _ := s.code.Load().(string)
	return s.countingStore.RunScans(ctx, batch, func(ctx context.Context, tx freezer.ScanTx, i int) error {
		return fn(ctx, failingTx{ScanTx: tx, code: code}, i)
	})
}

// A job that fails is rolled back alone and answered with an error; the
// others of its batch are committed.
func TestJobFailureAffectsOnlyThatJob(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		warmup := fx.product(t, 2, 1)
		products := make([]*freezer.Product, 5)
		for i := range products {
			products[i] = fx.product(t, 1, i+1)
		}
		bad := products[2]
		store := &failingJobStore{countingStore: newCountingStore(fx.store, true)}
		store.code.Store(freezer.ProductCode(bad.ID))
		fx.start(t, store, hub.Config{})

		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("w", freezer.ProductCode(warmup.ID), ""), nil)
		<-store.entered
		for i, p := range products {
			fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload(fmt.Sprint(i), freezer.ProductCode(p.ID), ""), nil)
		}
		close(store.gate)
		acks := fx.waitAcks(t, fx.dev.ID, 6)
		if calls := store.calls(); len(calls) != 2 || calls[1] != 5 {
			t.Fatalf("RunScans calls %v, want [1 5]: the five scans in one batch", calls)
		}
		for _, a := range acks {
			switch a.ID {
			case "2":
				if a.Status != freezer.ScanError || !strings.HasPrefix(a.Msg, "not applied") {
					t.Errorf("failed job ack = %+v, want an error", a)
				}
			default:
				if a.Status != freezer.ScanOK || a.Op != freezer.OpOut {
					t.Errorf("ack %+v, want ok/out", a)
				}
			}
		}
		for _, p := range products {
			got := fx.find(t, p.ID)
			if p.ID == bad.ID {
				if !got.Inside() || got.Version != p.Version {
					t.Errorf("failed job's product: inside=%v version=%d, want unchanged (its savepoint rolled back)", got.Inside(), got.Version)
				}
			} else if got.Inside() {
				t.Errorf("product %d still inside", p.ID)
			}
		}
		if got := fx.eventsOf(t, fx.dev.ID, "2"); got != 0 {
			t.Errorf("failed job left %d events", got)
		}
		if got := fx.events(t, fx.dev.ID); got != 5 {
			t.Errorf("%d events, want 5", got)
		}

		// The device resends it once the database is healthy: applied now.
		store.code.Store("")
		a := fx.scanOne(t, fx.dev.ID, scanPayload("2", freezer.ProductCode(bad.ID), ""))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.ID != "2" {
			t.Errorf("resent ack = %+v, want ok/out", a)
		}
		if fx.find(t, bad.ID).Inside() {
			t.Error("resent scan did not take the product out")
		}
	})
}

// Close stops the hub: scans not committed are neither applied nor acked.
func TestCloseDropsUncommittedScans(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		counting := newCountingStore(fx.store, true)
		fx.start(t, counting, hub.Config{})
		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("1", freezer.ProductCode(p.ID), ""), nil)
		<-counting.entered
		fx.hub.Close()
		if got := fx.bus.all(); len(got) != 0 {
			t.Errorf("published %d messages after Close: %+v", len(got), got)
		}
		if !fx.find(t, p.ID).Inside() {
			t.Error("uncommitted scan was applied")
		}
		fx.hub.Close() // twice is fine
	})
}

func TestStartFailsWhenSubscribeFails(t *testing.T) {
	bus := &fakeBus{subscribeErr: errors.New("not connected")}
	h := hub.New(hub.Config{}, nil, bus, nil)
	if err := h.Start(); err == nil || !strings.Contains(err.Error(), "not connected") {
		t.Fatalf("Start = %v, want the subscribe error", err)
	}
	h.Close()
	hub.New(hub.Config{}, nil, bus, nil).Close() // Close without Start
}

// A mode set outside a scan (through the services) reaches the scanner on
// its set/mode topic, not retained, as after a command card.
func TestModeChanged(t *testing.T) {
	bus := &fakeBus{}
	hub.New(hub.Config{}, nil, bus, nil).ModeChanged("door", freezer.ModeIn)
	got := bus.all()
	if len(got) != 1 || got[0].topic != topics.SetMode("door") || string(got[0].payload) != freezer.ModeIn || got[0].retain {
		t.Errorf("published %+v, want one %q on %s, not retained", got, freezer.ModeIn, topics.SetMode("door"))
	}
}

// Topics that are not a device's scan topic are acknowledged and ignored.
func TestIgnoresOtherTopics(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		fx.start(t, nil, hub.Config{})
		var done atomic.Int64
		for _, topic := range []string{"freezer/v1/dev/a/b/scan", "freezer/v1/dev//scan", "freezer/v1/hub/status", "other/dev/x/scan"} {
			fx.bus.deliver(topic, scanPayload("1", "FZ-C-IN", ""), func() { done.Add(1) })
		}
		if done.Load() != 4 {
			t.Errorf("%d of 4 messages acknowledged", done.Load())
		}
		// A scan afterwards is the first thing published. Its mode goes out
		// right after its ack, which scanOne returns as soon as it sees.
		a := fx.scanOne(t, fx.dev.ID, scanPayload("x", "FZ-C-IN", ""))
		waitFor(t, "the mode message", func() bool { return fx.bus.count(topics.SetMode(fx.dev.ID)) > 0 })
		if a.Status != freezer.ScanOK || len(fx.bus.all()) != 2 { // its ack and its mode
			t.Errorf("ack %+v, published %+v", a, fx.bus.all())
		}
	})
}

// Scans from an unknown device or an integration are denied, and not recorded.
func TestDeniesDevicesThatMayNotScan(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		fx.start(t, nil, hub.Config{})
		a := fx.scanOne(t, "scanner-ghost", scanPayload("g-1", freezer.ProductCode(p.ID), ""))
		if a.Status != freezer.ScanDenied || a.ID != "g-1" || a.Product != "" {
			t.Errorf("unknown device ack = %+v, want denied", a)
		}
		ha := fx.device(t, freezer.DeviceIntegration)
		a = fx.scanOne(t, ha.ID, scanPayload("h-1", freezer.ProductCode(p.ID), ""))
		if a.Status != freezer.ScanDenied || a.ID != "h-1" || a.Product != "" {
			t.Errorf("integration ack = %+v, want denied", a)
		}
		if !fx.find(t, p.ID).Inside() {
			t.Error("a denied scan took the product out")
		}
		if n := fx.events(t, ha.ID); n != 0 {
			t.Errorf("integration has %d scan events", n)
		}
	})
}

// Bad payloads are answered with an error and recorded; a JSON scan whose
// id could be read gets its id back so that the device stops resending it.
func TestBadPayloads(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		fx.start(t, nil, hub.Config{})
		tests := []struct {
			payload string
			id      string
		}{
			{`{"id":5,"code":true}`, ""},
			{"\xff\xfe\xfd", ""},
			{"", ""},
			{"FZ-I-1\nFZ-I-2", ""},
			{strings.Repeat("x", devices.MaxScanPayload+1), ""},
			{`{"id":"d-9","code":"FZ-I-1","mode":"sideways"}`, "d-9"},
			{`{"id":"d-10","code":""}`, "d-10"},
		}
		for _, tt := range tests {
			a := fx.scanOne(t, fx.dev.ID, []byte(tt.payload))
			if a.Status != freezer.ScanError || a.ID != tt.id || a.Msg == "" || strings.HasPrefix(a.Msg, "not applied") {
				t.Errorf("payload %.30q: ack %+v, want an error with id %q", tt.payload, a, tt.id)
			}
		}
		// Each bad payload is kept in the audit trail, even at the same instant.
		if got := fx.events(t, fx.dev.ID); got != len(tests) {
			t.Errorf("%d events, want %d", got, len(tests))
		}
	})
}

// Raw lines read at the same instant (a clock that does not move) are
// distinct scans when their codes differ.
func TestRawLinesAtTheSameInstant(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		q := fx.product(t, 1, 2)
		fx.start(t, nil, hub.Config{})
		for _, code := range []string{freezer.ProductCode(p.ID), freezer.ProductCode(q.ID)} {
			a := fx.scanOne(t, fx.dev.ID, []byte(code))
			if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.ID != "" {
				t.Errorf("raw %s: ack %+v, want ok/out without id", code, a)
			}
		}
		if fx.find(t, p.ID).Inside() || fx.find(t, q.ID).Inside() {
			t.Error("a raw scan was not applied")
		}
		if got := fx.events(t, fx.dev.ID); got != 2 {
			t.Errorf("%d events, want 2", got)
		}
	})
}

// A scan's explicit mode applies to that scan only: the device keeps its mode.
func TestExplicitModeDoesNotChangeDeviceMode(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		fx.start(t, nil, hub.Config{})
		a := fx.scanOne(t, fx.dev.ID, scanPayload("1", freezer.ProductCode(p.ID), freezer.ModeMove))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpMove {
			t.Fatalf("move pick-up ack = %+v", a)
		}
		d, err := fx.store.FindDeviceByID(sys, fx.dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Mode != freezer.ModeOut {
			t.Errorf("device mode = %q after a scan with mode move, want still %q", d.Mode, freezer.ModeOut)
		}
		// The box, also scanned with an explicit move, completes the move.
		a = fx.scanOne(t, fx.dev.ID, scanPayload("2", freezer.BoxCode(fx.freezer.ID, 3), freezer.ModeMove))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpMove || a.Location != fmt.Sprintf("F%d B3 S1", fx.freezer.ID) {
			t.Fatalf("move to box ack = %+v", a)
		}
		if d, _ := fx.store.FindDeviceByID(sys, fx.dev.ID); d.Mode != freezer.ModeOut {
			t.Errorf("device mode = %q after the move, want %q", d.Mode, freezer.ModeOut)
		}
		if got := fx.bus.count(topics.SetMode(fx.dev.ID)); got != 0 {
			t.Errorf("%d set/mode messages, want none", got)
		}
		// Without a mode, a product scan takes it out, in the device's mode.
		a = fx.scanOne(t, fx.dev.ID, scanPayload("3", freezer.ProductCode(p.ID), ""))
		if a.Status != freezer.ScanOK || a.Op != freezer.OpOut {
			t.Errorf("ack = %+v, want ok/out", a)
		}
	})
}

// Undo uses the hub's clock: an operation older than the undo window stays.
func TestUndoWindowFollowsHubClock(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		fx.start(t, nil, hub.Config{UndoWindow: time.Minute})
		if a := fx.scanOne(t, fx.dev.ID, scanPayload("1", freezer.ProductCode(p.ID), "")); a.Status != freezer.ScanOK {
			t.Fatalf("ack %+v", a)
		}
		fx.clock.Advance(time.Minute + time.Second)
		a := fx.scanOne(t, fx.dev.ID, scanPayload("2", freezer.CommandCode(freezer.CommandUndo), ""))
		if a.Status != freezer.ScanError || a.Op != freezer.OpUndo || a.Msg != "nothing to undo" {
			t.Errorf("undo ack = %+v, want nothing to undo", a)
		}
		if fx.find(t, p.ID).Inside() {
			t.Error("undo past its window put the product back")
		}
	})
}

// A product is never put back inside a box that no longer exists: its
// freezer was archived, or shrunk below its box, while it was out. The
// store refuses the same for products created or edited by hand.
func TestNoPutBackIntoRetiredBox(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 4, 1)
		spare := &freezer.Freezer{HouseholdID: fx.house, Name: "spare", NumberBoxes: 1}
		if err := fx.store.CreateFreezer(sys, spare); err != nil {
			t.Fatal(err)
		}
		q := &freezer.Product{FreezerID: spare.ID, Box: 1, Slot: 1, Name: "Pain", TypeID: 1, DateIn: freezer.MustParseDate("2026-01-10"), PeriodMonths: 3}
		if err := fx.store.CreateProduct(sys, q); err != nil {
			t.Fatal(err)
		}
		fx.start(t, nil, hub.Config{})
		for _, x := range []*freezer.Product{p, q} {
			if a := fx.scanOne(t, fx.dev.ID, scanPayload(fmt.Sprint("out-", x.ID), freezer.ProductCode(x.ID), "")); a.Status != freezer.ScanOK {
				t.Fatalf("take out: %+v", a)
			}
		}
		if _, err := fx.store.UpdateFreezer(sys, fx.freezer.ID, freezer.FreezerUpdate{NumberBoxes: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.store.ArchiveFreezer(sys, spare.ID); err != nil {
			t.Fatal(err)
		}
		for _, x := range []*freezer.Product{p, q} {
			a := fx.scanOne(t, fx.dev.ID, scanPayload(fmt.Sprint("in-", x.ID), freezer.ProductCode(x.ID), freezer.ModeIn))
			if a.Status != freezer.ScanError || a.Op != freezer.OpIn {
				t.Errorf("put back into a retired box: ack %+v, want an error", a)
			}
			if fx.find(t, x.ID).Inside() {
				t.Errorf("product %d put back into a retired box", x.ID)
			}
		}
		// Undo of the last take-out (q's) is refused for the same reason.
		a := fx.scanOne(t, fx.dev.ID, scanPayload("undo", freezer.CommandCode(freezer.CommandUndo), ""))
		if a.Status != freezer.ScanError || a.Op != freezer.OpUndo {
			t.Errorf("undo into a retired box: ack %+v, want an error", a)
		}
		if fx.find(t, q.ID).Inside() {
			t.Error("undo put the product back into an archived freezer")
		}
		// A box label still moves it somewhere that exists.
		if a := fx.scanOne(t, fx.dev.ID, scanPayload("pick", freezer.ProductCode(p.ID), freezer.ModeMove)); a.Status != freezer.ScanOK {
			t.Fatalf("pick up: %+v", a)
		}
		a = fx.scanOne(t, fx.dev.ID, scanPayload("box", freezer.BoxCode(fx.freezer.ID, 2), freezer.ModeMove))
		if a.Status != freezer.ScanOK || a.Location != fmt.Sprintf("F%d B2 S1", fx.freezer.ID) {
			t.Errorf("move into an existing box: %+v", a)
		}
	})
}

func ptr[T any](v T) *T { return &v }
