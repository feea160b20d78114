package alerts

// The harness of the alert job's tests: a household on a real store with a
// settable clock, webhook targets, and the in-memory bus of bustest.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/bustest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

var testTopics = devices.Topics{Root: devices.DefaultRoot}

var sysCtx = freezer.SystemContext(context.Background())

// alertEnv is a household on a store with a settable clock.
type alertEnv struct {
	*testdb.Household
}

// newAlertEnv opens a migrated database at dsn whose clock starts at now.
func newAlertEnv(t *testing.T, dsn string, now time.Time) *alertEnv {
	t.Helper()
	return &alertEnv{testdb.NewHousehold(t, dsn, now)}
}

// alerts returns an alert job on the env's store and clock.
func (e *alertEnv) alerts(t *testing.T, store *db.DB, bus *bustest.Bus, cfg Config) *Job {
	t.Helper()
	cfg.Now = e.Clock.Now
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	var b devices.Bus
	if bus != nil {
		b = bus
	}
	a, err := New(cfg, store, b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// run runs the job and fails the test on error.
func mustRun(t *testing.T, a *Job) *freezer.AlertRun {
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
	raw := testdb.Raw(t, e.DSN)
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

func num(m map[string]any, key string) string { return fmt.Sprint(m[key]) }
