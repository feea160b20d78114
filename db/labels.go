package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.LabelService = (*DB)(nil)

// Blank labels carry product ids reserved ahead. New products and
// reservations both take their ids from the one row of product_id_sequence
// (locked on MySQL), above every stored product id: a reserved id is never
// handed to another product, and the product that claims a label takes its
// id in the same transaction that marks the reservation claimed.

// labelClaimKey carries through CreateProduct the blank label a new product claims.
type labelClaimKey struct{}

const reservationColumns = "id, household_id, created_at, claimed_at"

func scanReservation(row rowScanner) (*freezer.LabelReservation, error) {
	var r freezer.LabelReservation
	var claimed sql.NullTime
	if err := row.Scan(&r.ID, &r.HouseholdID, &r.CreatedAt, &claimed); err != nil {
		return nil, err
	}
	if claimed.Valid {
		r.ClaimedAt = &claimed.Time
	}
	return &r, nil
}

// ReserveLabels reserves n consecutive product ids for a household's blank labels.
func (db *DB) ReserveLabels(ctx context.Context, householdID int64, n int) ([]*freezer.LabelReservation, error) {
	if n < 1 || n > freezer.MaxBlankLabels {
		return nil, freezer.Errorf(freezer.EINVALID, "count must be between 1 and %d.", freezer.MaxBlankLabels)
	}
	var list []*freezer.LabelReservation
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		first, err := nextProductIDs(ctx, tx, n)
		if err != nil {
			return err
		}
		list = make([]*freezer.LabelReservation, n)
		values := make([]string, n)
		args := make([]any, 0, 3*n)
		for i := range list {
			list[i] = &freezer.LabelReservation{ID: first + int64(i), HouseholdID: householdID, CreatedAt: tx.now}
			values[i] = "(?, ?, ?)"
			args = append(args, list[i].ID, householdID, tx.now)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO label_reservations (id, household_id, created_at) VALUES `+strings.Join(values, ", "), args...)
		if err = translateError(err); freezer.ErrorMessage(err) == idConflictMessage {
			return errRaced // ids from the sequence, taken meanwhile on another node
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// FindLabelReservation returns the reservation of a product id the actor may see.
func (db *DB) FindLabelReservation(ctx context.Context, id int64) (*freezer.LabelReservation, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	r, err := scanReservation(db.read.QueryRowContext(ctx, "SELECT "+reservationColumns+" FROM label_reservations WHERE id = ? AND "+cond,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "No blank label carries product id %d.", id)
	}
	return r, nil
}

// CreateProductWithLabel stores p under the id of an unused blank label of its household.
func (db *DB) CreateProductWithLabel(ctx context.Context, p *freezer.Product, labelID int64) error {
	if labelID <= 0 {
		return freezer.Errorf(freezer.EINVALID, "label_code must be a product label such as FZ-I-000123.")
	}
	if p.ID != 0 {
		return freezer.Errorf(freezer.EINVALID, "A new product cannot choose its id.")
	}
	return db.CreateProduct(context.WithValue(ctx, labelClaimKey{}, labelID), p)
}

// assignProductID gives a new product its id inside CreateProduct's
// transaction, once its household is known: the id of the blank label it
// claims, or the next id of the sequence. An id the system chose (an
// import) is kept unless a blank label waits for it.
func assignProductID(ctx context.Context, tx *Tx, p *freezer.Product) error {
	if labelID, ok := ctx.Value(labelClaimKey{}).(int64); ok {
		return claimLabel(ctx, tx, p, labelID)
	}
	if p.ID != 0 && isSystem(ctx) {
		r, err := findReservation(ctx, tx, p.ID, false)
		if err != nil {
			return err
		}
		if r != nil && r.ClaimedAt == nil {
			return freezer.Errorf(freezer.ECONFLICT, "Product id %d is kept for a blank label.", p.ID)
		}
		return nil
	}
	id, err := nextProductIDs(ctx, tx, 1)
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// claimLabel marks a blank label of p's household used and gives p its id.
func claimLabel(ctx context.Context, tx *Tx, p *freezer.Product, labelID int64) error {
	r, err := findReservation(ctx, tx, labelID, true)
	if err != nil {
		return err
	}
	code := fmt.Sprintf("FZ-I-%06d", labelID)
	if r == nil || r.HouseholdID != p.HouseholdID {
		return freezer.Errorf(freezer.EINVALID, "label_code %s is not a blank label of this household.", code)
	}
	if r.ClaimedAt != nil {
		return freezer.Errorf(freezer.ECONFLICT, "The blank label %s is already used by another product.", code)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE label_reservations SET claimed_at = ? WHERE id = ?`, tx.now, labelID); err != nil {
		return translateError(err)
	}
	p.ID = labelID
	return nil
}

