package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

// Lease settings of the job lock: a lease outlives a process that died
// holding it by at most leaseTTL, and its holder renews it while alive.
// The processes' clocks must agree to well within leaseTTL.
const (
	leaseTTL   = 2 * time.Minute
	leaseRenew = leaseTTL / 4
	leasePoll  = 50 * time.Millisecond
)

// LockJob takes the lock of a background job so that one process at a
// time runs it (system only): a lease row in the jobs table, taken with a
// conditional update and renewed while held. A row holds on every node of a
// Galera cluster, where MySQL's GET_LOCK holds on one node only.
func (db *DB) LockJob(ctx context.Context, name string, wait time.Duration) (func(), error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	return db.lease(ctx, name, wait)
}

// errJobLocked is returned when another process holds a job's lock.
func errJobLocked(name string) error {
	return freezer.Errorf(freezer.ECONFLICT, "Job %q is running elsewhere.", name)
}

// lease takes the lease row of job name, polling until wait ends.
func (db *DB) lease(ctx context.Context, name string, wait time.Duration) (func(), error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	deadline := time.Now().Add(wait)
	for {
		ok, err := db.takeLease(ctx, name, holder)
		if err != nil {
			return nil, fmt.Errorf("lock job %s: %w", name, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return nil, errJobLocked(name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(leasePoll, time.Until(deadline)+time.Millisecond)):
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // renew while held
		defer close(done)
		t := time.NewTicker(leaseRenew)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_, _ = db.write.ExecContext(context.Background(), `UPDATE jobs SET expires_at = ? WHERE name = ? AND holder = ?`,
					db.Now().UTC().Add(leaseTTL), name, holder)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			_, _ = db.write.ExecContext(context.Background(), `UPDATE jobs SET holder = '', expires_at = NULL WHERE name = ? AND holder = ?`, name, holder)
		})
	}, nil
}

// takeLease makes holder the holder of job name when nobody else holds an unexpired lease.
func (db *DB) takeLease(ctx context.Context, name, holder string) (bool, error) {
	var took bool
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := ensureJob(ctx, tx, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET holder = ?, expires_at = ? WHERE name = ? AND (holder = '' OR expires_at IS NULL OR expires_at < ?)`,
			holder, tx.now.Add(leaseTTL), name, tx.now)
		if err != nil {
			return translateError(err)
		}
		n, err := res.RowsAffected()
		took = n == 1
		return err
	})
	return took, err
}

// ensureJob adds the row of job name if it is missing.
func ensureJob(ctx context.Context, tx *Tx, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE name = ?`, name).Scan(&n); err != nil {
		return translateError(err)
	}
	if n > 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO jobs (name) VALUES (?)`, name)
	if freezer.ErrorCode(translateError(err)) == freezer.ECONFLICT {
		return nil // added meanwhile by another process
	}
	return translateError(err)
}

// LastJobRun returns when job name last ran; zero if never (system only).
func (db *DB) LastJobRun(ctx context.Context, name string) (time.Time, error) {
	if err := requireSystem(ctx); err != nil {
		return time.Time{}, err
	}
	var last sql.NullTime
	err := db.read.QueryRowContext(ctx, `SELECT last_run_at FROM jobs WHERE name = ?`, name).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, translateError(err)
	}
	return last.Time, nil
}

// SetJobRun records that job name ran at t (system only).
func (db *DB) SetJobRun(ctx context.Context, name string, t time.Time) error {
	if err := requireSystem(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if err := ensureJob(ctx, tx, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET last_run_at = ? WHERE name = ?`, t.UTC(), name)
		return translateError(err)
	})
}
