package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/devices"
)

// passwordAuth lets in any scanner whose password is "right".
type passwordAuth struct{}

func (passwordAuth) AuthenticateDevice(_ context.Context, id, password string) (*freezer.Device, error) {
	if password != "right" {
		return nil, errors.New("wrong password")
	}
	return &freezer.Device{ID: id, Kind: freezer.DeviceScanner, HouseholdID: 1}, nil
}

func (passwordAuth) SetDeviceOnline(context.Context, string, bool) error { return nil }

// startResponder starts an embedded broker that answers each scan with an
// ack of the status status returns for it, and records the scans.
func startResponder(t *testing.T, status func(devices.ScanMessage) string) (addr string, scans func() []devices.ScanMessage) {
	t.Helper()
	return startAcker(t, func(m devices.ScanMessage) []string { return []string{status(m)} })
}

// startAcker starts an embedded broker that answers each scan with one ack
// per status acks returns for it (none: the scan is dropped), and records
// the scans.
func startAcker(t *testing.T, acks func(devices.ScanMessage) []string) (addr string, scans func() []devices.ScanMessage) {
	t.Helper()
	b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0", MaxPendingPerIP: benchClients}, passwordAuth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var mu sync.Mutex
	var seen []devices.ScanMessage
	err = b.Subscribe(topics.ScanFilter(), func(m devices.Message) {
		dev, _ := topics.DeviceOfScan(m.Topic)
		msg, err := devices.DecodeScan(m.Payload)
		if err != nil {
			t.Errorf("scan payload %q: %v", m.Payload, err)
			return
		}
		mu.Lock()
		seen = append(seen, msg)
		mu.Unlock()
		statuses := acks(msg)
		go func() {
			for _, status := range statuses {
				b.Publish(topics.Ack(dev), devices.Ack{ID: msg.ID, Status: status}.Encode(), false)
			}
		}()
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.TCPAddr(), func() []devices.ScanMessage {
		mu.Lock()
		defer mu.Unlock()
		return append([]devices.ScanMessage(nil), seen...)
	}
}

func TestScannerRoundTrips(t *testing.T) {
	addr, scans := startResponder(t, func(devices.ScanMessage) string { return "ok" })
	s := &scanner{id: "bench-1", password: "right", productID: 42}
	if err := connectAll([]*scanner{s}, addr); err != nil {
		t.Fatal(err)
	}
	defer disconnectAll([]*scanner{s})
	// The broker keeps at most 8192 QoS 1 messages a client has not
	// acknowledged (mochi's MaximumInflight) and drops the next: without a
	// PUBACK for each ack, the scans after that would get no ack.
	const n = 8300
	for i := range n {
		rtt, err := s.scan()
		if err != nil {
			t.Fatalf("scan %d: %v", i+1, err)
		}
		if rtt <= 0 {
			t.Fatalf("scan %d: round trip %v", i+1, rtt)
		}
	}
	got := scans()
	if len(got) != n {
		t.Fatalf("responder saw %d scans, want %d", len(got), n)
	}
	for i, m := range got[:2] {
		wantMode := map[int]string{0: "out", 1: "in"}[i]
		if m.ID != fmt.Sprintf("bench-1-%d", i+1) || m.Code != "FZ-I-000042" || m.Mode != wantMode {
			t.Errorf("scan %d = %+v, want id bench-1-%d, code FZ-I-000042, mode %s", i+1, m, i+1, wantMode)
		}
	}
}

func TestScannerReportsRefusals(t *testing.T) {
	addr, _ := startResponder(t, func(m devices.ScanMessage) string {
		if m.Mode == "in" {
			return "error"
		}
		return "ok"
	})
	t.Run("wrong password", func(t *testing.T) {
		s := &scanner{id: "bench-2", password: "wrong", productID: 1}
		err := s.connect(addr)
		if err == nil {
			s.conn.close()
			t.Fatal("connect with a wrong password succeeded")
		}
		if !strings.Contains(err.Error(), "bench-2") {
			t.Errorf("error %q does not name the scanner", err)
		}
	})
	t.Run("error ack", func(t *testing.T) {
		s := &scanner{id: "bench-3", password: "right", productID: 1}
		if err := s.connect(addr); err != nil {
			t.Fatal(err)
		}
		defer s.conn.close()
		if _, err := s.scan(); err != nil {
			t.Fatalf("first scan (out): %v", err)
		}
		_, err := s.scan()
		if err == nil || !strings.Contains(err.Error(), "error") {
			t.Fatalf("second scan (in, answered with an error ack): err = %v, want the ack's status", err)
		}
	})
}

func TestScannerTimesOutWithoutAck(t *testing.T) {
	addr, _ := startResponder(t, func(devices.ScanMessage) string { return "ok" })
	s := &scanner{id: "bench-4", password: "right", productID: 1}
	if err := s.connect(addr); err != nil {
		t.Fatal(err)
	}
	defer s.conn.close()
	// A publish nobody answers: the broker's PUBACK alone is not an ack.
	if err := s.conn.publish("freezer/v1/dev/bench-4/status", []byte("online")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.conn.nextPublish(300 * time.Millisecond); err == nil {
		t.Fatal("nextPublish returned a message nobody sent")
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Fatalf("nextPublish gave up after %v, want the 300ms timeout", waited)
	}
}

func TestLossyLoadCountsLostAndDoubledAcks(t *testing.T) {
	addr, _ := startAcker(t, func(m devices.ScanMessage) []string {
		switch m.ID {
		case "bench-5-2":
			return nil // lost
		case "bench-5-4":
			return []string{"ok", "ok"} // doubled
		case "bench-5-5":
			return []string{"already"}
		}
		return []string{"ok"}
	})
	s := &scanner{id: "bench-5", password: "right", productID: 1}
	if err := s.connect(addr); err != nil {
		t.Fatal(err)
	}
	defer s.conn.close()
	var acked int
	for range 6 {
		_, err := s.scanWithin(300 * time.Millisecond)
		if err != nil && !errors.Is(err, errNoAck) {
			t.Fatal(err)
		}
		if err == nil {
			acked++
		}
	}
	drainAcks([]*scanner{s}, 200*time.Millisecond)
	if acked != 5 || len(s.lost) != 1 || !s.lost["bench-5-2"] || s.doubled != 1 || s.already != 1 {
		t.Fatalf("acked %d, lost %v, doubled %d, already %d; want 5, [bench-5-2], 1, 1", acked, s.lost, s.doubled, s.already)
	}
}

func TestLateAckIsNotLost(t *testing.T) {
	addr, _ := startAcker(t, func(m devices.ScanMessage) []string {
		if m.ID == "bench-6-1" {
			time.Sleep(400 * time.Millisecond) // on the broker's goroutine: the ack comes after the timeout
		}
		return []string{"ok"}
	})
	s := &scanner{id: "bench-6", password: "right", productID: 1}
	if err := s.connect(addr); err != nil {
		t.Fatal(err)
	}
	defer s.conn.close()
	if _, err := s.scanWithin(200 * time.Millisecond); !errors.Is(err, errNoAck) {
		t.Fatalf("first scan: err = %v, want no ack", err)
	}
	drainAcks([]*scanner{s}, 500*time.Millisecond)
	if len(s.lost) != 0 || s.doubled != 0 {
		t.Fatalf("lost %v, doubled %d after a late ack; want none", s.lost, s.doubled)
	}
}
