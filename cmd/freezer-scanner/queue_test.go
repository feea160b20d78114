package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return epoch }

func mustOpenQueue(t *testing.T, dir string, size int) *Queue {
	t.Helper()
	q, err := OpenQueue(dir, "scanner-test", size, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQueue(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		q := mustOpenQueue(t, dir, 3)
		first := epoch.UnixMilli()
		a, err := q.Push("FZ-I-1")
		if err != nil {
			t.Fatal(err)
		}
		if want := "scanner-test-" + itoa(first); a.ID != want {
			t.Errorf("first id = %q, want %q (a new state starts at the time in ms)", a.ID, want)
		}
		b, _ := q.Push("FZ-I-2")
		if want := "scanner-test-" + itoa(first+1); b.ID != want {
			t.Errorf("second id = %q, want %q", b.ID, want)
		}
		if removed, err := q.RemoveHead(b.ID); removed || err != nil {
			t.Errorf("RemoveHead(second) = %v, %v; only the head may go", removed, err)
		}
		if removed, err := q.RemoveHead(a.ID); !removed || err != nil {
			t.Errorf("RemoveHead(first) = %v, %v", removed, err)
		}
		q.Close()

		// Reopened: the rest of the queue and the sequence are still there.
		q = mustOpenQueue(t, dir, 3)
		defer q.Close()
		if head, ok := q.Head(); !ok || head != b || q.Len() != 1 {
			t.Errorf("head after reopening = %+v, %v (len %d); want %+v", head, ok, q.Len(), b)
		}
		c, _ := q.Push("FZ-I-3")
		if want := "scanner-test-" + itoa(first+2); c.ID != want {
			t.Errorf("id after reopening = %q, want %q", c.ID, want)
		}
	})

	t.Run("ErrQueueFull", func(t *testing.T) {
		q := mustOpenQueue(t, t.TempDir(), 2)
		defer q.Close()
		q.Push("a")
		q.Push("b")
		if _, err := q.Push("c"); !errors.Is(err, ErrQueueFull) {
			t.Errorf("third push: %v, want ErrQueueFull", err)
		}
		head, _ := q.Head()
		q.RemoveHead(head.ID)
		if _, err := q.Push("c"); err != nil {
			t.Errorf("push after removing one: %v", err)
		}
	})

	t.Run("ErrLocked", func(t *testing.T) {
		dir := t.TempDir()
		q := mustOpenQueue(t, dir, 0)
		defer q.Close()
		if _, err := OpenQueue(dir, "scanner-test", 0, fixedNow); err == nil || !strings.Contains(err.Error(), "in use") {
			t.Errorf("second open: %v, want the state in use", err)
		}
		// Another device may share the directory.
		other, err := OpenQueue(dir, "scanner-other", 0, fixedNow)
		if err != nil {
			t.Fatalf("another device's queue: %v", err)
		}
		other.Close()
	})

	t.Run("ErrDamaged", func(t *testing.T) {
		dir := t.TempDir()
		q := mustOpenQueue(t, dir, 0)
		path := q.Path()
		q.Close()
		for _, content := range []string{"{\"device\":\"scanner-test\",\"next", `{"device":"scanner-other","next_seq":5}`, `{"device":"scanner-test"}`} {
			os.WriteFile(path, []byte(content), 0o600)
			if _, err := OpenQueue(dir, "scanner-test", 0, fixedNow); err == nil || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("state %q: %v, want it reported damaged", content, err)
			}
		}
	})

	t.Run("ErrWrite", func(t *testing.T) {
		dir := t.TempDir()
		q := mustOpenQueue(t, dir, 0)
		defer q.Close()
		q.path = filepath.Join(dir, "missing", "queue.json") // writes now fail
		if _, err := q.Push("a"); err == nil {
			t.Fatal("push succeeded without writing the state")
		}
		if q.Len() != 0 {
			t.Errorf("a code that was not written stays queued")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
