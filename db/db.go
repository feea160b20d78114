// Package db stores the freezer domain in SQLite (modernc.org/sqlite, pure
// Go) or MySQL/MariaDB, and implements the domain services on top of it.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	freezer "github.com/freezer-manager/freezer"
)

// DB is an open database with its connection pools and clock.
type DB struct {
	write   *sql.DB // SQLite: one connection, the single writer; MySQL: the pool
	read    *sql.DB // SQLite: several read-only connections; MySQL: the same pool
	dialect Dialect

	// Now returns the current time; tests replace it with a fixed clock.
	Now func() time.Time
	// Location is the time zone whose calendar day is "today" for the date rules.
	Location *time.Location
}

// Open connects to the database named by dsn (see ParseDSN) and checks that
// it answers. It does not migrate: call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	dialect, driverDSN, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{dialect: dialect, Now: time.Now, Location: time.UTC}
	switch dialect {
	case SQLite:
		if db.write, err = sql.Open("sqlite", driverDSN); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetConnMaxIdleTime(0)
		if db.read, err = sql.Open("sqlite", driverDSN+"&_query_only=1"); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8)
	case MySQL:
		if db.write, err = sql.Open("mysql", driverDSN); err != nil {
			return nil, fmt.Errorf("open mysql: %w", err)
		}
		db.write.SetMaxOpenConns(32)
		db.write.SetMaxIdleConns(16)
		db.write.SetConnMaxLifetime(5 * time.Minute)
		db.read = db.write
	}
	// The writer connects first so that the file and its WAL exist before a read-only connection opens it.
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s database %s: %w", dialect, redactDSN(dsn), err)
	}
	return db, nil
}

// Dialect returns the SQL engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var errs []error
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// today returns the calendar day of now in the configured time zone.
func (db *DB) today() freezer.Date { return freezer.Today(db.Now(), db.Location) }

// querier is what both *sql.DB and *sql.Tx offer; helpers take one so that
// they run inside a transaction or on the read pool alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction with the time it started, so that every row it
// touches carries the same timestamp.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
}

// maxTxAttempts bounds the retries of a transaction that MySQL chose as a
// deadlock victim; SQLite never needs one (one writer).
const maxTxAttempts = 5

// inTx runs fn in a write transaction and commits it, retrying a MySQL
// deadlock or lock timeout; any error from fn rolls it back.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		if err = db.runTx(ctx, fn); err == nil || !isRetryable(err) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * time.Millisecond):
		}
	}
	return translateError(err)
}

func (db *DB) runTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, now: db.Now().UTC()}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
