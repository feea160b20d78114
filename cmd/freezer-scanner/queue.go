package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// DefaultQueueSize bounds the codes kept while the hub does not answer.
const DefaultQueueSize = 1000

// ErrQueueFull is returned by Queue.Push when the queue holds its maximum.
var ErrQueueFull = errors.New("queue full")

// Item is one code read from the scanner, with the message id it is sent
// under until the hub acknowledges it.
type Item struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// queueState is the content of the state file.
type queueState struct {
	Device  string `json:"device"`
	NextSeq uint64 `json:"next_seq"`
	Pending []Item `json:"pending"`
}

// Queue holds the codes not yet acknowledged, in reading order, and the
// device's message sequence. Every change is written to a small file under
// the state directory before it takes effect, so that codes read while the
// hub is unreachable survive a restart and an id is never used twice.
type Queue struct {
	path string
	max  int
	lock *os.File

	mu    sync.Mutex
	state queueState
}

// OpenQueue opens the state of device under dir, creating both if missing,
// and locks it against a second bridge. A new state starts the sequence at
// the current Unix time in milliseconds rather than at 1: a bridge whose
// state was lost (a new SD card) would otherwise reuse the ids of its past
// scans, and the hub would answer them as resends without applying them.
// It returns an error when the file is damaged or locked by another process.
func OpenQueue(dir, device string, size int, now func() time.Time) (*Queue, error) {
	if size <= 0 {
		size = DefaultQueueSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	q := &Queue{path: filepath.Join(dir, "queue-"+device+".json"), max: size}
	lock, err := os.OpenFile(filepath.Join(dir, "queue-"+device+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock: %w", err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		return nil, fmt.Errorf("state directory %s is in use by another freezer-scanner for device %s: %w", dir, device, err)
	}
	q.lock = lock
	data, err := os.ReadFile(q.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		q.state = queueState{Device: device, NextSeq: uint64(max(now().UnixMilli(), 1))}
		if err := q.save(); err != nil {
			q.Close()
			return nil, err
		}
	case err != nil:
		q.Close()
		return nil, fmt.Errorf("read state: %w", err)
	default:
		if err := json.Unmarshal(data, &q.state); err != nil || q.state.NextSeq == 0 || q.state.Device != device {
			q.Close()
			if err == nil {
				err = errors.New("no sequence or another device's state")
			}
			return nil, fmt.Errorf("state file %s is damaged (%v); move it away to start afresh, its unsent codes are lost", q.path, err)
		}
	}
	return q, nil
}

// Path returns the state file's name.
func (q *Queue) Path() string { return q.path }

// Push gives code the next id and appends it; it returns ErrQueueFull when
// the queue is full, or the error of writing the state file.
func (q *Queue) Push(code string) (Item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.state.Pending) >= q.max {
		return Item{}, ErrQueueFull
	}
	item := Item{ID: q.state.Device + "-" + strconv.FormatUint(q.state.NextSeq, 10), Code: code}
	q.state.Pending = append(q.state.Pending, item)
	q.state.NextSeq++
	if err := q.save(); err != nil {
		q.state.Pending = q.state.Pending[:len(q.state.Pending)-1]
		q.state.NextSeq--
		return Item{}, err
	}
	return item, nil
}

// Head returns the oldest pending item.
func (q *Queue) Head() (Item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.state.Pending) == 0 {
		return Item{}, false
	}
	return q.state.Pending[0], true
}

// Len returns the number of pending items.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.state.Pending)
}

// RemoveHead drops the oldest item if its id is id, and reports whether it
// did; it returns the error of writing the state file.
func (q *Queue) RemoveHead(id string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.state.Pending) == 0 || q.state.Pending[0].ID != id {
		return false, nil
	}
	head := q.state.Pending[0]
	q.state.Pending = q.state.Pending[1:]
	if err := q.save(); err != nil {
		q.state.Pending = append([]Item{head}, q.state.Pending...)
		return false, err
	}
	return true, nil
}

// save replaces the state file atomically: a crash leaves the old or the
// new state, never half of one.
func (q *Queue) save() error {
	data, err := json.Marshal(q.state)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := q.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, q.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write state: %w", err)
	}
	if d, err := os.Open(filepath.Dir(q.path)); err == nil {
		_ = d.Sync() // makes the rename durable; not supported everywhere
		d.Close()
	}
	return nil
}

// Close releases the state's lock.
func (q *Queue) Close() error {
	if q.lock == nil {
		return nil
	}
	err := q.lock.Close()
	q.lock = nil
	return err
}
