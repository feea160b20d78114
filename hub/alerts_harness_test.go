package hub

// The harness of the alert and Home Assistant tests. They are internal
// tests (package hub) so that their helpers never clash with those of the
// scan tests (package hub_test).

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

var testTopics = devices.Topics{Root: devices.DefaultRoot}

// busMsg is one message published on a testBus.
type busMsg struct {
	Topic   string
	Payload string
	Retain  bool
}

// testBus is an in-memory devices.Bus that records what is published and
// delivers messages to subscribers on demand.
type testBus struct {
	mu   sync.Mutex
	msgs []busMsg
	subs []busSub
	fail error // every Publish fails with it when set
}

type busSub struct {
	filter  string
	handler func(devices.Message)
}

func (b *testBus) Subscribe(filter string, handler func(devices.Message)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, busSub{filter, handler})
	return nil
}

func (b *testBus) Unsubscribe(filter string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = slices.DeleteFunc(b.subs, func(s busSub) bool { return s.filter == filter })
	return nil
}

func (b *testBus) Publish(topic string, payload []byte, retain bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.msgs = append(b.msgs, busMsg{topic, string(payload), retain})
	return nil
}

// deliver hands a message to the matching subscribers, as a broker would.
func (b *testBus) deliver(topic, payload string) {
	b.mu.Lock()
	var handlers []func(devices.Message)
	for _, s := range b.subs {
		if topicMatches(s.filter, topic) {
			handlers = append(handlers, s.handler)
		}
	}
	b.mu.Unlock()
	for _, h := range handlers {
		h(devices.Message{Topic: topic, Payload: []byte(payload)})
	}
}

// on returns the payloads published on topic, in order.
func (b *testBus) on(topic string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []string
	for _, m := range b.msgs {
		if m.Topic == topic {
			list = append(list, m.Payload)
		}
	}
	return list
}

// matching returns the messages whose topic matches filter.
func (b *testBus) matching(filter string) []busMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var list []busMsg
	for _, m := range b.msgs {
		if topicMatches(filter, m.Topic) {
			list = append(list, m)
		}
	}
	return list
}

// retained returns what a subscriber arriving now would get: the last
// retained payload of each topic, empty payloads deleting.
func (b *testBus) retained() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := map[string]string{}
	for _, msg := range b.msgs {
		if !msg.Retain {
			continue
		}
		if msg.Payload == "" {
			delete(m, msg.Topic)
		} else {
			m[msg.Topic] = msg.Payload
		}
	}
	return m
}

// topicMatches applies MQTT's + and # wildcards.
func topicMatches(filter, topic string) bool {
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, level := range f {
		if level == "#" {
			return true
		}
		if i >= len(t) || (level != "+" && level != t[i]) {
			return false
		}
	}
	return len(f) == len(t)
}

// alertEnv is a store with a user, a freezer and a settable clock.
type alertEnv struct {
	dsn     string
	store   *db.DB
	clock   *testdb.Clock
	user    *freezer.RegisteredUser
	ctx     context.Context // acts as the user
	freezer *freezer.Freezer
}

var sysCtx = freezer.SystemContext(context.Background())

// newAlertEnv opens a migrated database at dsn whose clock starts at now.
func newAlertEnv(t *testing.T, dsn string, now time.Time) *alertEnv {
	t.Helper()
	e := &alertEnv{dsn: dsn, clock: testdb.NewClock(now)}
	e.store = e.open(t)
	r, err := e.store.RegisterUser(sysCtx, freezer.Registration{Email: "ann@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	e.user, e.ctx = r, freezer.NewContextWithUser(context.Background(), r.User)
	e.freezer = &freezer.Freezer{HouseholdID: r.Household.ID, Name: "Garage", NumberBoxes: 3}
	if err := e.store.CreateFreezer(e.ctx, e.freezer); err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens another handle on the env's database, as another process would.
func (e *alertEnv) open(t *testing.T) *db.DB {
	t.Helper()
	store := testdb.MustOpen(t, e.dsn)
	store.Now = e.clock.Now
	store.Location = time.UTC
	return store
}

// today is the clock's calendar day in UTC.
func (e *alertEnv) today() freezer.Date { return freezer.Today(e.clock.Now(), time.UTC) }

// product puts a product in, dateIn for months.
func (e *alertEnv) product(t *testing.T, name string, dateIn freezer.Date, months int) *freezer.Product {
	t.Helper()
	p := &freezer.Product{FreezerID: e.freezer.ID, Box: 1, Name: name, TypeID: 1, Quantity: 2, DateIn: dateIn, PeriodMonths: months}
	if err := e.store.CreateProduct(e.ctx, p); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return p
}

// settings changes the household's alert settings.
func (e *alertEnv) settings(t *testing.T, upd freezer.AlertSettingsUpdate) {
	t.Helper()
	if _, err := e.store.UpdateAlertSettings(e.ctx, e.user.Household.ID, upd); err != nil {
		t.Fatal(err)
	}
}

// alerts returns an alert job on the env's store and clock.
func (e *alertEnv) alerts(t *testing.T, store *db.DB, bus *testBus, cfg AlertConfig) *Alerts {
	t.Helper()
	cfg.Now = e.clock.Now
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	var b devices.Bus
	if bus != nil {
		b = bus
	}
	a, err := NewAlerts(cfg, store, b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// run runs the job and fails the test on error.
func mustRun(t *testing.T, a *Alerts) *freezer.AlertRun {
	t.Helper()
	run, err := a.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return run
}

// recorded returns the alerts recorded for product id, by stage.
func (e *alertEnv) recorded(t *testing.T, id int64) []string {
	t.Helper()
	raw := rawDB(t, e.dsn)
	rows, err := raw.Query(`SELECT stage FROM alerts WHERE product_id = ? ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		list = append(list, s)
	}
	return list
}

// hook is a webhook target that answers with the statuses of fail first,
// then 200, and keeps every request.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	requests []hookRequest
	fail     []int
	got      chan hookRequest // each request answered 2xx
}

type hookRequest struct {
	Header http.Header
	Body   string
	Status int
}

func newHook(t *testing.T, fail ...int) *hook {
	h := &hook{fail: fail, got: make(chan hookRequest, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := http.StatusOK
		if len(h.fail) > 0 {
			status, h.fail = h.fail[0], h.fail[1:]
		}
		req := hookRequest{Header: r.Header.Clone(), Body: string(body), Status: status}
		h.requests = append(h.requests, req)
		h.mu.Unlock()
		w.WriteHeader(status)
		if status < 300 {
			h.got <- req
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// delivered returns the requests answered 2xx.
func (h *hook) delivered() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var list []hookRequest
	for _, r := range h.requests {
		if r.Status < 300 {
			list = append(list, r)
		}
	}
	return list
}

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.requests)
}

// decode reads a JSON payload into a map.
func decode(t *testing.T, payload string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", payload, err)
	}
	return m
}

func num(m map[string]any, key string) string { return fmt.Sprint(m[key]) }

// rawDB opens a plain database/sql connection to the database at dsn.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	dialect, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(string(dialect), driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
