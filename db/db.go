// Package db stores the freezer domain in SQLite (modernc.org/sqlite, pure
// Go) or MySQL/MariaDB, and implements the domain services on top of it.
// It owns the schema, its migrations and every SQL statement. It must not
// import a transport (broker, hub, alerts, homeassistant, api, devices) nor
// the label renderer: the rules it applies are the root package's.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/secretbox"
)

// DB is an open database with its connection pools and clock.
type DB struct {
	write   *sql.DB // SQLite: one connection, the single writer; MySQL: the pool
	read    *sql.DB // SQLite: several read-only connections; MySQL: the same pool
	dialect Dialect
	source  string        // the driver's data source name, for connections of its own (backup, copy)
	stmts   stmtCache     // the write statements, prepared once
	ckpt    *checkpointer // SQLite: checkpoints the log off the writer's path
	kept    *keptRows     // SQLite: rows scan batches read, for the next batch
	// secretKey encrypts households' secrets at rest (nil: plain text).
	secretKey *secretbox.Key
	// MySQL: one multi-row INSERT may number its rows with gaps (Galera, or
	// interleaved auto-increment locks), so new ids are read back by key.
	idsInterleave bool
	returning     bool // MySQL: the server is MariaDB 10.5 or later, which has INSERT … RETURNING
	// trace, when set (by tests), is told each statement a write
	// transaction sends, its begin and commit included.
	trace func(query string)

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
	db := &DB{dialect: dialect, source: driverDSN, Now: time.Now, Location: time.UTC}
	switch dialect {
	case SQLite:
		if err := createPrivate(sqlitePath(dsn)); err != nil {
			return nil, fmt.Errorf("open sqlite database %s: %w", redactDSN(dsn), err)
		}
		if db.write, err = sql.Open("sqlite", driverDSN+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walRestartPages)); err != nil {
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
		connector, err := newMySQLConnector(dsn)
		if err != nil {
			return nil, err
		}
		db.write = sql.OpenDB(connector)
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
	if dialect == MySQL {
		if db.idsInterleave, err = interleavedIDs(ctx, db.write); err != nil {
			db.Close()
			return nil, err
		}
		if db.returning, err = hasInsertReturning(ctx, db.write); err != nil {
			db.Close()
			return nil, err
		}
	}
	if dialect == SQLite {
		db.kept = &keptRows{}
		if db.ckpt, err = startCheckpointer(driverDSN); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// createPrivate creates a new SQLite file readable by its owner only:
// SQLite gives its log files the same mode. An existing file is left as it is.
func createPrivate(path string) error {
	if strings.HasPrefix(path, ":") || strings.HasPrefix(path, "file:") {
		return nil // in memory, or a URI the driver reads
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create: %w", errors.Unwrap(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// interleavedIDs reports whether the rows of one multi-row INSERT may get
// auto-increment ids that are not consecutive: with an increment other than
// 1 (Galera sets it to the cluster's size, and changes it when the cluster
// does), innodb_autoinc_lock_mode 2 (which Galera requires, and MySQL 8's
// default), or on a Galera node.
func interleavedIDs(ctx context.Context, conn *sql.DB) (bool, error) {
	var lockMode, increment int64
	if err := conn.QueryRowContext(ctx, "SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment").Scan(&lockMode, &increment); err != nil {
		return false, fmt.Errorf("read auto-increment settings: %w", err)
	}
	var name, wsrep string
	err := conn.QueryRowContext(ctx, "SHOW VARIABLES LIKE 'wsrep_on'").Scan(&name, &wsrep)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // MySQL has no wsrep_on
		return false, fmt.Errorf("read wsrep_on: %w", err)
	}
	return lockMode == 2 || increment != 1 || strings.EqualFold(wsrep, "ON"), nil
}

// hasInsertReturning reports whether the server is MariaDB 10.5 or later,
// whose INSERT … RETURNING gives the ids of the rows it inserts.
func hasInsertReturning(ctx context.Context, conn *sql.DB) (bool, error) {
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return false, fmt.Errorf("read server version: %w", err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil || !strings.Contains(version, "MariaDB") {
		return false, nil
	}
	return major > 10 || (major == 10 && minor >= 5), nil
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
	if db.ckpt != nil {
		errs = append(errs, db.ckpt.close())
	}
	db.stmts.close()
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

// today returns the calendar day of the transaction's time in the store's time zone.
func (tx *Tx) today() freezer.Date { return freezer.Today(tx.now, tx.db.Location) }

// querier is what both *sql.DB and *sql.Tx offer; helpers take one so that
// they run inside a transaction or on the read pool alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction with the time it started, so that every row it
// touches carries the same timestamp. Its statements are prepared once per
// connection and reused: parsing dominates the cost of SQLite's small
// writes, and MySQL then needs one round trip per statement instead of three.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time

	scanBatch bool // a RunScans batch, which keeps what it read (see keptRows)
	// locked holds the freezers read with a lock: the lock holds until the
	// transaction ends.
	locked map[int64]bool

	// The transaction's own handles of the prepared statements it ran, by
	// query: a batch runs the same few statements many times, and each
	// handle database/sql makes costs allocations.
	stmts map[string]*sql.Stmt
}

// stmt returns the transaction's handle of the prepared statement of query,
// or nil when it is not prepared.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if own, ok := tx.stmts[query]; ok {
		return own
	}
	prepared := tx.db.stmts.get(query)
	if prepared == nil {
		return nil
	}
	own := tx.StmtContext(ctx, prepared)
	if tx.stmts == nil {
		tx.stmts = make(map[string]*sql.Stmt)
	}
	tx.stmts[query] = own
	return own
}

// ExecContext runs a statement in the transaction, prepared once.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.statementContext(ctx, query)
	if stmt := tx.stmt(ctx, query); stmt != nil {
		return stmt.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction, prepared once.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.statementContext(ctx, query)
	if stmt := tx.stmt(ctx, query); stmt != nil {
		return stmt.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row query in the transaction, prepared once.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = tx.statementContext(ctx, query)
	if stmt := tx.stmt(ctx, query); stmt != nil {
		return stmt.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// statementContext returns the context query runs with in the transaction,
// and tells the trace of it. The SQLite driver watches a cancellable context
// with a goroutine of its own per statement, which costs more than most of
// the small statements here: on SQLite they run to their end (each is short,
// and the transaction checks its context before it commits); on MySQL a cut
// connection must not hang one.
func (tx *Tx) statementContext(ctx context.Context, query string) context.Context {
	if tx.db.trace != nil {
		tx.db.trace(query)
	}
	if tx.db.dialect == SQLite {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// maxCachedStmts bounds the prepared statements kept; the store builds a
// limited set of queries, so this is only a guard.
const maxCachedStmts = 512

// stmtCache keeps prepared statements by their SQL text. A statement seen
// inside a transaction is prepared after it ends: SQLite's writer pool has
// one connection, and the transaction holds it.
type stmtCache struct {
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // seen, to prepare once the connection is free
	failed  map[string]bool // could not be prepared: always run as text
}

// get returns the prepared statement of query, or nil (the caller then runs
// the text directly) when it is not prepared yet or is a transaction-control
// statement.
func (c *stmtCache) get(query string) *sql.Stmt {
	if strings.HasPrefix(query, "SAVEPOINT") || strings.HasPrefix(query, "ROLLBACK") || strings.HasPrefix(query, "RELEASE") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if stmt, ok := c.stmts[query]; ok {
		return stmt
	}
	if !c.failed[query] && len(c.stmts)+len(c.pending) < maxCachedStmts {
		if c.pending == nil {
			c.pending = make(map[string]bool)
		}
		c.pending[query] = true
	}
	return nil
}

// preparePending prepares the statements seen since the last call.
func (c *stmtCache) preparePending(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for query := range pending {
		stmt, err := db.PrepareContext(ctx, query)
		c.mu.Lock()
		if err != nil {
			if c.failed == nil {
				c.failed = make(map[string]bool)
			}
			c.failed[query] = true
		} else if _, dup := c.stmts[query]; dup {
			stmt.Close()
		} else {
			if c.stmts == nil {
				c.stmts = make(map[string]*sql.Stmt)
			}
			c.stmts[query] = stmt
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, stmt := range c.stmts {
		stmt.Close()
	}
	c.stmts = nil
}

// maxTxAttempts bounds the runs of a transaction that MySQL chose as a
// deadlock victim, timed out waiting for a lock, or that a Galera cluster
// aborted because a write certified on another node conflicted with it
// (all error 1213 or 1205); SQLite never needs one (one writer). Under the
// contention of several replicas on several nodes a transaction may lose
// many times in a row (all product creations write the product id
// sequence's row): the waits between runs grow, with jitter so that the
// losers do not meet again, to at most about three seconds in all. (Six
// clients creating products at once through three nodes, under the race
// detector, took up to 9 runs.)
const maxTxAttempts = 15

// retryWait returns the wait before run attempt+1 of a transaction: half
// to all of 4 ms, 8 ms, 16 ms… up to 400 ms.
func retryWait(attempt int) time.Duration {
	d := min(2*time.Millisecond<<attempt, 400*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

// inTx runs fn in a write transaction and commits it, retrying a deadlock,
// a lock wait timeout or a certification conflict; any error from fn rolls
// it back.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	defer db.stmts.preparePending(context.WithoutCancel(ctx), db.write)
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		if err = db.runTx(ctx, fn); err == nil || !isRetryable(err) || attempt == maxTxAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryWait(attempt)):
		}
	}
	return translateError(err)
}

func (db *DB) runTx(ctx context.Context, fn func(tx *Tx) error) error {
	// database/sql watches a transaction's cancellable context with a
	// goroutine per query; on SQLite the transaction checks its context
	// before it commits instead (see statementContext).
	txCtx := ctx
	if db.dialect == SQLite {
		txCtx = context.WithoutCancel(ctx)
	}
	// MySQL's write transactions read committed rows (each connection is
	// set so, see readCommitted): a transaction that waited for a freezer's
	// lock then sees the places taken meanwhile, where REPEATABLE READ would
	// show the snapshot of its first read.
	if db.trace != nil {
		db.trace("BEGIN")
	}
	sqlTx, err := db.write.BeginTx(txCtx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{Tx: sqlTx, db: db, now: db.Now().UTC()}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if db.kept != nil && !tx.scanBatch {
		db.kept.drop() // before the commit: the next batch starts after it
	}
	if db.trace != nil {
		db.trace("COMMIT")
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if db.ckpt != nil {
		db.ckpt.committed()
	}
	return nil
}
