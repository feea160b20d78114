package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ScanStore = (*DB)(nil)

// RunScans runs each job in a savepoint of one transaction and commits once.
func (db *DB) RunScans(ctx context.Context, n int, fn func(ctx context.Context, tx freezer.ScanTx, i int) error) ([]error, error) {
	errs := make([]error, n)
	err := db.inTx(ctx, func(tx *Tx) error {
		clear(errs)
		st := &scanTx{tx: tx}
		for i := 0; i < n; i++ {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT scan"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if jobErr := fn(ctx, st, i); jobErr != nil {
				if isRetryable(jobErr) {
					return jobErr // MySQL rolled the whole transaction back: run the batch again
				}
				errs[i] = translateError(jobErr)
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT scan"); err != nil {
					return fmt.Errorf("rollback to savepoint: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT scan"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// scanTx implements freezer.ScanTx on a write transaction, acting as the system.
type scanTx struct {
	tx *Tx
}

func (s *scanTx) Today() freezer.Date { return freezer.Today(s.tx.now, s.tx.db.Location) }

const scanEventColumns = `id, device_id, msg_id, code, mode, op, status, product_id, message, product_name, location, undo_place, undone, created_at`

func scanScanEvent(row interface{ Scan(...any) error }) (*freezer.ScanEvent, error) {
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

// findOneEvent returns the first event of query, or nil when there is none.
func (s *scanTx) findOneEvent(ctx context.Context, query string, args ...any) (*freezer.ScanEvent, error) {
	e, err := scanScanEvent(s.tx.QueryRowContext(ctx, "SELECT "+scanEventColumns+" FROM scan_events WHERE "+query, args...))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return e, translateError(err)
}

func (s *scanTx) FindScanEvent(ctx context.Context, deviceID, msgID string) (*freezer.ScanEvent, error) {
	return s.findOneEvent(ctx, "device_id = ? AND msg_id = ?", deviceID, msgID)
}

func (s *scanTx) FindRecentScan(ctx context.Context, deviceID, code string, since time.Time) (*freezer.ScanEvent, error) {
	return s.findOneEvent(ctx, "device_id = ? AND code = ? AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 1", deviceID, code, since.UTC())
}

func (s *scanTx) FindLastUndoable(ctx context.Context, deviceID string, since time.Time) (*freezer.ScanEvent, error) {
	return s.findOneEvent(ctx, `device_id = ? AND status = ? AND op IN (?, ?, ?) AND undone = 0 AND undo_place IS NOT NULL
		AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT 1`,
		deviceID, freezer.ScanOK, freezer.OpOut, freezer.OpIn, freezer.OpMove, since.UTC())
}

func (s *scanTx) MarkUndone(ctx context.Context, eventID int64) error {
	_, err := s.tx.ExecContext(ctx, `UPDATE scan_events SET undone = 1 WHERE id = ?`, eventID)
	return translateError(err)
}

func (s *scanTx) InsertScanEvent(ctx context.Context, e *freezer.ScanEvent) error {
	var undo any
	if e.Undo != nil {
		b, err := json.Marshal(e.Undo)
		if err != nil {
			return err
		}
		undo = string(b)
	}
	e.CreatedAt = s.tx.now
	res, err := s.tx.ExecContext(ctx, `INSERT INTO scan_events (device_id, msg_id, code, mode, op, status, product_id, message,
		product_name, location, undo_place, undone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.DeviceID, e.MsgID, e.Code, e.Mode, e.Op, e.Status, e.ProductID, e.Message, e.Product, e.Location, undo, e.Undone, e.CreatedAt)
	if err != nil {
		if err = translateError(err); freezer.ErrorCode(err) == freezer.ECONFLICT {
			return freezer.ErrDuplicateScan
		}
		return err
	}
	return assignID(res, &e.ID)
}

func (s *scanTx) FindDevice(ctx context.Context, id string) (*freezer.Device, error) {
	return findDeviceByID(freezer.SystemContext(ctx), s.tx, id)
}

func (s *scanTx) SetDeviceScanState(ctx context.Context, id, mode string, movingProductID int64) error {
	_, err := s.tx.ExecContext(ctx, `UPDATE devices SET mode = ?, moving_product_id = ?, last_seen_at = ? WHERE id = ?`,
		mode, nullID(movingProductID), s.tx.now, id)
	return translateError(err)
}

func (s *scanTx) FindProduct(ctx context.Context, id int64) (*freezer.Product, error) {
	return findProductByID(freezer.SystemContext(ctx), s.tx, id)
}

func (s *scanTx) FindOldestInsideByBarcode(ctx context.Context, householdID int64, barcode string, preferFreezer int64) (*freezer.Product, error) {
	p, err := scanProduct(s.tx.QueryRowContext(ctx, "SELECT "+productColumns+` FROM products
		WHERE household_id = ? AND barcode = ? AND date_out IS NULL
		ORDER BY CASE WHEN freezer_id = ? THEN 0 ELSE 1 END, date_in, id LIMIT 1`, householdID, barcode, preferFreezer))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return p, translateError(err)
}

func (s *scanTx) FindFreezer(ctx context.Context, id int64) (*freezer.Freezer, error) {
	return findFreezerByID(freezer.SystemContext(ctx), s.tx, id, false)
}

func (s *scanTx) NextFreeSlot(ctx context.Context, freezerID int64, box int) (int, error) {
	return nextFreeSlot(ctx, s.tx, freezerID, box)
}

func (s *scanTx) MoveProduct(ctx context.Context, p *freezer.Product) error {
	p.Version++
	p.UpdatedAt = s.tx.now
	_, err := s.tx.ExecContext(ctx, `UPDATE products SET freezer_id = ?, box = ?, slot = ?, date_out = ?, version = ?, updated_at = ? WHERE id = ?`,
		p.FreezerID, p.Box, p.Slot, p.DateOut, p.Version, p.UpdatedAt, p.ID)
	return translateError(err)
}
