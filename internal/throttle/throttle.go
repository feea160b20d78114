// Package throttle counts failed sign-ins per client and tells when a
// client has failed too often, so that guessing credentials is slowed down.
package throttle

import (
	"sync"
	"time"
)

// Failures counts failures per key (a client IP) in fixed windows.
type Failures struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	counts map[string]*count
}

type count struct {
	n     int
	start time.Time
}

// New returns a counter that blocks a key after limit failures within a
// window; a limit of 0 never blocks. now defaults to time.Now.
func New(limit int, window time.Duration, now func() time.Time) *Failures {
	if now == nil {
		now = time.Now
	}
	return &Failures{limit: limit, window: window, now: now, counts: make(map[string]*count)}
}

// Blocked reports whether key failed limit times in the current window,
// and how long until it may try again.
func (f *Failures) Blocked(key string) (bool, time.Duration) {
	if f == nil || f.limit <= 0 {
		return false, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.counts[key]
	if !ok {
		return false, 0
	}
	left := f.window - f.now().Sub(c.start)
	if left <= 0 {
		delete(f.counts, key)
		return false, 0
	}
	return c.n >= f.limit, left
}

// Fail counts one failure of key.
func (f *Failures) Fail(key string) {
	if f == nil || f.limit <= 0 {
		return
	}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.counts) > 100000 { // bounded memory under a wide attack: forget the oldest windows
		for k, c := range f.counts {
			if now.Sub(c.start) >= f.window {
				delete(f.counts, k)
			}
		}
	}
	c, ok := f.counts[key]
	if !ok || now.Sub(c.start) >= f.window {
		f.counts[key] = &count{n: 1, start: now}
		return
	}
	c.n++
}
