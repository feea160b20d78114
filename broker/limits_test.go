package broker_test

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// limitedBroker starts a broker with cfg on a SQLite store holding one
// scanner, and returns it with the scanner's id and password.
func limitedBroker(t *testing.T, cfg broker.Config) (*broker.Broker, string, string) {
	t.Helper()
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	reg, err := store.RegisterUser(sys, freezer.Registration{Email: "limits@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door"}
	password, err := store.CreateDevice(sys, d)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TCPAddr = "127.0.0.1:0"
	b, err := broker.New(cfg, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, d.ID, password
}

// rawDial opens a TCP connection to the broker and sends prefix, the start
// of a CONNECT that never ends.
func rawDial(t *testing.T, b *broker.Broker, prefix ...byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", b.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(prefix) > 0 {
		if _, err := c.Write(prefix); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// closedWithin reports whether the broker closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 16))
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// countClosed returns which of conns the broker closes within d, checking
// them all at once: the broker admits connections in no set order.
func countClosed(conns []net.Conn, d time.Duration) []bool {
	closed := make([]bool, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { closed[i] = closedWithin(c, d) })
	}
	wg.Wait()
	return closed
}

// numTrue counts the true values.
func numTrue(list []bool) int {
	n := 0
	for _, b := range list {
		if b {
			n++
		}
	}
	return n
}

// pahoConnect connects the scanner and reports whether the broker took it.
func pahoConnect(t *testing.T, b *broker.Broker, id, password string) (paho.Client, error) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.TCPAddr()).SetClientID(id).SetUsername(id).SetPassword(password).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second))
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("connect: no answer within 10s")
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

// A socket that sends two bytes of CONNECT and stops is closed once the
// connect timeout passes.
func TestConnectTimeout(t *testing.T) {
	b, _, _ := limitedBroker(t, broker.Config{ConnectTimeout: 200 * time.Millisecond})
	c := rawDial(t, b, 0x10, 0x20)
	if !closedWithin(c, 10*time.Second) {
		t.Fatal("a half-sent CONNECT still holds its connection after 10s")
	}
}

// The connections of one address that have not authenticated are bounded;
// an authenticated device no longer counts.
func TestMaxPendingPerIP(t *testing.T) {
	b, id, password := limitedBroker(t, broker.Config{ConnectTimeout: time.Minute, MaxPendingPerIP: 3})
	conns := []net.Conn{rawDial(t, b, 0x10), rawDial(t, b, 0x10), rawDial(t, b, 0x10), rawDial(t, b, 0x10)}
	closed := countClosed(conns, 3*time.Second)
	if numTrue(closed) != 1 {
		t.Fatalf("closed %v: want one of four unauthenticated connections from one address refused", closed)
	}
	for i, c := range conns { // free a slot
		if !closed[i] {
			c.Close()
			break
		}
	}
	var err error
	for i := 0; i < 100; i++ { // the broker sees the close a moment later
		if _, err = pahoConnect(t, b, id, password); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the device could not connect once a slot was free: %v", err)
	}
	if c := rawDial(t, b, 0x10); closedWithin(c, 100*time.Millisecond) {
		t.Error("the authenticated device still counts as pending")
	}
}

// The broker's connections are bounded in all.
func TestMaxConnections(t *testing.T) {
	b, id, password := limitedBroker(t, broker.Config{ConnectTimeout: time.Minute, MaxConnections: 3, MaxPendingPerIP: 10})
	if _, err := pahoConnect(t, b, id, password); err != nil {
		t.Fatal(err)
	}
	conns := []net.Conn{rawDial(t, b, 0x10), rawDial(t, b, 0x10), rawDial(t, b, 0x10)}
	if closed := countClosed(conns, 3*time.Second); numTrue(closed) != 1 {
		t.Fatalf("closed %v: want the one connection beyond the maximum refused", closed)
	}
}
