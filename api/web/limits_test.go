package web_test

import (
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// heapAfterGC returns the bytes the Go heap holds once garbage is collected.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A flood of sign-ins with megabyte e-mail addresses from one IP must not
// grow the server's memory: addresses are checked before they become keys
// of the limits, and the limits keep hashes.
func TestSignInFloodMemory(t *testing.T) {
	s := newSite(t)
	b := newVisitor(t, s.Server)
	token := b.csrf(t, "/login")
	huge := strings.Repeat("a", 1<<20-200) + "@example.com"
	before := heapAfterGC()
	largest := 0
	for i := 0; i < 100; i++ {
		a := b.post(t, "/login", url.Values{"csrf": {token}, "email": {huge + strconv.Itoa(i)}, "password": {"x"}})
		if a.status != http.StatusUnauthorized && a.status != http.StatusTooManyRequests {
			t.Fatalf("attempt %d: %v", i, a)
		}
		largest = max(largest, len(a.body))
	}
	after := heapAfterGC()
	if grown := int64(after) - int64(before); grown > 30<<20 {
		t.Errorf("heap grew by %d MiB after the flood, want less than 30 MiB", grown>>20)
	}
	if largest > 64<<10 {
		t.Errorf("a page of %d bytes: the address is shown back", largest)
	}
}

// A household behind one NAT: others' failures block the IP, yet a person
// whose address has not failed from it signs in after a short wait.
func TestSignInBehindAbusedIP(t *testing.T) {
	clk := testdb.NewClock(testdb.Now)
	s := newSite(t, func(c *api.Config) { c.Now = clk.Now })
	register(t, s, "alice@example.com", false, "en")
	attacker := newVisitor(t, s.Server)
	token := attacker.csrf(t, "/login")
	guess := func(i int) answer {
		return attacker.post(t, "/login", url.Values{"csrf": {token}, "email": {"victim" + strconv.Itoa(i%3) + "@example.com"}, "password": {"guess"}})
	}
	for i := 0; i < 20; i++ {
		guess(i).want(t, http.StatusUnauthorized)
	}
	guess(0).want(t, http.StatusTooManyRequests)
	// The attacker keeps going with fresh addresses: the slow lane is taken.
	attacker.post(t, "/login", url.Values{"csrf": {token}, "email": {"fresh@example.com"}, "password": {"guess"}}).want(t, http.StatusUnauthorized)

	alice := newVisitor(t, s.Server)
	form := url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}}
	a := alice.submit(t, "/login", "/login", form).want(t, http.StatusTooManyRequests)
	retry, err := strconv.Atoi(a.header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 10 {
		t.Fatalf("%v: Retry-After %q, want a few seconds", a, a.header.Get("Retry-After"))
	}
	clk.Advance(time.Duration(retry) * time.Second)
	alice.submit(t, "/login", "/login", form).wantRedirect(t, "/app/")
	// The addresses that failed from this IP stay blocked for the minute.
	clk.Advance(time.Duration(retry) * time.Second)
	guess(1).want(t, http.StatusTooManyRequests)
}
