package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func mustOpenQueue(t *testing.T, dir string, size int) *Queue {
	t.Helper()
	q, err := OpenQueue(dir, "scanner-test", size)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQueue(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		q := mustOpenQueue(t, dir, 3)
		a, err := q.Push("FZ-I-1")
		if err != nil {
			t.Fatal(err)
		}
		m := idPattern.FindStringSubmatch(a.ID)
		if m == nil || m[2] != "1" {
			t.Fatalf("first id = %q, want scanner-test-<16 hex>-1", a.ID)
		}
		b, _ := q.Push("FZ-I-2")
		if want := "scanner-test-" + m[1] + "-2"; b.ID != want {
			t.Errorf("second id = %q, want %q", b.ID, want)
		}
		if removed, err := q.RemoveHead(b.ID); removed || err != nil {
			t.Errorf("RemoveHead(second) = %v, %v; only the head may go", removed, err)
		}
		if removed, err := q.RemoveHead(a.ID); !removed || err != nil {
			t.Errorf("RemoveHead(first) = %v, %v", removed, err)
		}
		q.Close()

		// Reopened: the rest of the queue is still there, under its ids;
		// new codes get ids of a new run.
		q = mustOpenQueue(t, dir, 3)
		defer q.Close()
		if head, ok := q.Head(); !ok || head != b || q.Len() != 1 {
			t.Errorf("head after reopening = %+v, %v (len %d); want %+v", head, ok, q.Len(), b)
		}
		c, _ := q.Push("FZ-I-3")
		if n := idPattern.FindStringSubmatch(c.ID); n == nil || n[1] == m[1] || n[2] != "1" {
			t.Errorf("id after reopening = %q, want scanner-test-<new 16 hex>-1", c.ID)
		}
	})

	// A state file that goes back (restored from a backup, a write lost in a
	// power cut, removed) or an old one that still holds a sequence never
	// makes an id come back.
	t.Run("IDsNeverRepeat", func(t *testing.T) {
		dir := t.TempDir()
		seen := map[string]bool{}
		push := func(q *Queue, code string) {
			t.Helper()
			it, err := q.Push(code)
			if err != nil {
				t.Fatal(err)
			}
			if seen[it.ID] {
				t.Errorf("id %q given twice", it.ID)
			}
			seen[it.ID] = true
		}
		q := mustOpenQueue(t, dir, 0)
		path := q.Path()
		q.Close()
		saved, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			q := mustOpenQueue(t, dir, 0)
			push(q, "FZ-I-1")
			push(q, "FZ-I-2")
			q.Close()
			if err := os.WriteFile(path, saved, 0o600); err != nil { // back to the saved state
				t.Fatal(err)
			}
		}
		os.Remove(path)
		q = mustOpenQueue(t, dir, 0)
		push(q, "FZ-I-3")
		q.Close()
		os.WriteFile(path, []byte(`{"device":"scanner-test","next_seq":7,"pending":[{"id":"scanner-test-6","code":"FZ-I-6"}]}`), 0o600)
		q = mustOpenQueue(t, dir, 0)
		defer q.Close()
		if head, _ := q.Head(); head.ID != "scanner-test-6" {
			t.Errorf("head of an older state file = %+v, want its own id kept", head)
		}
		push(q, "FZ-I-7")
		if len(seen) != 102 {
			t.Errorf("%d ids, want 102", len(seen))
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
		if _, err := OpenQueue(dir, "scanner-test", 0); err == nil || !strings.Contains(err.Error(), "in use") {
			t.Errorf("second open: %v, want the state in use", err)
		}
		// Another device may share the directory.
		other, err := OpenQueue(dir, "scanner-other", 0)
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
		for _, content := range []string{"{\"device\":\"scanner-test\",\"pend", `{"device":"scanner-other","pending":[]}`, `{"pending":[]}`} {
			os.WriteFile(path, []byte(content), 0o600)
			if _, err := OpenQueue(dir, "scanner-test", 0); err == nil || !strings.Contains(err.Error(), "damaged") {
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

// idPattern matches the ids of device scanner-test: its run's random part
// and its count.
var idPattern = regexp.MustCompile(`^scanner-test-([0-9a-f]{16})-([1-9][0-9]*)$`)
