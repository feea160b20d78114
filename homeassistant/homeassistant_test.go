package homeassistant

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/alerts"
	"github.com/freezer-manager/freezer/changes"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/bustest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// haEnv is a household with a scanner, products and a publisher on an in-memory bus.
type haEnv struct {
	*testdb.Household
	bus      *bustest.Bus
	pub      *Publisher
	scanner  *freezer.Device
	overdue  *freezer.Product
	dueSoon  *freezer.Product
	fresh    *freezer.Product
	h        int64
	freezerF int64
}

// march15 is 08:00 UTC on the day of the store's fixed clock.
var march15 = time.Date(2026, time.March, 15, 8, 0, 0, 0, time.UTC)

var testTopics = devices.Topics{Root: devices.DefaultRoot}

func ref[T any](v T) *T { return &v }

func newHAEnv(t *testing.T) *haEnv {
	t.Helper()
	e := &haEnv{Household: testdb.NewHousehold(t, testdb.SQLiteDSN(t), march15), bus: &bustest.Bus{}}
	e.h, e.freezerF = e.User.Household.ID, e.Freezer.ID
	e.scanner = &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: e.h, Name: "Garage door", Mode: freezer.ModeOut}
	if _, err := e.Store.CreateDevice(e.Ctx, e.scanner); err != nil {
		t.Fatal(err)
	}
	integration := &freezer.Device{Kind: freezer.DeviceIntegration, HouseholdID: e.h, Name: "Home Assistant", Mode: freezer.ModeOut}
	if _, err := e.Store.CreateDevice(e.Ctx, integration); err != nil {
		t.Fatal(err)
	}
	e.overdue = e.Product(t, "Lasagne", e.Today().AddDays(-40), 1)
	e.dueSoon = e.Product(t, "Soup", freezer.MustParseDate("2026-02-20"), 1)
	e.fresh = e.Product(t, "Peas", e.Today(), 6)
	e.pub = New(Config{Location: time.UTC, Now: e.Clock.Now, Version: "1.2.3"}, e.Store, e.bus, nil)
	if err := e.pub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pub.Close)
	e.pub.Sync(context.Background())
	return e
}

// configs returns the retained discovery configs under prefix, decoded.
func (e *haEnv) configs(t *testing.T, prefix string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for topic, payload := range e.bus.Retained() {
		if strings.HasPrefix(topic, prefix+"/") && strings.HasSuffix(topic, "/config") {
			out[topic] = bustest.Decode(t, payload)
		}
	}
	return out
}

// wantStr fails unless obj[key] is the string want.
func wantStr(t *testing.T, what string, obj map[string]any, key, want string) {
	t.Helper()
	if got, ok := obj[key].(string); !ok || got != want {
		t.Errorf("%s: %s = %#v, want %q", what, key, obj[key], want)
	}
}

// checkDevice checks a config's device block: identifiers, name, manufacturer, model.
func checkDevice(t *testing.T, what string, c map[string]any, id, name, model string) {
	t.Helper()
	dev, ok := c["device"].(map[string]any)
	if !ok {
		t.Errorf("%s: no device", what)
		return
	}
	ids, _ := dev["identifiers"].([]any)
	if len(ids) != 1 || ids[0] != id {
		t.Errorf("%s: device.identifiers = %v, want [%s]", what, dev["identifiers"], id)
	}
	wantStr(t, what+" device", dev, "name", name)
	wantStr(t, what+" device", dev, "manufacturer", "Freezer Manager")
	wantStr(t, what+" device", dev, "model", model)
	wantStr(t, what+" device", dev, "sw_version", "1.2.3")
}

// checkAvailability checks that a config is available while the household's status is online.
func checkAvailability(t *testing.T, what string, c map[string]any, h int64) {
	t.Helper()
	list, ok := c["availability"].([]any)
	if !ok || len(list) != 1 {
		t.Errorf("%s: availability = %#v, want one entry", what, c["availability"])
		return
	}
	a := list[0].(map[string]any)
	wantStr(t, what+" availability", a, "topic", fmt.Sprintf("freezer/v1/household/%d/status", h))
	wantStr(t, what+" availability", a, "payload_available", "online")
	wantStr(t, what+" availability", a, "payload_not_available", "offline")
}

// render evaluates the only value templates discovery uses, "{{ value_json.<field> }}".
func render(t *testing.T, template, payload string) string {
	t.Helper()
	m := regexp.MustCompile(`^\{\{ value_json\.([a-z_]+) \}\}$`).FindStringSubmatch(template)
	if m == nil {
		t.Fatalf("value_template %q is not {{ value_json.<field> }}", template)
	}
	return fmt.Sprint(bustest.Decode(t, payload)[m[1]])
}

