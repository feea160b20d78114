package broker_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
)

// refused is the SUBACK code of a refused subscription on MQTT 3.1.1, which
// paho.mqtt.golang speaks (MQTT 5: protocol_test.go).
const refused = 0x80

// waitLost waits until the broker drops a client.
func waitLost(t *testing.T, what string, lost chan error) {
	t.Helper()
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still connected after 10s", what)
	}
}

func TestConnectAuthentication(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		d, password := e.newDevice(t, nil)
		other, otherPassword := e.newDevice(t, nil)
		tests := []struct {
			desc                         string
			clientID, username, password string
		}{
			{"wrong password", d.ID, d.ID, "not-" + password},
			{"empty password", d.ID, d.ID, ""},
			{"another device's password", d.ID, d.ID, otherPassword},
			{"unknown device", "scanner-nobody", "scanner-nobody", password},
			{"client id is not the username", "something-else", d.ID, password},
			{"client id of another device", other.ID, d.ID, password},
			{"username of another device", d.ID, other.ID, otherPassword},
			{"no username", d.ID, "", password},
			{"no client id", "", d.ID, password},
		}
		for _, tt := range tests {
			if c, _, err := e.dial(t, tt.clientID, tt.username, tt.password); err == nil {
				c.Disconnect(0)
				t.Errorf("%s: connected, want refused", tt.desc)
			}
		}
		if got := e.findDevice(t, d.ID); got.Online {
			t.Error("a refused connection marked the device online")
		}
		// The right credentials work.
		if _, _, err := e.dial(t, d.ID, d.ID, password); err != nil {
			t.Fatalf("valid credentials refused: %v", err)
		}
	})
}

// A revoked device is dropped at once and cannot come back.
func TestRevokedDevice(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		d, password := e.newDevice(t, nil)
		cl := e.connect(t, d, password)
		checkAck(t, "before revocation", cl.scan(t, "1", freezer.ProductCode(p.ID), freezer.ModeOut), freezer.ScanOK, freezer.OpOut)
		bystander := e.scanner(t, nil)

		if err := e.store.DeleteDevice(sys, d.ID); err != nil {
			t.Fatal(err)
		}
		e.broker.Disconnect(d.ID)
		waitLost(t, "revoked device", cl.lost)
		if c, _, err := e.dial(t, d.ID, d.ID, password); err == nil {
			c.Disconnect(0)
			t.Fatal("revoked device reconnected")
		}
		// Others are not affected.
		checkAck(t, "other device", bystander.scan(t, "2", freezer.ProductCode(p.ID), freezer.ModeIn), freezer.ScanOK, freezer.OpIn)
	})
}

// A device cannot publish scans as another one: the broker drops it and
// the other device's products are untouched.
func TestCannotPublishAsAnotherDevice(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		a := e.scanner(t, nil)
		b := e.scanner(t, nil)

		payload := fmt.Appendf(nil, `{"id":"forged-1","code":%q}`, freezer.ProductCode(p.ID))
		a.c.Publish(topics.Scan(b.dev.ID), 1, false, payload) // no PUBACK comes for a denied publish
		waitLost(t, "device publishing as another", a.lost)

		if got := e.events(t, b.dev.ID); got != 0 {
			t.Errorf("%d scan events for the impersonated device", got)
		}
		if got := e.find(t, p.ID); !got.Inside() || got.Version != p.Version {
			t.Errorf("impersonated scan changed the product: %+v", got)
		}
		noMore(t, "ack for the impersonated device", b.acks)
		// b itself is served, and its first ack is for its own scan.
		ack := b.scan(t, "own-1", freezer.ProductCode(p.ID), "")
		if ack.ID != "own-1" || ack.Status != freezer.ScanOK {
			t.Errorf("b's own scan: ack %+v", ack)
		}

		// Nor may a scanner publish to other topics of its own, to the hub's, or to a household's.
		for _, topic := range []string{topics.Ack(b.dev.ID), topics.SetMode(b.dev.ID), topics.HubStatus(), "homeassistant/status",
			fmt.Sprintf("freezer/v1/household/%d/alerts", e.household), "freezer/v1/dev/+/scan"} {
			c := e.scanner(t, nil)
			c.c.Publish(topic, 1, false, []byte("x"))
			waitLost(t, "publish to "+topic, c.lost)
		}
		// Its own status topic is allowed (retained, as the contract says).
		c := e.scanner(t, nil)
		if tok := c.c.Publish(topics.Status(c.dev.ID), 1, true, []byte("online")); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Errorf("publish own status: %v", tok.Error())
		}
	})
}

