package db

import (
	"context"
	"database/sql"
	"fmt"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ProductTypeService = (*DB)(nil)

// FindProductTypes returns every product type, ordered by id.
func (db *DB) FindProductTypes(ctx context.Context) ([]*freezer.ProductType, error) {
	return loadProductTypes(ctx, db.read)
}

// loadProductTypes returns every product type, ordered by id.
func loadProductTypes(ctx context.Context, q querier) ([]*freezer.ProductType, error) {
	return queryAll(ctx, q, scanProductType, `SELECT `+productTypeColumns+` FROM product_types ORDER BY id`)
}

const productTypeColumns = "id, name_en, name_fr"

func scanProductType(row rowScanner) (*freezer.ProductType, error) {
	var t freezer.ProductType
	if err := row.Scan(&t.ID, &t.NameEN, &t.NameFR); err != nil {
		return nil, err
	}
	return &t, nil
}

// FindProductTypeByID returns one product type (ENOTFOUND).
func (db *DB) FindProductTypeByID(ctx context.Context, id int64) (*freezer.ProductType, error) {
	return findProductTypeByID(ctx, db.read, id)
}

func findProductTypeByID(ctx context.Context, q querier, id int64) (*freezer.ProductType, error) {
	t, err := scanProductType(q.QueryRowContext(ctx, `SELECT `+productTypeColumns+` FROM product_types WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "Product type %d not found.", id)
	}
	return t, nil
}

// CreateProductType adds a type; t.ID may be preset to keep an imported id.
func (db *DB) CreateProductType(ctx context.Context, t *freezer.ProductType) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO product_types (id, name_en, name_fr) VALUES (?, ?, ?)`, nullID(t.ID), t.NameEN, t.NameFR)
		if err != nil {
			return translateError(err)
		}
		return assignID(res, &t.ID)
	})
}

// UpdateProductType renames a product type.
func (db *DB) UpdateProductType(ctx context.Context, id int64, upd freezer.ProductTypeUpdate) (*freezer.ProductType, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var t *freezer.ProductType
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if t, err = findProductTypeByID(ctx, tx, id); err != nil {
			return err
		}
		setIfNotNil(&t.NameEN, upd.NameEN)
		setIfNotNil(&t.NameFR, upd.NameFR)
		if err := t.Validate(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE product_types SET name_en = ?, name_fr = ? WHERE id = ?`, t.NameEN, t.NameFR, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// nullID passes 0 as NULL so that the database assigns the next id.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// assignID sets *id to the id the database assigned, unless it was preset.
func assignID(res sql.Result, id *int64) error {
	if *id != 0 {
		return nil
	}
	v, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("read new id: %w", err)
	}
	*id = v
	return nil
}
