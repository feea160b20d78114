// Package apitest serves a real store over HTTP for the tests of api,
// api/legacy, api/v1 and api/web: one server setup, registered users, and
// the request and assertion helpers they share.
//
// It is for tests only. It may import anything the server is made of (db,
// labels, broker, hub); the packages it tests must not import it outside
// their tests.
package apitest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// Password is the password of every user the tests register.
const Password = "correct horse battery"

// Today is the calendar day of the fixed test clock (2026-03-15).
var Today = freezer.DateOf(testdb.Now)

// DaysAgo is the YYYY-MM-DD text of the day n days before Today.
func DaysAgo(n int) string { return Today.AddDays(-n).String() }

// MonthsAgo is the YYYY-MM-DD text of the day n months before Today.
func MonthsAgo(n int) string { return Today.AddMonths(-n).String() }

// SysCtx acts as the server itself, for set-ups no user may do.
var SysCtx = freezer.SystemContext(context.Background())

// Env is a migrated store served over HTTP by api.Server.
type Env struct {
	Store  *db.DB
	Server *httptest.Server
	URL    string
	// Check, when set, checks every answer of Call and its shortcuts; a
	// mismatch fails the test without stopping it.
	Check func(tb testing.TB, r Response) error

	mu    sync.Mutex
	named map[string]*User // see Shared
}

// setup is what the options change before the server starts.
type setup struct {
	config    api.Config
	services  []func(*api.Services, *db.DB)
	scanner   bool
	realClock bool
	check     func(tb testing.TB, r Response) error
}

// Option changes how New serves the store.
type Option func(*setup)

// Configure changes the server's configuration.
func Configure(fn func(*api.Config)) Option {
	return func(s *setup) { fn(&s.config) }
}

// Services changes the services the server uses, after the defaults (the
// store for every service, a label spooler on it).
func Services(fn func(services *api.Services, store *db.DB)) Option {
	return func(s *setup) { s.services = append(s.services, fn) }
}

// Scanner runs the scan routes through a hub on an embedded broker that
// listens nowhere.
func Scanner() Option { return func(s *setup) { s.scanner = true } }

// RealClock serves with the real clock instead of the fixed one, for tests
// where a browser's today must be the server's.
func RealClock() Option { return func(s *setup) { s.realClock = true } }

// Check checks every answer of Call and its shortcuts with fn.
func Check(fn func(tb testing.TB, r Response) error) Option {
	return func(s *setup) { s.check = fn }
}

// New opens a migrated store at dsn and serves it.
func New(tb testing.TB, dsn string, opts ...Option) *Env {
	tb.Helper()
	return Serve(tb, testdb.MustOpen(tb, dsn), opts...)
}

// SQLite serves a fresh SQLite store.
func SQLite(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	return New(tb, testdb.SQLiteDSN(tb), opts...)
}

// Dialects runs fn with a fresh environment on SQLite and on MySQL.
func Dialects(t *testing.T, fn func(t *testing.T, e *Env), opts ...Option) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) { fn(t, New(t, dsn, opts...)) })
}

// Serve serves an open store with another server (one more replica when
// the store is already served): the store's fixed clock, no legacy rate
// limit and a label spooler, unless opts say otherwise.
func Serve(tb testing.TB, store *db.DB, opts ...Option) *Env {
	tb.Helper()
	s := setup{config: api.Config{
		Now:             func() time.Time { return testdb.Now },
		LegacyRateLimit: &api.RateLimit{}, // 0 disables both windows: the functional tests make many requests
	}}
	for _, opt := range opts {
		opt(&s)
	}
	if s.realClock {
		store.Now, s.config.Now = time.Now, time.Now
	}
	services := api.NewServices(store)
	services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
	if s.scanner {
		services.Scanner = startScanner(tb, store, s.config.Now)
	}
	for _, fn := range s.services {
		fn(&services, store)
	}
	srv := httptest.NewServer(api.NewServer(s.config, services, nil).Handler())
	tb.Cleanup(srv.Close)
	return &Env{Store: store, Server: srv, URL: srv.URL, Check: s.check}
}

// startScanner starts an embedded broker that listens nowhere and a hub on it.
func startScanner(tb testing.TB, store *db.DB, now func() time.Time) *hub.Hub {
	tb.Helper()
	b, err := broker.New(broker.Config{}, store, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	scans := hub.New(hub.Config{Now: now}, store, b, nil)
	if err := scans.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(scans.Close)
	return scans
}

// emailSeq numbers the e-mail addresses of registered users.
var emailSeq atomic.Int64

// User is a registered user, with the household and API token registration made.
type User struct {
	ID        int64
	Email     string
	Household int64
	Token     string
	Ctx       context.Context // acts as the user on the store
	// Registered is what the store answered.
	Registered *freezer.RegisteredUser
}

// Register registers reg through the store: a fresh e-mail address and
// Password unless reg has its own.
func (e *Env) Register(tb testing.TB, reg freezer.Registration) *User {
	tb.Helper()
	if reg.Email == "" {
		reg.Email = fmt.Sprintf("user%d@example.com", emailSeq.Add(1))
	}
	if reg.Password == "" {
		reg.Password = Password
	}
	r, err := e.Store.RegisterUser(SysCtx, reg)
	if err != nil {
		tb.Fatalf("register %s: %v", reg.Email, err)
	}
	return &User{ID: r.User.ID, Email: r.User.Email, Household: r.Household.ID, Token: r.Token,
		Ctx: freezer.NewContextWithUser(context.Background(), r.User), Registered: r}
}

// User registers a user with a fresh e-mail address.
func (e *Env) User(tb testing.TB) *User {
	tb.Helper()
	return e.Register(tb, freezer.Registration{})
}

// Admin registers an administrator.
func (e *Env) Admin(tb testing.TB) *User {
	tb.Helper()
	return e.Register(tb, freezer.Registration{Admin: true})
}

// Shared returns the user registered under name in this environment,
// registering them the first time: registration hashes a password, which
// is slow under the race detector.
func (e *Env) Shared(tb testing.TB, name string) *User {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.named[name]; ok {
		return u
	}
	if e.named == nil {
		e.named = map[string]*User{}
	}
	u := e.User(tb)
	e.named[name] = u
	return u
}
