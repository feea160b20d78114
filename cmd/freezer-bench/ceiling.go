package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// storageCeiling is the MySQL storage ceiling of the scan pipeline: the
// same per-scan work (read the product, mark it out or back in, insert the
// scan event) straight on a database of freezerd's schema, in set-based
// batches (one SELECT, one UPDATE and one multi-row INSERT per batch, in one
// transaction), with no broker and no hub.
type storageCeiling struct {
	conn      *sql.DB
	household int64
	products  []int64
	devices   []string
	run       int // numbers the runs, whose message ids must differ
	// retries counts the batches run again after a deadlock or a lock wait
	// timeout (two connections' changes of the unique index of the
	// products inside lock neighbouring entries), as the store retries.
	retries atomic.Int64
}

// retryable reports whether err is a deadlock or a lock wait timeout.
func retryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// ceilingConfig is one way of batching: connections, each running batches
// of inFlight/connections scans in a loop.
type ceilingConfig struct {
	inFlight, connections int
	perSecond             float64 // measured
}

func (c ceilingConfig) batch() int { return max(1, c.inFlight/c.connections) }

func (c ceilingConfig) String() string {
	if c.connections == 1 {
		return fmt.Sprintf("1 connection, batches of %d", c.batch())
	}
	return fmt.Sprintf("%d connections × batches of %d", c.connections, c.batch())
}

// ceilingConnections are the numbers of connections best tries.
var ceilingConnections = []int{1, 2, 4, 8}

// prepareCeiling creates the ceiling's database (named after mysqlDSN's,
// with "_ceiling"), with products and devices for busyDevices scans in flight.
func prepareCeiling(mysqlDSN string) (*storageCeiling, error) {
	dsn, err := mysqlDatabase(mysqlDSN, "_ceiling")
	if err != nil {
		return nil, err
	}
	fx, err := seed(dsn, seedPlan{busy: busyDevices})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return openCeiling(dsn, fx.busy)
}

// openCeiling runs the ceiling on the products and devices of h.
func openCeiling(dsn string, h household) (*storageCeiling, error) {
	_, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(driverDSN)
	if err != nil {
		return nil, fmt.Errorf("parse driver dsn: %w", err)
	}
	// Arguments inside the statement text: one round trip per statement,
	// with no prepared statement to create and close.
	cfg.InterpolateParams = true
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	conn.SetMaxIdleConns(max(ceilingConnections[len(ceilingConnections)-1], 2))
	c := &storageCeiling{conn: conn, household: h.id}
	for _, sc := range h.scanners {
		c.products = append(c.products, sc.productID)
		c.devices = append(c.devices, sc.id)
	}
	return c, nil
}

func (c *storageCeiling) close() { c.conn.Close() }

// best tries each number of connections for d with inFlight scans in all,
// and returns the fastest.
func (c *storageCeiling) best(inFlight int, d time.Duration) (ceilingConfig, error) {
	var best ceilingConfig
	for _, n := range ceilingConnections {
		cfg := ceilingConfig{inFlight: inFlight, connections: n}
		r, err := c.measure(cfg, d)
		if err != nil {
			return best, err
		}
		if cfg.perSecond = r.PerSecond(); cfg.perSecond > best.perSecond {
			best = cfg
		}
	}
	return best, nil
}

// turn is the ceiling with cfg as one turn of an alternation.
func (c *storageCeiling) turn(cfg ceilingConfig) turn {
	return func(d time.Duration) (loadResult, cpuTime, error) {
		r, err := c.measure(cfg, d)
		return r, cpuTime{}, err
	}
}