// findReservation reads a reservation of any household, or nil; forUpdate
// locks its row on MySQL.
func findReservation(ctx context.Context, q querier, id int64, forUpdate bool) (*freezer.LabelReservation, error) {
	query := "SELECT " + reservationColumns + " FROM label_reservations WHERE id = ?"
	if tx, ok := q.(*Tx); ok && forUpdate && tx.db.dialect == MySQL {
		query += " FOR UPDATE"
	}
	r, err := scanReservation(q.QueryRowContext(ctx, query, id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return r, translateError(err)
}

// nextProductIDs takes n consecutive ids from the sequence, above every
// stored product (imports insert their own ids) and returns the first.
// On MySQL the sequence row stays locked until the transaction ends, which
// serialises the creation of products.
func nextProductIDs(ctx context.Context, tx *Tx, n int) (int64, error) {
	query := `SELECT last_id FROM product_id_sequence WHERE id = 1`
	if tx.db.dialect == MySQL {
		query += " FOR UPDATE"
	}
	var last, highest int64
	if err := tx.QueryRowContext(ctx, query).Scan(&last); err != nil {
		return 0, fmt.Errorf("read product id sequence: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM products`).Scan(&highest); err != nil {
		return 0, fmt.Errorf("read highest product id: %w", err)
	}
	first := max(last, highest) + 1
	if _, err := tx.ExecContext(ctx, `UPDATE product_id_sequence SET last_id = ? WHERE id = 1`, first+int64(n)-1); err != nil {
		return 0, fmt.Errorf("advance product id sequence: %w", err)
	}
	return first, nil
}

// advanceProductIDs moves the sequence past the given ids, so that no new
// product or blank label ever takes an id printed on an imported label.
func advanceProductIDs(ctx context.Context, tx *Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	query := `SELECT last_id FROM product_id_sequence WHERE id = 1`
	if tx.db.dialect == MySQL {
		query += " FOR UPDATE"
	}
	var last int64
	if err := tx.QueryRowContext(ctx, query).Scan(&last); err != nil {
		return fmt.Errorf("read product id sequence: %w", err)
	}
	if highest := slices.Max(ids); highest > last {
		if _, err := tx.ExecContext(ctx, `UPDATE product_id_sequence SET last_id = ? WHERE id = 1`, highest); err != nil {
			return fmt.Errorf("advance product id sequence: %w", err)
		}
	}
	return nil
}

// FindAliasedProduct returns the product a household's label names through an alias, or nil.
func (s *scanTx) FindAliasedProduct(ctx context.Context, householdID, labelID int64) (*freezer.Product, error) {
	var id int64
	err := s.tx.QueryRowContext(ctx, `SELECT product_id FROM label_aliases WHERE household_id = ? AND label_id = ?`, householdID, labelID).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, translateError(err)
	}
	return s.FindProduct(ctx, id)
}

// FindLabelReservation returns the reservation of a product id of any household, or nil.
func (s *scanTx) FindLabelReservation(ctx context.Context, id int64) (*freezer.LabelReservation, error) {
	return findReservation(ctx, s.tx, id, false)
}
