package legacy_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// newClock returns a clock the test advances, at 12:00:00: the start of a minute window.
func newClock() *testdb.Clock { return testdb.NewClock(testdb.Now) }

// limitedHarness serves a SQLite store with the clock clk, the rate limit
// limit (nil: the default, 100 a minute and 24000 a day) and trusted proxies.
func limitedHarness(t *testing.T, clk *testdb.Clock, limit *api.RateLimit, trusted ...string) *harness {
	t.Helper()
	var nets []*net.IPNet
	for _, cidr := range trusted {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	return newHarness(t, testdb.SQLiteDSN(t), func(c *api.Config) {
		c.Now = clk.Now
		c.LegacyRateLimit = limit
		c.TrustedProxies = nets
	})
}

// wantLimited fails the test unless r is a 429 error object with a Retry-After of 1..max seconds.
func wantLimited(t *testing.T, r response, max int) {
	t.Helper()
	r.wantStatus(t, http.StatusTooManyRequests)
	r.wantErrorObject(t)
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > max {
		t.Fatalf("%v: Retry-After %q, want 1..%d seconds", r, r.Header.Get("Retry-After"), max)
	}
}

func TestRateLimitPerMinute(t *testing.T) {
	clk := newClock()
	h := limitedHarness(t, clk, nil)
	u, v := h.User(t), h.User(t)
	check := "/check_token/" + u.Token
	for i := 0; i < 100; i++ {
		h.get(t, check).wantEmpty(t)
	}
	wantLimited(t, h.get(t, check), 60)
	// The client, not the token, is limited; bad tokens count the same.
	wantLimited(t, h.get(t, "/check_token/"+v.Token), 60)
	wantLimited(t, h.get(t, "/check_token/bad-token"), 60)
	// Another route still answers.
	h.get(t, "/types/"+u.Token).list(t)
	h.get(t, "/freezers/"+u.Token).list(t)
	// A preflight is never limited.
	h.request(t, http.MethodOptions, check, nil, "Origin", "https://app.example.org",
		"Access-Control-Request-Method", "GET").wantStatus(t, http.StatusNoContent)
	// Later in the same minute: still limited, for less time.
	clk.Advance(30 * time.Second)
	wantLimited(t, h.get(t, check), 30)
	// The next minute: allowed again, for another 100.
	clk.Advance(30 * time.Second)
	for i := 0; i < 100; i++ {
		h.get(t, check).wantEmpty(t)
	}
	wantLimited(t, h.get(t, check), 60)
}

func TestRateLimitPerDay(t *testing.T) {
	clk := newClock()
	h := limitedHarness(t, clk, &api.RateLimit{PerMinute: 1000, PerDay: 5})
	u := h.User(t)
	check := "/check_token/" + u.Token
	for i := 0; i < 5; i++ {
		h.get(t, check).wantEmpty(t)
		clk.Advance(time.Minute) // minute windows do not matter here
	}
	r := h.get(t, check)
	wantLimited(t, r, 24*3600)
	// An hour later, the same day: still limited.
	clk.Advance(time.Hour)
	wantLimited(t, h.get(t, check), 24*3600)
	h.get(t, "/types/"+u.Token).list(t) // another route has its own budget
	// The next day: allowed again.
	clk.Advance(24 * time.Hour)
	for i := 0; i < 5; i++ {
		h.get(t, check).wantEmpty(t)
	}
	wantLimited(t, h.get(t, check), 24*3600)
}

func TestRateLimitForwardedFor(t *testing.T) {
	t.Run("ignored without trusted proxies", func(t *testing.T) {
		h := limitedHarness(t, newClock(), nil)
		u := h.User(t)
		check := "/check_token/" + u.Token
		for i := 0; i < 50; i++ {
			h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.1").wantEmpty(t)
			h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.2", "X-Real-IP", "203.0.113.2").wantEmpty(t)
		}
		// The two "clients" shared one budget: the peer's.
		wantLimited(t, h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.3"), 60)
		wantLimited(t, h.request(t, http.MethodGet, check, nil, "X-Real-IP", "203.0.113.4"), 60)
		wantLimited(t, h.get(t, check), 60)
	})

	t.Run("honoured from a trusted proxy", func(t *testing.T) {
		h := limitedHarness(t, newClock(), nil, "127.0.0.1/32")
		u := h.User(t)
		check := "/check_token/" + u.Token
		for i := 0; i < 100; i++ {
			h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.1").wantEmpty(t)
			h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.2").wantEmpty(t)
		}
		wantLimited(t, h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.1"), 60)
		wantLimited(t, h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.2"), 60)
		// A third client, and the proxy itself, have their own budgets.
		h.request(t, http.MethodGet, check, nil, "X-Forwarded-For", "203.0.113.3").wantEmpty(t)
		h.get(t, check).wantEmpty(t)
	})
}
