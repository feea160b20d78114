package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// SQLite's write-ahead log is copied back into the database file by a
// checkpoint. SQLite runs one on the committing connection once the log
// holds 1000 pages, which made every thousandth page of commits wait for
// page copies and an fsync. Here a connection of its own copies the log
// shortly after commits, beside the writer; the writer still checkpoints
// once the log holds walRestartPages (wal_autocheckpoint), which then
// copies only the few pages written since and lets the log start over: a
// checkpoint beside a steady stream of commits never catches up, and the
// log starts over only once all of it was copied.
const (
	// checkpointDelay gathers the commits of a moment into one checkpoint.
	// It is short because a checkpoint's fsync holds up the writer's log
	// writes for as long as it flushes: at 1000 scans/s, p99 was 9-22 ms
	// with 100 ms, 54 ms with 1 s, 8-10 ms with 25 ms on the development
	// machine.
	checkpointDelay = 25 * time.Millisecond
	// walRestartPages is the log size at which the writer checkpoints.
	walRestartPages = 4000
)

// checkpointer runs SQLite's checkpoints off the writer's path.
type checkpointer struct {
	conn *sql.DB
	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	closeOnce sync.Once
	closeErr  error
}

func startCheckpointer(driverDSN string) (*checkpointer, error) {
	conn, err := sql.Open("sqlite", driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open sqlite checkpointer: %w", err)
	}
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c, nil
}

// committed tells the checkpointer that the log grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointDelay):
		}
		if err := c.checkpoint(context.Background()); err != nil {
			slog.Warn("sqlite checkpoint", "err", err)
		}
	}
}

// checkpoint copies the log into the database beside the writer; one that
// found the database busy is not an error: the next goes on where it stopped.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	if _, err := c.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && !isRetryable(err) {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// close stops the checkpointer; SQLite checkpoints once more when the last
// connection closes.
func (c *checkpointer) close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = c.conn.Close()
	})
	return c.closeErr
}
