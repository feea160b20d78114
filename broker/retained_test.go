package broker_test

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/mqtttest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// received collects what a subscription got, and whether it was retained.
type received struct {
	payload  string
	retained bool
}

// subscribeAndMark subscribes to filter on url, then publishes marker (not
// retained) to topic, and returns what arrived up to the marker: a
// retained message comes before it.
func subscribeAndMark(t *testing.T, url, filter, topic string) []received {
	t.Helper()
	got := make(chan received, 16)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("watch-%d", time.Now().UnixNano())).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	if tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) { got <- received{string(m.Payload()), m.Retained()} }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	if tok := c.Publish(topic, 1, false, "marker"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	var list []received
	for {
		select {
		case r := <-got:
			if r.payload == "marker" {
				return list
			}
			list = append(list, r)
		case <-time.After(10 * time.Second):
			t.Fatal("the marker did not arrive within 10s")
		}
	}
}

// publishRetained publishes payload to topic with the retain flag, as a
// misconfigured scanner would.
func publishRetained(t *testing.T, url, username, password, topic, payload string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(username).SetUsername(username).SetPassword(password).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	if tok := c.Publish(topic, 1, true, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

// TestRetainedScanExternal: a scan left retained on an external broker is
// not handed to the hub on a (re)subscription, and is cleared.
func TestRetainedScanExternal(t *testing.T) {
	url := mqtttest.StartMosquitto(t)
	topics := devices.Topics{Root: devices.DefaultRoot}
	scanTopic := topics.Scan("d1")
	publishRetained(t, url, "scanner-d1", "", scanTopic, "FZ-I-000123")
	ext, err := broker.DialExternal(broker.ExternalConfig{URL: url, ClientID: fmt.Sprintf("hub-%d", time.Now().UnixNano()), Topics: topics}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ext.Close()
	got := make(chan devices.Message, 16)
	if err := devices.IgnoreRetainedScans(ext, topics).Subscribe(topics.ScanFilter(), func(m devices.Message) {
		got <- m
		if m.Done != nil {
			m.Done()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := ext.Publish(scanTopic, []byte("FZ-I-000124"), false); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Payload) != "FZ-I-000124" {
			t.Fatalf("the hub got %q first, want only the live scan", m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the live scan did not arrive within 10s")
	}
	for i := 0; ; i++ { // the clear is published beside the delivery
		left := subscribeAndMark(t, url, scanTopic, scanTopic)
		if len(left) == 0 {
			break
		}
		if i == 50 {
			t.Fatalf("still retained on the broker: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRetainedScanEmbedded: the embedded broker keeps no scan, even one
// sent with the retain flag, and still delivers it once.
func TestRetainedScanEmbedded(t *testing.T) {
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	reg, err := store.RegisterUser(sys, freezer.Registration{Email: "retained@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door"}
	password, err := store.CreateDevice(sys, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0"}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := make(chan devices.Message, 16)
	if err := b.Subscribe(topics.ScanFilter(), func(m devices.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	publishRetained(t, "tcp://"+b.TCPAddr(), d.ID, password, topics.Scan(d.ID), "FZ-I-000123")
	select {
	case m := <-got:
		if string(m.Payload) != "FZ-I-000123" {
			t.Fatalf("got %q", m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the scan was not delivered within 10s")
	}
	late := make(chan devices.Message, 16)
	if err := b.Subscribe(topics.ScanFilter(), func(m devices.Message) { late <- m }); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(topics.Scan(d.ID), []byte("marker"), false); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-late:
		if string(m.Payload) != "marker" {
			t.Fatalf("a later subscription got the kept scan %q", m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the marker was not delivered within 10s")
	}
}
