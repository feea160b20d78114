package broker_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
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
	"github.com/freezer-manager/freezer/internal/testdb"
)

// topics are the contract's topics under the default root.
var topics = devices.Topics{Root: devices.DefaultRoot}

// loopbackClients lets every test client, all on loopback, connect at once.
const loopbackClients = 4096

// sys acts as the server itself.
var sys = freezer.SystemContext(context.Background())

// env is a running broker and hub on a real database, with one household.
type env struct {
	store     *db.DB
	raw       *sql.DB // the same database around the store, for counting scan events
	broker    *broker.Broker
	hub       *hub.Hub
	clock     *testdb.Clock
	household int64
	user      *freezer.User
	freezer   *freezer.Freezer
}

func newEnv(t *testing.T, store *db.DB) *env {
	t.Helper()
	clk := testdb.NewClock(testdb.Now)
	store.Now = clk.Now // before any goroutine uses the store
	reg, err := store.RegisterUser(sys, freezer.Registration{Email: fmt.Sprintf("u%d@example.com", time.Now().UnixNano()), Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "garage", NumberBoxes: 4}
	if err := store.CreateFreezer(sys, f); err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", MaxPendingPerIP: loopbackClients}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.Config{Now: clk.Now}, store, b, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); h.Close() })
	return &env{store: store, broker: b, hub: h, clock: clk, household: reg.Household.ID, user: reg.User, freezer: f}
}

// eachEnv runs fn with an env on each dialect, with a raw connection beside the store.
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		store := testdb.MustOpen(t, dsn)
		e := newEnv(t, store)
		dialect, driverDSN, err := db.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		if e.raw, err = sql.Open(string(dialect), driverDSN); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.raw.Close() })
		fn(t, e)
	})
}

