package db

import (
	"context"
	"database/sql"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.FreezerService = (*DB)(nil)

const freezerColumns = "id, household_id, name, number_boxes, archived_at, created_at, updated_at"

func scanFreezer(row rowScanner) (*freezer.Freezer, error) {
	var f freezer.Freezer
	var archived sql.NullTime
	if err := row.Scan(&f.ID, &f.HouseholdID, &f.Name, &f.NumberBoxes, &archived, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return nil, err
	}
	if archived.Valid {
		f.ArchivedAt = &archived.Time
	}
	return &f, nil
}

// FindFreezerByID returns one freezer the actor may see (ENOTFOUND).
func (db *DB) FindFreezerByID(ctx context.Context, id int64) (*freezer.Freezer, error) {
	return findFreezerByID(ctx, db.read, id, false)
}

// findFreezerByID reads a freezer; forUpdate locks its row on MySQL so that
// product placement and resizing serialise per freezer.
func findFreezerByID(ctx context.Context, q querier, id int64, forUpdate bool) (*freezer.Freezer, error) {
	list, err := findFreezers(ctx, q, freezer.FreezerFilter{ID: &id, IncludeArchived: true}, forUpdate)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "Freezer %d not found.", id)
	}
	return list[0], nil
}

// FindFreezers returns the freezers the actor may see, ordered by id.
func (db *DB) FindFreezers(ctx context.Context, filter freezer.FreezerFilter) ([]*freezer.Freezer, error) {
	return findFreezers(ctx, db.read, filter, false)
}

func findFreezers(ctx context.Context, q querier, filter freezer.FreezerFilter, forUpdate bool) ([]*freezer.Freezer, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	where := []string{cond}
	if filter.ID != nil {
		where, args = append(where, "id = ?"), append(args, *filter.ID)
	}
	if filter.HouseholdID != nil {
		where, args = append(where, "household_id = ?"), append(args, *filter.HouseholdID)
	}
	if !filter.IncludeArchived {
		where = append(where, "archived_at IS NULL")
	}
	query := "SELECT " + freezerColumns + " FROM freezers WHERE " + strings.Join(where, " AND ") + " ORDER BY id" + limitClause(filter.Offset, filter.Limit)
	if tx, ok := q.(*Tx); ok && forUpdate && tx.db.dialect == MySQL {
		query += " FOR UPDATE"
	}
	return queryAll(ctx, q, scanFreezer, query, args...)
}

// CreateFreezer adds a freezer to one of the actor's households.
func (db *DB) CreateFreezer(ctx context.Context, f *freezer.Freezer) error {
	if f.ID != 0 && !isSystem(ctx) {
		return freezer.Errorf(freezer.EINVALID, "A new freezer cannot choose its id.")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, f.HouseholdID); err != nil {
			return err
		}
		f.CreatedAt, f.UpdatedAt, f.ArchivedAt = tx.now, tx.now, nil
		res, err := tx.ExecContext(ctx, `INSERT INTO freezers (id, household_id, name, number_boxes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			nullID(f.ID), f.HouseholdID, f.Name, f.NumberBoxes, f.CreatedAt, f.UpdatedAt)
		if err != nil {
			return translateError(err)
		}
		return assignID(res, &f.ID)
	})
}

// UpdateFreezer renames or resizes a freezer, never below a box that holds a product inside.
func (db *DB) UpdateFreezer(ctx context.Context, id int64, upd freezer.FreezerUpdate) (*freezer.Freezer, error) {
	var f *freezer.Freezer
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if f, err = findFreezerByID(ctx, tx, id, true); err != nil {
			return err
		}
		setIfNotNil(&f.Name, upd.Name)
		setIfNotNil(&f.NumberBoxes, upd.NumberBoxes)
		if err := f.Validate(); err != nil {
			return err
		}
		var highest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(box) FROM products WHERE freezer_id = ? AND date_out IS NULL`, id).Scan(&highest); err != nil {
			return translateError(err)
		}
		if highest.Valid && int(highest.Int64) > f.NumberBoxes {
			return freezer.Errorf(freezer.ECONFLICT, "Box %d still holds a product: the freezer cannot have fewer than %d boxes.", highest.Int64, highest.Int64)
		}
		f.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE freezers SET name = ?, number_boxes = ?, updated_at = ? WHERE id = ?`, f.Name, f.NumberBoxes, f.UpdatedAt, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// DeleteFreezer removes a freezer that never held a product.
func (db *DB) DeleteFreezer(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := findFreezerByID(ctx, tx, id, true); err != nil {
			return err
		}
		if n, err := countProducts(ctx, tx, id, false); err != nil {
			return err
		} else if n > 0 {
			return freezer.Errorf(freezer.ECONFLICT, "The freezer still has products or their history: archive it instead.")
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM freezers WHERE id = ?`, id)
		return translateError(err)
	})
}

// ArchiveFreezer hides a freezer that holds no product inside.
func (db *DB) ArchiveFreezer(ctx context.Context, id int64) (*freezer.Freezer, error) {
	var f *freezer.Freezer
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if f, err = findFreezerByID(ctx, tx, id, true); err != nil || f.ArchivedAt != nil {
			return err
		}
		if n, err := countProducts(ctx, tx, id, true); err != nil {
			return err
		} else if n > 0 {
			return freezer.Errorf(freezer.ECONFLICT, "The freezer still holds %d products.", n)
		}
		f.ArchivedAt, f.UpdatedAt = &tx.now, tx.now
		_, err = tx.ExecContext(ctx, `UPDATE freezers SET archived_at = ?, updated_at = ? WHERE id = ?`, tx.now, tx.now, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// countProducts counts a freezer's products: all of them, or only those inside.
func countProducts(ctx context.Context, q querier, freezerID int64, insideOnly bool) (int, error) {
	query := `SELECT COUNT(*) FROM products WHERE freezer_id = ?`
	if insideOnly {
		query += ` AND date_out IS NULL`
	}
	var n int
	if err := q.QueryRowContext(ctx, query, freezerID).Scan(&n); err != nil {
		return 0, translateError(err)
	}
	return n, nil
}

// NextFreeSlots returns the smallest free slot of each box of a freezer.
func (db *DB) NextFreeSlots(ctx context.Context, freezerID int64) (map[int]int, error) {
	f, err := findFreezerByID(ctx, db.read, freezerID, false)
	if err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT box, slot FROM products WHERE freezer_id = ? AND date_out IS NULL`, freezerID)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	taken := make(map[int][]int)
	for rows.Next() {
		var box, slot int
		if err := rows.Scan(&box, &slot); err != nil {
			return nil, translateError(err)
		}
		taken[box] = append(taken[box], slot)
	}
	if err := rows.Err(); err != nil {
		return nil, translateError(err)
	}
	next := make(map[int]int, f.NumberBoxes)
	for box := 1; box <= f.NumberBoxes; box++ {
		next[box] = freezer.NextFreeSlot(taken[box])
	}
	return next, nil
}
