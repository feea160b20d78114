package throttle

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFailures(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := New(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if blocked, _ := f.Blocked("10.0.0.1"); blocked {
			t.Fatalf("blocked after %d failures, want after 3", i)
		}
		f.Fail("10.0.0.1")
	}
	blocked, retry := f.Blocked("10.0.0.1")
	if !blocked || retry != time.Minute {
		t.Fatalf("after 3 failures: blocked %v, retry %v; want blocked for a minute", blocked, retry)
	}
	if blocked, _ := f.Blocked("10.0.0.2"); blocked {
		t.Error("another client is blocked")
	}
	now = now.Add(time.Minute)
	if blocked, _ := f.Blocked("10.0.0.1"); blocked {
		t.Error("still blocked after the window")
	}
	f.Fail("10.0.0.1")
	if blocked, _ := f.Blocked("10.0.0.1"); blocked {
		t.Error("one failure in a new window blocks")
	}
	if blocked, _ := New(0, time.Minute, nil).Blocked("x"); blocked {
		t.Error("a zero limit blocks")
	}
}

func TestFailuresBounded(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := New(3, time.Minute, func() time.Time { return now })
	f.MaxKeys = 100
	for range 3 {
		f.Fail("attacker")
	}
	// A flood of new keys, each a megabyte long, within the window.
	long := strings.Repeat("x", 1<<20)
	for i := range 1000 {
		f.Fail(long + strconv.Itoa(i))
	}
	if got := f.Len(); got > 100 {
		t.Fatalf("%d keys kept, want at most 100", got)
	}
	if blocked, _ := f.Blocked("attacker"); !blocked {
		t.Error("the flood made a blocked key forget its failures")
	}
}

func TestTake(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := New(2, time.Minute, func() time.Time { return now })
	for i := range 2 {
		if ok, _ := f.Take("a"); !ok {
			t.Fatalf("event %d refused, want 2 allowed", i+1)
		}
	}
	for range 5 {
		if ok, retry := f.Take("a"); ok || retry != time.Minute {
			t.Fatalf("third event: ok %v retry %v, want refused for a minute", ok, retry)
		}
	}
	if got := f.Count("a"); got != 2 {
		t.Errorf("count %d after refusals, want 2: a refusal must not count", got)
	}
	now = now.Add(time.Minute)
	if ok, _ := f.Take("a"); !ok {
		t.Error("refused in a new window")
	}
}
