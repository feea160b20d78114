package broker_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestThousandDevicesConnectAtOnce: a thousand scanners connecting at the
// same moment are all authenticated and marked online, and the hub still
// answers a scan right after.
func TestThousandDevicesConnectAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand connections: not in -short runs")
	}
	const n = 1000
	e := newEnv(t, testdb.MustOpen(t, testdb.SQLiteDSN(t)))
	type cred struct{ id, password string }
	creds := make([]cred, n)
	for i := range creds {
		d, password := e.newDevice(t, func(d *freezer.Device) { d.Name = fmt.Sprintf("scanner %d", i) })
		creds[i] = cred{d.ID, password}
	}
	start := time.Now()
	clients := make([]paho.Client, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i, c := range creds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + e.broker.TCPAddr()).SetClientID(c.id).
				SetUsername(c.id).SetPassword(c.password).SetAutoReconnect(false).SetConnectTimeout(60 * time.Second))
			tok := cl.Connect()
			if !tok.WaitTimeout(90 * time.Second) {
				errs <- fmt.Errorf("%s: no CONNACK within 90s", c.id)
				return
			}
			if tok.Error() != nil {
				errs <- fmt.Errorf("%s: %v", c.id, tok.Error())
				return
			}
			clients[i] = cl
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Cleanup(func() {
		for _, c := range clients {
			if c != nil {
				c.Disconnect(0)
			}
		}
	})
	t.Logf("%d devices connected in %v", n, time.Since(start).Round(time.Millisecond))
	waitFor(t, "every device online", func() bool {
		list, err := e.store.FindDevices(sys, freezer.DeviceFilter{})
		if err != nil {
			t.Fatal(err)
		}
		online := 0
		for _, d := range list {
			if d.Online {
				online++
			}
		}
		return online == n
	})

	p := &freezer.Product{FreezerID: e.freezer.ID, Box: 1, Name: "Gratin", TypeID: 20, DateIn: freezer.DateOf(testdb.Now), PeriodMonths: 3}
	if err := e.store.CreateProduct(sys, p); err != nil {
		t.Fatal(err)
	}
	d, c, acks := e.device(t)
	scan(t, c, d.ID, "after-the-rush", freezer.ProductCode(p.ID))
	if a := waitAck(t, acks); a.Status != freezer.ScanOK {
		t.Errorf("ack after the rush = %+v, want ok", a)
	}
}
