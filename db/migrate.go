package db

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	freezer "github.com/freezer-manager/freezer"
)

//go:embed migrations
var migrationsFS embed.FS

//go:embed product-types.csv
var productTypesCSV []byte

// seedTypesVersion is the migration that adds the default product types.
const seedTypesVersion = 2

// Migrate brings the schema up to date. On MySQL a lock row makes replicas
// that start together migrate one after the other.
func (db *DB) Migrate(ctx context.Context) error {
	provider, err := db.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s database: %w", db.dialect, err)
	}
	return nil
}

// SchemaVersion returns the version of the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	provider, err := db.migrationProvider()
	if err != nil {
		return 0, err
	}
	v, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (db *DB) migrationProvider() (*goose.Provider, error) {
	files, err := fs.Sub(migrationsFS, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	gooseDialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goose.NewGoMigration(seedTypesVersion, &goose.GoFunc{RunTx: seedProductTypes}, nil)),
	}
	if db.dialect == MySQL {
		gooseDialect = goose.DialectMySQL
		locker, err := lock.NewMySQLTableLocker(
			lock.WithTableName("goose_lock"),
			lock.WithTableLockTimeout(500*time.Millisecond, 1200),
		)
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	provider, err := goose.NewProvider(gooseDialect, db.write, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return provider, nil
}

// DefaultProductTypes returns the product types every new database starts with.
func DefaultProductTypes() ([]*freezer.ProductType, error) {
	records, err := csv.NewReader(bytes.NewReader(productTypesCSV)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read default product types: %w", err)
	}
	types := make([]*freezer.ProductType, 0, len(records))
	for _, rec := range records[1:] { // the first row names the columns
		id, err := strconv.ParseInt(rec[0], 10, 64)
		if err != nil || len(rec) != 3 {
			return nil, fmt.Errorf("read default product types: bad row %q", rec)
		}
		types = append(types, &freezer.ProductType{ID: id, NameEN: rec[1], NameFR: rec[2]})
	}
	return types, nil
}

func seedProductTypes(ctx context.Context, tx *sql.Tx) error {
	types, err := DefaultProductTypes()
	if err != nil {
		return err
	}
	for _, t := range types {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_types (id, name_en, name_fr) VALUES (?, ?, ?)`, t.ID, t.NameEN, t.NameFR); err != nil {
			return fmt.Errorf("seed product type %d: %w", t.ID, err)
		}
	}
	return nil
}
