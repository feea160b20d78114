package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/galeratest"
	"github.com/freezer-manager/freezer/internal/mqtttest"
)

// galeraReplicas starts one freezerd replica per node of the shared Galera
// cluster, all on one new database and one Mosquitto with a shared
// subscription, and returns them with the broker's URL. Reads wait for the
// node to apply what the cluster committed before them (wsrep_sync_wait=1,
// see docs/galera.md): a scan on one node finds a product just created on
// another.
func galeraReplicas(t *testing.T) ([]*Server, string) {
	t.Helper()
	dsns := galeratest.Shared(t).Database(t, "wsrep_sync_wait=1")
	url := mqtttest.StartMosquitto(t)
	var replicas []*Server
	for i, dsn := range dsns {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTURL: url, MQTTRoot: devices.DefaultRoot,
			MQTTClientID: fmt.Sprintf("replica-%d", i), MQTTShareGroup: broker.DefaultShareGroup, AlertSchedule: "off", TZ: "UTC"})
		replicas = append(replicas, m)
	}
	return replicas, url
}

// TestGaleraReplicasTakeEachProductOutOnce is TestReplicasTakeEachProductOutOnce
// with each replica on its own node: the lost update between replicas is
// now a conflict certified between nodes, which the store retries. Each
// product is taken out exactly once (one "ok", version 2, one scan entry in
// its change log); every other scan of it answers "already".
func TestGaleraReplicasTakeEachProductOutOnce(t *testing.T) {
	const scanners, products = 12, 100
	replicas, url := galeraReplicas(t)
	store := replicas[0].DB
	ctx := freezer.SystemContext(context.Background())
	reg, err := store.RegisterUser(ctx, freezer.Registration{Email: "galera@example.com", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "Chest", NumberBoxes: 10}
	if err := store.CreateFreezer(ctx, f); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, products)
	for i := range ids {
		p := &freezer.Product{FreezerID: f.ID, Box: 1 + i%10, Name: fmt.Sprint("Bag ", i), TypeID: 1, DateIn: store.Today(), PeriodMonths: 6}
		if err := store.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids[i] = p.ID
	}

	var mu sync.Mutex
	oks := map[int64]int{}
	statuses := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for s := range scanners {
		dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: fmt.Sprint("door ", s), Mode: freezer.ModeOut}
		if _, err := store.CreateDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			acks := scanAll(t, url, dev.ID, ids)
			mu.Lock()
			defer mu.Unlock()
			for i, a := range acks {
				statuses[a.Status]++
				if a.Status == freezer.ScanOK {
					oks[ids[i]]++
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d scans of %d products by %d scanners through 3 replicas on 3 nodes in %v", scanners*products, products, scanners,
		time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return
	}
	if statuses[freezer.ScanOK] != products || statuses[freezer.ScanAlready] != (scanners-1)*products {
		t.Errorf("answers = %v, want %d ok and %d already", statuses, products, (scanners-1)*products)
	}
	for _, id := range ids {
		if oks[id] != 1 {
			t.Errorf("product %d: %d ok answers, want 1", id, oks[id])
		}
		// Checked on another node than the one that created it.
		p, err := replicas[2].DB.FindProductByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Inside() || p.Version != 2 {
			t.Errorf("product %d: out %v, version %d; want out, version 2", id, !p.Inside(), p.Version)
		}
		events, err := replicas[1].DB.FindEvents(ctx, freezer.EventFilter{ProductID: &id})
		if err != nil {
			t.Fatal(err)
		}
		scans := 0
		for _, e := range events {
			if e.Action == freezer.ActionScan {
				scans++
			}
		}
		if scans != 1 {
			t.Errorf("product %d: %d scan entries in its change log, want 1", id, scans)
		}
	}
}

// TestGaleraReplicasCreateProducts creates products through the REST API
// of the three replicas at once, all in the same boxes: each request is
// answered 201 (a conflict between nodes is retried, never a 4xx such as a
// type that "does not exist"), and each product is stored once, in a slot
// of its own.
func TestGaleraReplicasCreateProducts(t *testing.T) {
	const clients, each = 6, 15
	replicas, _ := galeraReplicas(t)
	ctx := freezer.SystemContext(context.Background())
	reg, err := replicas[0].DB.RegisterUser(ctx, freezer.Registration{Email: "rest@example.com", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "Chest", NumberBoxes: 3}
	if err := replicas[0].DB.CreateFreezer(ctx, f); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	created := map[int64]string{}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		m := replicas[c%len(replicas)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("c%d-%d", c, i)
				body, _ := json.Marshal(map[string]any{"freezer_id": f.ID, "box": 1 + i%f.NumberBoxes, "name": name, "type_id": 1 + i%5})
				req, _ := http.NewRequest(http.MethodPost, "http://"+m.HTTP.Addr()+"/api/v1/products", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+reg.Token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("create %s: %v", name, err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var p freezer.Product
				if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &p) != nil {
					t.Errorf("create %s: %d %s", name, resp.StatusCode, b)
					continue
				}
				mu.Lock()
				if other, dup := created[p.ID]; dup {
					t.Errorf("id %d given to %s and %s", p.ID, other, name)
				}
				created[p.ID] = name
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d products created through 3 replicas on 3 nodes in %v", clients*each, time.Since(start).Round(time.Millisecond))
	stored, err := replicas[1].DB.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != clients*each {
		t.Errorf("%d products stored, want %d", len(stored), clients*each)
	}
	slots := map[[2]int]int64{}
	for _, p := range stored {
		place := [2]int{p.Box, p.Slot}
		if other, taken := slots[place]; taken {
			t.Errorf("products %d and %d both in box %d slot %d", other, p.ID, p.Box, p.Slot)
		}
		slots[place] = p.ID
		if created[p.ID] != p.Name {
			t.Errorf("product %d stored as %q, created as %q", p.ID, p.Name, created[p.ID])
		}
	}
}
