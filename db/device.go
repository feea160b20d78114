package db

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.DeviceService = (*DB)(nil)

const deviceColumns = "id, household_id, kind, name, freezer_id, " + deviceMode + ", last_seen_at, online, created_at, moving_product_id"

// deviceMode reads a device's mode: discard is stored as out with the
// discard flag (see storedMode).
const deviceMode = "CASE WHEN discard = 1 THEN '" + freezer.ModeDiscard + "' ELSE mode END"

// storedMode returns the mode column and discard flag of a device's mode
// (an integration's column holds out).
func storedMode(mode string) (string, bool) {
	switch mode {
	case freezer.ModeDiscard:
		return freezer.ModeOut, true
	case "":
		return freezer.ModeOut, false
	}
	return mode, false
}

func scanDevice(row rowScanner) (*freezer.Device, error) {
	var d freezer.Device
	var freezerID, moving sql.NullInt64
	var lastSeen sql.NullTime
	if err := row.Scan(&d.ID, &d.HouseholdID, &d.Kind, &d.Name, &freezerID, &d.Mode, &lastSeen, &d.Online, &d.CreatedAt, &moving); err != nil {
		return nil, err
	}
	if freezerID.Valid {
		d.FreezerID = &freezerID.Int64
	}
	if lastSeen.Valid {
		d.LastSeenAt = &lastSeen.Time
	}
	d.MovingProductID = moving.Int64
	if d.Kind == freezer.DeviceIntegration {
		d.Mode = ""
	}
	return &d, nil
}

// deviceIDAlphabet keeps device ids valid as MQTT client ids, usernames and topic levels.
const deviceIDAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newDeviceID returns a readable random id such as "scanner-k3v9x2ma".
func newDeviceID(kind string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = deviceIDAlphabet[int(b[i])%len(deviceIDAlphabet)]
	}
	prefix := "scanner-"
	if kind == freezer.DeviceIntegration {
		prefix = "ha-"
	}
	return prefix + string(b), nil
}

// CreateDevice registers a device and returns its password, shown once.
// Its password is 256 random bits, so a fast hash (SHA-256) is enough and
// keeps a thousand devices connecting at once cheap.
func (db *DB) CreateDevice(ctx context.Context, d *freezer.Device) (string, error) {
	d.Normalize()
	if err := d.Validate(); err != nil {
		return "", err
	}
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	if d.ID, err = newDeviceID(d.Kind); err != nil {
		return "", err
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, d.HouseholdID); err != nil {
			return err
		}
		if err := checkDeviceFreezer(ctx, tx, d.HouseholdID, d.FreezerID); err != nil {
			return err
		}
		d.CreatedAt, d.Online, d.LastSeenAt = tx.now, false, nil
		mode, discard := storedMode(d.Mode)
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (id, household_id, kind, name, freezer_id, mode, discard, secret_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.HouseholdID, d.Kind, d.Name, d.FreezerID, mode, discard, hashToken(secret), d.CreatedAt)
		return translateError(err)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// checkDeviceFreezer returns EINVALID unless freezerID is nil or a freezer of the household.
func checkDeviceFreezer(ctx context.Context, q querier, householdID int64, freezerID *int64) error {
	if freezerID == nil {
		return nil
	}
	var owner int64
	err := q.QueryRowContext(ctx, `SELECT household_id FROM freezers WHERE id = ?`, *freezerID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != householdID) {
		return freezer.Errorf(freezer.EINVALID, "freezer_id %d is not a freezer of the device's household.", *freezerID)
	} else if err != nil {
		return fmt.Errorf("read the freezer of a device: %w", err) // a deadlock is retried, not a wrong freezer
	}
	return nil
}

// FindDeviceByID returns one device the actor may see.
func (db *DB) FindDeviceByID(ctx context.Context, id string) (*freezer.Device, error) {
	return findDeviceByID(ctx, db.read, id)
}

func findDeviceByID(ctx context.Context, q querier, id string) (*freezer.Device, error) {
	list, err := findDevices(ctx, q, freezer.DeviceFilter{ID: &id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "Device %q not found.", id)
	}
	return list[0], nil
}

// FindDevices lists the devices the actor may see.
func (db *DB) FindDevices(ctx context.Context, filter freezer.DeviceFilter) ([]*freezer.Device, error) {
	return findDevices(ctx, db.read, filter)
}

func findDevices(ctx context.Context, q querier, filter freezer.DeviceFilter) ([]*freezer.Device, error) {
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
	if filter.Kind != nil {
		where, args = append(where, "kind = ?"), append(args, *filter.Kind)
	}
	return queryAll(ctx, q, scanDevice, "SELECT "+deviceColumns+" FROM devices WHERE "+strings.Join(where, " AND ")+" ORDER BY created_at, id", args...)
}

// UpdateDevice renames a device, binds it to a freezer or sets its mode.
func (db *DB) UpdateDevice(ctx context.Context, id string, upd freezer.DeviceUpdate) (*freezer.Device, error) {
	var d *freezer.Device
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if d, err = findDeviceByID(ctx, tx, id); err != nil {
			return err
		}
		setIfNotNil(&d.Name, upd.Name)
		setIfNotNil(&d.Mode, upd.Mode)
		if upd.FreezerID != nil {
			d.FreezerID = upd.FreezerID
			if *upd.FreezerID == 0 {
				d.FreezerID = nil
			}
		}
		if err := d.Validate(); err != nil {
			return err
		}
		if err := checkDeviceFreezer(ctx, tx, d.HouseholdID, d.FreezerID); err != nil {
			return err
		}
		mode, discard := storedMode(d.Mode)
		_, err = tx.ExecContext(ctx, `UPDATE devices SET name = ?, mode = ?, discard = ?, freezer_id = ? WHERE id = ?`, d.Name, mode, discard, d.FreezerID, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDevice revokes a device; its scan history goes with it.
func (db *DB) DeleteDevice(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if _, err := findDeviceByID(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE id = ?`, id)
		return translateError(err)
	})
}

// AuthenticateDevice checks a device's id and password.
func (db *DB) AuthenticateDevice(ctx context.Context, id, password string) (*freezer.Device, error) {
	var hash string
	d, err := scanDeviceWithHash(db.read.QueryRowContext(ctx, "SELECT "+deviceColumns+", secret_hash FROM devices WHERE id = ?", id), &hash)
	if err != nil {
		if freezer.ErrorCode(translateError(err)) == freezer.ENOTFOUND {
			return nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Wrong device id or password.")
		}
		return nil, translateError(err)
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(password)), []byte(hash)) != 1 {
		return nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Wrong device id or password.")
	}
	return d, nil
}

// scanDeviceWithHash reads a device row followed by its secret hash.
func scanDeviceWithHash(row *sql.Row, hash *string) (*freezer.Device, error) {
	return scanDevice(rowWithExtra{row: row, extra: hash})
}

// rowWithExtra scans one more column after those its caller asks for.
type rowWithExtra struct {
	row   *sql.Row
	extra any
}

func (r rowWithExtra) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

// SetDeviceOnline records a device connecting or disconnecting.
func (db *DB) SetDeviceOnline(ctx context.Context, id string, online bool) error {
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE devices SET online = ?, last_seen_at = ? WHERE id = ?`, online, tx.now, id)
		return translateError(err)
	})
}