// events counts the scan events recorded for device dev.
func (e *env) events(t *testing.T, dev string) int {
	t.Helper()
	var n int
	if err := e.raw.QueryRow(`SELECT COUNT(*) FROM scan_events WHERE device_id = ?`, dev).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// household is another household, with its own freezer.
type household struct {
	id      int64
	freezer *freezer.Freezer
}

// otherHousehold registers another user, whose household has one freezer.
func (e *env) otherHousehold(t *testing.T) household {
	t.Helper()
	reg, err := e.store.RegisterUser(sys, freezer.Registration{Email: fmt.Sprintf("o%d@example.com", time.Now().UnixNano()), Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "cellar", NumberBoxes: 2}
	if err := e.store.CreateFreezer(sys, f); err != nil {
		t.Fatal(err)
	}
	return household{id: reg.Household.ID, freezer: f}
}

// newDevice registers a device of the env's household (a scanner unless
// mutate says otherwise) and returns it with its password.
func (e *env) newDevice(t *testing.T, mutate func(d *freezer.Device)) (*freezer.Device, string) {
	t.Helper()
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.household, Name: "door"}
	if mutate != nil {
		mutate(d)
	}
	password, err := e.store.CreateDevice(sys, d)
	if err != nil {
		t.Fatal(err)
	}
	return d, password
}

// dial connects an MQTT 3.1.1 client; lost receives the error when the
// broker drops it.
func (e *env) dial(t *testing.T, clientID, username, password string) (c paho.Client, lost chan error, err error) {
	t.Helper()
	lost = make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker("tcp://" + e.broker.TCPAddr()).SetClientID(clientID).SetUsername(username).SetPassword(password).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(10 * time.Second).SetWriteTimeout(10 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
	c = paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("connect: no answer within 10s")
	}
	if tok.Error() != nil {
		return nil, nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, lost, nil
}

// client is a connected device with what it received.
type client struct {
	dev   *freezer.Device
	c     paho.Client
	lost  chan error
	acks  chan devices.Ack
	modes chan string

	mu    sync.Mutex
	onAck func(devices.Ack) // runs on the client's goroutine as each ack arrives
}

// connect connects a registered device and subscribes to its acks and settings.
func (e *env) connect(t *testing.T, d *freezer.Device, password string) *client {
	t.Helper()
	c, lost, err := e.dial(t, d.ID, d.ID, password)
	if err != nil {
		t.Fatalf("connect %s: %v", d.ID, err)
	}
	cl := &client{dev: d, c: c, lost: lost, acks: make(chan devices.Ack, 256), modes: make(chan string, 64)}
	subscribe(t, c, topics.Ack(d.ID), func(m paho.Message) {
		a, err := devices.DecodeAck(m.Payload())
		if err != nil {
			t.Errorf("bad ack %q: %v", m.Payload(), err)
			return
		}
		cl.mu.Lock()
		check := cl.onAck
		cl.mu.Unlock()
		if check != nil {
			check(a)
		}
		cl.acks <- a
	})
	subscribe(t, c, topics.Root+"/dev/"+d.ID+"/set/#", func(m paho.Message) { cl.modes <- string(m.Payload()) })
	return cl
}

// setOnAck installs a check that runs as each ack arrives.
func (cl *client) setOnAck(fn func(devices.Ack)) {
	cl.mu.Lock()
	cl.onAck = fn
	cl.mu.Unlock()
}

// scanner registers a scanner and connects it.
func (e *env) scanner(t *testing.T, mutate func(d *freezer.Device)) *client {
	t.Helper()
	d, password := e.newDevice(t, mutate)
	return e.connect(t, d, password)
}

// device registers a scanner and connects it; acks arrive on the returned channel.
func (e *env) device(t *testing.T) (*freezer.Device, paho.Client, chan devices.Ack) {
	t.Helper()
	cl := e.scanner(t, nil)
	return cl.dev, cl.c, cl.acks
}

// subscribe subscribes at QoS 1 and fails the test unless the broker grants it.
func subscribe(t *testing.T, c paho.Client, filter string, handler func(paho.Message)) {
	t.Helper()
	if code := trySubscribe(t, c, filter, handler); code > 2 {
		t.Fatalf("subscribe %s: refused with 0x%02x", filter, code)
	}
}

// trySubscribe subscribes and returns the broker's answer: the granted QoS,
// or 0x80 for a refusal.
func trySubscribe(t *testing.T, c paho.Client, filter string, handler func(paho.Message)) byte {
	t.Helper()
	tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { handler(m) })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return tok.(*paho.SubscribeToken).Result()[filter]
}

func (e *env) product(t *testing.T, slot int) *freezer.Product {
	t.Helper()
	return e.productAt(t, e.freezer, 1, slot, nil)
}

// productAt stores a product inside box of f (slot 0: the next free one).
func (e *env) productAt(t *testing.T, f *freezer.Freezer, box, slot int, mutate func(p *freezer.Product)) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: f.ID, Box: box, Slot: slot, Name: "Soupe de Noël", TypeID: 1, Quantity: 2,
		DateIn: freezer.MustParseDate("2026-01-10"), PeriodMonths: 3}
	if mutate != nil {
		mutate(p)
	}
	if err := e.store.CreateProduct(sys, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) find(t *testing.T, id int64) *freezer.Product {
	t.Helper()
	p, err := e.store.FindProductByID(sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) findDevice(t *testing.T, id string) *freezer.Device {
	t.Helper()
	d, err := e.store.FindDeviceByID(sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// location is how acks name a place.
func location(f *freezer.Freezer, box, slot int) string {
	return fmt.Sprintf("F%d B%d S%d", f.ID, box, slot)
}

func scan(t *testing.T, c paho.Client, dev, id, code string) {
	t.Helper()
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code})
	publish(t, c, topics.Scan(dev), payload)
}

// publish sends a QoS 1 message and waits for the broker's PUBACK.
func publish(t *testing.T, c paho.Client, topic string, payload []byte) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish to %s: %v", topic, tok.Error())
	}
}

func waitAck(t *testing.T, acks chan devices.Ack) devices.Ack {
	t.Helper()
	select {
	case a := <-acks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no ack within 10s")
	}
	return devices.Ack{}
}

// scan sends a JSON scan with an explicit mode ("" for the device's) and returns its ack.
func (cl *client) scan(t *testing.T, id, code, mode string) devices.Ack {
	t.Helper()
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code, Mode: mode})
	return cl.send(t, payload)
}

// send publishes a scan payload as it is and returns its ack.
func (cl *client) send(t *testing.T, payload []byte) devices.Ack {
	t.Helper()
	publish(t, cl.c, topics.Scan(cl.dev.ID), payload)
	return waitAck(t, cl.acks)
}

