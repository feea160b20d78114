package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestProductLifeSameThroughEveryDoor runs each operation of a product's
// life once through the REST API and once through a scan, on two products
// prepared alike, and compares the outcomes and the rows stored.
func TestProductLifeSameThroughEveryDoor(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		clock := testdb.NewClock(time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC))
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
			AlertSchedule: "off", TZ: "UTC", Now: clock.Now})
		w := newLifeWorld(t, m)

		type op struct {
			rest  func(id int64) (status int, answer map[string]any) // the REST call
			scans func(id int64) []string                            // the codes and modes scanned, "code mode"
		}
		takeOut := op{
			rest:  func(id int64) (int, map[string]any) { return w.post(fmt.Sprintf("/products/%d/take-out", id), nil) },
			scans: func(id int64) []string { return []string{fmt.Sprintf("FZ-I-%06d out", id)} },
		}
		putBack := op{
			rest:  func(id int64) (int, map[string]any) { return w.post(fmt.Sprintf("/products/%d/put-back", id), nil) },
			scans: func(id int64) []string { return []string{fmt.Sprintf("FZ-I-%06d in", id)} },
		}
		moveToBox3 := op{
			rest: func(id int64) (int, map[string]any) {
				return w.post(fmt.Sprintf("/products/%d/move", id), map[string]any{"box": 3})
			},
			scans: func(id int64) []string {
				return []string{fmt.Sprintf("FZ-I-%06d move", id), fmt.Sprintf("FZ-B-%d-3 move", w.freezer.ID)}
			},
		}
		tests := []struct {
			desc      string
			prepare   func(t *testing.T, p *freezer.Product) // on each of the two products
			clockBack bool                                   // the clock goes back a day after the products went in
			op        op
			want      string // the outcome of both: ok, already or error
		}{
			{desc: "take out", op: takeOut, want: "ok"},
			{desc: "take out a product already out", prepare: w.takeOut, op: takeOut, want: "already"},
			{desc: "put back", prepare: w.takeOut, op: putBack, want: "ok"},
			{desc: "put back a product inside", op: putBack, want: "already"},
			{desc: "put back when its slot was taken", prepare: func(t *testing.T, p *freezer.Product) {
				w.takeOut(t, p)
				w.create(t, p.Box, p.Slot)
			}, op: putBack, want: "ok"},
			{desc: "take out when the clock went back before date_in", clockBack: true, op: takeOut, want: "ok"},
			{desc: "move to another box", op: moveToBox3, want: "ok"},
			{desc: "move a product out to another box", prepare: w.takeOut, op: moveToBox3, want: "ok"},
		}
		for _, tt := range tests {
			t.Run(tt.desc, func(t *testing.T) {
				byREST, byScan := w.create(t, 1, 0), w.create(t, 2, 0)
				if tt.prepare != nil {
					tt.prepare(t, byREST)
					tt.prepare(t, byScan)
				}
				if tt.clockBack {
					clock.Advance(-24 * time.Hour)
					t.Cleanup(func() { clock.Advance(24 * time.Hour) })
				}
				beforeREST, beforeScan := w.find(t, byREST.ID), w.find(t, byScan.ID)
				logREST, logScan := w.logLength(t, byREST.ID), w.logLength(t, byScan.ID)

				status, body := tt.op.rest(byREST.ID)
				restOutcome := map[int]string{http.StatusOK: "ok", http.StatusConflict: "already"}[status]
				if restOutcome == "already" && !strings.Contains(fmt.Sprint(body), "already") {
					restOutcome = "error"
				}
				var scanOutcome string
				for _, s := range tt.op.scans(byScan.ID) {
					var code, mode string
					fmt.Sscan(s, &code, &mode)
					scanOutcome = w.scan(t, code, mode)
				}
				if restOutcome != tt.want || scanOutcome != tt.want {
					t.Fatalf("REST: %d %s (%s); scan: %s; want %s for both", status, body, restOutcome, scanOutcome, tt.want)
				}
				afterREST, afterScan := w.find(t, byREST.ID), w.find(t, byScan.ID)
				if got, want := relative(beforeScan, afterScan), relative(beforeREST, afterREST); got != want {
					t.Errorf("stored after a scan: %s\nstored after REST:   %s", got, want)
				}
				if got, want := w.logLength(t, byScan.ID)-logScan, w.logLength(t, byREST.ID)-logREST; got != want {
					t.Errorf("change-log entries: %d by scan, %d by REST", got, want)
				}
				if tt.want == "already" && (afterREST.Version != beforeREST.Version || afterScan.Version != beforeScan.Version) {
					t.Errorf("refused, yet written: versions %d→%d (REST), %d→%d (scan)",
						beforeREST.Version, afterREST.Version, beforeScan.Version, afterScan.Version)
				}
			})
		}
	})
}

