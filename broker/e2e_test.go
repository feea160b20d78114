package broker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// env is a running broker and hub on a real database, with one household.
type env struct {
	store     *db.DB
	broker    *broker.Broker
	household int64
	user      *freezer.User
	freezer   *freezer.Freezer
}

func newEnv(t *testing.T, store *db.DB) *env {
	t.Helper()
	ctx := freezer.SystemContext(context.Background())
	reg, err := store.RegisterUser(ctx, freezer.Registration{Email: fmt.Sprintf("u%d@example.com", time.Now().UnixNano()), Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "garage", NumberBoxes: 4}
	if err := store.CreateFreezer(ctx, f); err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0"}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.Config{Now: func() time.Time { return testdb.Now }}, store, b, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); h.Close() })
	return &env{store: store, broker: b, household: reg.Household.ID, user: reg.User, freezer: f}
}

// device registers a scanner and connects it; acks arrive on the returned channel.
func (e *env) device(t *testing.T) (*freezer.Device, paho.Client, chan devices.Ack) {
	t.Helper()
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.household, Name: "door"}
	password, err := e.store.CreateDevice(freezer.SystemContext(context.Background()), d)
	if err != nil {
		t.Fatal(err)
	}
	opts := paho.NewClientOptions().AddBroker("tcp://" + e.broker.TCPAddr()).SetClientID(d.ID).SetUsername(d.ID).SetPassword(password).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	acks := make(chan devices.Ack, 16)
	topics := devices.Topics{Root: devices.DefaultRoot}
	if tok := c.Subscribe(topics.Ack(d.ID), 1, func(_ paho.Client, m paho.Message) {
		a, err := devices.DecodeAck(m.Payload())
		if err == nil {
			acks <- a
		}
	}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return d, c, acks
}

func (e *env) product(t *testing.T, slot int) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: e.freezer.ID, Box: 1, Slot: slot, Name: "Soupe de Noël", TypeID: 1, Quantity: 2,
		DateIn: freezer.MustParseDate("2026-01-10"), PeriodMonths: 3}
	if err := e.store.CreateProduct(freezer.SystemContext(context.Background()), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func scan(t *testing.T, c paho.Client, dev, id, code string) {
	t.Helper()
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code})
	if tok := c.Publish(devices.Topics{Root: devices.DefaultRoot}.Scan(dev), 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

func waitAck(t *testing.T, acks chan devices.Ack) devices.Ack {
	t.Helper()
	select {
	case a := <-acks:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no ack within 5s")
	}
	return devices.Ack{}
}

func TestScanTakesProductOut(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		e := newEnv(t, store)
		p := e.product(t, 0)
		d, c, acks := e.device(t)
		scan(t, c, d.ID, d.ID+"-1", labels.ProductCode(p.ID))
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
		scan(t, c, d.ID, d.ID+"-1", labels.ProductCode(p.ID))
		if again := waitAck(t, acks); again != a {
			t.Errorf("resent scan ack = %+v, want %+v", again, a)
		}
		scan(t, c, d.ID, d.ID+"-2", labels.ProductCode(p.ID))
		if a := waitAck(t, acks); a.Status != freezer.ScanAlready {
			t.Errorf("second scan ack = %+v, want already", a)
		}
	})
}

var _ sync.Mutex
