package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// DefaultQueueSize bounds the codes kept while the hub does not answer.
const DefaultQueueSize = 1000

// ErrQueueFull is returned by Queue.Push when the queue holds its maximum.
var ErrQueueFull = errors.New("queue full")

// Item is one code read from the scanner, with the message id it is sent
// under until the hub acknowledges it: the id is kept with the code, so a
// code left by a previous run is sent again under its own id.
type Item struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// queueState is the content of the state file. Files written before ids
// had a random part also hold a "next_seq", which is no longer read.
type queueState struct {
	Device  string `json:"device"`
	Pending []Item `json:"pending"`
}

// Queue holds the codes not yet acknowledged, in reading order. Every change
// is written to a small file under the state directory before it takes
// effect, so that codes read while the hub is unreachable survive a restart.
//
// A new code's id is "<device>-<run>-<n>" (docs/mqtt.md, "Message ids"):
// <run> is 64 random bits drawn when the queue is opened and <n> counts the
// codes of this run, in memory. No counter is kept on disk: a state file
// restored from a backup, a write lost in a power cut, or a new SD card
// would make such a counter go back and reuse ids, which the hub refuses.
type Queue struct {
	path string
	max  int
	lock *os.File
	run  string // this run's random part of the ids

	mu    sync.Mutex
	state queueState
	seq   uint64 // codes given an id in this run
}

// OpenQueue opens the state of device under dir, creating both if missing,
// and locks it against a second bridge. It returns an error when the file
// is damaged or locked by another process.
func OpenQueue(dir, device string, size int) (*Queue, error) {
	if size <= 0 {
		size = DefaultQueueSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	var run [8]byte
	if _, err := rand.Read(run[:]); err != nil {
		return nil, fmt.Errorf("draw the random part of the ids: %w", err)
	}
	q := &Queue{path: filepath.Join(dir, "queue-"+device+".json"), max: size, run: hex.EncodeToString(run[:])}
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
		q.state = queueState{Device: device}
		if err := q.save(); err != nil {
			q.Close()
			return nil, err
		}
	case err != nil:
		q.Close()
		return nil, fmt.Errorf("read state: %w", err)
	default:
		if err := json.Unmarshal(data, &q.state); err != nil || q.state.Device != device {
			q.Close()
			if err == nil {
				err = errors.New("another device's state")
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
	q.seq++ // not taken back when the save fails: an id that was never sent may be skipped
	item := Item{ID: q.state.Device + "-" + q.run + "-" + strconv.FormatUint(q.seq, 10), Code: code}
	q.state.Pending = append(q.state.Pending, item)
	if err := q.save(); err != nil {
		q.state.Pending = q.state.Pending[:len(q.state.Pending)-1]
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
