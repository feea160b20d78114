package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/freezer-manager/freezer/internal/throttle"
)

// RateLimit bounds the requests of one client on one route; 0 disables a window.
type RateLimit struct {
	PerMinute int
	PerDay    int
}

// RateLimiter counts requests per key in a minute window and a day window.
// Keys come from clients: the counters keep a bounded number of hashes.
type RateLimiter struct {
	minute, day *throttle.Failures
}

// NewRateLimiter counts requests against limit on the clock now.
func NewRateLimiter(limit RateLimit, now func() time.Time) *RateLimiter {
	return &RateLimiter{minute: throttle.New(limit.PerMinute, time.Minute, now), day: throttle.New(limit.PerDay, 24*time.Hour, now)}
}

// Allow counts one request of client and reports whether it is within the
// limits; when it is not, it also returns how long until the window resets.
// A refused request is not counted in the window that refused it.
func (l *RateLimiter) Allow(client string) (bool, time.Duration) {
	if ok, retry := l.minute.Take(client); !ok {
		return false, retry
	}
	return l.day.Take(client)
}

// LimitPerRoute rejects with 429 the requests of a client IP beyond the
// limits on one route; onLimit renders the answer.
func LimitPerRoute(l *RateLimiter, onLimit func(c echo.Context, retry time.Duration) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Method == http.MethodOptions {
				return next(c)
			}
			if ok, retry := l.Allow(c.RealIP() + " " + c.Path()); !ok {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds()+0.999)))
				return onLimit(c, retry)
			}
			return next(c)
		}
	}
}
