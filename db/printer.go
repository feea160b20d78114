package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.PrinterService = (*DB)(nil)

const printerColumns = "household_id, kind, target, token, size, dpi, language, auto_print, updated_at"

func (db *DB) scanPrinter(row rowScanner) (*freezer.PrinterConfig, error) {
	var c freezer.PrinterConfig
	if err := row.Scan(&c.HouseholdID, &c.Kind, &c.Target, &c.Token, &c.Size, &c.DPI, &c.Language, &c.AutoPrint, &c.UpdatedAt); err != nil {
		return nil, err
	}
	var err error
	if c.Token, err = db.open(c.Token, "token", c.HouseholdID); err != nil {
		return nil, err
	}
	c.HasToken = c.Token != ""
	return &c, nil
}

// FindPrinter returns the printer of a household the actor may see.
func (db *DB) FindPrinter(ctx context.Context, householdID int64) (*freezer.PrinterConfig, error) {
	if err := canSeeHousehold(ctx, db.read, householdID); err != nil {
		return nil, err
	}
	c, err := db.scanPrinter(db.read.QueryRowContext(ctx, "SELECT "+printerColumns+" FROM printers WHERE household_id = ?", householdID))
	if err != nil {
		return nil, notFound(err, "No printer is set for household %d.", householdID)
	}
	return c, nil
}

// SetPrinter creates or replaces the printer of a household the actor may see.
func (db *DB) SetPrinter(ctx context.Context, c *freezer.PrinterConfig) error {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, c.HouseholdID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM printers WHERE household_id = ?`, c.HouseholdID); err != nil {
			return translateError(err)
		}
		c.UpdatedAt = tx.now
		_, err := tx.ExecContext(ctx, "INSERT INTO printers ("+printerColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			c.HouseholdID, c.Kind, c.Target, db.seal(c.Token, "token", c.HouseholdID), c.Size, c.DPI, c.Language, c.AutoPrint, c.UpdatedAt)
		return translateError(err)
	})
}

// DeletePrinter removes the printer of a household the actor may see.
func (db *DB) DeletePrinter(ctx context.Context, householdID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM printers WHERE household_id = ?`, householdID)
		if err != nil {
			return translateError(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete printer: %w", err)
		} else if n == 0 {
			return freezer.Errorf(freezer.ENOTFOUND, "No printer is set for household %d.", householdID)
		}
		return nil
	})
}

const printJobColumns = "id, household_id, product_id, code, printer, size, status, error, attempts, created_at, updated_at"

func scanPrintJob(row rowScanner) (*freezer.PrintJob, error) {
	var j freezer.PrintJob
	var productID sql.NullInt64
	if err := row.Scan(&j.ID, &j.HouseholdID, &productID, &j.Code, &j.Printer, &j.Size, &j.Status, &j.Error, &j.Attempts,
		&j.CreatedAt, &j.UpdatedAt); err != nil {
		return nil, err
	}
	if productID.Valid {
		j.ProductID = &productID.Int64
	}
	return &j, nil
}

// maxJobError bounds the error text kept with a print job, in characters.
const maxJobError = 500

// CreatePrintJob records a print job of a household the actor may see.
func (db *DB) CreatePrintJob(ctx context.Context, j *freezer.PrintJob) error {
	if j.Code == "" || j.Printer == "" {
		return freezer.Errorf(freezer.EINVALID, "A print job needs a code and a printer.")
	}
	if j.Status == "" {
		j.Status = freezer.PrintPending
	}
	j.Error = clip(j.Error, maxJobError)
	return db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, j.HouseholdID); err != nil {
			return err
		}
		j.CreatedAt, j.UpdatedAt = tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (household_id, product_id, code, printer, size, status, error, attempts,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.HouseholdID, j.ProductID, j.Code, j.Printer, j.Size, j.Status, j.Error, j.Attempts, j.CreatedAt, j.UpdatedAt)
		if err != nil {
			return translateError(err)
		}
		return assignID(res, &j.ID)
	})
}

// FindPrintJobByID returns one print job the actor may see.
func (db *DB) FindPrintJobByID(ctx context.Context, id int64) (*freezer.PrintJob, error) {
	list, err := findPrintJobs(ctx, db.read, freezer.PrintJobFilter{}, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "Print job %d not found.", id)
	}
	return list[0], nil
}

// FindPrintJobs returns the print jobs matching filter, newest first.
func (db *DB) FindPrintJobs(ctx context.Context, filter freezer.PrintJobFilter) ([]*freezer.PrintJob, error) {
	return findPrintJobs(ctx, db.read, filter, 0)
}

func findPrintJobs(ctx context.Context, q querier, filter freezer.PrintJobFilter, id int64) ([]*freezer.PrintJob, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	where := []string{cond}
	add := func(clause string, v any) { where, args = append(where, clause), append(args, v) }
	if id != 0 {
		add("id = ?", id)
	}
	if filter.HouseholdID != nil {
		add("household_id = ?", *filter.HouseholdID)
	}
	if filter.Status != nil {
		add("status = ?", *filter.Status)
	}
	if filter.BeforeID > 0 {
		add("id < ?", filter.BeforeID)
	}
	return queryAll(ctx, q, scanPrintJob, "SELECT "+printJobColumns+" FROM print_jobs WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id DESC"+limitClause(0, filter.Limit), args...)
}

// FinishPrintJob records the outcome of one attempt at a print job.
func (db *DB) FinishPrintJob(ctx context.Context, j *freezer.PrintJob) error {
	switch j.Status {
	case freezer.PrintPending, freezer.PrintDone, freezer.PrintFailed:
	default:
		return freezer.Errorf(freezer.EINVALID, "Unknown print job status %q.", j.Status)
	}
	j.Error = clip(j.Error, maxJobError)
	return db.inTx(ctx, func(tx *Tx) error {
		list, err := findPrintJobs(ctx, tx, freezer.PrintJobFilter{}, j.ID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return freezer.Errorf(freezer.ENOTFOUND, "Print job %d not found.", j.ID)
		}
		stored := list[0]
		stored.Status, stored.Error, stored.Printer, stored.Size = j.Status, j.Error, j.Printer, j.Size
		stored.Attempts, stored.UpdatedAt = stored.Attempts+1, tx.now
		_, err = tx.ExecContext(ctx, `UPDATE print_jobs SET status = ?, error = ?, printer = ?, size = ?, attempts = ?, updated_at = ? WHERE id = ?`,
			stored.Status, stored.Error, stored.Printer, stored.Size, stored.Attempts, stored.UpdatedAt, stored.ID)
		if err != nil {
			return translateError(err)
		}
		*j = *stored
		return nil
	})
}
