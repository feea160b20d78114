package hub_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
)

// syncBuffer is a bytes.Buffer that a logger and a test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged runs a hub on scans (the fixture's store when nil) whose log
// goes to the returned buffer.
func (fx *fixture) startLogged(t *testing.T, scans freezer.ScanStore) *syncBuffer {
	t.Helper()
	if scans == nil {
		scans = fx.store
	}
	logs := &syncBuffer{}
	fx.hub = hub.New(hub.Config{Now: fx.clock.Now}, scans, fx.bus, slog.New(slog.NewTextHandler(logs, nil)))
	if err := fx.hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fx.hub.Close)
	return logs
}

// isReuseAck reports whether a is the answer to an id already used for
// another code.
func isReuseAck(a devices.Ack, id string) bool {
	return a.ID == id && a.Status == freezer.ScanError && strings.Contains(a.Msg, "already used for another code") && a.Op == "" && a.Product == ""
}

// A known id with another code is not a resend: it is answered with an
// error naming the reuse, changes nothing, and is logged and counted; the
// same code under that id stays a resend, answered with the stored ack.
func TestReusedIDWithAnotherCode(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		q := fx.product(t, 1, 2)
		logs := fx.startLogged(t, nil)
		id := fx.dev.ID + "-1"

		first := fx.scanOne(t, fx.dev.ID, scanPayload(id, freezer.ProductCode(p.ID), ""))
		if first.Status != freezer.ScanOK || first.Op != freezer.OpOut {
			t.Fatalf("first scan: ack %+v, want ok/out", first)
		}
		reused := fx.scanOne(t, fx.dev.ID, scanPayload(id, freezer.ProductCode(q.ID), ""))
		if !isReuseAck(reused, id) {
			t.Errorf("id reused for another code: ack %+v, want an error saying the id was already used for another code", reused)
		}
		if !fx.find(t, q.ID).Inside() {
			t.Error("the scan with a reused id took its product out")
		}
		if again := fx.scanOne(t, fx.dev.ID, scanPayload(id, freezer.ProductCode(p.ID), "")); again != first {
			t.Errorf("resend after the reuse: ack %+v, want the first ack %+v", again, first)
		}
		if got := fx.eventsOf(t, fx.dev.ID, id); got != 1 {
			t.Errorf("%d events for %s, want 1", got, id)
		}
		if got := fx.hub.ReusedIDs(); got != 1 {
			t.Errorf("ReusedIDs() = %d, want 1", got)
		}
		log := logs.String()
		if !strings.Contains(log, "already used for another code") || !strings.Contains(log, "reused_ids=1") ||
			!strings.Contains(log, "first_code="+freezer.ProductCode(p.ID)) || !strings.Contains(log, "code="+freezer.ProductCode(q.ID)) {
			t.Errorf("log does not name the reuse, both codes and the count:\n%s", log)
		}

		// A new id for the code the broken device meant to send is applied.
		if a := fx.scanOne(t, fx.dev.ID, scanPayload(fx.dev.ID+"-2", freezer.ProductCode(q.ID), "")); a.Status != freezer.ScanOK {
			t.Errorf("scan under a new id: ack %+v, want ok", a)
		}
	})
}

// A code longer than what a scan event keeps is compared as it is kept: its
// resend is a resend, and another long code with the same beginning under
// the same id is one as well (the event cannot tell them apart), while a
// code that differs within the kept part is a reuse.
func TestReusedIDWithLongCodes(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		fx.startLogged(t, nil)
		long := "É" + strings.Repeat("x", 300) // runes, not bytes, are kept
		first := fx.scanOne(t, fx.dev.ID, scanPayload("long-1", long, ""))
		if first.Status != freezer.ScanUnknown {
			t.Fatalf("long code: ack %+v, want unknown", first)
		}
		if again := fx.scanOne(t, fx.dev.ID, scanPayload("long-1", long, "")); again != first {
			t.Errorf("resend of a long code: ack %+v, want %+v", again, first)
		}
		if again := fx.scanOne(t, fx.dev.ID, scanPayload("long-1", long+"y", "")); again != first {
			t.Errorf("same kept part: ack %+v, want %+v", again, first)
		}
		if a := fx.scanOne(t, fx.dev.ID, scanPayload("long-1", "Y"+long, "")); !isReuseAck(a, "long-1") {
			t.Errorf("another long code: ack %+v, want the reuse error", a)
		}
		if got := fx.hub.ReusedIDs(); got != 1 {
			t.Errorf("ReusedIDs() = %d, want 1", got)
		}
	})
}

// Two scans with one id in the same batch: the second one finds the first
// in the batch, not yet committed, and is a resend or a reuse by its code.
func TestReusedIDInOneBatch(t *testing.T) {
	eachDB(t, func(t *testing.T, fx *fixture) {
		p := fx.product(t, 1, 1)
		q := fx.product(t, 1, 2)
		counting := newCountingStore(fx.store, true)
		fx.startLogged(t, counting)

		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("warm-up", "FZ-C-OUT", ""), nil)
		<-counting.entered // the next scans queue up behind this batch
		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("b-1", freezer.ProductCode(p.ID), ""), nil)
		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("b-1", freezer.ProductCode(p.ID), ""), nil)
		fx.bus.deliver(topics.Scan(fx.dev.ID), scanPayload("b-1", freezer.ProductCode(q.ID), ""), nil)
		close(counting.gate)

		acks := fx.waitAcks(t, fx.dev.ID, 4)
		if calls := counting.calls(); len(calls) != 2 || calls[1] != 3 {
			t.Fatalf("batches %v, want the three scans in one batch", calls)
		}
		if acks[1].Status != freezer.ScanOK || acks[2] != acks[1] {
			t.Errorf("scan and its resend: acks %+v and %+v, want ok twice", acks[1], acks[2])
		}
		if !isReuseAck(acks[3], "b-1") {
			t.Errorf("reuse in the batch: ack %+v, want the reuse error", acks[3])
		}
		if fx.find(t, p.ID).Inside() || !fx.find(t, q.ID).Inside() {
			t.Error("want the first product out and the second inside")
		}
	})
}
