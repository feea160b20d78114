package broker

import (
	"runtime/debug"
	"sync"
	"time"
)

// After a burst of connections (every device reconnecting when the broker
// restarts, say), the Go runtime keeps what the burst took: heap it no
// longer uses, and client goroutine stacks grown while connecting that it
// shrinks only at a garbage collection, which an idle server rarely runs.
// burstTrimmer runs one collection and returns the free memory to the
// system once such a burst is over: on a small machine serving a thousand
// devices that is a tenth of the resident size.
const (
	// trimAfterConnects is how many connections make a burst.
	trimAfterConnects = 100
	// trimQuiet is how long without a new connection ends a burst.
	trimQuiet = time.Second
)

// burstTrimmer counts connections and trims once a burst is over.
type burstTrimmer struct {
	trim  func()        // debug.FreeOSMemory; tests replace it
	quiet time.Duration // trimQuiet; tests shorten it

	mu       sync.Mutex
	connects int
	timer    *time.Timer
}

func newBurstTrimmer() *burstTrimmer {
	return &burstTrimmer{trim: debug.FreeOSMemory, quiet: trimQuiet}
}

// connected counts a connection and postpones the trim until the burst is over.
func (t *burstTrimmer) connected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.connects++
	if t.connects < trimAfterConnects {
		return
	}
	if t.timer == nil {
		t.timer = time.AfterFunc(t.quiet, t.fire)
		return
	}
	t.timer.Reset(t.quiet)
}

func (t *burstTrimmer) fire() {
	t.mu.Lock()
	t.connects, t.timer = 0, nil
	t.mu.Unlock()
	t.trim()
}

// stop cancels a pending trim.
func (t *burstTrimmer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}
