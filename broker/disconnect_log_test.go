package broker_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// lockedBuffer is a log sink that tests read while the broker writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A device that disconnects, cleanly or by closing its connection, is an
// ordinary event: nothing is logged as a warning.
func TestOrdinaryDisconnectIsNoWarning(t *testing.T) {
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	reg, err := store.RegisterUser(sys, freezer.Registration{Email: "quiet@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	b, err := broker.New(broker.Config{TCPAddr: "127.0.0.1:0"}, store, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door"}
	password, err := store.CreateDevice(sys, dev)
	if err != nil {
		t.Fatal(err)
	}
	for _, quiesce := range []uint{100, 0} { // a DISCONNECT, then a bare close
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.TCPAddr()).SetClientID(dev.ID).
			SetUsername(dev.ID).SetPassword(password).SetAutoReconnect(false))
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		c.Disconnect(quiesce)
	}
	time.Sleep(300 * time.Millisecond) // the broker notices the ends
	if got := logs.String(); strings.Contains(got, "level=WARN") {
		t.Errorf("an ordinary disconnect was logged as a warning:\n%s", got)
	}
}