// TestDiscoveryPayloads checks each discovery config field by field
// against Home Assistant's MQTT discovery schema.
func TestDiscoveryPayloads(t *testing.T) {
	e := newHAEnv(t)
	configs := e.configs(t, "homeassistant")
	node := fmt.Sprintf("homeassistant/%%s/freezer_manager_%d/%%s/config", e.h)
	want := []string{
		fmt.Sprintf(node, "sensor", fmt.Sprintf("freezer_%d_inside", e.freezerF)),
		fmt.Sprintf(node, "sensor", fmt.Sprintf("freezer_%d_overdue", e.freezerF)),
		fmt.Sprintf(node, "sensor", fmt.Sprintf("freezer_%d_due_soon", e.freezerF)),
		fmt.Sprintf(node, "binary_sensor", "device_"+e.scanner.ID+"_connectivity"),
		fmt.Sprintf(node, "sensor", "due_this_week"),
		fmt.Sprintf(node, "sensor", "discarded_this_month"),
		fmt.Sprintf(node, "event", "scan"),
		fmt.Sprintf(node, "event", "alert"),
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range configs {
			if !yield(k) {
				return
			}
		}
	})
	if slices.Sort(want); !slices.Equal(got, want) {
		t.Fatalf("config topics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	retained := e.bus.Retained()
	stateTopic := fmt.Sprintf("freezer/v1/household/%d/freezer/%d/state", e.h, e.freezerF)
	uniqueIDs := map[string]bool{}
	hubID := fmt.Sprintf("freezer_manager_household_%d", e.h)

	for _, s := range []struct{ field, name, value string }{
		{"inside", "Products inside", "3"}, {"overdue", "Overdue products", "1"}, {"due_soon", "Products due soon", "1"},
	} {
		what := "sensor " + s.field
		c := configs[fmt.Sprintf(node, "sensor", fmt.Sprintf("freezer_%d_%s", e.freezerF, s.field))]
		wantStr(t, what, c, "name", s.name)
		wantStr(t, what, c, "unique_id", fmt.Sprintf("freezer_manager_freezer_%d_%s", e.freezerF, s.field))
		wantStr(t, what, c, "state_topic", stateTopic)
		wantStr(t, what, c, "value_template", "{{ value_json."+s.field+" }}")
		wantStr(t, what, c, "state_class", "measurement")
		wantStr(t, what, c, "unit_of_measurement", "products")
		checkAvailability(t, what, c, e.h)
		checkDevice(t, what, c, fmt.Sprintf("freezer_manager_freezer_%d", e.freezerF), "Garage", "Freezer")
		if dev := c["device"].(map[string]any); dev["via_device"] != hubID {
			t.Errorf("%s: via_device = %v, want %s", what, dev["via_device"], hubID)
		}
		if got := render(t, c["value_template"].(string), retained[stateTopic]); got != s.value {
			t.Errorf("%s shows %s, want %s (state %s)", what, got, s.value, retained[stateTopic])
		}
		uniqueIDs[c["unique_id"].(string)] = true
	}

	// The household's own sensors: Soup's use-by day is in 5 days; nothing was thrown away.
	for _, s := range []struct{ field, name, value string }{
		{"due_this_week", "Products due this week", "1"}, {"discarded_this_month", "Products thrown away this month", "0"},
	} {
		what := "sensor " + s.field
		c := configs[fmt.Sprintf(node, "sensor", s.field)]
		wantStr(t, what, c, "name", s.name)
		wantStr(t, what, c, "unique_id", fmt.Sprintf("freezer_manager_household_%d_%s", e.h, s.field))
		wantStr(t, what, c, "state_topic", testTopics.HouseholdState(e.h))
		checkAvailability(t, what, c, e.h)
		checkDevice(t, what, c, hubID, "Freezer Manager Home", "Household")
		if got := render(t, c["value_template"].(string), retained[testTopics.HouseholdState(e.h)]); got != s.value {
			t.Errorf("%s shows %s, want %s (state %s)", what, got, s.value, retained[testTopics.HouseholdState(e.h)])
		}
		uniqueIDs[c["unique_id"].(string)] = true
	}

	c := configs[fmt.Sprintf(node, "binary_sensor", "device_"+e.scanner.ID+"_connectivity")]
	what := "scanner connectivity"
	wantStr(t, what, c, "name", "Connected")
	wantStr(t, what, c, "unique_id", "freezer_manager_device_"+e.scanner.ID+"_connectivity")
	wantStr(t, what, c, "device_class", "connectivity")
	wantStr(t, what, c, "state_topic", testTopics.DeviceState(e.h, e.scanner.ID))
	wantStr(t, what, c, "payload_on", "online")
	wantStr(t, what, c, "payload_off", "offline")
	checkAvailability(t, what, c, e.h)
	checkDevice(t, what, c, "freezer_manager_device_"+e.scanner.ID, "Garage door", "Scanner")
	if got := retained[testTopics.DeviceState(e.h, e.scanner.ID)]; got != "offline" {
		t.Errorf("scanner state = %q, want offline (never connected)", got)
	}
	uniqueIDs[c["unique_id"].(string)] = true

	for _, ev := range []struct {
		object, name, topic string
		types               []string
	}{
		{"scan", "Scan", testTopics.Events(e.h), devices.ScanEventTypes},
		{"alert", "Alert", testTopics.Alerts(e.h), []string{"due_soon", "overdue"}},
	} {
		c := configs[fmt.Sprintf(node, "event", ev.object)]
		what := "event " + ev.object
		wantStr(t, what, c, "name", ev.name)
		wantStr(t, what, c, "unique_id", fmt.Sprintf("freezer_manager_household_%d_%s", e.h, ev.object))
		wantStr(t, what, c, "state_topic", ev.topic)
		var types []string
		for _, v := range c["event_types"].([]any) {
			types = append(types, v.(string))
		}
		if !slices.Equal(types, ev.types) {
			t.Errorf("%s: event_types = %v, want %v", what, types, ev.types)
		}
		checkAvailability(t, what, c, e.h)
		checkDevice(t, what, c, hubID, "Freezer Manager Home", "Household")
		uniqueIDs[c["unique_id"].(string)] = true
	}
	if len(uniqueIDs) != len(want) {
		t.Errorf("unique ids are not distinct: %v", uniqueIDs)
	}
	if got := retained[testTopics.HouseholdStatus(e.h)]; got != "online" {
		t.Errorf("household status = %q, want online", got)
	}
	for topic := range retained {
		if !strings.HasPrefix(topic, "homeassistant/") && !strings.HasPrefix(topic, fmt.Sprintf("freezer/v1/household/%d/", e.h)) {
			t.Errorf("retained message outside the household's topics and the discovery prefix: %s", topic)
		}
	}

	// Stable: another publisher (a restart) publishes the same configs.
	other := &bustest.Bus{}
	again := New(Config{Location: time.UTC, Now: e.Clock.Now, Version: "1.2.3"}, e.Store, other, nil)
	again.Sync(context.Background())
	for topic, payload := range other.Retained() {
		if strings.HasSuffix(topic, "/config") && retained[topic] != payload {
			t.Errorf("config %s differs after a restart:\n%s\n%s", topic, retained[topic], payload)
		}
	}
}

// TestDiscoveryOnHomeAssistantOnline: Home Assistant's birth message makes
// every config published again; "offline" does not.
func TestDiscoveryOnHomeAssistantOnline(t *testing.T) {
	e := newHAEnv(t)
	count := func() int { return len(e.bus.Matching("homeassistant/+/+/+/config")) }
	before := count()
	e.bus.Deliver("homeassistant/status", "offline")
	e.pub.Sync(context.Background())
	if got := count(); got != before {
		t.Errorf("configs published on offline: %d, want %d", got, before)
	}
	e.bus.Deliver("homeassistant/status", "online")
	e.pub.Sync(context.Background()) // after the worker, or instead of it
	if got := count(); got != 2*before {
		t.Errorf("configs after online = %d, want %d (each once more)", got, 2*before)
	}
}

// TestDiscoveryRemoved: deleting a freezer or a device, or turning discovery
// off, removes their configs; another prefix moves them.
func TestDiscoveryRemoved(t *testing.T) {
	e := newHAEnv(t)
	freezers := changes.WatchFreezers(e.Store, e.pub)
	devs := changes.WatchDevices(e.Store, e.pub, nil)
	settings := changes.WatchAlertSettings(e.Store, e.pub)

	empty := &freezer.Freezer{HouseholdID: e.h, Name: "Chest", NumberBoxes: 1}
	if err := freezers.CreateFreezer(e.Ctx, empty); err != nil {
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	chestTopic := fmt.Sprintf("homeassistant/sensor/freezer_manager_%d/freezer_%d_overdue/config", e.h, empty.ID)
	chestState := testTopics.FreezerState(e.h, empty.ID)
	if r := e.bus.Retained(); r[chestTopic] == "" || r[chestState] != `{"inside":0,"overdue":0,"due_soon":0}` {
		t.Fatalf("new freezer: config %q, state %q", r[chestTopic], r[chestState])
	}
	if err := freezers.DeleteFreezer(e.Ctx, empty.ID); err != nil {
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	if r := e.bus.Retained(); r[chestTopic] != "" || r[chestState] != "" {
		t.Errorf("deleted freezer: config %q, state %q; want both removed", r[chestTopic], r[chestState])
	}
	if got := e.bus.On(chestTopic); got[len(got)-1] != "" {
		t.Errorf("no empty retained message on %s", chestTopic)
	}

	scannerTopic := fmt.Sprintf("homeassistant/binary_sensor/freezer_manager_%d/device_%s_connectivity/config", e.h, e.scanner.ID)
	if err := devs.DeleteDevice(e.Ctx, e.scanner.ID); err != nil {
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	if r := e.bus.Retained(); r[scannerTopic] != "" || r[testTopics.DeviceState(e.h, e.scanner.ID)] != "" {
		t.Errorf("deleted device: its config or state is still retained")
	}

	if _, err := settings.UpdateAlertSettings(e.Ctx, e.h, freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ref("ha/kitchen")}}); err != nil {
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	if n, m := len(e.configs(t, "homeassistant")), len(e.configs(t, "ha/kitchen")); n != 0 || m != 7 {
		t.Errorf("after a change of prefix: %d configs under homeassistant, %d under ha/kitchen; want 0 and 7", n, m)
	}
	e.bus.Deliver("ha/kitchen/status", "online") // the new prefix's birth message is heard
	e.pub.Sync(context.Background())
	if n := len(e.bus.Matching("ha/kitchen/+/+/+/config")); n != 14 {
		t.Errorf("configs under the new prefix after its birth message: %d publications, want 14", n)
	}

	if _, err := settings.UpdateAlertSettings(e.Ctx, e.h, freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Discovery: ref(false)}}); err != nil {
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	if n := len(e.configs(t, "ha/kitchen")); n != 0 {
		t.Errorf("discovery off: %d configs left", n)
	}
	if e.bus.Retained()[testTopics.FreezerState(e.h, e.freezerF)] == "" {
		t.Errorf("discovery off removed the freezer's state, which is part of the MQTT contract")
	}
}

// TestScanEventsAndStates: an answered scan is published once on the
// household's events topic, and the freezer's state follows it.
func TestScanEventsAndStates(t *testing.T) {
	e := newHAEnv(t)
	answered := make(chan devices.Ack, 4)
	onScan := func(dev string, ack devices.Ack) {
		e.pub.ScanAnswered(dev, ack)
		answered <- ack
	}
	scans := hub.New(hub.Config{Topics: testTopics, Now: e.Clock.Now, OnScan: onScan}, e.Store, e.bus, nil)
	if err := scans.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scans.Close)
	payload := fmt.Sprintf(`{"id":"s-1","code":%q}`, freezer.ProductCode(e.overdue.ID))
	scan := func() {
		t.Helper()
		e.bus.Deliver(testTopics.Scan(e.scanner.ID), payload)
		select {
		case ack := <-answered:
			if ack.Status != freezer.ScanOK {
				t.Fatalf("ack = %+v", ack)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the scan was not answered")
		}
		e.pub.Sync(context.Background())
	}
	scan()
	scan() // resent: the same answer, one event
	events := e.bus.On(testTopics.Events(e.h))
	if len(events) != 1 {
		t.Fatalf("scan events = %d, want 1: %v", len(events), events)
	}
	ev := bustest.Decode(t, events[0])
	for k, want := range map[string]string{"event_type": "out", "device_id": e.scanner.ID, "device": "Garage door", "id": "s-1",
		"status": "ok", "op": "out", "product": "Lasagne", "location": fmt.Sprintf("F%d B1 S1", e.freezerF)} {
		if fmt.Sprint(ev[k]) != want {
			t.Errorf("event %s = %v, want %s", k, ev[k], want)
		}
	}
	if got := e.bus.Retained()[testTopics.FreezerState(e.h, e.freezerF)]; got != `{"inside":2,"overdue":0,"due_soon":1}` {
		t.Errorf("state after taking out the overdue product = %s", got)
	}
}

// TestScannerPresence: a scanner's status is mirrored under its household,
// where integrations may read it.
func TestScannerPresence(t *testing.T) {
	e := newHAEnv(t)
	mirror := testTopics.DeviceState(e.h, e.scanner.ID)
	for _, status := range []string{"online", "offline", "online"} {
		e.bus.Deliver(testTopics.Status(e.scanner.ID), status)
		e.pub.Sync(context.Background())
		if got := e.bus.Retained()[mirror]; got != status {
			t.Errorf("mirror = %q, want %q", got, status)
		}
	}
	e.bus.Deliver(testTopics.Status("scanner-unknown"), "online")
	e.bus.Deliver(testTopics.Status(e.scanner.ID), "sideways")
	e.pub.Sync(context.Background())
	for topic := range e.bus.Retained() {
		if strings.Contains(topic, "scanner-unknown") {
			t.Errorf("an unknown device was mirrored: %s", topic)
		}
	}
	if got := e.bus.Retained()[mirror]; got != "online" {
		t.Errorf("a bad status changed the mirror to %q", got)
	}
}

// TestStatesAfterAlertRun: the alert job republishes the states, which
// change with the day.
func TestStatesAfterAlertRun(t *testing.T) {
	e := newHAEnv(t)
	state := testTopics.FreezerState(e.h, e.freezerF)
	e.Clock.Advance(40 * 24 * time.Hour) // the soup is overdue now
	a, err := alerts.New(alerts.Config{Location: time.UTC, Now: e.Clock.Now}, e.Store, e.bus, e.pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if _, err := a.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}
	e.pub.Sync(context.Background())
	if got := e.bus.Retained()[state]; got != `{"inside":3,"overdue":2,"due_soon":0}` {
		t.Errorf("state after the run = %s", got)
	}
}

// TestDiscoveryStaysOutOfTheContract: a discovery prefix inside the
// contract's tree (stored before it was refused) publishes nothing there,
// so one household cannot inject retained messages into another's topics
// or a device's settings.
func TestDiscoveryStaysOutOfTheContract(t *testing.T) {
	e := newHAEnv(t)
	settings := changes.WatchAlertSettings(e.Store, e.pub)
	for _, prefix := range []string{
		testTopics.Root + "/household/999/injected",
		testTopics.Root + "/dev/other/set",
		testTopics.Root,
		"freezer",
	} {
		before := len(e.bus.Matching(testTopics.Root + "/#"))
		if _, err := settings.UpdateAlertSettings(e.Ctx, e.h, freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ref(prefix)}}); err != nil {
			t.Fatal(err)
		}
		e.pub.Sync(context.Background())
		for _, m := range e.bus.Matching(testTopics.Root + "/#")[before:] {
			if strings.HasSuffix(m.Topic, "/config") && m.Payload != "" {
				t.Errorf("prefix %q: published %s", prefix, m.Topic)
			}
		}
	}
}

