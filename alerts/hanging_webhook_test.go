package alerts

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
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/bustest"
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
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &target.URL}})
	e.Product(t, "Forgotten soup", e.Today().AddMonths(-3), 1) // overdue: the job will call the webhook
	fresh := e.Product(t, "Fresh bread", e.Today(), 3)

	d := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.User.Household.ID, Name: "door"}
	if _, err := e.Store.CreateDevice(sysCtx, d); err != nil {
		t.Fatal(err)
	}
	bus := &bustest.Bus{}
	h := hub.New(hub.Config{Now: e.Clock.Now}, e.Store, bus, nil)
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)

	a := e.alerts(t, e.Store, bus, Config{})
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
	bus.Deliver(topics.Scan(d.ID), string(payload))
	for time.Since(start) < 5*time.Second && len(bus.On(topics.Ack(d.ID))) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	acks := bus.On(topics.Ack(d.ID))
	if len(acks) != 1 || !strings.Contains(acks[0], `"status":"ok"`) {
		t.Fatalf("acks while the webhook hangs = %v, want one ok", acks)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the scan took %v while the webhook hung", took)
	}
	p, err := e.Store.FindProductByID(sysCtx, fresh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Inside() {
		t.Error("the scanned product is still inside")
	}
}