// expectMode waits for the hub to publish the device's new mode.
func (cl *client) expectMode(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-cl.modes:
		if got != want {
			t.Errorf("set/mode = %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no set/mode %q within 10s", want)
	}
}

// noMore fails if anything is waiting on ch.
func noMore[T any](t *testing.T, what string, ch chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Errorf("unexpected %s: %+v", what, v)
	default:
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkAck fails unless a has the wanted status and op.
func checkAck(t *testing.T, what string, a devices.Ack, status, op string) {
	t.Helper()
	if a.Status != status || a.Op != op {
		t.Errorf("%s: ack %+v, want %s/%s", what, a, status, op)
	}
}

func TestScanTakesProductOut(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		p := e.product(t, 0)
		d, c, acks := e.device(t)
		scan(t, c, d.ID, d.ID+"-1", freezer.ProductCode(p.ID))
		a := waitAck(t, acks)
		if a.Status != freezer.ScanOK || a.Op != freezer.OpOut || a.ID != d.ID+"-1" || a.Product != p.Name {
			t.Fatalf("ack = %+v, want ok/out for %q", a, p.Name)
		}
		got, err := store.FindProductByID(freezer.SystemContext(context.Background()), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Inside() || got.DateOut != freezer.DateOf(testdb.Now) {
			t.Errorf("product after scan: date_out = %v, want %v", got.DateOut, freezer.DateOf(testdb.Now))
		}
		// The same message again: the same answer, applied once.
		scan(t, c, d.ID, d.ID+"-1", freezer.ProductCode(p.ID))
		if again := waitAck(t, acks); again != a {
			t.Errorf("resent scan ack = %+v, want %+v", again, a)
		}
		scan(t, c, d.ID, d.ID+"-2", freezer.ProductCode(p.ID))
		if a := waitAck(t, acks); a.Status != freezer.ScanAlready {
			t.Errorf("second scan ack = %+v, want already", a)
		}
	})
}

// The hub acks a scan only once its change is committed: when the ack
// reaches the device, the product is already out for every reader.
func TestAckAfterCommit(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		const n = 30
		products := map[string]*freezer.Product{}
		for i := range n {
			products[fmt.Sprint(i)] = e.productAt(t, e.freezer, i%4+1, 0, nil)
		}
		cl := e.scanner(t, nil)
		var early atomic.Int64
		cl.setOnAck(func(a devices.Ack) {
			p, err := e.store.FindProductByID(sys, products[a.ID].ID)
			if err != nil || p.Inside() {
				early.Add(1)
			}
		})
		for i := range n { // sent back to back, so that they share batches
			payload, _ := json.Marshal(devices.ScanMessage{ID: fmt.Sprint(i), Code: freezer.ProductCode(products[fmt.Sprint(i)].ID)})
			cl.c.Publish(topics.Scan(cl.dev.ID), 1, false, payload)
		}
		for range n {
			checkAck(t, "scan", waitAck(t, cl.acks), freezer.ScanOK, freezer.OpOut)
		}
		if early.Load() != 0 {
			t.Errorf("%d acks arrived while their product was still inside", early.Load())
		}
	})
}

// A resent scan (same id) is applied once and answered the same way, also
// when the copies arrive at the same time.
func TestDuplicateDelivery(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		q := e.product(t, 2)
		cl := e.scanner(t, nil)

		first := cl.scan(t, "dup-1", freezer.ProductCode(p.ID), "")
		checkAck(t, "first", first, freezer.ScanOK, freezer.OpOut)
		if again := cl.scan(t, "dup-1", freezer.ProductCode(p.ID), ""); again != first {
			t.Errorf("resent ack = %+v, want %+v", again, first)
		}
		if got := e.events(t, cl.dev.ID); got != 1 {
			t.Errorf("%d events after a resend, want 1", got)
		}

		payload, _ := json.Marshal(devices.ScanMessage{ID: "dup-2", Code: freezer.ProductCode(q.ID)})
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if tok := cl.c.Publish(topics.Scan(cl.dev.ID), 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Errorf("publish: %v", tok.Error())
				}
			})
		}
		wg.Wait()
		var want devices.Ack
		for i := range 20 {
			a := waitAck(t, cl.acks)
			if i == 0 {
				want = a
				checkAck(t, "concurrent copy", a, freezer.ScanOK, freezer.OpOut)
				if a.ID != "dup-2" || a.Product != q.Name || a.Location != location(e.freezer, 1, 2) {
					t.Errorf("ack %+v", a)
				}
			} else if a != want {
				t.Errorf("copy %d acked %+v, want %+v", i, a, want)
			}
		}
		if got := e.events(t, cl.dev.ID); got != 2 {
			t.Errorf("%d events, want 2: each id recorded once", got)
		}
		if got := e.find(t, q.ID); got.Inside() || got.Version != q.Version+1 {
			t.Errorf("product: inside=%v version=%d, want taken out once (version %d)", got.Inside(), got.Version, q.Version+1)
		}
	})
}

