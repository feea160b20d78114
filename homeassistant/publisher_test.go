package homeassistant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/bustest"
)

// countingStore counts what the publisher reads.
type countingStore struct {
	Store
	households, freezers, counts, settings atomic.Int64
}

func (s *countingStore) FindAllAlertSettings(ctx context.Context) ([]*freezer.AlertSettings, error) {
	s.settings.Add(1)
	return s.Store.FindAllAlertSettings(ctx)
}

func (s *countingStore) FindHouseholds(ctx context.Context) ([]*freezer.Household, error) {
	s.households.Add(1)
	return s.Store.FindHouseholds(ctx)
}

func (s *countingStore) FindFreezers(ctx context.Context, f freezer.FreezerFilter) ([]*freezer.Freezer, error) {
	s.freezers.Add(1)
	return s.Store.FindFreezers(ctx, f)
}

func (s *countingStore) CountInside(ctx context.Context, h int64) ([]freezer.InsideGroup, error) {
	s.counts.Add(1)
	return s.Store.CountInside(ctx, h)
}

// TestStatesFollowScansWithoutReadingTheHousehold: after a batch of scans
// that took products out, the freezer states are published from one count
// of the products inside and the household's own rows, without the full
// refresh (every household, its settings, devices and discovery).
func TestStatesFollowScansWithoutReadingTheHousehold(t *testing.T) {
	e := newHAEnv(t)
	store := &countingStore{Store: e.Store}
	bus := &bustest.Bus{}
	pub := New(Config{Location: time.UTC, Now: e.Clock.Now}, store, bus, nil)
	pub.Sync(context.Background())
	state := devices.Topics{Root: devices.DefaultRoot}.FreezerState(e.h, e.freezerF)
	if got, want := bus.Retained()[state], `{"inside":3,"overdue":1,"due_soon":1}`; got != want {
		t.Fatalf("state before = %s, want %s", got, want)
	}
	store.households.Store(0)
	store.settings.Store(0)
	store.freezers.Store(0)
	store.counts.Store(0)

	today := e.Today()
	for i, p := range []*freezer.Product{e.fresh, e.overdue} {
		if _, err := e.Store.UpdateProduct(e.Ctx, p.ID, freezer.ProductUpdate{DateOut: &today}); err != nil {
			t.Fatal(err)
		}
		pub.ScanAnswered(e.scanner.ID, devices.Ack{ID: "s-" + string(rune('1'+i)), Status: freezer.ScanOK, Op: freezer.OpOut})
	}
	pub.process(context.Background())

	if got, want := bus.Retained()[state], `{"inside":1,"overdue":0,"due_soon":1}`; got != want {
		t.Errorf("state after = %s, want %s", got, want)
	}
	if h, s, f, c := store.households.Load(), store.settings.Load(), store.freezers.Load(), store.counts.Load(); h != 0 || s != 0 || f != 1 || c != 1 {
		t.Errorf("after a batch of scans: %d reads of every household, %d of every setting, %d of the freezers, %d counts; want 0, 0, 1, 1", h, s, f, c)
	}
}

// TestDiscoveryFollowsHubStatus: on an external broker, every entity is
// available only while both the hub's status and the household's are online.
func TestDiscoveryFollowsHubStatus(t *testing.T) {
	e := newHAEnv(t)
	bus := &bustest.Bus{}
	pub := New(Config{Location: time.UTC, Now: e.Clock.Now, HubStatus: true}, e.Store, bus, nil)
	pub.Sync(context.Background())
	n := 0
	for topic, payload := range bus.Retained() {
		if !strings.HasPrefix(topic, "homeassistant/") {
			continue
		}
		n++
		c := bustest.Decode(t, payload)
		wantStr(t, topic, c, "availability_mode", "all")
		list, _ := c["availability"].([]any)
		var got []string
		for _, a := range list {
			got = append(got, fmt.Sprint(a.(map[string]any)["topic"]))
		}
		if want := []string{"freezer/v1/hub/status", fmt.Sprintf("freezer/v1/household/%d/status", e.h)}; !slices.Equal(got, want) {
			t.Errorf("%s: availability topics %v, want %v", topic, got, want)
		}
	}
	if n == 0 {
		t.Fatal("no discovery config published")
	}
}

// TestScanEventsWaitForTheBroker: scan events that could not be published
// while the broker was away are published, in order, after the reconnection.
func TestScanEventsWaitForTheBroker(t *testing.T) {
	e := newHAEnv(t)
	events := devices.Topics{Root: devices.DefaultRoot}.Events(e.h)
	e.bus.Fail(errBrokerAway)
	for _, id := range []string{"s-1", "s-2"} {
		e.pub.ScanAnswered(e.scanner.ID, devices.Ack{ID: id, Status: freezer.ScanUnknown})
	}
	e.pub.process(context.Background())
	if got := e.bus.On(events); len(got) != 0 {
		t.Fatalf("%d events published while the broker was away", len(got))
	}
	e.bus.Fail(nil)
	e.pub.ScanAnswered(e.scanner.ID, devices.Ack{ID: "s-3", Status: freezer.ScanUnknown})
	e.pub.Republish()
	e.pub.process(context.Background())
	var ids []string
	for _, payload := range e.bus.On(events) {
		ids = append(ids, fmt.Sprint(bustest.Decode(t, payload)["id"]))
	}
	if want := []string{"s-1", "s-2", "s-3"}; !slices.Equal(ids, want) {
		t.Errorf("events published %v, want %v", ids, want)
	}
}

// errBrokerAway is what a bus answers while its broker is away.
var errBrokerAway = fmt.Errorf("test: the broker is away")
