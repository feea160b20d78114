package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// RateLimit bounds the requests of one client on one route; 0 disables a window.
type RateLimit struct {
	PerMinute int
	PerDay    int
}

// rateLimiter counts requests per key in fixed minute and day windows.
type rateLimiter struct {
	limit RateLimit
	now   func() time.Time

	mu        sync.Mutex
	counts    map[rateKey]int
	lastPurge time.Time
}

type rateKey struct {
	client string
	window time.Duration
	start  int64 // window start, in units of window since the epoch
}

func newRateLimiter(limit RateLimit, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, now: now, counts: make(map[rateKey]int)}
}

// allow counts one request of client and reports whether it is within the
// limits; when it is not, it also returns how long until the window resets.
func (l *rateLimiter) allow(client string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastPurge) > time.Minute {
		l.purge(now)
	}
	ok, retry := true, time.Duration(0)
	for _, w := range []struct {
		size  time.Duration
		limit int
	}{{time.Minute, l.limit.PerMinute}, {24 * time.Hour, l.limit.PerDay}} {
		if w.limit <= 0 {
			continue
		}
		key := rateKey{client: client, window: w.size, start: now.UnixNano() / int64(w.size)}
		l.counts[key]++
		if l.counts[key] > w.limit {
			ok = false
			retry = max(retry, time.Duration(key.start+1)*w.size-time.Duration(now.UnixNano()))
		}
	}
	return ok, retry
}

// purge forgets the windows that have ended, so memory stays bounded by the
// clients of the current day.
func (l *rateLimiter) purge(now time.Time) {
	for key := range l.counts {
		if key.start < now.UnixNano()/int64(key.window) {
			delete(l.counts, key)
		}
	}
	l.lastPurge = now
}

// limitPerRoute rejects with 429 the requests of a client IP beyond the
// limits on one route; onLimit renders the answer.
func limitPerRoute(l *rateLimiter, onLimit func(c echo.Context, retry time.Duration) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Method == http.MethodOptions {
				return next(c)
			}
			if ok, retry := l.allow(c.RealIP() + " " + c.Path()); !ok {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds()+0.999)))
				return onLimit(c, retry)
			}
			return next(c)
		}
	}
}