// Raw lines have no id: the same code again within 2 s is a double read,
// later it is a new scan.
func TestRawLines(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		cl := e.scanner(t, nil)
		code := freezer.ProductCode(p.ID)

		a := cl.send(t, []byte(code+"\r\n"))
		checkAck(t, "raw line", a, freezer.ScanOK, freezer.OpOut)
		if a.ID != "" || a.Product != p.Name {
			t.Errorf("raw ack = %+v, want no id and the product's name", a)
		}
		if e.find(t, p.ID).Inside() {
			t.Fatal("raw scan not applied")
		}
		// Put it back by hand, then the scanner reads the label again at once.
		zero := freezer.Date{}
		if _, err := e.store.UpdateProduct(sys, p.ID, freezer.ProductUpdate{DateOut: &zero}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(1500 * time.Millisecond)
		a = cl.send(t, []byte(code))
		checkAck(t, "the same raw line within 2s", a, freezer.ScanAlready, freezer.OpOut)
		if !e.find(t, p.ID).Inside() {
			t.Error("a double read was applied twice")
		}
		if got := e.events(t, cl.dev.ID); got != 1 {
			t.Errorf("%d events, want 1", got)
		}

		// Another code is not a duplicate.
		a = cl.send(t, []byte(freezer.CommandCode(freezer.CommandOut)))
		checkAck(t, "another raw code", a, freezer.ScanOK, freezer.OpMode)
		cl.expectMode(t, freezer.ModeOut)

		// After the window the same code is a new scan.
		e.clock.Advance(time.Second)
		a = cl.send(t, []byte(code))
		checkAck(t, "the same raw line after 2s", a, freezer.ScanOK, freezer.OpOut)
		if e.find(t, p.ID).Inside() {
			t.Error("raw scan after the window not applied")
		}
		if got := e.events(t, cl.dev.ID); got != 3 {
			t.Errorf("%d events, want 3", got)
		}
	})
}

func TestUndo(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		q := e.productAt(t, e.freezer, 2, 1, nil)
		cl := e.scanner(t, nil)
		undo := freezer.CommandCode(freezer.CommandUndo)

		checkAck(t, "out", cl.scan(t, "1", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpOut)
		a := cl.scan(t, "2", undo, "")
		checkAck(t, "undo", a, freezer.ScanOK, freezer.OpUndo)
		if a.Msg != "undid out" || a.Location != location(e.freezer, 1, 1) {
			t.Errorf("undo ack = %+v", a)
		}
		if got := e.find(t, p.ID); !got.Inside() || got.Slot != 1 {
			t.Errorf("after undo: inside=%v slot=%d, want back in slot 1", got.Inside(), got.Slot)
		}
		a = cl.scan(t, "3", undo, "")
		if a.Status != freezer.ScanError || a.Msg != "nothing to undo" {
			t.Errorf("second undo ack = %+v, want nothing to undo", a)
		}

		// An operation older than 10 minutes stays.
		checkAck(t, "out", cl.scan(t, "4", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpOut)
		e.clock.Advance(10*time.Minute + time.Second)
		if a := cl.scan(t, "5", undo, ""); a.Status != freezer.ScanError || a.Msg != "nothing to undo" {
			t.Errorf("late undo ack = %+v, want nothing to undo", a)
		}
		if e.find(t, p.ID).Inside() {
			t.Error("late undo put the product back")
		}

		// Undo of a move returns the product to its old place.
		checkAck(t, "move card", cl.scan(t, "6", freezer.CommandCode(freezer.CommandMove), ""), freezer.ScanOK, freezer.OpMode)
		cl.expectMode(t, freezer.ModeMove)
		checkAck(t, "pick up", cl.scan(t, "7", freezer.ProductCode(q.ID), ""), freezer.ScanOK, freezer.OpMove)
		a = cl.scan(t, "8", freezer.BoxCode(e.freezer.ID, 3), "")
		if a.Status != freezer.ScanOK || a.Location != location(e.freezer, 3, 1) {
			t.Fatalf("move ack = %+v", a)
		}
		a = cl.scan(t, "9", undo, "")
		if a.Status != freezer.ScanOK || a.Msg != "undid move" || a.Location != location(e.freezer, 2, 1) {
			t.Errorf("undo move ack = %+v", a)
		}
		if got := e.find(t, q.ID); got.Box != 2 || got.Slot != 1 || !got.Inside() {
			t.Errorf("after undoing the move: box %d slot %d inside=%v, want box 2 slot 1", got.Box, got.Slot, got.Inside())
		}

		// Undo cannot put a product back where another one is now.
		checkAck(t, "out", cl.scan(t, "10", freezer.ProductCode(q.ID), freezer.ModeOut), freezer.ScanOK, freezer.OpOut)
		e.productAt(t, e.freezer, 2, 1, nil)
		if a := cl.scan(t, "11", undo, ""); a.Status != freezer.ScanError || a.Msg != "its slot is taken now" {
			t.Errorf("undo into a taken slot: ack %+v", a)
		}
		if e.find(t, q.ID).Inside() {
			t.Error("undo into a taken slot put the product back")
		}
	})
}

