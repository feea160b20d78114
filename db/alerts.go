package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var (
	_ freezer.AlertSettingsService = (*DB)(nil)
	_ freezer.AlertStore           = (*DB)(nil)
)

const alertSettingsColumns = `household_id, mqtt, webhook_url, webhook_format, webhook_token, email_to, email_from,
	smtp_host, smtp_port, smtp_username, smtp_password, smtp_tls, ha_discovery, ha_prefix, updated_at`

func (db *DB) scanAlertSettings(row rowScanner) (*freezer.AlertSettings, error) {
	var s freezer.AlertSettings
	var to string
	var updated time.Time
	err := row.Scan(&s.HouseholdID, &s.MQTT, &s.Webhook.URL, &s.Webhook.Format, &s.Webhook.Token, &to, &s.Email.From,
		&s.Email.SMTPHost, &s.Email.SMTPPort, &s.Email.SMTPUsername, &s.Email.SMTPPassword, &s.Email.SMTPTLS,
		&s.HomeAssistant.Discovery, &s.HomeAssistant.Prefix, &updated)
	if err != nil {
		return nil, err
	}
	if s.Webhook.Token, err = db.open(s.Webhook.Token, "webhook_token", s.HouseholdID); err != nil {
		return nil, err
	}
	if s.Email.SMTPPassword, err = db.open(s.Email.SMTPPassword, "smtp_password", s.HouseholdID); err != nil {
		return nil, err
	}
	s.Email.To = splitAddresses(to)
	s.UpdatedAt = &updated
	return &s, nil
}

// splitAddresses reads the comma-separated e-mail_to column.
func splitAddresses(s string) []string {
	list := []string{}
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			list = append(list, a)
		}
	}
	return list
}

// FindAlertSettings returns the alert settings of one of the actor's households.
func (db *DB) FindAlertSettings(ctx context.Context, householdID int64) (*freezer.AlertSettings, error) {
	if err := canSeeHousehold(ctx, db.read, householdID); err != nil {
		return nil, err
	}
	return db.findAlertSettings(ctx, db.read, householdID)
}

// findAlertSettings reads a household's settings row, or the defaults.
func (db *DB) findAlertSettings(ctx context.Context, q querier, householdID int64) (*freezer.AlertSettings, error) {
	s, err := db.scanAlertSettings(q.QueryRowContext(ctx, "SELECT "+alertSettingsColumns+" FROM alert_settings WHERE household_id = ?", householdID))
	if errors.Is(err, sql.ErrNoRows) {
		return freezer.DefaultAlertSettings(householdID), nil
	} else if err != nil {
		return nil, translateError(err)
	}
	return s, nil
}

