package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testnet"
)

// TestKilledDuringScanStream: freezerd is killed with SIGKILL while devices
// stream scans, then started again on the same ports. The devices resend
// until acked; every acked scan is committed, and exactly once.
func TestKilledDuringScanStream(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "freezer.db")
	ctx := freezer.SystemContext(context.Background())
	store, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reg, f := mustHousehold(t, store, freezer.Registration{Email: "kill@example.com", Password: "password1"}, "chest", 1)
	const nDevices, perDevice = 4, 60
	type device struct {
		id, password string
		product      int64
	}
	var devs []device
	for i := range nDevices {
		p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: fmt.Sprintf("p%d", i), TypeID: 1, DateIn: freezer.DateOf(time.Now()), PeriodMonths: 6}
		if err := store.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: fmt.Sprintf("d%d", i)}
		password, err := store.CreateDevice(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		devs = append(devs, device{d.ID, password, p.ID})
	}
	store.Close()

	mqttAddr, httpAddr := testnet.FreeAddr(t), testnet.FreeAddr(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "serve", "--db", dsn, "--http-addr", httpAddr, "--mqtt-addr", mqttAddr, "--log-level", "error")
		cmd.Env = append(os.Environ(), "FREEZERD_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			if c, err := net.Dial("tcp", mqttAddr); err == nil {
				c.Close()
				return cmd
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("freezerd did not listen within 15s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	server := start()
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })

	topics := devices.Topics{Root: devices.DefaultRoot}
	var progress sync.WaitGroup
	progress.Add(nDevices)
	var wg sync.WaitGroup
	acked := make([]map[string]bool, nDevices)
	for n, d := range devs {
		acked[n] = map[string]bool{}
		acks := make(chan string, 64)
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID(d.id).SetUsername(d.id).SetPassword(d.password).
			SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(200 * time.Millisecond).
			SetCleanSession(true).SetOnConnectHandler(func(c paho.Client) {
			c.Subscribe(topics.Ack(d.id), 1, func(_ paho.Client, m paho.Message) {
				if a, err := devices.DecodeAck(m.Payload()); err == nil && a.Status == freezer.ScanOK {
					acks <- a.ID
				}
			})
		}))
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(0) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perDevice {
				if i == perDevice/4 {
					progress.Done()
				}
				id := fmt.Sprintf("%s-%d", d.id, i)
				mode := []string{freezer.ModeOut, freezer.ModeIn}[i%2]
				payload, _ := json.Marshal(devices.ScanMessage{ID: id, Code: freezer.ProductCode(d.product), Mode: mode})
				deadline := time.Now().Add(60 * time.Second)
			resend:
				for {
					c.Publish(topics.Scan(d.id), 1, false, payload)
					timeout := time.After(300 * time.Millisecond)
					for {
						select {
						case got := <-acks:
							acked[n][got] = true
							if got == id {
								break resend
							}
						case <-timeout:
							if time.Now().After(deadline) {
								t.Errorf("%s: no ack within 60s", id)
								return
							}
							continue resend
						}
					}
				}
			}
		}()
	}
	progress.Wait() // every device is a quarter through
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	server = start()
	wg.Wait()
	server.Process.Signal(syscall.SIGTERM)
	server.Wait()

	store, err = db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for n, d := range devs {
		p, err := store.FindProductByID(ctx, d.product)
		if err != nil {
			t.Fatal(err)
		}
		// Each scan changed the product once: out, in, out, in…
		if got, want := p.Version, int64(perDevice+1); got != want {
			t.Errorf("device %s: product version %d, want %d (each scan applied once)", d.id, got, want)
		}
		if len(acked[n]) != perDevice {
			t.Errorf("device %s: %d scans acked, want %d", d.id, len(acked[n]), perDevice)
		}
		var events, ids int
		if err := raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT msg_id) FROM scan_events WHERE device_id = ?`, d.id).Scan(&events, &ids); err != nil {
			t.Fatal(err)
		}
		if events != perDevice || ids != perDevice {
			t.Errorf("device %s: %d scan events for %d ids, want %d, once each", d.id, events, ids, perDevice)
		}
	}
}