// relative describes what an operation did to a product, leaving out what
// differs between the two products of a case (their ids, boxes and slots
// before).
func relative(before, after *freezer.Product) string {
	slot := "same slot"
	if after.Box != before.Box || after.Slot != before.Slot {
		slot = fmt.Sprintf("to box %d", after.Box)
		if after.Box == before.Box {
			slot = "another slot"
		}
	}
	dateOut := after.DateOut.String()
	if after.DateOut == before.DateOut {
		dateOut = "unchanged"
	} else if dateOut != "" && after.DateOut == after.DateIn {
		dateOut += " (date_in)"
	}
	return fmt.Sprintf("inside %v, date_out %s, %s, version +%d", after.Inside(), dateOut, slot, after.Version-before.Version)
}

// lifeWorld is a running server, a user's freezer and a scanner of theirs.
type lifeWorld struct {
	t       *testing.T
	m       *Server
	ctx     context.Context
	token   string
	freezer *freezer.Freezer
	scanner paho.Client
	dev     string
	acks    chan devices.Ack
	sent    int
}

func newLifeWorld(t *testing.T, m *Server) *lifeWorld {
	w := &lifeWorld{t: t, m: m, ctx: freezer.SystemContext(context.Background()), acks: make(chan devices.Ack, 16)}
	reg, err := m.DB.RegisterUser(w.ctx, freezer.Registration{Email: "life@example.com", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	w.token = reg.Token
	w.freezer = &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "Chest", NumberBoxes: 3}
	if err := m.DB.CreateFreezer(w.ctx, w.freezer); err != nil {
		t.Fatal(err)
	}
	dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door", Mode: freezer.ModeOut}
	password, err := m.DB.CreateDevice(w.ctx, dev)
	if err != nil {
		t.Fatal(err)
	}
	w.dev = dev.ID
	topics := devices.Topics{Root: devices.DefaultRoot}
	w.scanner = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(dev.ID).
		SetUsername(dev.ID).SetPassword(password).SetAutoReconnect(false))
	if tok := w.scanner.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("scanner connects: %v", tok.Error())
	}
	t.Cleanup(func() { w.scanner.Disconnect(0) })
	tok := w.scanner.Subscribe(topics.Ack(dev.ID), 1, func(_ paho.Client, msg paho.Message) {
		var a devices.Ack
		if json.Unmarshal(msg.Payload(), &a) == nil {
			w.acks <- a
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return w
}

func (w *lifeWorld) create(t *testing.T, box, slot int) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: w.freezer.ID, Box: box, Slot: slot, Name: "Soup", TypeID: 1, DateIn: w.m.DB.Today(), PeriodMonths: 6}
	if err := w.m.DB.CreateProduct(w.ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *lifeWorld) takeOut(t *testing.T, p *freezer.Product) {
	t.Helper()
	if _, err := w.m.DB.TakeOutProduct(w.ctx, p.ID, freezer.TakeOutRequest{}); err != nil {
		t.Fatal(err)
	}
}

func (w *lifeWorld) find(t *testing.T, id int64) *freezer.Product {
	t.Helper()
	p, err := w.m.DB.FindProductByID(w.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *lifeWorld) logLength(t *testing.T, id int64) int {
	t.Helper()
	events, err := w.m.DB.FindEvents(w.ctx, freezer.EventFilter{ProductID: &id})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

// post calls the v1 API and returns the status and the answer.
func (w *lifeWorld) post(path string, body any) (int, map[string]any) {
	return sendJSON(w.t, w.token, http.MethodPost, "http://"+w.m.HTTP.Addr()+"/api/v1"+path, body)
}

// scan sends one scan and returns the status of its ack.
func (w *lifeWorld) scan(t *testing.T, code, mode string) string {
	t.Helper()
	w.sent++
	id := fmt.Sprint("life-", w.sent)
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code, Mode: mode})
	if tok := w.scanner.Publish(devices.Topics{Root: devices.DefaultRoot}.Scan(w.dev), 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	for {
		select {
		case a := <-w.acks:
			if a.ID == id {
				return a.Status
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no ack for %s", code)
		}
	}
}