// UpdateAlertSettings changes the alert settings of one of the actor's households.
func (db *DB) UpdateAlertSettings(ctx context.Context, householdID int64, upd freezer.AlertSettingsUpdate) (*freezer.AlertSettings, error) {
	var s *freezer.AlertSettings
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		if s, err = db.findAlertSettings(ctx, tx, householdID); err != nil {
			return err
		}
		stored := s.UpdatedAt != nil
		upd.Apply(s)
		if err := s.Validate(); err != nil {
			return err
		}
		s.UpdatedAt = &tx.now
		args := []any{s.MQTT, s.Webhook.URL, s.Webhook.Format, db.seal(s.Webhook.Token, "webhook_token", householdID),
			strings.Join(s.Email.To, ","), s.Email.From, s.Email.SMTPHost, s.Email.SMTPPort, s.Email.SMTPUsername,
			db.seal(s.Email.SMTPPassword, "smtp_password", householdID), s.Email.SMTPTLS,
			s.HomeAssistant.Discovery, s.HomeAssistant.Prefix, tx.now, householdID}
		query := `UPDATE alert_settings SET mqtt = ?, webhook_url = ?, webhook_format = ?, webhook_token = ?, email_to = ?,
			email_from = ?, smtp_host = ?, smtp_port = ?, smtp_username = ?, smtp_password = ?, smtp_tls = ?,
			ha_discovery = ?, ha_prefix = ?, updated_at = ? WHERE household_id = ?`
		if !stored {
			query = `INSERT INTO alert_settings (mqtt, webhook_url, webhook_format, webhook_token, email_to, email_from,
				smtp_host, smtp_port, smtp_username, smtp_password, smtp_tls, ha_discovery, ha_prefix, updated_at, household_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		}
		_, err = tx.ExecContext(ctx, query, args...)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// requireSystem returns EFORBIDDEN unless the server itself is acting: the
// alert job's methods see every household.
func requireSystem(ctx context.Context) error {
	if !isSystem(ctx) {
		return freezer.Errorf(freezer.EFORBIDDEN, "Only the server itself may do this.")
	}
	return nil
}

// FindAllAlertSettings returns every household's alert settings (system only).
func (db *DB) FindAllAlertSettings(ctx context.Context) ([]*freezer.AlertSettings, error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	stored := map[int64]*freezer.AlertSettings{}
	rows, err := db.read.QueryContext(ctx, "SELECT "+alertSettingsColumns+" FROM alert_settings")
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	for rows.Next() {
		s, err := db.scanAlertSettings(rows)
		if err != nil {
			return nil, translateError(err)
		}
		stored[s.HouseholdID] = s
	}
	if err := rows.Err(); err != nil {
		return nil, translateError(err)
	}
	ids, err := db.read.QueryContext(ctx, "SELECT id FROM households ORDER BY id")
	if err != nil {
		return nil, translateError(err)
	}
	defer ids.Close()
	var list []*freezer.AlertSettings
	for ids.Next() {
		var id int64
		if err := ids.Scan(&id); err != nil {
			return nil, translateError(err)
		}
		s := stored[id]
		if s == nil {
			s = freezer.DefaultAlertSettings(id)
		}
		list = append(list, s)
	}
	return list, translateError(ids.Err())
}

// candidateColumns are productColumns of the products table aliased p.
const candidateColumns = `p.id, p.household_id, p.freezer_id, p.box, p.slot, p.name, p.description, p.type_id, p.quantity,
	COALESCE(p.barcode, ''), p.date_in, p.date_out, p.period_months, p.version, p.created_at, p.updated_at`

// FindAlertCandidates returns the products inside without an overdue alert
// (system only). Their stages are left to the caller: the dialects do not
// share the domain's month arithmetic.
func (db *DB) FindAlertCandidates(ctx context.Context) ([]*freezer.AlertCandidate, error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+candidateColumns+`, h.due_soon_days,
		EXISTS (SELECT 1 FROM alerts a WHERE a.product_id = p.id AND a.stage = ?)
		FROM products p JOIN households h ON h.id = p.household_id
		WHERE p.date_out IS NULL AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.product_id = p.id AND a.stage = ?)
		ORDER BY p.id`, freezer.AlertDueSoon, freezer.AlertOverdue)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []*freezer.AlertCandidate
	for rows.Next() {
		var c freezer.AlertCandidate
		var p freezer.Product
		err := rows.Scan(&p.ID, &p.HouseholdID, &p.FreezerID, &p.Box, &p.Slot, &p.Name, &p.Description, &p.TypeID, &p.Quantity,
			&p.Barcode, &p.DateIn, &p.DateOut, &p.PeriodMonths, &p.Version, &p.CreatedAt, &p.UpdatedAt, &c.DueSoonDays, &c.DueSoonSent)
		if err != nil {
			return nil, translateError(err)
		}
		c.Product = &p
		list = append(list, &c)
	}
	return list, translateError(rows.Err())
}

// errAlreadyAlerted rolls back a RecordAlert whose alert exists.
var errAlreadyAlerted = errors.New("already alerted")

// RecordAlert stores an alert and its pending deliveries in one transaction
// (system only). The unique index on (product_id, stage) makes the
// database, not the caller, guarantee one alert per product and stage.
func (db *DB) RecordAlert(ctx context.Context, a *freezer.Alert, channels []string) (bool, error) {
	if err := requireSystem(ctx); err != nil {
		return false, err
	}
	err := db.inTx(ctx, func(tx *Tx) error {
		a.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (household_id, product_id, stage, use_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			a.HouseholdID, a.ProductID, a.Stage, a.UseBy, a.CreatedAt)
		if err != nil {
			if err = translateError(err); freezer.ErrorCode(err) == freezer.ECONFLICT {
				return errAlreadyAlerted
			}
			return err
		}
		if err := assignID(res, &a.ID); err != nil {
			return err
		}
		for _, ch := range channels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_deliveries (alert_id, channel, status, next_attempt_at, created_at)
				VALUES (?, ?, ?, ?, ?)`, a.ID, ch, freezer.DeliveryPending, tx.now, tx.now); err != nil {
				return translateError(err)
			}
		}
		return nil
	})
	if errors.Is(err, errAlreadyAlerted) {
		return false, nil
	}
	return err == nil, err
}

// ClaimLease is how long a claimed delivery stays claimed without being
// renewed (RenewClaims): after it, the delivery is taken for abandoned (its
// process died) and pending again, for another process to send.
const ClaimLease = time.Minute