// The household's state counts what was thrown away this month.
func TestHouseholdStateCountsWaste(t *testing.T) {
	e := newHAEnv(t)
	if _, err := e.Store.TakeOutProduct(e.Ctx, e.fresh.ID, freezer.TakeOutRequest{Outcome: freezer.OutcomeDiscarded}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.TakeOutProduct(e.Ctx, e.overdue.ID, freezer.TakeOutRequest{}); err != nil { // eaten
		t.Fatal(err)
	}
	e.pub.Sync(context.Background())
	var st devices.HouseholdState
	if err := json.Unmarshal([]byte(e.bus.Retained()[testTopics.HouseholdState(e.h)]), &st); err != nil {
		t.Fatal(err)
	}
	if st != (devices.HouseholdState{DueThisWeek: 1, DiscardedThisMonth: 1}) {
		t.Errorf("household state = %+v, want 1 due this week, 1 thrown away this month", st)
	}
}

// A prefix no household uses any more is no longer listened to: what the
// publisher subscribes to stays bounded by the prefixes in use.
func TestForgottenPrefixesAreNotListenedTo(t *testing.T) {
	e := newHAEnv(t)
	listened := func(prefix string) bool { return e.bus.Subscribed(prefix + "/status") }
	settings := e.Store
	for _, prefix := range []string{"ha/one", "ha/two", "ha/three"} {
		if _, err := settings.UpdateAlertSettings(e.Ctx, e.h, freezer.AlertSettingsUpdate{HomeAssistant: &freezer.HomeAssistantSettingsUpdate{Prefix: ref(prefix)}}); err != nil {
			t.Fatal(err)
		}
		e.pub.Sync(context.Background())
		if !listened(prefix) {
			t.Errorf("the prefix in use %s is not listened to", prefix)
		}
	}
	for _, gone := range []string{"ha/one", "ha/two"} {
		if listened(gone) {
			t.Errorf("the prefix %s, no longer used, is still listened to", gone)
		}
	}
	if !listened(freezer.DefaultDiscoveryPrefix) {
		t.Error("the default prefix is no longer listened to")
	}
}
