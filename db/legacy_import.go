package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	freezer "github.com/freezer-manager/freezer"
)

// Kinds of legacy record named in an ImportIssue.
const (
	ImportKindUser    = "user"
	ImportKindType    = "type"
	ImportKindFreezer = "freezer"
	ImportKindProduct = "product"
)

// LegacyTokenName is the name an imported legacy token gets.
const LegacyTokenName = "legacy token"

// ImportCounts counts legacy records of each kind.
type ImportCounts struct {
	Users    int `json:"users"`
	Freezers int `json:"freezers"`
	Products int `json:"products"`
	Types    int `json:"types"`
}

// ImportIssue is one legacy record that is skipped, in conflict, or
// imported with a caveat, and why.
type ImportIssue struct {
	Kind     string `json:"kind"`                // one of the ImportKind constants
	LegacyID int64  `json:"legacy_id,omitempty"` // a type, freezer or product id
	Email    string `json:"email,omitempty"`     // a user: their e-mail as stored in the legacy database
	Token    string `json:"token,omitempty"`     // a user: the start of their legacy token, never all of it
	Reason   string `json:"reason"`
}

// ImportReport says what an import did, or what it would do in a dry run.
// Each legacy record is counted once: Found = Imported + AlreadyPresent +
// its entries in Skipped and Conflicts. Warnings name records that were
// imported (or found present) with a caveat.
type ImportReport struct {
	DryRun         bool          `json:"dry_run"`
	FreezerTable   string        `json:"freezer_table"` // the legacy table that gave freezer owners
	Found          ImportCounts  `json:"found"`
	Imported       ImportCounts  `json:"imported"`
	AlreadyPresent ImportCounts  `json:"already_present"`
	Skipped        []ImportIssue `json:"skipped"`
	Conflicts      []ImportIssue `json:"conflicts"`
	Warnings       []ImportIssue `json:"warnings"`
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// ImportLegacy copies a database in the original system's schema (read from
// source, a MySQL connection) into db, in one transaction: users with a
// household each and their legacy token, product types, freezers and
// products, keeping type, freezer and product ids. Records already imported
// are counted, not copied again; broken records are skipped and reported.
// A dry run plans the same import and writes nothing. Only the system and
// admins may import (EFORBIDDEN). A source that is not a legacy database is
// EINVALID. Ids used by other people's data are conflicts: nothing is
// written and the error is ECONFLICT, returned with the report that lists them.
func (db *DB) ImportLegacy(ctx context.Context, source *sql.DB, dryRun bool) (*ImportReport, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	src, err := readLegacy(ctx, source)
	if err != nil {
		return nil, err
	}
	var report *ImportReport
	err = db.inTx(ctx, func(tx *Tx) error {
		im := newImporter(ctx, tx, src, dryRun)
		report = im.report
		if err := im.plan(); err != nil {
			return err
		}
		if n := len(report.Conflicts); n > 0 {
			return freezer.Errorf(freezer.ECONFLICT, "Legacy records conflict with existing data (%d): nothing imported.", n)
		}
		if dryRun {
			return errDryRun
		}
		return im.apply()
	})
	switch {
	case errors.Is(err, errDryRun):
		return report, nil
	case err != nil && report != nil && len(report.Conflicts) > 0:
		return report, err
	case err != nil:
		return nil, err
	}
	return report, nil
}

// apply writes the plan: types, then users with their household and
// legacy token, then freezers, then products.
func (im *importer) apply() error {
	ctx, tx := im.ctx, im.tx
	for _, t := range im.newTypes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_types (id, name_en, name_fr) VALUES (?, ?, ?)`, t.ID, t.NameEN, t.NameFR); err != nil {
			return importError(translateError(err), "import type %d", t.ID)
		}
	}
	for _, u := range im.newUsers {
		nu := &freezer.User{Email: u.email, Language: u.language}
		if err := insertUser(ctx, tx, nu, u.legacy.password); err != nil {
			return importError(err, "import user %s", u.email)
		}
		u.id = nu.ID
		if _, err := insertToken(ctx, tx, u.id, LegacyTokenName, u.legacy.token, true); err != nil {
			return importError(err, "import the token of %s", u.email)
		}
		h := &freezer.Household{Name: "Home"}
		if err := createHousehold(ctx, tx, h, u.id); err != nil {
			return importError(err, "create a household for %s", u.email)
		}
		u.householdID = h.ID
	}
	for _, f := range im.newFreezers {
		if f.owner.householdID == 0 { // an imported user who owns no household any more
			h := &freezer.Household{Name: "Home"}
			if err := createHousehold(ctx, tx, h, f.owner.id); err != nil {
				return importError(err, "create a household for %s", f.owner.email)
			}
			f.owner.householdID = h.ID
		}
		f.HouseholdID, f.CreatedAt, f.UpdatedAt = f.owner.householdID, tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO freezers (id, household_id, name, number_boxes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			f.ID, f.HouseholdID, f.Name, f.NumberBoxes, f.CreatedAt, f.UpdatedAt)
		if err != nil {
			return importError(translateError(err), "import freezer %d", f.ID)
		}
	}
	for _, p := range im.newProducts {
		p.HouseholdID, p.Version, p.CreatedAt, p.UpdatedAt = p.freezer.HouseholdID, 1, tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id,
			quantity, barcode, date_in, date_out, period_months, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID,
			p.Quantity, p.DateIn, p.DateOut, p.PeriodMonths, p.Version, p.CreatedAt, p.UpdatedAt)
		if err != nil {
			return importError(translateError(err), "import product %d", p.ID)
		}
	}
	return nil
}

// importError names the record a write failed on, keeping a domain error's code.
func importError(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if code := freezer.ErrorCode(err); code != freezer.EINTERNAL {
		return freezer.Errorf(code, "%s: %s", what, freezer.ErrorMessage(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