// A device cannot read another device's acks; a scanner cannot subscribe
// to wildcards that reach beyond its own topics.
func TestCannotReadAnotherDevicesAcks(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		a := e.scanner(t, nil)
		b := e.scanner(t, nil)

		// paho hands a message to every handler whose filter matches, refused
		// or not: count only what is not a's own.
		var leaked atomic.Int64
		count := func(m paho.Message) {
			if !strings.HasPrefix(m.Topic(), "freezer/v1/dev/"+a.dev.ID+"/") {
				leaked.Add(1)
			}
		}
		for _, filter := range []string{topics.Ack(b.dev.ID), "freezer/v1/dev/+/ack", "freezer/v1/dev/" + b.dev.ID + "/#", "#", "freezer/#",
			"+/+/dev/+/ack", "freezer/v1/dev/" + b.dev.ID + "/set/mode", fmt.Sprintf("freezer/v1/household/%d/#", e.household), "homeassistant/#", "$SYS/#"} {
			if code := trySubscribe(t, a.c, filter, count); code != refused {
				t.Errorf("scanner subscribed to %s (SUBACK 0x%02x), want refused", filter, code)
			}
		}
		checkAck(t, "b's scan", b.scan(t, "b-1", freezer.ProductCode(p.ID), ""), freezer.ScanOK, freezer.OpOut)
		checkAck(t, "b's card", b.scan(t, "b-2", freezer.CommandCode(freezer.CommandIn), ""), freezer.ScanOK, freezer.OpMode)
		b.expectMode(t, freezer.ModeIn)
		// a's own ack comes after b's on the hub's single writer: once a has
		// it, anything leaked to a would have arrived.
		checkAck(t, "a's scan", a.scan(t, "a-1", freezer.CommandCode(freezer.CommandOut), ""), freezer.ScanOK, freezer.OpMode)
		if leaked.Load() != 0 {
			t.Errorf("device a received %d of b's messages", leaked.Load())
		}
		noMore(t, "ack", a.acks)
		// Refused subscriptions do not cost a its connection.
		select {
		case err := <-a.lost:
			t.Errorf("scanner dropped after a refused subscription: %v", err)
		default:
		}
	})
}

// An integration reads its own household's topics and the discovery
// prefix, and publishes only the Home Assistant status.
func TestIntegrationACL(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		other := e.otherHousehold(t)
		d, password := e.newDevice(t, func(d *freezer.Device) { d.Kind = freezer.DeviceIntegration })
		if !strings.HasPrefix(d.ID, "ha-") {
			t.Errorf("integration id %q", d.ID)
		}
		c, lost, err := e.dial(t, d.ID, d.ID, password)
		if err != nil {
			t.Fatal(err)
		}
		own := fmt.Sprintf("freezer/v1/household/%d/", e.household)
		received := make(chan string, 64)
		onMessage := func(m paho.Message) { received <- m.Topic() }
		subscribe(t, c, own+"#", onMessage)
		subscribe(t, c, "homeassistant/#", onMessage)
		// paho hands a message to every handler whose filter matches, refused
		// or not: the probes record only what the integration may not read.
		var leaked atomic.Int64
		probe := func(m paho.Message) {
			if !strings.HasPrefix(m.Topic(), own) && !strings.HasPrefix(m.Topic(), "homeassistant/") {
				leaked.Add(1)
			}
		}
		for _, filter := range []string{fmt.Sprintf("freezer/v1/household/%d/#", other.id), fmt.Sprintf("freezer/v1/household/%d0/#", e.household),
			"freezer/v1/household/+/alerts", "freezer/v1/household/#", "#", "freezer/v1/dev/+/scan", "freezer/v1/dev/+/ack", fmt.Sprintf("freezer/v1/household/%d", e.household)} {
			if code := trySubscribe(t, c, filter, probe); code != refused {
				t.Errorf("integration subscribed to %s (SUBACK 0x%02x), want refused", filter, code)
			}
		}

		// The hub publishes to several households; the integration gets its own.
		state := fmt.Sprintf("%sfreezer/%d/state", own, e.freezer.ID)
		ownConfig := fmt.Sprintf("homeassistant/sensor/freezer_manager_%d/freezer_%d_inside/config", e.household, e.freezer.ID)
		otherConfig := fmt.Sprintf("homeassistant/sensor/freezer_manager_%d/freezer_9_inside/config", other.id)
		for _, topic := range []string{fmt.Sprintf("freezer/v1/household/%d/alerts", other.id), fmt.Sprintf("freezer/v1/household/%d0/alerts", e.household),
			otherConfig, ownConfig, state} {
			if err := e.broker.Publish(topic, []byte(`{"inside":1}`), false); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for len(got) < 2 {
			select {
			case topic := <-received:
				got = append(got, topic)
			case <-time.After(10 * time.Second):
				t.Fatalf("integration received %v, want discovery and its freezer state", got)
			}
		}
		if got[0] != ownConfig || got[1] != state {
			t.Errorf("integration received %v", got)
		}
		noMore(t, "message", received)
		if leaked.Load() != 0 {
			t.Errorf("integration received %d messages of other households", leaked.Load())
		}

		// It may publish homeassistant/status, which the hub sees.
		hubSaw := make(chan string, 1)
		if err := e.broker.Subscribe("homeassistant/status", func(m devices.Message) { hubSaw <- string(m.Payload) }); err != nil {
			t.Fatal(err)
		}
		if tok := c.Publish("homeassistant/status", 1, false, []byte("online")); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish homeassistant/status: %v", tok.Error())
		}
		select {
		case s := <-hubSaw:
			if s != "online" {
				t.Errorf("hub saw %q", s)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hub did not see homeassistant/status")
		}
		select {
		case err := <-lost:
			t.Fatalf("integration dropped: %v", err)
		default:
		}

		// Nothing else.
		for _, topic := range []string{own + "alerts", topics.Scan(d.ID), "homeassistant/sensor/x/config", topics.HubStatus()} {
			c, lost, err := e.dial(t, d.ID, d.ID, password)
			if err != nil {
				t.Fatal(err)
			}
			c.Publish(topic, 1, false, []byte(freezer.ProductCode(1)))
			waitLost(t, "integration publishing to "+topic, lost)
		}
		if n := e.events(t, d.ID); n != 0 {
			t.Errorf("integration has %d scan events", n)
		}
	})
}