func TestMoveWithBoxLabel(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		e.productAt(t, e.freezer, 2, 1, nil)
		other := e.otherHousehold(t)
		cl := e.scanner(t, nil)

		a := cl.scan(t, "1", freezer.BoxCode(e.freezer.ID, 2), "")
		if a.Status != freezer.ScanError || a.Op != freezer.OpMove {
			t.Errorf("box label in out mode: ack %+v, want an error", a)
		}

		checkAck(t, "move card", cl.scan(t, "2", freezer.CommandCode(freezer.CommandMove), ""), freezer.ScanOK, freezer.OpMode)
		cl.expectMode(t, freezer.ModeMove)
		if a := cl.scan(t, "3", freezer.BoxCode(e.freezer.ID, 2), ""); a.Status != freezer.ScanError || a.Msg != "in move mode, scan a product first" {
			t.Errorf("box label before a product: ack %+v", a)
		}

		a = cl.scan(t, "4", freezer.ProductCode(p.ID), "")
		checkAck(t, "pick up", a, freezer.ScanOK, freezer.OpMove)
		if a.Product != p.Name || a.Location != location(e.freezer, 1, 1) {
			t.Errorf("pick-up ack = %+v", a)
		}

		// Another household's box is refused; the product stays picked up.
		a = cl.scan(t, "5", freezer.BoxCode(other.freezer.ID, 1), "")
		if a.Status != freezer.ScanDenied {
			t.Errorf("other household's box: ack %+v, want denied", a)
		}
		if strings.Contains(a.Msg, other.freezer.Name) || a.Location != "" {
			t.Errorf("denied ack reveals the other freezer: %+v", a)
		}
		if a := cl.scan(t, "6", freezer.BoxCode(e.freezer.ID, 9), ""); a.Status != freezer.ScanUnknown {
			t.Errorf("box 9 of a 4-box freezer: ack %+v, want unknown", a)
		}

		a = cl.scan(t, "7", freezer.BoxCode(e.freezer.ID, 2), "")
		checkAck(t, "box", a, freezer.ScanOK, freezer.OpMove)
		if a.Location != location(e.freezer, 2, 2) || a.Msg != "moved" {
			t.Errorf("move ack = %+v, want at the next free slot of box 2", a)
		}
		if got := e.find(t, p.ID); got.Box != 2 || got.Slot != 2 || !got.Inside() {
			t.Errorf("moved product at box %d slot %d", got.Box, got.Slot)
		}
		// The move is done: the same box again has nothing to put in it.
		if a := cl.scan(t, "8", freezer.BoxCode(e.freezer.ID, 3), ""); a.Status != freezer.ScanError {
			t.Errorf("second box label: ack %+v, want an error", a)
		}

		for i, c := range []struct{ card, mode string }{{freezer.CommandIn, freezer.ModeIn}, {freezer.CommandOut, freezer.ModeOut}} {
			checkAck(t, c.card, cl.scan(t, fmt.Sprint("card-", i), freezer.CommandCode(c.card), ""), freezer.ScanOK, freezer.OpMode)
			cl.expectMode(t, c.mode)
		}
		noMore(t, "set/mode", cl.modes)
	})
}

