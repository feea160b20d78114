package main

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
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/mqtttest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestReplicasTakeEachProductOutOnce has three replicas on one MariaDB and
// one Mosquitto split the scans of 20 scanners that all take out the same
// products at once (see takeEachProductOutOnce).
func TestReplicasTakeEachProductOutOnce(t *testing.T) {
	dsn := testdb.MySQLDSN(t)
	url := mqtttest.StartMosquitto(t)
	var replicas []*Server
	for i := range 3 {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTURL: url, MQTTRoot: devices.DefaultRoot,
			MQTTClientID: fmt.Sprintf("replica-%d", i), MQTTShareGroup: broker.DefaultShareGroup, AlertSchedule: "off", TZ: "UTC"})
		replicas = append(replicas, m)
	}
	takeEachProductOutOnce(t, replicas, url, 20, 200)
}

// takeEachProductOutOnce has scanners scanners take out the same products
// at once through the replicas: each product is taken out exactly once
// (one "ok", version 2, one scan entry in its change log, read through
// other replicas than the first), and every other scan of it answers
// "already".
func takeEachProductOutOnce(t *testing.T, replicas []*Server, url string, scanners, products int) {
	t.Helper()
	store := replicas[0].DB
	ctx := freezer.SystemContext(context.Background())
	reg, f := mustHousehold(t, store, freezer.Registration{Email: "replicas@example.com", Password: "a long password"}, "Chest", 10)
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
	if t.Failed() {
		return
	}
	if statuses[freezer.ScanOK] != products || statuses[freezer.ScanAlready] != (scanners-1)*products {
		t.Errorf("answers = %v, want %d ok and %d already", statuses, products, (scanners-1)*products)
	}
	reader, log := replicas[len(replicas)-1].DB, replicas[1].DB
	for _, id := range ids {
		if oks[id] != 1 {
			t.Errorf("product %d: %d ok answers, want 1", id, oks[id])
		}
		p, err := reader.FindProductByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Inside() || p.Version != 2 {
			t.Errorf("product %d: out %v, version %d; want out, version 2", id, !p.Inside(), p.Version)
		}
		events, err := log.FindEvents(ctx, freezer.EventFilter{ProductID: &id})
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

// scanAll has scanner dev scan every product once, as fast as it can,
// resending what is not acked within a few seconds, and returns the ack of
// each scan.
func scanAll(t *testing.T, url, dev string, ids []int64) []devices.Ack {
	topics := devices.Topics{Root: devices.DefaultRoot}
	acks := make([]devices.Ack, len(ids))
	got := make(chan devices.Ack, len(ids))
	client := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(dev).SetAutoReconnect(false).SetCleanSession(true))
	if tok := client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Errorf("scanner %s connects: %v", dev, tok.Error())
		return nil
	}
	defer client.Disconnect(0)
	tok := client.Subscribe(topics.Ack(dev), 1, func(_ paho.Client, msg paho.Message) {
		var a devices.Ack
		if json.Unmarshal(msg.Payload(), &a) == nil {
			got <- a
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Errorf("scanner %s subscribes: %v", dev, tok.Error())
		return nil
	}
	index := map[string]int{}
	pending := map[string]string{} // message id → payload, until acked
	for i, id := range ids {
		msgID := fmt.Sprintf("%s-%d", dev, i)
		index[msgID] = i
		pending[msgID] = fmt.Sprintf(`{"id":%q,"code":"FZ-I-%06d"}`, msgID, id)
	}
	deadline := time.Now().Add(90 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for _, payload := range pending {
			client.Publish(topics.Scan(dev), 1, false, payload)
		}
		wait := time.After(5 * time.Second)
	collect:
		for len(pending) > 0 {
			select {
			case a := <-got:
				if _, ok := pending[a.ID]; ok {
					acks[index[a.ID]] = a
					delete(pending, a.ID)
				}
			case <-wait:
				break collect
			}
		}
	}
	if len(pending) > 0 {
		t.Errorf("scanner %s: %d scans never acked", dev, len(pending))
	}
	return acks
}
