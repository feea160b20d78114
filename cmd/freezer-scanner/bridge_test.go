package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
)

// TestBridgeScansAndPrints: codes typed on the bridge's input are sent,
// applied by the hub, and answered on the bridge's output in order.
func TestBridgeScansAndPrints(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	stew, stewCode := e.product(t, "Ratatouille")
	r := e.startBridge(t, dev, password, t.TempDir())

	r.typeCode(t, soupCode)
	r.typeCode(t, strings.ToLower(stewCode))
	if got, want := r.waitLine(t, 0), "OK out Soupe de Noël — "+e.location(soup); got != want {
		t.Errorf("first answer = %q, want %q", got, want)
	}
	if got, want := r.waitLine(t, 1), "OK out Ratatouille — "+e.location(stew); got != want {
		t.Errorf("second answer = %q, want %q", got, want)
	}
	if e.inside(t, soup.ID) || e.inside(t, stew.ID) {
		t.Error("the products are still inside")
	}

	// A mode card: its ack says the new mode, and the set/mode that follows is not shown twice.
	r.typeCode(t, "FZ-C-IN")
	if got, want := r.waitLine(t, 2), "OK mode in"; got != want {
		t.Errorf("mode card answer = %q, want %q", got, want)
	}
	r.typeCode(t, soupCode)
	if got, want := r.waitLine(t, 3), "OK in Soupe de Noël — "+e.location(soup); got != want {
		t.Errorf("answer in mode in = %q, want %q (all output: %q)", got, want, r.out.lines())
	}
	if !e.inside(t, soup.ID) {
		t.Error("the soup was not put back")
	}
	if strings.Contains(r.out.String(), "\a") {
		t.Errorf("the bell rang without an error: %q", r.out)
	}

	// Every scan went out as JSON with an id "<device>-<run>-<n>": one run,
	// counted from 1.
	scans := e.sentScans()
	if len(scans) != 4 {
		t.Fatalf("scans sent = %+v, want 4", scans)
	}
	ids := scanIDs(t, dev, scans)
	for i, id := range ids {
		if id.run != ids[0].run || id.n != uint64(i+1) {
			t.Errorf("scan %d id = %q, want the run of the first and count %d", i, scans[i].ID, i+1)
		}
	}
	if scans[1].Code != strings.ToLower(stewCode) || scans[0].Mode != "" {
		t.Errorf("scans = %+v, want the code as read and no mode", scans)
	}
	if r.queue.Len() != 0 {
		t.Errorf("queue holds %d codes after every ack", r.queue.Len())
	}

	// Presence: online while connected, offline once the bridge stops.
	if d, err := e.store.FindDeviceByID(sys, dev); err != nil || !d.Online {
		t.Errorf("device online = %v (%v), want true", d != nil && d.Online, err)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("stop: %v", err)
	}
	waitFor(t, "status offline", func() bool { s := e.statuses(); return len(s) > 0 && s[len(s)-1] == "offline" })
	if got := e.statuses(); got[0] != "online" {
		t.Errorf("statuses = %q, want online first", got)
	}
}

// scanID is a scan id's parts: the run's random part and the count.
type scanID struct {
	run string
	n   uint64
}

// scanIDs returns the parts of the ids of scans, checking their form.
func scanIDs(t *testing.T, dev string, scans []devices.ScanMessage) []scanID {
	t.Helper()
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(dev) + `-([0-9a-f]{16})-([1-9][0-9]*)$`)
	var ids []scanID
	for _, s := range scans {
		m := re.FindStringSubmatch(s.ID)
		if m == nil {
			t.Fatalf("scan id %q is not %s-<16 hex>-<n>", s.ID, dev)
		}
		n, _ := strconv.ParseUint(m[2], 10, 64)
		ids = append(ids, scanID{m[1], n})
	}
	return ids
}

// TestBridgeBellOnError: an unknown code rings the bell, with the code and
// the hub's reason.
func TestBridgeBellOnError(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	r := e.startBridge(t, dev, password, t.TempDir())

	for _, tc := range []struct {
		desc, code, want string
	}{
		{desc: "unknown code", code: "NOT-A-CODE", want: "\aUNKNOWN: NOT-A-CODE: unknown code"},
		{desc: "no such product", code: "FZ-I-999999", want: "\aUNKNOWN: FZ-I-999999: no such product"},
		{desc: "ok", code: soupCode, want: "OK out Soupe de Noël — " + e.location(soup)},
		{desc: "already out", code: soupCode, want: "ALREADY out Soupe de Noël — " + e.location(soup) + ": already taken out on 2026-03-15"},
		{desc: "no such freezer", code: "FZ-B-999-1", want: "\aUNKNOWN: move FZ-B-999-1: no such freezer"},
	} {
		n := len(r.out.lines())
		r.typeCode(t, tc.code)
		if got := r.waitLine(t, n); got != tc.want {
			t.Errorf("%s: answer %q, want %q", tc.desc, got, tc.want)
		}
	}
}

