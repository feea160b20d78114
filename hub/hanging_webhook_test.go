package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestHangingWebhookDoesNotSlowScans: while the alert job waits on a webhook
// target that never answers, scans are still applied and acked at once.
func TestHangingWebhookDoesNotSlowScans(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC))
	reached := make(chan struct{}, 1)
	release := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- struct{}{}:
		default:
		}
		select { // hangs until the test ends
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); target.Close() })
	e.settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &target.URL}})
	e.product(t, "Forgotten soup", e.today().AddMonths(-3), 1) // overdue: the job will call the webhook
	fresh := e.product(t, "Fresh bread", e.today(), 3)

	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.user.Household.ID, Name: "door"}
	if _, err := e.store.CreateDevice(sysCtx, d); err != nil {
		t.Fatal(err)
	}
	bus := &testBus{}
	h := New(Config{Now: e.clock.Now}, e.store, bus, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)

	a := e.alerts(t, e.store, bus, AlertConfig{})
	jobCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go a.Run(jobCtx)
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the alert job never called the webhook")
	}

	topics := devices.Topics{Root: devices.DefaultRoot}
	payload, _ := json.Marshal(devices.ScanMessage{ID: "during-the-hang", Code: freezer.ProductCode(fresh.ID)})
	start := time.Now()
	bus.deliver(topics.Scan(d.ID), string(payload))
	for time.Since(start) < 5*time.Second && len(bus.on(topics.Ack(d.ID))) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	acks := bus.on(topics.Ack(d.ID))
	if len(acks) != 1 || !strings.Contains(acks[0], `"status":"ok"`) {
		t.Fatalf("acks while the webhook hangs = %v, want one ok", acks)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the scan took %v while the webhook hung", took)
	}
	p, err := e.store.FindProductByID(sysCtx, fresh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Inside() {
		t.Error("the scanned product is still inside")
	}
}
