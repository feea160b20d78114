package alerts

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/bustest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestAlertsCarryTheirID: every webhook carries an Idempotency-Key naming
// its alert, the same on each attempt, and each MQTT alert event its
// alert_id, so that a receiver can drop a repeat.
func TestAlertsCarryTheirID(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	h := newHook(t, 503)
	e.Settings(t, freezer.AlertSettingsUpdate{Webhook: &freezer.WebhookSettingsUpdate{URL: &h.URL}})
	bus := &bustest.Bus{}
	a := e.alerts(t, e.Store, bus, Config{RetryBase: 1})
	mustRun(t, a)
	e.Clock.Advance(2 * time.Minute)
	mustRun(t, a)

	h.mu.Lock()
	requests := h.requests
	h.mu.Unlock()
	if len(requests) != 2 {
		t.Fatalf("%d webhook attempts, want 2 (one failed, one sent)", len(requests))
	}
	msgs := bus.On(fmt.Sprintf("freezer/v1/household/%d/alerts", e.User.Household.ID))
	if len(msgs) != 1 {
		t.Fatalf("%d MQTT alert events, want 1", len(msgs))
	}
	id := num(bustest.Decode(t, msgs[0]), "alert_id")
	for i, r := range requests {
		if got, want := r.Header.Get("Idempotency-Key"), "freezer-alert-"+id; got != want {
			t.Errorf("attempt %d: Idempotency-Key = %q, want %q", i+1, got, want)
		}
	}
}

// TestSlowDeliveryKeepsItsClaim: while a webhook is slow to answer, the
// replica sending it renews its claim, so that another replica does not
// take the delivery for abandoned and send it twice.
func TestSlowDeliveryKeepsItsClaim(t *testing.T) {
	e := newAlertEnv(t, testdb.SQLiteDSN(t), march15)
	e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	reached, release := make(chan struct{}, 1), make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { target.Close() })
	e.Settings(t, freezer.AlertSettingsUpdate{MQTT: ref(false), Webhook: &freezer.WebhookSettingsUpdate{URL: &target.URL}})
	a := e.alerts(t, e.Store, nil, Config{ClaimRenewal: 10 * time.Millisecond, SendTimeout: time.Minute})
	done := make(chan struct{})
	go func() { defer close(done); a.Run(context.Background()) }()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook was never called")
	}
	e.Clock.Advance(50 * time.Second)
	time.Sleep(100 * time.Millisecond) // a few renewals
	other := e.Open(t)
	taken, err := other.ClaimDeliveries(sysCtx, []string{freezer.ChannelWebhook}, e.Clock.Now().Add(20*time.Second), 10)
	close(release)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 0 {
		t.Errorf("another replica took over %d deliveries still being sent", len(taken))
	}
}
