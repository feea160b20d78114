package db

import (
	"context"
	"fmt"
	"strconv"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/secretbox"
)

// SetSecretKey makes the store encrypt the secrets it keeps for households
// (printer and webhook tokens, SMTP passwords) with key. Without a key they
// are written as plain text; a stored encrypted secret then cannot be read.
// Call it before serving, then SealSecrets.
func (db *DB) SetSecretKey(key *secretbox.Key) { db.secretKey = key }

// secretColumns are the columns of household secrets, with their table's key column.
var secretColumns = []struct{ table, key, column string }{
	{"printers", "household_id", "token"},
	{"alert_settings", "household_id", "webhook_token"},
	{"alert_settings", "household_id", "smtp_password"},
}

// secretPlace binds a sealed value to its column and row, so that a value
// copied into another row or column does not open.
func secretPlace(column string, householdID int64) string {
	return column + "/" + strconv.FormatInt(householdID, 10)
}

// seal encrypts a secret for its column and household, when the store has a key.
func (db *DB) seal(plain, column string, householdID int64) string {
	if db.secretKey == nil {
		return plain
	}
	return db.secretKey.Seal(plain, secretPlace(column, householdID))
}

// open decrypts a stored secret; plain text written before encryption
// reads as it is.
func (db *DB) open(stored, column string, householdID int64) (string, error) {
	if !secretbox.Sealed(stored) {
		return stored, nil
	}
	if db.secretKey == nil {
		return "", freezer.Errorf(freezer.EINTERNAL, "The database holds encrypted secrets: start freezerd with its secret key.")
	}
	plain, err := db.secretKey.Open(stored, secretPlace(column, householdID))
	if err != nil {
		return "", fmt.Errorf("%s of household %d: %w", column, householdID, err)
	}
	return plain, nil
}

// SealSecrets encrypts the secrets still stored as plain text (written
// before encryption, or without a key) and returns how many it sealed.
func (db *DB) SealSecrets(ctx context.Context) (int, error) {
	if db.secretKey == nil {
		return 0, nil
	}
	sealed := 0
	for _, c := range secretColumns {
		err := db.inTx(ctx, func(tx *Tx) error {
			rows, err := tx.QueryContext(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s <> '' AND %s NOT LIKE 'enc1:%%'",
				c.key, c.column, c.table, c.column, c.column))
			if err != nil {
				return translateError(err)
			}
			plain := map[int64]string{}
			for rows.Next() {
				var id int64
				var value string
				if err := rows.Scan(&id, &value); err != nil {
					rows.Close()
					return translateError(err)
				}
				plain[id] = value
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return translateError(err)
			}
			for id, value := range plain {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", c.table, c.column, c.key),
					db.seal(value, c.column, id), id); err != nil {
					return translateError(err)
				}
			}
			sealed += len(plain)
			return nil
		})
		if err != nil {
			return sealed, fmt.Errorf("seal %s.%s: %w", c.table, c.column, err)
		}
	}
	return sealed, nil
}
