package db

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	freezer "github.com/freezer-manager/freezer"
)

// MySQL and MariaDB server error numbers that the store translates.
const (
	mysqlDuplicateEntry   = 1062
	mysqlLockWaitTimeout  = 1205
	mysqlDeadlock         = 1213
	mysqlRowIsReferenced  = 1451
	mysqlNoReferencedRow  = 1452
	mysqlCheckViolated    = 3819 // MySQL 8
	mysqlConstraintFailed = 4025 // MariaDB
)

// translateError turns driver errors into domain errors: a unique violation
// becomes ECONFLICT, a failed check EINVALID, a missing row ENOTFOUND.
// Errors that are already domain errors, and unexpected ones, pass through.
func translateError(err error) error {
	if err == nil {
		return nil
	}
	var fe *freezer.Error
	if errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return freezer.Errorf(freezer.ENOTFOUND, "Not found.")
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return freezer.Errorf(freezer.ECONFLICT, "%s", conflictMessage(se.Error()))
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return freezer.Errorf(freezer.EINVALID, "A value is out of range.")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return freezer.Errorf(freezer.ECONFLICT, "The record is linked to another one.")
		}
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case mysqlDuplicateEntry:
			return freezer.Errorf(freezer.ECONFLICT, "%s", conflictMessage(me.Message))
		case mysqlCheckViolated, mysqlConstraintFailed:
			return freezer.Errorf(freezer.EINVALID, "A value is out of range.")
		case mysqlRowIsReferenced, mysqlNoReferencedRow:
			return freezer.Errorf(freezer.ECONFLICT, "The record is linked to another one.")
		}
	}
	return err
}

// slotConflictMessage is the message of a write that the unique index on
// the places of products inside refused.
const slotConflictMessage = "That slot already holds a product."

// idConflictMessage is the message of a write that a primary key refused.
const idConflictMessage = "That id is already taken."

// conflictMessage names what was duplicated, from the index the driver names.
func conflictMessage(driverMessage string) string {
	switch {
	case strings.Contains(driverMessage, "products_inside_slot"),
		strings.Contains(driverMessage, "products.freezer_id, products.box, products.slot"):
		return slotConflictMessage
	case strings.Contains(driverMessage, "email"):
		return "That e-mail address is already registered."
	case strings.Contains(driverMessage, "PRIMARY"), strings.Contains(driverMessage, ".id"):
		return idConflictMessage
	}
	return "The record conflicts with an existing one."
}

// isRetryable reports whether a transaction failed only because of
// concurrent transactions and may succeed when run again.
func isRetryable(err error) bool {
	if errors.Is(err, errRaced) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == mysqlDeadlock || me.Number == mysqlLockWaitTimeout
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
