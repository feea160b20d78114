// Package throttle counts failed sign-ins (or any event) per client and
// tells when a client has reached its limit, so that guessing credentials
// is slowed down.
//
// Keys come from clients (an IP address, an e-mail address typed into a
// form), so a counter never keeps them: it keeps a 64-bit keyed hash of
// each, and at most MaxKeys of them.
package throttle

import (
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the keys of a counter unless MaxKeys says otherwise:
// about 3 MiB of memory at most.
const DefaultMaxKeys = 1 << 16

// evictSample is how many keys a full counter looks at to pick one to forget.
const evictSample = 32

// Failures counts events per key in fixed windows that start at a key's
// first event.
type Failures struct {
	// MaxKeys bounds the keys kept (default DefaultMaxKeys). When a new key
	// comes to a full counter, the windows that ended are forgotten; if none
	// did, the key with the fewest events among a sample is, so that a flood
	// of new keys cannot make a blocked key forget its count.
	MaxKeys int

	limit  int
	window time.Duration
	now    func() time.Time
	seed   maphash.Seed

	mu     sync.Mutex
	counts map[uint64]*count
}

type count struct {
	n     int
	start time.Time
}

// New returns a counter that blocks a key after limit events within a
// window; a limit of 0 never blocks. now defaults to time.Now.
func New(limit int, window time.Duration, now func() time.Time) *Failures {
	if now == nil {
		now = time.Now
	}
	return &Failures{limit: limit, window: window, now: now, seed: maphash.MakeSeed(), counts: make(map[uint64]*count)}
}

// Blocked reports whether key reached the limit in the current window,
// and how long until it may try again.
func (f *Failures) Blocked(key string) (bool, time.Duration) {
	if f == nil || f.limit <= 0 {
		return false, 0
	}
	h := maphash.String(f.seed, key)
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.counts[h]
	if !ok {
		return false, 0
	}
	left := f.window - f.now().Sub(c.start)
	if left <= 0 {
		delete(f.counts, h)
		return false, 0
	}
	return c.n >= f.limit, left
}

// Count returns the events of key in the current window.
func (f *Failures) Count(key string) int {
	if f == nil || f.limit <= 0 {
		return 0
	}
	h := maphash.String(f.seed, key)
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.counts[h]
	if !ok || f.now().Sub(c.start) >= f.window {
		return 0
	}
	return c.n
}

// Fail counts one failure of key.
func (f *Failures) Fail(key string) {
	if f == nil || f.limit <= 0 {
		return
	}
	f.add(maphash.String(f.seed, key), f.now())
}

// Take counts one event of key unless key already reached the limit; it
// reports whether it counted, and else how long until key may try again.
// A refused event is not counted, so refusals cost no memory.
func (f *Failures) Take(key string) (bool, time.Duration) {
	if f == nil || f.limit <= 0 {
		return true, 0
	}
	h, now := maphash.String(f.seed, key), f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.counts[h]; ok && now.Sub(c.start) < f.window && c.n >= f.limit {
		return false, f.window - now.Sub(c.start)
	}
	f.addLocked(h, now)
	return true, 0
}

// Len returns how many keys the counter holds.
func (f *Failures) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.counts)
}

func (f *Failures) add(h uint64, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addLocked(h, now)
}

func (f *Failures) addLocked(h uint64, now time.Time) {
	c, ok := f.counts[h]
	if ok && now.Sub(c.start) < f.window {
		c.n++
		return
	}
	if !ok {
		f.makeRoom(now)
	}
	f.counts[h] = &count{n: 1, start: now}
}

// makeRoom forgets a key when the counter is full.
func (f *Failures) makeRoom(now time.Time) {
	maxKeys := f.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if len(f.counts) < maxKeys {
		return
	}
	for k, c := range f.counts {
		if now.Sub(c.start) >= f.window {
			delete(f.counts, k)
		}
	}
	for len(f.counts) >= maxKeys {
		// Map iteration starts at a random place: a random sample.
		var victim uint64
		fewest, seen := -1, 0
		for k, c := range f.counts {
			if fewest < 0 || c.n < fewest {
				victim, fewest = k, c.n
			}
			if seen++; seen == evictSample {
				break
			}
		}
		delete(f.counts, victim)
	}
}
