package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// topics are the contract's topics under the default root.
var topics = devices.Topics{Root: devices.DefaultRoot}

// sys acts as the server itself.
var sys = freezer.SystemContext(context.Background())

// env is the server side: an embedded broker and a hub on a SQLite store,
// with one household and its freezer. The broker can be stopped and
// started again on the same address.
type env struct {
	store     *db.DB
	raw       *sql.DB // the same database, for counting scan events
	household int64
	freezer   *freezer.Freezer

	addr   string // the broker's address, kept across restarts
	broker *broker.Broker
	hub    *hub.Hub

	mu     sync.Mutex
	scans  []devices.ScanMessage // every scan the broker carried
	status []string              // every status a device published
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dsn := testdb.SQLiteDSN(t)
	store := testdb.MustOpen(t, dsn)
	reg, err := store.RegisterUser(sys, freezer.Registration{Email: "pi@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "garage", NumberBoxes: 4}
	if err := store.CreateFreezer(sys, f); err != nil {
		t.Fatal(err)
	}
	dialect, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(string(dialect), driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	e := &env{store: store, raw: raw, household: reg.Household.ID, freezer: f, addr: "127.0.0.1:0"}
	e.startBroker(t)
	t.Cleanup(func() { e.stopBroker(t) })
	return e
}

// startBroker starts the broker and the hub.
func (e *env) startBroker(t *testing.T) {
	t.Helper()
	b, err := broker.New(broker.Config{TCPAddr: e.addr}, e.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	e.addr = b.TCPAddr()
	h := hub.New(hub.Config{Now: e.store.Now}, e.store, b, nil) // the store's fixed clock, for the undo window
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	b.Subscribe(topics.ScanFilter(), func(m devices.Message) {
		msg, err := devices.DecodeScan(m.Payload)
		if err != nil {
			t.Errorf("the bridge sent a bad scan %q: %v", m.Payload, err)
		}
		e.mu.Lock()
		e.scans = append(e.scans, msg)
		e.mu.Unlock()
	})
	b.Subscribe(topics.Root+"/dev/+/status", func(m devices.Message) {
		e.mu.Lock()
		e.status = append(e.status, string(m.Payload))
		e.mu.Unlock()
	})
	e.broker, e.hub = b, h
}

// stopBroker stops the broker and the hub, as when the server goes down.
func (e *env) stopBroker(t *testing.T) {
	t.Helper()
	if e.broker != nil {
		within(t, "stopping the broker and the hub", 20*time.Second, func() {
			e.broker.Close()
			e.hub.Close()
		})
		e.broker, e.hub = nil, nil
	}
}

// within runs fn and fails the test, with every goroutine's stack, when fn
// takes longer than d: a hang shows where it is instead of stalling the run.
func within(t *testing.T, what string, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		t.Fatalf("%s: not done within %s\n%s", what, d, buf[:runtime.Stack(buf, true)])
	}
}

// runCommand runs the command line within a minute and returns its exit code.
func runCommand(t *testing.T, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) int {
	t.Helper()
	code := -1
	within(t, fmt.Sprintf("freezer-scanner %q", args), time.Minute, func() {
		code = run(t.Context(), args, func(k string) string { return env[k] }, stdin, stdout, stderr)
	})
	return code
}

// url is the broker's address for the bridge.
func (e *env) url() string { return "tcp://" + e.addr }

// sentScans returns the scans the broker carried so far.
func (e *env) sentScans() []devices.ScanMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]devices.ScanMessage(nil), e.scans...)
}

// statuses returns the statuses devices published so far.
func (e *env) statuses() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.status...)
}

// device registers a scanner and returns its id and password.
func (e *env) device(t *testing.T) (string, string) {
	t.Helper()
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.household, Name: "door", Mode: freezer.ModeOut}
	password, err := e.store.CreateDevice(sys, d)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID, password
}

// product stores a product inside box 1 and returns it with its label code.
func (e *env) product(t *testing.T, name string) (*freezer.Product, string) {
	t.Helper()
	p := &freezer.Product{FreezerID: e.freezer.ID, Box: 1, Name: name, TypeID: 1, Quantity: 2,
		DateIn: freezer.MustParseDate("2026-01-10"), PeriodMonths: 3}
	if err := e.store.CreateProduct(sys, p); err != nil {
		t.Fatal(err)
	}
	return p, freezer.ProductCode(p.ID)
}

// inside reports whether product id is in the freezer.
func (e *env) inside(t *testing.T, id int64) bool {
	t.Helper()
	p, err := e.store.FindProductByID(sys, id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Inside()
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

// location is how acks name a place.
func (e *env) location(p *freezer.Product) string {
	return fmt.Sprintf("F%d B%d S%d", e.freezer.ID, p.Box, p.Slot)
}

// buffer is a bytes.Buffer safe for concurrent use.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lines returns the complete lines written so far.
func (b *buffer) lines() []string {
	s := b.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// running is a bridge running in the test, fed through a pipe.
type running struct {
	bridge *Bridge
	queue  *Queue
	input  *io.PipeWriter
	out    *buffer
	logs   *buffer
	done   chan error
	cancel context.CancelFunc
}

// startBridge runs a bridge for device dev with its state under dir and
// waits until it is connected; it reconnects quickly, so that tests need
// not wait.
func (e *env) startBridge(t *testing.T, dev, password, dir string) *running {
	t.Helper()
	return e.startBridgeWith(t, dev, password, dir, nil)
}

// startBridgeWith is startBridge with settings changed by mutate.
func (e *env) startBridgeWith(t *testing.T, dev, password, dir string, mutate func(*BridgeConfig)) *running {
	t.Helper()
	q, err := OpenQueue(dir, dev, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{queue: q, out: &buffer{}, logs: &buffer{}, done: make(chan error, 1)}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := BridgeConfig{Broker: e.url(), Device: dev, Password: password, Topics: topics,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	r.bridge = NewBridge(cfg, q, r.out, logger)
	pr, pw := io.Pipe()
	r.input = pw
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.bridge.Run(ctx, pr) }()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("bridge output:\n%s\nbridge log:\n%s", r.out, r.logs)
		}
	})
	waitFor(t, "the bridge to connect", r.bridge.online)
	return r
}

// typeCode types a code on the bridge's input, as a keyboard wedge does.
func (r *running) typeCode(t *testing.T, code string) {
	t.Helper()
	if _, err := io.WriteString(r.input, code+"\n"); err != nil {
		t.Fatal(err)
	}
}

// stop ends the bridge as a signal does and returns Run's error.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	r.cancel = nil
	r.input.Close()
	defer r.queue.Close()
	select {
	case err := <-r.done:
		return err
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("the bridge did not stop within 10s\n%s", buf[:runtime.Stack(buf, true)])
	}
	return nil
}

// waitLine waits until the bridge has shown line n (0-based) and returns it.
func (r *running) waitLine(t *testing.T, n int) string {
	t.Helper()
	waitFor(t, fmt.Sprintf("output line %d", n+1), func() bool { return len(r.out.lines()) > n })
	return r.out.lines()[n]
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