// TestBridgeQueuesWhileBrokerDown: a code read while the broker is down
// waits on disk and is applied once the broker is back, exactly once.
func TestBridgeQueuesWhileBrokerDown(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	stew, stewCode := e.product(t, "Ratatouille")
	r := e.startBridge(t, dev, password, t.TempDir())
	r.typeCode(t, soupCode)
	r.waitLine(t, 0)

	e.stopBroker(t)
	waitFor(t, "the bridge to notice", func() bool { return !r.bridge.online() })
	r.typeCode(t, stewCode)
	if got, want := r.waitLine(t, 1), "QUEUED "+stewCode+" (offline, 1 waiting)"; got != want {
		t.Errorf("offline answer = %q, want %q", got, want)
	}
	var state queueState
	data, err := os.ReadFile(r.queue.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &state); err != nil || len(state.Pending) != 1 || state.Pending[0].Code != stewCode {
		t.Fatalf("state on disk = %s (%v), want the code queued", data, err)
	}
	if !e.inside(t, stew.ID) {
		t.Fatal("a queued code was applied while the broker was down")
	}

	e.startBroker(t)
	if got, want := r.waitLine(t, 2), "OK out Ratatouille — "+e.location(stew); got != want {
		t.Errorf("answer after reconnecting = %q, want %q", got, want)
	}
	if e.inside(t, stew.ID) || e.inside(t, soup.ID) {
		t.Error("a product is still inside")
	}
	if got := e.events(t, dev); got != 2 {
		t.Errorf("scan events = %d, want 2: each code applied once", got)
	}
	if got := r.queue.Len(); got != 0 {
		t.Errorf("queue holds %d codes", got)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("stop: %v", err)
	}
	if got := e.events(t, dev); got != 2 {
		t.Errorf("scan events after stopping = %d, want 2", got)
	}
}

// TestBridgeResendsUntilAcked: while the hub does not answer, the bridge
// sends the same scan again and again; the hub, back, applies it once.
func TestBridgeResendsUntilAcked(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	soup, soupCode := e.product(t, "Soupe de Noël")
	r := e.startBridgeWith(t, dev, password, t.TempDir(), func(c *BridgeConfig) {
		c.AckTimeout, c.MaxAckTimeout = 50*time.Millisecond, 100*time.Millisecond
	})
	e.hub.Close() // the broker stays up, nobody answers
	r.typeCode(t, soupCode)
	waitFor(t, "the scan sent three times", func() bool { return len(e.sentScans()) >= 3 })
	scans := e.sentScans()
	for _, s := range scans {
		if s != scans[0] {
			t.Fatalf("resent scans differ: %+v", scans)
		}
	}
	if !e.inside(t, soup.ID) {
		t.Fatal("applied without a hub")
	}

	h := hub.New(hub.Config{Now: e.store.Now}, e.store, e.broker, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if got, want := r.waitLine(t, 0), "OK out Soupe de Noël — "+e.location(soup); got != want {
		t.Errorf("answer = %q, want %q", got, want)
	}
	n := len(e.sentScans())
	time.Sleep(300 * time.Millisecond) // longer than the longest wait between sends
	if got := len(e.sentScans()); got != n {
		t.Errorf("%d more sends after the ack", got-n)
	}
	if got := e.events(t, dev); got != 1 {
		t.Errorf("scan events = %d, want 1", got)
	}
	if !strings.Contains(r.logs.String(), "sending the scan again") {
		t.Errorf("no resend logged: %s", r.logs)
	}
	if lines := r.out.lines(); len(lines) != 1 {
		t.Errorf("output = %q, want one answer", lines)
	}
}

// TestBridgeRestartNeverReusesIDs: a new run of the bridge sends what the
// last one left queued under its original id, and gives new codes ids of
// its own run, never one of the last run's.
func TestBridgeRestartNeverReusesIDs(t *testing.T) {
	e := newEnv(t)
	dev, password := e.device(t)
	_, soupCode := e.product(t, "Soupe de Noël")
	stew, stewCode := e.product(t, "Ratatouille")
	_, pieCode := e.product(t, "Tourte")
	dir := t.TempDir()

	first := e.startBridge(t, dev, password, dir)
	first.typeCode(t, soupCode)
	first.waitLine(t, 0)
	e.stopBroker(t)
	waitFor(t, "the bridge to notice", func() bool { return !first.bridge.online() })
	first.typeCode(t, stewCode)
	first.waitLine(t, 1) // QUEUED
	queued, _ := first.queue.Head()
	if err := first.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}

	e.startBroker(t)
	second := e.startBridge(t, dev, password, dir)
	if got, want := second.waitLine(t, 0), "OK out Ratatouille — "+e.location(stew); got != want {
		t.Errorf("queued code sent by the next run: %q, want %q", got, want)
	}
	second.typeCode(t, pieCode)
	second.waitLine(t, 1)

	scans := e.sentScans()
	if got := scans[len(scans)-2].ID; got != queued.ID {
		t.Errorf("the queued code went out as %q, want its original id %q", got, queued.ID)
	}
	ids := scanIDs(t, dev, scans)
	if len(ids) != 3 || ids[0] != (scanID{ids[0].run, 1}) || ids[1] != (scanID{ids[0].run, 2}) || ids[2] != (scanID{ids[2].run, 1}) || ids[2].run == ids[0].run {
		t.Errorf("scan ids = %+v: want two of the first run, then the first of a new run", ids)
	}
	if got := e.events(t, dev); got != 3 {
		t.Errorf("scan events = %d, want 3", got)
	}
}

