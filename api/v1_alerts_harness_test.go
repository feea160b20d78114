package api_test

// The small harness of the alert API tests; its names start with "alerts"
// so that they never clash with the other test files of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// alertsEnv serves a store with the v1 API and an alert runner.
type alertsEnv struct {
	store *db.DB
	url   string
}

// newAlertsEnv serves a migrated store at dsn; runner may be nil.
func newAlertsEnv(t *testing.T, dsn string, runner func(store *db.DB) httpapi.AlertRunner) *alertsEnv {
	t.Helper()
	store := testdb.MustOpen(t, dsn)
	services := api.NewServices(store)
	services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
	if runner != nil {
		services.Alerts = runner(store)
	}
	cfg := api.Config{Now: func() time.Time { return testdb.Now }, LegacyRateLimit: &api.RateLimit{}}
	srv := httptest.NewServer(api.NewServer(cfg, services, nil).Handler())
	t.Cleanup(srv.Close)
	return &alertsEnv{store: store, url: srv.URL}
}

// alertsUser is a registered user with their token.
type alertsUser struct {
	*freezer.RegisteredUser
	ctx context.Context
}

func (e *alertsEnv) register(t *testing.T, email string, admin bool) *alertsUser {
	t.Helper()
	r, err := e.store.RegisterUser(freezer.SystemContext(context.Background()),
		freezer.Registration{Email: email, Password: "correct horse battery", Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	return &alertsUser{RegisteredUser: r, ctx: freezer.NewContextWithUser(context.Background(), r.User)}
}

// alertsResp is an answer read in full.
type alertsResp struct {
	status int
	body   []byte
}

// do sends a request with u's token (none for nil) and a JSON body (none for nil).
func (e *alertsEnv) do(t *testing.T, u *alertsUser, method, path string, body any) alertsResp {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+"/api/v1"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return alertsResp{status: resp.StatusCode, body: b}
}

// want fails unless the status is want, and returns the JSON object of the body.
func (r alertsResp) want(t *testing.T, want int) map[string]any {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	var m map[string]any
	if len(r.body) > 0 {
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("body %q: %v", r.body, err)
		}
	}
	return m
}

// wantErr fails unless the answer is the error code at status.
func (r alertsResp) wantErr(t *testing.T, status int, code string) string {
	t.Helper()
	m := r.want(t, status)
	e, _ := m["error"].(map[string]any)
	if e == nil || e["code"] != code {
		t.Fatalf("error = %s, want code %s", r.body, code)
	}
	msg, _ := e["message"].(string)
	return msg
}

// alertsObj returns obj[key] as an object.
func alertsObj(t *testing.T, obj map[string]any, key string) map[string]any {
	t.Helper()
	m, ok := obj[key].(map[string]any)
	if !ok {
		t.Fatalf("%s = %#v, want an object", key, obj[key])
	}
	return m
}