// measure runs cfg for d. Every product starts inside; each connection
// takes its products out, then puts them back, batch after batch.
func (c *storageCeiling) measure(cfg ceilingConfig, d time.Duration) (loadResult, error) {
	ctx := context.Background()
	if cfg.batch()*cfg.connections > len(c.products) {
		return loadResult{}, fmt.Errorf("storage ceiling: %d scans in flight, %d products", cfg.batch()*cfg.connections, len(c.products))
	}
	if _, err := c.conn.ExecContext(ctx, "UPDATE products SET date_out = NULL WHERE household_id = ?", c.household); err != nil {
		return loadResult{}, fmt.Errorf("storage ceiling: put products back: %w", err)
	}
	c.run++
	var mu sync.Mutex
	var latencies []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for w := range cfg.connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := cfg.batch()
			products, devices := c.products[w*b:(w+1)*b], c.devices[w*b:(w+1)*b]
			var mine []time.Duration
			for seq := 1; time.Now().Before(stop); seq++ {
				t := time.Now()
				err := c.scanBatch(ctx, products, devices, fmt.Sprintf("c%d-%d-%d", c.run, w, seq), seq%2 == 1)
				for retryable(err) {
					c.retries.Add(1)
					err = c.scanBatch(ctx, products, devices, fmt.Sprintf("c%d-%d-%d", c.run, w, seq), seq%2 == 1)
				}
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				rtt := time.Since(t)
				for range b {
					mine = append(mine, rtt)
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	return summarize(latencies, time.Since(start)), nil
}

func cmpOr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}

// scanBatch is one batch of scans, one per product: read them, take them
// out (or put them back), insert a scan event each, and commit.
func (c *storageCeiling) scanBatch(ctx context.Context, products []int64, devices []string, msgPrefix string, out bool) error {
	tx, err := c.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage ceiling: begin: %w", err)
	}
	defer tx.Rollback()
	marks := strings.TrimSuffix(strings.Repeat("?,", len(products)), ",")
	ids := make([]any, len(products))
	for i, id := range products {
		ids[i] = id
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, household_id, freezer_id, box, slot, name, type_id, date_in, date_out, period_months, version FROM products WHERE id IN ("+marks+")", ids...)
	if err != nil {
		return fmt.Errorf("storage ceiling: read products: %w", err)
	}
	type place struct {
		name                   string
		freezer, box, slot, id int64
	}
	read := make(map[int64]place, len(products))
	for rows.Next() {
		var p place
		var household, typeID, period, version int64
		var dateIn string
		var dateOut sql.NullString
		if err := rows.Scan(&p.id, &household, &p.freezer, &p.box, &p.slot, &p.name, &typeID, &dateIn, &dateOut, &period, &version); err != nil {
			rows.Close()
			return fmt.Errorf("storage ceiling: read products: %w", err)
		}
		read[p.id] = p
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("storage ceiling: read products: %w", err)
	}
	if len(read) != len(products) {
		return fmt.Errorf("storage ceiling: read %d products of %d", len(read), len(products))
	}
	now := time.Now().UTC()
	var dateOut any
	mode, op := "in", "in"
	if out {
		dateOut, mode, op = now.Format(time.DateOnly), "out", "out"
	}
	res, err := tx.ExecContext(ctx, "UPDATE products SET date_out = ?, version = version + 1, updated_at = ? WHERE id IN ("+marks+")", append([]any{dateOut, now}, ids...)...)
	if err != nil {
		return fmt.Errorf("storage ceiling: update products: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(products)) {
		return fmt.Errorf("storage ceiling: updated %d products of %d (%v)", n, len(products), err)
	}
	var q strings.Builder
	q.WriteString("INSERT INTO scan_events (device_id, msg_id, code, mode, op, status, product_id, product_name, location, created_at) VALUES ")
	args := make([]any, 0, 10*len(products))
	for i, id := range products {
		if i > 0 {
			q.WriteString(",")
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?)")
		p := read[id]
		args = append(args, devices[i], fmt.Sprintf("%s-%d", msgPrefix, i), freezer.ProductCode(id), mode, op, "ok", id, p.name,
			fmt.Sprintf("F%d B%d S%d", p.freezer, p.box, p.slot), now)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("storage ceiling: insert scan events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage ceiling: commit: %w", err)
	}
	return nil
}