// TestBridgeRefusedCredentials: a wrong password stops the bridge at once
// with the broker's reason instead of retrying forever.
func TestBridgeRefusedCredentials(t *testing.T) {
	e := newEnv(t)
	dev, _ := e.device(t)
	var stdout, stderr buffer
	code := runCommand(t, []string{"--broker", e.url(), "--device", dev, "--password", "wrong", "--state-dir", t.TempDir()},
		nil, strings.NewReader("FZ-I-000001\n"), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "refuses device "+dev) {
		t.Errorf("exit %d, stderr %q; want 1 and the refusal", code, stderr.String())
	}
}

func TestFormatAck(t *testing.T) {
	for _, tc := range []struct {
		desc string
		ack  devices.Ack
		code string
		want string
		bell bool
	}{
		{desc: "out", ack: devices.Ack{Status: "ok", Op: "out", Product: "Soupe de Noël", Location: "F2 B3 S7", Msg: "taken out"}, want: "OK out Soupe de Noël — F2 B3 S7"},
		{desc: "move step", ack: devices.Ack{Status: "ok", Op: "move", Product: "Soupe", Location: "F2 B3 S7", Msg: "now scan the box to put it in"}, want: "OK move Soupe — F2 B3 S7"},
		{desc: "mode", ack: devices.Ack{Status: "ok", Op: "mode", Msg: "mode in"}, code: "FZ-C-IN", want: "OK mode in"},
		{desc: "already", ack: devices.Ack{Status: "already", Op: "out", Product: "Soupe", Location: "F2 B3 S7", Msg: "already taken out on 2026-03-15"}, want: "ALREADY out Soupe — F2 B3 S7: already taken out on 2026-03-15"},
		{desc: "unknown", ack: devices.Ack{Status: "unknown", Msg: "unknown code"}, code: "XYZ", want: "UNKNOWN: XYZ: unknown code", bell: true},
		{desc: "denied", ack: devices.Ack{Status: "denied", Msg: "not a product of this household"}, code: "FZ-I-9", want: "DENIED: FZ-I-9: not a product of this household", bell: true},
		{desc: "error with op", ack: devices.Ack{Status: "error", Op: "undo", Msg: "nothing to undo"}, code: "FZ-C-UNDO", want: "ERROR: undo FZ-C-UNDO: nothing to undo", bell: true},
		{desc: "error with product", ack: devices.Ack{Status: "error", Op: "undo", Product: "Soupe", Location: "F1 B1 S1", Msg: "its slot is taken now"}, code: "FZ-C-UNDO", want: "ERROR: undo Soupe — F1 B1 S1: its slot is taken now", bell: true},
	} {
		if got := formatAck(tc.ack, tc.code); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
		}
		if got := alarming(tc.ack.Status); got != tc.bell {
			t.Errorf("%s: bell %v, want %v", tc.desc, got, tc.bell)
		}
	}
}

// TestBridgeRefusesWhatItCannotKeep: with the broker unreachable, codes
// wait until the queue is full; beyond that, and for codes too long to be
// ours, the bell rings at once.
func TestBridgeRefusesWhatItCannotKeep(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	q, err := OpenQueue(t.TempDir(), "scanner-test", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var out buffer
	b := NewBridge(BridgeConfig{Broker: "tcp://" + addr, Device: "scanner-test", RetryMin: 10 * time.Millisecond}, q, &out, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() { done <- b.Run(ctx, pr) }()
	waitFor(t, "a failed connection", b.knownOffline)
	io.WriteString(pw, "FZ-I-1\nFZ-I-2\nFZ-I-3\n"+strings.Repeat("9", MaxCode+1)+"\n")
	waitFor(t, "four answers", func() bool { return len(out.lines()) == 4 })
	want := []string{
		"QUEUED FZ-I-1 (offline, 1 waiting)",
		"QUEUED FZ-I-2 (offline, 2 waiting)",
		"\aERROR: FZ-I-3 not sent: 2 codes already wait for the hub",
		"\aERROR: code of 257 characters not sent: at most 256",
	}
	if got := out.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output = %q, want %q", got, want)
	}
	cancel()
	pw.Close()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after a signal", err)
	}
	if q.Len() != 2 {
		t.Errorf("queue holds %d codes, want the 2 kept for the next run", q.Len())
	}
}
