package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ScanStore = (*DB)(nil)

// RunScans runs the batch's jobs in one transaction and commits once. The
// jobs first run without savepoints, their product writes and scan events
// sent together before the commit; only when one fails, when another
// replica recorded one of the batch's scans meanwhile, or when another
// transaction changed one of its products (or took a slot it chose) since
// the batch read it, does the batch run again from the start with each job
// in its own savepoint and each write sent at once, so that the failing
// jobs alone are rolled back and the product rules apply to the products
// as stored now. The devices, products and resent events the batch names
// are read together first.
func (db *DB) RunScans(ctx context.Context, batch []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) ([]error, error) {
	// Jobs rarely fail: without savepoints, two statements fewer per scan.
	errs, err := db.runScans(ctx, batch, fn, false)
	if errors.Is(err, errJobFailed) {
		errs, err = db.runScans(ctx, batch, fn, true)
	}
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// errJobFailed stops a batch run without savepoints when one job fails or
// one of its writes finds its product changed or its slot taken.
var errJobFailed = errors.New("a scan of the batch failed")

func (db *DB) runScans(ctx context.Context, batch []freezer.ScanKey, fn func(ctx context.Context, tx freezer.ScanTx, i int) error, savepoints bool) ([]error, error) {
	errs := make([]error, len(batch))
	exec := func(tx *Tx, stmt string) error {
		if !savepoints {
			return nil
		}
		_, err := tx.ExecContext(ctx, stmt)
		return err
	}
	var st *scanTx
	err := db.inTx(ctx, func(tx *Tx) error {
		clear(errs)
		tx.scanBatch = true
		cache, err := db.kept.take(ctx, tx)
		if err != nil {
			return err
		}
		st = &scanTx{tx: tx, cache: cache, deferInserts: !savepoints}
		if !savepoints {
			st.products = newPendingWrites()
		}
		if err := st.preload(ctx, batch); err != nil {
			return err
		}
		for i := range batch {
			if err := exec(tx, "SAVEPOINT scan"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			st.startJob()
			if jobErr := fn(ctx, st, i); jobErr != nil {
				if isRetryable(jobErr) {
					return jobErr // MySQL rolled the whole transaction back: run the batch again
				}
				if !savepoints {
					return errJobFailed
				}
				errs[i] = translateError(jobErr)
				st.dropJob()
				st.cache = newScanCache() // it may hold what the savepoint takes back
				if err := exec(tx, "ROLLBACK TO SAVEPOINT scan"); err != nil {
					return fmt.Errorf("rollback to savepoint: %w", err)
				}
			}
			if err := exec(tx, "RELEASE SAVEPOINT scan"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		if err := st.products.flush(ctx, tx); err != nil {
			return err
		}
		if err := st.countInside(ctx); err != nil {
			return err
		}
		if err := st.flushEvents(ctx); err != nil {
			if freezer.ErrorCode(err) == freezer.ECONFLICT {
				return errJobFailed // recorded meanwhile by another replica: find which job with savepoints
			}
			return err
		}
		// The change log of the whole batch in a few statements, committed with it.
		return recordHistory(ctx, tx, st.history...)
	})
	if err == nil {
		db.kept.put(st.cache)
	}
	return errs, err
}

// scanTx implements freezer.ScanTx on a write transaction, acting as the system.
type scanTx struct {
	tx    *Tx
	cache *scanCache

	// Without savepoints, the batch's events are inserted together
	// (flushEvents): before its commit and before a query reads events;
	// so are its product writes (products), and the slots the batch may
	// put its products back to are read with its products (occupants).
	deferInserts bool
	pending      []*freezer.ScanEvent
	products     *pendingWrites
	occupants    map[slotKey]int64

	// The change log of the batch, written just before the commit; a job
	// that fails takes its entries back (jobStart marks where its own begin).
	history  []*freezer.HistoryEvent
	jobStart int
	// The product writes of the batch, to count products inside (countInside);
	// a job that fails takes its own back (writesStart).
	writes      []productChange
	writesStart int
	// What the current job read and changed, to describe its change.
	loaded  map[int64]freezer.ProductPlace // the place of each product when the job first read it
	changed *freezer.Product               // the last product the job moved, as stored
}

// startJob forgets what the previous job read and changed.
func (s *scanTx) startJob() {
	s.jobStart, s.writesStart, s.changed = len(s.history), len(s.writes), nil
	clear(s.loaded)
}

// dropJob takes back the change-log entries of a job that failed.
func (s *scanTx) dropJob() {
	clear(s.history[s.jobStart:])
	s.history = s.history[:s.jobStart]
	s.writes = s.writes[:s.writesStart]
}

// remember keeps the place of a product the job read, the first time only.
func (s *scanTx) remember(p *freezer.Product) {
	if s.loaded == nil {
		s.loaded = map[int64]freezer.ProductPlace{}
	}
	if _, ok := s.loaded[p.ID]; !ok {
		s.loaded[p.ID] = freezer.PlaceOf(p)
	}
}

// logScan adds a change-log entry for a successful scan that changed a product.
func (s *scanTx) logScan(e *freezer.ScanEvent) {
	p := s.changed
	if e.Status != freezer.ScanOK || e.ProductID == nil || p == nil || p.ID != *e.ProductID {
		return
	}
	before, ok := s.loaded[p.ID]
	if !ok {
		before = freezer.PlaceOf(p)
	}
	action, what := freezer.DescribeMove(p.Name, before, freezer.PlaceOf(p))
	if action == freezer.ActionUpdate {
		what = p.Name + " stays in " + freezer.PlaceOf(p).Location()
	}
	id := p.ID
	s.history = append(s.history, &freezer.HistoryEvent{HouseholdID: p.HouseholdID, ProductID: &id,
		Actor:  freezer.HistoryActor(freezer.Actor{Kind: freezer.ActorDevice, DeviceID: e.DeviceID}),
		Action: freezer.ActionScan, Summary: "scan " + e.Op + ": " + what})
	s.changed = nil
}

const scanEventColumns = `id, device_id, msg_id, code, mode, op, status, product_id, message, product_name, location, undo_place, undone, created_at`

func scanScanEvent(row rowScanner) (*freezer.ScanEvent, error) {
	var e freezer.ScanEvent
	var productID sql.NullInt64
	var undo sql.NullString
	err := row.Scan(&e.ID, &e.DeviceID, &e.MsgID, &e.Code, &e.Mode, &e.Op, &e.Status, &productID, &e.Message,
		&e.Product, &e.Location, &undo, &e.Undone, &e.CreatedAt)
	if err != nil {
		return nil, err
	}
	if productID.Valid {
		e.ProductID = &productID.Int64
	}
	if undo.Valid {
		e.Undo = new(freezer.ProductPlace)
		if err := json.Unmarshal([]byte(undo.String), e.Undo); err != nil {
			return nil, fmt.Errorf("scan event %d undo: %w", e.ID, err)
		}
	}
	return &e, nil
}

func (s *scanTx) FindScanEvent(ctx context.Context, deviceID, msgID string) (*freezer.ScanEvent, error) {
	key := s.eventKey(deviceID, msgID)
	if e, ok := s.cache.events[key]; ok {
		return e, nil
	}
	e, err := s.queryEvent(ctx, "SELECT "+scanEventColumns+" FROM scan_events WHERE device_id = ? AND msg_id = ?", deviceID, msgID)
	if err != nil {
		return nil, err
	}
	s.cache.events[key] = e
	return e, nil
}

// queryEvent returns the event query selects, or nil when it selects none.
func (s *scanTx) queryEvent(ctx context.Context, query string, args ...any) (*freezer.ScanEvent, error) {
	e, err := scanScanEvent(s.tx.QueryRowContext(ctx, query, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return e, translateError(err)
}

func (s *scanTx) FindRecentScan(ctx context.Context, deviceID, code string, since time.Time) (*freezer.ScanEvent, error) {
	return s.findRecentEvent(ctx, deviceID, since, "code = ?", code)
}

func (s *scanTx) FindLastUndoable(ctx context.Context, deviceID string, since time.Time) (*freezer.ScanEvent, error) {
	return s.findRecentEvent(ctx, deviceID, since, "status = ? AND op IN (?, ?, ?) AND undone = 0 AND undo_place IS NOT NULL",
		freezer.ScanOK, freezer.OpOut, freezer.OpIn, freezer.OpMove)
}

// recentScanRows bounds how many of the latest events SQLite looks through
// for a device's recent one (undo, a repeated raw line).
const recentScanRows = 10000

// findRecentEvent returns the device's latest event at or after since that
// meets cond, or nil. MySQL finds it by the (device_id, created_at) index.
// SQLite has no such index (one more page to write per scan, in a part of
// the index of its own per device): it looks through the latest events of
// all devices since then, at most recentScanRows of them, so that with more
// events than that in the window (thousands of scans a minute) an older
// event of the device is not found.
func (s *scanTx) findRecentEvent(ctx context.Context, deviceID string, since time.Time, cond string, condArgs ...any) (*freezer.ScanEvent, error) {
	if err := s.flushEvents(ctx); err != nil {
		return nil, err
	}
	order := " ORDER BY created_at DESC, id DESC"
	var query string
	var args []any
	if s.tx.db.dialect == SQLite {
		query = fmt.Sprintf("SELECT %[1]s FROM (SELECT %[1]s FROM scan_events INDEXED BY scan_events_created WHERE created_at >= ?%[2]s LIMIT %[3]d) WHERE device_id = ? AND %[4]s%[2]s LIMIT 1",
			scanEventColumns, order, recentScanRows, cond)
		args = append([]any{since.UTC(), deviceID}, condArgs...)
	} else {
		query = "SELECT " + scanEventColumns + " FROM scan_events WHERE device_id = ? AND created_at >= ? AND " + cond + order + " LIMIT 1"
		args = append([]any{deviceID, since.UTC()}, condArgs...)
	}
	return s.queryEvent(ctx, query, args...)
}

func (s *scanTx) MarkUndone(ctx context.Context, eventID int64) error {
	_, err := s.tx.ExecContext(ctx, `UPDATE scan_events SET undone = 1 WHERE id = ?`, eventID)
	return translateError(err)
}

func (s *scanTx) InsertScanEvent(ctx context.Context, e *freezer.ScanEvent) error {
	e.CreatedAt = s.tx.now
	if s.deferInserts {
		s.pending = append(s.pending, e)
	} else if err := s.insertEvents(ctx, e); err != nil {
		if freezer.ErrorCode(err) == freezer.ECONFLICT {
			return freezer.ErrDuplicateScan
		}
		return err
	}
	s.cache.events[s.eventKey(e.DeviceID, e.MsgID)] = e
	s.logScan(e)
	return nil
}

// eventInsertSizes are the row counts of the inserts that store pending
// events, largest first: a few statement texts, each prepared once.
var eventInsertSizes = [...]int{64, 32, 16, 8, 4, 2, 1}

// flushEvents inserts the pending events.
func (s *scanTx) flushEvents(ctx context.Context) error {
	for len(s.pending) > 0 {
		n := eventInsertSizes[len(eventInsertSizes)-1]
		for _, size := range eventInsertSizes {
			if len(s.pending) >= size {
				n = size
				break
			}
		}
		if err := s.insertEvents(ctx, s.pending[:n]...); err != nil {
			return err
		}
		s.pending = s.pending[n:]
	}
	s.pending = nil
	return nil
}

const scanEventInsert = `INSERT INTO scan_events (device_id, msg_id, code, mode, op, status, product_id, message,
	product_name, location, undo_place, undone, created_at) VALUES `

// insertEvents inserts events in one statement and sets their ids.
func (s *scanTx) insertEvents(ctx context.Context, events ...*freezer.ScanEvent) error {
	args := make([]any, 0, 13*len(events))
	for _, e := range events {
		var undo any
		if e.Undo != nil {
			b, err := json.Marshal(e.Undo)
			if err != nil {
				return fmt.Errorf("scan event undo: %w", err)
			}
			undo = string(b)
		}
		args = append(args, e.DeviceID, e.MsgID, e.Code, e.Mode, e.Op, e.Status, e.ProductID, e.Message, e.Product, e.Location, undo, e.Undone, e.CreatedAt)
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(events)), ", ")
	if s.tx.db.idsInterleave && s.tx.db.returning {
		// The ids come back with the insert, in the same round trip.
		rows, err := s.tx.QueryContext(ctx, scanEventInsert+values+" RETURNING id, device_id, msg_id", args...)
		if err != nil {
			return translateError(err)
		}
		return s.setEventIDs(rows, events)
	}
	res, err := s.tx.ExecContext(ctx, scanEventInsert+values, args...)
	if err != nil {
		return translateError(err)
	}
	if s.tx.db.idsInterleave {
		return s.readEventIDs(ctx, events)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("read new scan event id: %w", err)
	}
	// One statement numbers its rows in a row: SQLite reports the last id,
	// MySQL the first (with innodb_autoinc_lock_mode 0 or 1 and an
	// increment of 1, checked when the store opened).
	if s.tx.db.dialect == SQLite {
		id -= int64(len(events) - 1)
	}
	for i, e := range events {
		e.ID = id + int64(i)
	}
	return nil
}

// readEventIDs sets the ids of events just inserted by reading them back by
// their unique (device_id, msg_id): on a server whose one statement may
// number its rows with gaps (Galera's increment of the cluster size,
// interleaved auto-increment locks) and that cannot return them with the
// insert (MySQL has no INSERT … RETURNING).
func (s *scanTx) readEventIDs(ctx context.Context, events []*freezer.ScanEvent) error {
	args := make([]any, 0, 2*len(events))
	for _, e := range events {
		args = append(args, e.DeviceID, e.MsgID)
	}
	pairs := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(events)), ", ")
	rows, err := s.tx.QueryContext(ctx, "SELECT id, device_id, msg_id FROM scan_events WHERE (device_id, msg_id) IN ("+pairs+")", args...)
	if err != nil {
		return fmt.Errorf("read new scan event ids: %w", translateError(err))
	}
	return s.setEventIDs(rows, events)
}

// setEventIDs sets the id of each event from rows of (id, device_id,
// msg_id), and closes rows.
func (s *scanTx) setEventIDs(rows *sql.Rows, events []*freezer.ScanEvent) error {
	defer rows.Close()
	byKey := make(map[eventKey]*freezer.ScanEvent, len(events))
	for _, e := range events {
		byKey[s.eventKey(e.DeviceID, e.MsgID)] = e
	}
	found := 0
	for rows.Next() {
		var id int64
		var deviceID, msgID string
		if err := rows.Scan(&id, &deviceID, &msgID); err != nil {
			return fmt.Errorf("read new scan event ids: %w", translateError(err))
		}
		if e := byKey[s.eventKey(deviceID, msgID)]; e != nil {
			e.ID = id
			found++
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read new scan event ids: %w", translateError(err))
	}
	if found != len(events) {
		return fmt.Errorf("read new scan event ids: %d of %d events found", found, len(events))
	}
	return nil
}

func (s *scanTx) FindDevice(ctx context.Context, id string) (*freezer.Device, error) {
	return cached(s.cache.devices, s.tx.db.foldKey(id), func() (*freezer.Device, error) {
		return findDeviceByID(freezer.SystemContext(ctx), s.tx, id)
	}, func() error { return freezer.Errorf(freezer.ENOTFOUND, "Device %q not found.", id) })
}

func (s *scanTx) SetDeviceScanState(ctx context.Context, id, mode string, movingProductID int64) error {
	stored, discard := storedMode(mode)
	_, err := s.tx.ExecContext(ctx, `UPDATE devices SET mode = ?, discard = ?, moving_product_id = ?, last_seen_at = ? WHERE id = ?`,
		stored, discard, nullID(movingProductID), s.tx.now, id)
	if err != nil {
		return translateError(err)
	}
	if d := s.cache.devices[s.tx.db.foldKey(id)]; d != nil {
		stored, seen := *d, s.tx.now
		stored.Mode, stored.MovingProductID, stored.LastSeenAt = mode, movingProductID, &seen
		s.cache.devices[s.tx.db.foldKey(id)] = &stored
	}
	return nil
}

func (s *scanTx) FindProduct(ctx context.Context, id int64) (*freezer.Product, error) {
	p, err := cached(s.cache.products, id, func() (*freezer.Product, error) {
		return findProductByID(freezer.SystemContext(ctx), s.tx, id)
	}, func() error { return freezer.Errorf(freezer.ENOTFOUND, "Product %d not found.", id) })
	if err != nil {
		return nil, err
	}
	s.remember(p)
	return p, nil
}

func (s *scanTx) FindOldestInsideByBarcode(ctx context.Context, householdID int64, barcode string, preferFreezer int64) (*freezer.Product, error) {
	if err := s.products.flush(ctx, s.tx); err != nil {
		return nil, err
	}
	p, err := scanProduct(s.tx.QueryRowContext(ctx, "SELECT "+productColumns+` FROM products
		WHERE household_id = ? AND barcode = ? AND date_out IS NULL
		ORDER BY CASE WHEN freezer_id = ? THEN 0 ELSE 1 END, date_in, id LIMIT 1`, householdID, barcode, preferFreezer))
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, translateError(err)
	}
	s.remember(p)
	return p, nil
}

func (s *scanTx) FindFreezer(ctx context.Context, id int64) (*freezer.Freezer, error) {
	return cached(s.cache.freezers, id, func() (*freezer.Freezer, error) {
		return findFreezerByID(freezer.SystemContext(ctx), s.tx, id, false)
	}, func() error { return freezer.Errorf(freezer.ENOTFOUND, "Freezer %d not found.", id) })
}

// life returns the product operations on the batch's transaction, sharing its cache.
func (s *scanTx) life() *productTx {
	return &productTx{tx: s.tx, products: s.cache.products, freezers: s.cache.freezers, pending: s.products, occupants: s.occupants,
		wrote: func(before, after *freezer.Product) { s.writes = append(s.writes, productChange{*before, *after}) }}
}

func (s *scanTx) TakeOut(ctx context.Context, id int64, outcome string) (*freezer.Product, error) {
	return s.done(s.life().takeOut(freezer.SystemContext(ctx), id, freezer.TakeOutRequest{Outcome: outcome}))
}

func (s *scanTx) PutBack(ctx context.Context, id int64) (*freezer.Product, error) {
	return s.done(s.life().putBack(freezer.SystemContext(ctx), id, freezer.PutBackRequest{}))
}

func (s *scanTx) Move(ctx context.Context, id int64, to freezer.Destination) (*freezer.Product, error) {
	return s.done(s.life().move(freezer.SystemContext(ctx), id, freezer.MoveRequest{Destination: to}))
}

func (s *scanTx) Restore(ctx context.Context, id int64, place freezer.ProductPlace) (*freezer.Product, error) {
	return s.done(s.life().restore(freezer.SystemContext(ctx), id, place))
}

// done returns the outcome of a product operation of the current job: the
// product as stored when it was refused, else as changed, which the job's
// change-log entry then describes.
func (s *scanTx) done(before, after *freezer.Product, err error) (*freezer.Product, error) {
	if err != nil {
		return before, err
	}
	s.remember(before)
	changed := *after
	s.changed = &changed
	return after, nil
}
