package db

import (
	"context"
	"fmt"
)

// MigrateTo applies the migrations up to version, for tests of older schemas.
func MigrateTo(ctx context.Context, db *DB, version int64) error {
	provider, err := db.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := provider.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}
