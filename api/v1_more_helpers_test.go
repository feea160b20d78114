package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// The harness of the statistics, events and export tests. Every identifier
// starts with mh so that it never collides with the other tests of the package.

// mhEnv is a migrated store of one dialect served over HTTP with the fixed clock.
type mhEnv struct {
	store *db.DB
	srv   *httptest.Server
}

// mhDialects runs fn with a fresh environment on SQLite and MySQL.
func mhDialects(t *testing.T, fn func(t *testing.T, e *mhEnv)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		store := testdb.MustOpen(t, dsn)
		srv := httptest.NewServer(api.NewServer(api.Config{Now: func() time.Time { return testdb.Now }}, withSpooler(api.NewServices(store), store), nil).Handler())
		t.Cleanup(srv.Close)
		fn(t, &mhEnv{store: store, srv: srv})
	})
}

// mhSeq numbers the e-mail addresses of registered users.
var mhSeq atomic.Int64

// mhToday is the day of the fixed test clock (2026-03-15).
var mhToday = freezer.DateOf(testdb.Now)

// mhUser is a registered user with their own household and token.
type mhUser struct {
	*freezer.RegisteredUser
	ctx context.Context // acts as the user on the store
}

// user registers a user with a fresh e-mail address.
func (e *mhEnv) user(tb testing.TB) *mhUser {
	tb.Helper()
	email := fmt.Sprintf("mh-user%d@example.com", mhSeq.Add(1))
	r, err := e.store.RegisterUser(freezer.SystemContext(context.Background()),
		freezer.Registration{Email: email, Password: "correct horse battery"})
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return &mhUser{RegisteredUser: r, ctx: freezer.NewContextWithUser(context.Background(), r.User)}
}

// freezer creates a freezer in u's household through the store.
func (e *mhEnv) freezer(tb testing.TB, u *mhUser, name string, boxes int) *freezer.Freezer {
	tb.Helper()
	f := &freezer.Freezer{HouseholdID: u.Household.ID, Name: name, NumberBoxes: boxes}
	if err := e.store.CreateFreezer(u.ctx, f); err != nil {
		tb.Fatalf("create freezer %q: %v", name, err)
	}
	return f
}

// product stores p through the store as u.
func (e *mhEnv) product(tb testing.TB, u *mhUser, p *freezer.Product) *freezer.Product {
	tb.Helper()
	if p.Quantity == 0 {
		p.Quantity = 1
	}
	if p.TypeID == 0 {
		p.TypeID = 1
	}
	if err := e.store.CreateProduct(u.ctx, p); err != nil {
		tb.Fatalf("create product %+v: %v", *p, err)
	}
	return p
}

// mhResp is an HTTP answer read in full.
type mhResp struct {
	desc   string
	status int
	header http.Header
	body   []byte
}

func (r mhResp) String() string {
	body := string(r.body)
	if len(body) > 400 {
		body = body[:400] + "…"
	}
	return fmt.Sprintf("%s → %d %s", r.desc, r.status, body)
}

// call sends a request below /api/v1 with u's token (none for nil u).
// body: nil for none, a string or []byte as is (application/json unless
// contentType says otherwise), anything else as JSON.
func (e *mhEnv) call(tb testing.TB, u *mhUser, method, path string, body any, contentType ...string) mhResp {
	tb.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, reader)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if len(contentType) > 0 {
			req.Header.Set("Content-Type", contentType[0])
		}
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return mhResp{desc: method + " " + path, status: resp.StatusCode, header: resp.Header, body: got}
}

// get is call for GET.
func (e *mhEnv) get(tb testing.TB, u *mhUser, path string) mhResp {
	tb.Helper()
	return e.call(tb, u, http.MethodGet, path, nil)
}

// want fails the test unless the status is status.
func (r mhResp) want(tb testing.TB, status int) mhResp {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%v: status %d, want %d", r, r.status, status)
	}
	return r
}

// decode reads a JSON body into v, strictly.
func (r mhResp) decode(tb testing.TB, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("%v: decode into %T: %v", r, v, err)
	}
}

// wantError fails the test unless the answer is a v1 error with status
// and code, and returns its message.
func (r mhResp) wantError(tb testing.TB, status int, code string) string {
	tb.Helper()
	r.want(tb, status)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	r.decode(tb, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		tb.Fatalf("%v: error %q %q, want code %q and a message", r, e.Error.Code, e.Error.Message, code)
	}
	return e.Error.Message
}

// mhList is a v1 list answer.
type mhList[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}