// The broker publishes a client's Will without an ACL check, so a device
// may only name a Will topic it could publish to itself: a Will on another
// device's scan topic would be a forged scan.
func TestWillTopicIsChecked(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		p := e.product(t, 1)
		b := e.scanner(t, nil)
		a, password := e.newDevice(t, nil)
		forged := fmt.Appendf(nil, `{"id":"will-1","code":%q}`, freezer.ProductCode(p.ID))
		for _, will := range []struct {
			topic  string
			retain bool
		}{
			{topics.Scan(b.dev.ID), false},
			{topics.HubStatus(), true},
			{fmt.Sprintf("freezer/v1/household/%d/freezer/%d/state", e.household, e.freezer.ID), true},
			{"homeassistant/status", false},
			{topics.Ack(a.ID), false},
		} {
			opts := paho.NewClientOptions().AddBroker("tcp://"+e.broker.TCPAddr()).SetClientID(a.ID).SetUsername(a.ID).SetPassword(password).
				SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(10*time.Second).SetBinaryWill(will.topic, forged, 1, will.retain)
			c := paho.NewClient(opts)
			tok := c.Connect()
			if !tok.WaitTimeout(10 * time.Second) {
				t.Fatal("connect: no answer")
			}
			if tok.Error() == nil {
				t.Errorf("connected with a Will on %s, want refused", will.topic)
				e.broker.Disconnect(a.ID) // an abnormal end: the broker sends the Will
				c.Disconnect(0)
			}
		}
		if e.findDevice(t, a.ID).Online {
			t.Error("a refused connection marked the device online")
		}
		// b's product is untouched, and b's first ack is for its own scan.
		ack := b.scan(t, "own-1", freezer.CommandCode(freezer.CommandIn), "")
		if ack.ID != "own-1" {
			t.Errorf("b's first ack = %+v, want its own scan's", ack)
		}
		if got := e.find(t, p.ID); !got.Inside() || got.Version != p.Version {
			t.Errorf("a Will changed b's product: %+v", got)
		}
		if got := e.events(t, b.dev.ID); got != 1 {
			t.Errorf("b has %d scan events, want 1", got)
		}

		// A Will on the device's own status topic is what the contract asks for.
		opts := paho.NewClientOptions().AddBroker("tcp://"+e.broker.TCPAddr()).SetClientID(a.ID).SetUsername(a.ID).SetPassword(password).
			SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(10*time.Second).SetWill(topics.Status(a.ID), "offline", 1, true)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect with a Will on its own status: %v", tok.Error())
		}
		c.Disconnect(50)
	})
}