// In mode puts a taken-out product back: in its slot, or in the next free
// slot of its box when its slot was taken meanwhile.
func TestPutBack(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		cl := e.scanner(t, func(d *freezer.Device) { d.Mode = freezer.ModeIn })

		if a := cl.scan(t, "1", freezer.ProductCode(p.ID), ""); a.Status != freezer.ScanAlready || a.Op != freezer.OpIn {
			t.Errorf("product inside, in mode: ack %+v, want already", a)
		}
		checkAck(t, "out", cl.scan(t, "2", freezer.ProductCode(p.ID), freezer.ModeOut), freezer.ScanOK, freezer.OpOut)
		a := cl.scan(t, "3", freezer.ProductCode(p.ID), "")
		checkAck(t, "put back", a, freezer.ScanOK, freezer.OpIn)
		if a.Location != location(e.freezer, 1, 1) {
			t.Errorf("put back at %q, want its own slot", a.Location)
		}
		if got := e.find(t, p.ID); !got.Inside() || got.Slot != 1 {
			t.Errorf("put back: inside=%v slot=%d", got.Inside(), got.Slot)
		}

		checkAck(t, "out", cl.scan(t, "4", freezer.ProductCode(p.ID), freezer.ModeOut), freezer.ScanOK, freezer.OpOut)
		e.product(t, 1) // someone else takes its slot
		a = cl.scan(t, "5", freezer.ProductCode(p.ID), "")
		checkAck(t, "put back", a, freezer.ScanOK, freezer.OpIn)
		if a.Location != location(e.freezer, 1, 2) {
			t.Errorf("put back at %q, want the next free slot", a.Location)
		}
		if got := e.find(t, p.ID); !got.Inside() || got.Box != 1 || got.Slot != 2 {
			t.Errorf("put back: inside=%v box %d slot %d", got.Inside(), got.Box, got.Slot)
		}
	})
}

