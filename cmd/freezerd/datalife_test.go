package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
)

// mqttDevice is a real MQTT client of a device on a server's embedded broker.
type mqttDevice struct {
	c        paho.Client
	id       string
	acks     chan devices.Ack
	mu       sync.Mutex
	messages map[string][]string // by topic, what it received besides acks
	sent     int
}

// connectDevice connects as a device with its credentials; a scanner
// listens to its acks.
func connectDevice(t *testing.T, m *Server, id, password string) *mqttDevice {
	t.Helper()
	d := &mqttDevice{id: id, acks: make(chan devices.Ack, 64), messages: map[string][]string{}}
	d.c = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + m.Broker.TCPAddr()).SetClientID(id).
		SetUsername(id).SetPassword(password).SetAutoReconnect(false).SetDefaultPublishHandler(func(_ paho.Client, msg paho.Message) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.messages[msg.Topic()] = append(d.messages[msg.Topic()], string(msg.Payload()))
	}))
	if tok := d.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("device %s connects: %v", id, tok.Error())
	}
	t.Cleanup(func() { d.c.Disconnect(0) })
	return d
}

// listen subscribes to the device's acks.
func (d *mqttDevice) listen(t *testing.T) {
	t.Helper()
	tok := d.c.Subscribe(devices.Topics{Root: devices.DefaultRoot}.Ack(d.id), 1, func(_ paho.Client, msg paho.Message) {
		if a, err := devices.DecodeAck(msg.Payload()); err == nil {
			d.acks <- a
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe to acks: %v", tok.Error())
	}
}

// subscribe receives the messages of a topic filter.
func (d *mqttDevice) subscribe(t *testing.T, filter string) {
	t.Helper()
	if tok := d.c.Subscribe(filter, 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
}

func (d *mqttDevice) received(topic string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.messages[topic]...)
}

// scan publishes one scan and waits for its ack.
func (d *mqttDevice) scan(t *testing.T, code, mode string) devices.Ack {
	t.Helper()
	d.sent++
	id := fmt.Sprintf("%s-%d-%d", d.id, time.Now().UnixNano(), d.sent)
	payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: code, Mode: mode})
	if tok := d.c.Publish(devices.Topics{Root: devices.DefaultRoot}.Scan(d.id), 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	for {
		select {
		case a := <-d.acks:
			if a.ID == id {
				return a
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no ack for %s", code)
		}
	}
}

// apiCall calls the v1 API of m with a token and decodes the answer into out.
func apiCall(t *testing.T, m *Server, token, method, path string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, "http://"+m.HTTP.Addr()+"/api/v1"+path, &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// dumpOf returns every row of the database at dsn.
func dumpOf(t *testing.T, dsn string) map[string][]string {
	t.Helper()
	store, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dump, err := db.Dump(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	return dump
}

// sameRows fails the test with the tables whose rows differ.
func sameRows(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for name := range want {
		if !reflect.DeepEqual(got[name], want[name]) {
			t.Errorf("%s: table %s differs:\n got %q\nwant %q", what, name, got[name], want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: table %s only in the copy", what, name)
		}
	}
}

// waitCaughtUp waits for the alert job's start-up pass.
func waitCaughtUp(t *testing.T, m *Server) {
	t.Helper()
	select {
	case <-m.Alerts.CaughtUp():
	case <-time.After(10 * time.Second):
		t.Fatal("the alert job's start-up pass did not end")
	}
}

// installation is what a test filled an installation with.
type installation struct {
	token          string
	household      int64
	scanner        string // device id = username
	scannerPass    string
	integration    string
	integrationPwd string
	products       map[int64]string // id → name of every product
	takenOut       int64            // a product the scanner took out
}

// fill gives a running server a user with a token, a freezer, products
// inside and out, a scanner that took one out, an integration, and an
// overdue product whose alert was sent over MQTT.
func fill(t *testing.T, m *Server) *installation {
	t.Helper()
	ctx := freezer.SystemContext(context.Background())
	reg, err := m.DB.RegisterUser(ctx, freezer.Registration{Email: "owner@example.com", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	in := &installation{token: reg.Token, household: reg.Household.ID, products: map[int64]string{}}
	f := &freezer.Freezer{HouseholdID: in.household, Name: "Chest", NumberBoxes: 3}
	if err := m.DB.CreateFreezer(ctx, f); err != nil {
		t.Fatal(err)
	}
	today := m.DB.Today()
	for i, name := range []string{"Blanquette", "Soup", "Ratatouille", "Old stew"} {
		p := &freezer.Product{FreezerID: f.ID, Box: 1 + i%3, Name: name, TypeID: 1, DateIn: today.AddDays(-10), PeriodMonths: 6}
		if name == "Old stew" {
			p.DateIn, p.PeriodMonths = today.AddDays(-90), 1 // overdue
		}
		if err := m.DB.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		in.products[p.ID] = name
		if name == "Soup" {
			in.takenOut = p.ID
		}
	}
	scanner := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: in.household, Name: "door", Mode: freezer.ModeOut}
	if in.scannerPass, err = m.DB.CreateDevice(ctx, scanner); err != nil {
		t.Fatal(err)
	}
	in.scanner = scanner.ID
	integration := &freezer.Device{Kind: freezer.DeviceIntegration, HouseholdID: in.household, Name: "Home Assistant"}
	if in.integrationPwd, err = m.DB.CreateDevice(ctx, integration); err != nil {
		t.Fatal(err)
	}
	in.integration = integration.ID

	d := connectDevice(t, m, in.scanner, in.scannerPass)
	d.listen(t)
	if a := d.scan(t, freezer.ProductCode(in.takenOut), freezer.ModeOut); a.Status != freezer.ScanOK || a.Product != "Soup" {
		t.Fatalf("scan before the copy: %+v", a)
	}
	ha := connectDevice(t, m, in.integration, in.integrationPwd)
	alerts := devices.Topics{Root: devices.DefaultRoot}.Alerts(in.household)
	ha.subscribe(t, alerts)
	waitCaughtUp(t, m)
	run, err := m.Alerts.Run(ctx)
	if err != nil || run.Overdue != 1 || run.Sent["mqtt"] != 1 {
		t.Fatalf("alert run before the copy: %+v, %v", run, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(ha.received(alerts)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(ha.received(alerts)) != 1 {
		t.Fatalf("alert messages before the copy: %q", ha.received(alerts))
	}
	return in
}
