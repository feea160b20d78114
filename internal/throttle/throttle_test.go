package throttle

import (
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