// A retail barcode takes out the oldest product with that barcode, the
// device's own freezer first.
func TestRetailBarcodeFIFO(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		const ean = "4006381333931"
		bound := &freezer.Freezer{HouseholdID: e.household, Name: "kitchen", NumberBoxes: 2}
		if err := e.store.CreateFreezer(sys, bound); err != nil {
			t.Fatal(err)
		}
		withBarcode := func(dateIn string) func(p *freezer.Product) {
			return func(p *freezer.Product) { p.Barcode, p.DateIn = ean, freezer.MustParseDate(dateIn) }
		}
		oldest := e.productAt(t, e.freezer, 1, 0, withBarcode("2026-01-01"))
		inBound := e.productAt(t, bound, 1, 0, withBarcode("2026-02-01"))
		middle := e.productAt(t, e.freezer, 2, 0, withBarcode("2026-01-15"))
		gone := e.productAt(t, e.freezer, 3, 0, withBarcode("2025-06-01"))
		if _, err := e.store.UpdateProduct(sys, gone.ID, freezer.ProductUpdate{DateOut: ptr(freezer.MustParseDate("2026-02-01"))}); err != nil {
			t.Fatal(err)
		}
		other := e.otherHousehold(t)
		foreign := e.productAt(t, other.freezer, 1, 0, withBarcode("2025-01-01"))
		cl := e.scanner(t, func(d *freezer.Device) { d.FreezerID = &bound.ID })

		if a := cl.scan(t, "in", ean, freezer.ModeIn); a.Status != freezer.ScanError {
			t.Errorf("barcode in in mode: ack %+v, want an error", a)
		}
		for i, want := range []*freezer.Product{inBound, oldest, middle} {
			a := cl.scan(t, fmt.Sprint(i), ean, "")
			checkAck(t, "barcode", a, freezer.ScanOK, freezer.OpOut)
			if a.Location != freezer.PlaceOf(want).Location() {
				t.Errorf("scan %d took out the product at %s, want %s (id %d)", i, a.Location, freezer.PlaceOf(want).Location(), want.ID)
			}
			if e.find(t, want.ID).Inside() {
				t.Errorf("product %d still inside", want.ID)
			}
		}
		a := cl.scan(t, "none", ean, "")
		if a.Status != freezer.ScanUnknown || a.Product != "" {
			t.Errorf("no product left: ack %+v, want unknown", a)
		}
		if !e.find(t, foreign.ID).Inside() {
			t.Error("another household's product was taken out")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Command cards switch the device's stored mode; a scan's own mode
// overrides it for that scan only.
func TestModes(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		cl := e.scanner(t, nil)
		if got := e.findDevice(t, cl.dev.ID).Mode; got != freezer.ModeOut {
			t.Fatalf("default mode %q", got)
		}
		for i, c := range []struct{ card, mode string }{
			{freezer.CommandIn, freezer.ModeIn}, {freezer.CommandMove, freezer.ModeMove}, {freezer.CommandOut, freezer.ModeOut}, {freezer.CommandIn, freezer.ModeIn},
		} {
			a := cl.scan(t, fmt.Sprint("card-", i), freezer.CommandCode(c.card), "")
			if a.Status != freezer.ScanOK || a.Op != freezer.OpMode || a.Msg != "mode "+c.mode {
				t.Errorf("%s card: ack %+v", c.card, a)
			}
			cl.expectMode(t, c.mode)
			if got := e.findDevice(t, cl.dev.ID).Mode; got != c.mode {
				t.Errorf("after %s: devices.mode = %q, want %q", c.card, got, c.mode)
			}
		}
		// In mode, a product inside is already in; with mode out it goes out.
		if a := cl.scan(t, "a", freezer.ProductCode(p.ID), ""); a.Status != freezer.ScanAlready || a.Op != freezer.OpIn {
			t.Errorf("in mode: ack %+v", a)
		}
		checkAck(t, "explicit out", cl.scan(t, "b", freezer.ProductCode(p.ID), freezer.ModeOut), freezer.ScanOK, freezer.OpOut)
		if got := e.findDevice(t, cl.dev.ID).Mode; got != freezer.ModeIn {
			t.Errorf("after a scan with mode out: devices.mode = %q, want still in", got)
		}
		checkAck(t, "device mode again", cl.scan(t, "c", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpIn)
		// A mode the hub sets through the API is used by the next scan.
		if _, err := e.store.UpdateDevice(sys, cl.dev.ID, freezer.DeviceUpdate{Mode: ptr(freezer.ModeOut)}); err != nil {
			t.Fatal(err)
		}
		checkAck(t, "after UpdateDevice", cl.scan(t, "d", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpOut)
		noMore(t, "set/mode", cl.modes)
	})
}

// A product of another household is denied without naming it.
func TestOtherHouseholdProduct(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		other := e.otherHousehold(t)
		secret := e.productAt(t, other.freezer, 1, 1, func(p *freezer.Product) { p.Name = "Secret sauce" })
		cl := e.scanner(t, nil)
		for i, mode := range []string{"", freezer.ModeIn, freezer.ModeMove} {
			a := cl.scan(t, fmt.Sprint(i), freezer.ProductCode(secret.ID), mode)
			if a.Status != freezer.ScanDenied {
				t.Errorf("mode %q: ack %+v, want denied", mode, a)
			}
			if a.Product != "" || a.Location != "" || strings.Contains(strings.ToLower(a.Msg), "secret") {
				t.Errorf("mode %q: denied ack reveals the product: %+v", mode, a)
			}
		}
		if got := e.find(t, secret.ID); !got.Inside() || got.Version != secret.Version || got.Box != 1 || got.Slot != 1 {
			t.Errorf("other household's product changed: %+v", got)
		}
		if got := e.findDevice(t, cl.dev.ID); got.MovingProductID != 0 {
			t.Errorf("device picked up another household's product %d for a move", got.MovingProductID)
		}
		// The unknown id is told apart from a denied one.
		if a := cl.scan(t, "x", freezer.ProductCode(secret.ID+1000), ""); a.Status != freezer.ScanUnknown {
			t.Errorf("unknown product: ack %+v", a)
		}
	})
}

