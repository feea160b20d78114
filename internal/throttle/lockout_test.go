package throttle

import (
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	l := NewLockout(LockoutLimits{PerIP: 3, PerPair: 2, SlowLane: 5 * time.Second}, func() time.Time { return now })
	l.Fail("10.0.0.1", "a")
	l.Fail("10.0.0.1", "a")
	if ok, _ := l.Allow("10.0.0.1", "a"); ok {
		t.Error("a pair that failed twice is allowed")
	}
	if ok, _ := l.Allow("10.0.0.2", "a"); !ok {
		t.Error("the same credential from another IP is refused")
	}
	l.Fail("10.0.0.1", "b") // the IP reaches its limit
	if ok, _ := l.Allow("10.0.0.1", "b"); ok {
		t.Error("a credential that failed from a blocked IP is allowed")
	}
	if ok, _ := l.Allow("10.0.0.1", "c"); !ok {
		t.Error("a clean credential from a blocked IP gets no slow-lane attempt")
	}
	if ok, retry := l.Allow("10.0.0.1", "d"); ok || retry != 5*time.Second {
		t.Errorf("a second clean credential at once: ok %v, retry %v; want a wait of 5s", ok, retry)
	}
	if ok, _ := l.Allow("10.0.0.1", ""); ok {
		t.Error("an unusable credential from a blocked IP is allowed")
	}
	now = now.Add(5 * time.Second)
	if ok, _ := l.Allow("10.0.0.1", "d"); !ok {
		t.Error("the slow lane did not open again")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("10.0.0.1", "a"); !ok {
		t.Error("still blocked after the minute")
	}
}