// ClaimDeliveries claims the pending deliveries due at now (system only).
func (db *DB) ClaimDeliveries(ctx context.Context, channels []string, now time.Time, limit int) ([]*freezer.AlertDelivery, error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	if len(channels) == 0 || limit <= 0 {
		return nil, nil
	}
	now = now.UTC()
	var claimed []*freezer.AlertDelivery
	err := db.inTx(ctx, func(tx *Tx) error {
		claimed = nil
		if _, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET status = ?, claimed_at = NULL WHERE status = ? AND claimed_at < ?`,
			freezer.DeliveryPending, freezer.DeliverySending, now.Add(-ClaimLease)); err != nil {
			return translateError(err)
		}
		list, err := findDueDeliveries(ctx, tx, channels, now, limit)
		if err != nil {
			return err
		}
		for _, d := range list {
			res, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET status = ?, claimed_at = ? WHERE id = ? AND status = ?`,
				freezer.DeliverySending, now, d.ID, freezer.DeliveryPending)
			if err != nil {
				return translateError(err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				claimed = append(claimed, d)
			}
		}
		return nil
	})
	return claimed, err
}

// RenewClaims keeps the deliveries with these ids claimed as of now, for
// another ClaimLease, while the process that claimed them is still sending
// (system only). A delivery already finished is left alone.
func (db *DB) RenewClaims(ctx context.Context, ids []int64, now time.Time) error {
	if err := requireSystem(ctx); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	args := []any{now.UTC(), freezer.DeliverySending}
	for _, id := range ids {
		args = append(args, id)
	}
	return db.inTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET claimed_at = ? WHERE status = ? AND id IN (?`+
			strings.Repeat(", ?", len(ids)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("renew delivery claims: %w", translateError(err))
		}
		return nil
	})
}

// findDueDeliveries reads pending deliveries due at now, with their alert,
// product, freezer and household.
func findDueDeliveries(ctx context.Context, q querier, channels []string, now time.Time, limit int) ([]*freezer.AlertDelivery, error) {
	args := []any{freezer.DeliveryPending, now}
	for _, ch := range channels {
		args = append(args, ch)
	}
	args = append(args, limit)
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.channel, d.attempts, a.id, a.household_id, a.product_id, a.stage, a.use_by, a.created_at,
		`+candidateColumns+`, f.name, h.name
		FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN products p ON p.id = a.product_id
		JOIN freezers f ON f.id = p.freezer_id JOIN households h ON h.id = a.household_id
		WHERE d.status = ? AND d.next_attempt_at <= ? AND d.channel IN (?`+strings.Repeat(", ?", len(channels)-1)+`)
		ORDER BY d.id LIMIT ?`, args...)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []*freezer.AlertDelivery
	for rows.Next() {
		var d freezer.AlertDelivery
		a, p := &d.Alert, &d.Product
		err := rows.Scan(&d.ID, &d.Channel, &d.Attempts, &a.ID, &a.HouseholdID, &a.ProductID, &a.Stage, &a.UseBy, &a.CreatedAt,
			&p.ID, &p.HouseholdID, &p.FreezerID, &p.Box, &p.Slot, &p.Name, &p.Description, &p.TypeID, &p.Quantity,
			&p.Barcode, &p.DateIn, &p.DateOut, &p.PeriodMonths, &p.Version, &p.CreatedAt, &p.UpdatedAt, &d.FreezerName, &d.HouseholdName)
		if err != nil {
			return nil, translateError(err)
		}
		list = append(list, &d)
	}
	return list, translateError(rows.Err())
}

// maxDeliveryError bounds the error text kept with a delivery.
const maxDeliveryError = 500

// FinishDelivery records what became of a claimed delivery (system only).
func (db *DB) FinishDelivery(ctx context.Context, id int64, o freezer.DeliveryOutcome) error {
	if err := requireSystem(ctx); err != nil {
		return err
	}
	switch o.Status {
	case freezer.DeliverySent, freezer.DeliveryPending, freezer.DeliveryFailed, freezer.DeliverySkipped:
	default:
		return freezer.Errorf(freezer.EINVALID, "Unknown delivery status %q.", o.Status)
	}
	msg := o.Error
	if r := []rune(msg); len(r) > maxDeliveryError {
		msg = string(r[:maxDeliveryError])
	}
	return db.inTx(ctx, func(tx *Tx) error {
		attempt, next := 1, tx.now
		var sentAt *time.Time
		switch o.Status {
		case freezer.DeliverySkipped:
			attempt = 0
		case freezer.DeliverySent:
			sentAt = &tx.now
		case freezer.DeliveryPending:
			next = o.NextAttempt.UTC()
		}
		_, err := tx.ExecContext(ctx, `UPDATE alert_deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = ?,
			sent_at = ?, last_error = ?, claimed_at = NULL WHERE id = ? AND status = ?`,
			o.Status, attempt, next, sentAt, msg, id, freezer.DeliverySending)
		return translateError(err)
	})
}