// Junk is answered with an error ack or dropped, and the broker and hub keep
// serving.
func TestJunkPayloads(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		cl := e.scanner(t, nil)
		junk := []struct {
			desc    string
			payload []byte
			id      string
		}{
			{"binary", []byte{0, 1, 2, 3, 0xfe, 0xff}, ""},
			{"invalid UTF-8", []byte("FZ-I-\xc3\x28"), ""},
			{"JSON with wrong types", []byte(`{"id":5,"code":true}`), ""},
			{"empty", nil, ""},
			{"white space", []byte(" \r\n\t"), ""},
			{"multi-line raw", []byte(freezer.ProductCode(p.ID) + "\n" + freezer.ProductCode(p.ID)), ""},
			{"over MaxScanPayload", []byte(strings.Repeat("A", 2*devices.MaxScanPayload)), ""},
			{"truncated JSON", []byte(`{"id":"j-1","code":"FZ-I-`), ""},
			{"JSON with a bad mode", []byte(`{"id":"j-2","code":"` + freezer.ProductCode(p.ID) + `","mode":"sideways"}`), "j-2"},
			{"JSON with a control character", []byte(`{"id":"j-3","code":"FZ\u0007"}`), "j-3"},
		}
		for _, j := range junk {
			a := cl.send(t, j.payload)
			if a.Status != freezer.ScanError || a.ID != j.id {
				t.Errorf("%s: ack %+v, want an error for id %q", j.desc, a, j.id)
			}
		}
		if !e.find(t, p.ID).Inside() {
			t.Fatal("junk took the product out")
		}
		select {
		case err := <-cl.lost:
			t.Fatalf("junk within the packet size dropped the client: %v", err)
		default:
		}

		// Over the broker's maximum packet size: the broker drops the client.
		big := e.scanner(t, nil)
		big.c.Publish(topics.Scan(big.dev.ID), 1, false, make([]byte, 100*1024))
		select {
		case <-big.lost:
		case a := <-big.acks:
			if a.Status != freezer.ScanError {
				t.Errorf("100 KB payload: ack %+v", a)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("100 KB payload: neither dropped nor answered")
		}

		// Both the first client and a fresh one are served.
		checkAck(t, "valid scan after junk", cl.scan(t, "ok-1", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpOut)
		fresh := e.scanner(t, nil)
		checkAck(t, "fresh client", fresh.scan(t, "ok-2", freezer.ProductCode(p.ID), freezer.ModeIn), freezer.ScanOK, freezer.OpIn)
	})
}

// The broker records when a device connects and disconnects.
func TestPresence(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		d, password := e.newDevice(t, nil)
		if got := e.findDevice(t, d.ID); got.Online || got.LastSeenAt != nil {
			t.Fatalf("new device: online=%v last_seen_at=%v", got.Online, got.LastSeenAt)
		}
		e.clock.Advance(time.Minute)
		connectedAt := e.clock.Now()
		c, _, err := e.dial(t, d.ID, d.ID, password)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "online", func() bool { return e.findDevice(t, d.ID).Online })
		if got := e.findDevice(t, d.ID).LastSeenAt; got == nil || !got.Equal(connectedAt) {
			t.Errorf("last_seen_at = %v, want %v", got, connectedAt)
		}

		e.clock.Advance(time.Hour)
		c.Disconnect(50)
		waitFor(t, "offline", func() bool { return !e.findDevice(t, d.ID).Online })
		if got := e.findDevice(t, d.ID).LastSeenAt; got == nil || !got.Equal(connectedAt.Add(time.Hour)) {
			t.Errorf("last_seen_at = %v, want the disconnection time %v", got, connectedAt.Add(time.Hour))
		}

		c2, lost2, err := e.dial(t, d.ID, d.ID, password)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "online again", func() bool { return e.findDevice(t, d.ID).Online })
		e.broker.Disconnect("scanner-nobody") // an unknown id is harmless
		e.clock.Advance(time.Minute)
		// A second connection with the same id takes over; the device stays online.
		c3, _, err := e.dial(t, d.ID, d.ID, password)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-lost2:
		case <-time.After(10 * time.Second):
			t.Fatal("the first connection was not closed by the takeover")
		}
		if c2.IsConnectionOpen() {
			t.Error("first connection still open")
		}
		if !e.findDevice(t, d.ID).Online {
			t.Error("device offline after a session takeover")
		}
		c3.Disconnect(50)
		waitFor(t, "offline after the takeover", func() bool { return !e.findDevice(t, d.ID).Online })
	})
}
