package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

// BackupReport says what Backup wrote.
type BackupReport struct {
	File          string           `json:"file"`
	From          Dialect          `json:"from"`
	SchemaVersion int64            `json:"schema_version"` // of the file
	Tables        map[string]int64 `json:"tables"`         // rows per table in the file
	Bytes         int64            `json:"bytes"`
}

// Backup writes a consistent snapshot of db into a new SQLite file at path
// while the server goes on writing: on SQLite with VACUUM INTO, on MySQL by
// a Copy from one consistent read into a new SQLite database. The file only
// appears, under its name, once complete; Backup never overwrites a file
// (ECONFLICT).
func (db *DB) Backup(ctx context.Context, path string) (*BackupReport, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, freezer.Errorf(freezer.ECONFLICT, "%s exists: a backup never overwrites a file, choose a new name.", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("backup: %w", err)
	}
	partial := path + ".partial" // a leftover of a backup that stopped
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(partial + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("backup: remove an unfinished backup: %w", err)
		}
	}
	done := false
	defer func() {
		if !done {
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				os.Remove(partial + suffix)
			}
		}
	}()
	switch db.dialect {
	case SQLite:
		if err := db.vacuumInto(ctx, partial); err != nil {
			return nil, err
		}
	case MySQL:
		target, err := Open(ctx, "sqlite:"+partial)
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		_, err = Copy(ctx, db, target)
		if cerr := target.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("backup: close %s: %w", partial, cerr)
		}
		if err != nil {
			return nil, err
		}
	}
	report, err := describeBackup(ctx, partial)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(partial, path); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	done = true
	report.File, report.From = path, db.dialect
	return report, nil
}

// vacuumInto writes the database into a new file through a connection of
// its own, in one read transaction that does not hold writers back.
func (db *DB) vacuumInto(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", strings.Replace(db.source, "_txlock=immediate", "_txlock=deferred", 1))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup: vacuum into %s: %w", path, err)
	}
	return nil
}

// describeBackup checks a written backup and counts its rows.
func describeBackup(ctx context.Context, path string) (*BackupReport, error) {
	file, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, fmt.Errorf("backup: read back: %w", err)
	}
	report, err := countRows(ctx, file)
	if cerr := file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("backup: close %s: %w", path, cerr)
	}
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(path); err == nil {
		report.Bytes = info.Size()
	}
	return report, nil
}

// countRows checks a backup file open as file and counts its rows.
func countRows(ctx context.Context, file *DB) (*BackupReport, error) {
	report := &BackupReport{Tables: map[string]int64{}}
	var err error
	var check string
	if err := file.read.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		return nil, fmt.Errorf("backup: the file written fails its check: %s %v", check, err)
	}
	if report.SchemaVersion, err = file.SchemaVersion(ctx); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tables, err := listTables(ctx, file.read, SQLite)
	if err != nil {
		return nil, fmt.Errorf("backup: read back tables: %w", err)
	}
	for name := range tables {
		var n int64
		if err := file.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteName(SQLite, name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", name, err)
		}
		report.Tables[name] = n
	}
	return report, nil
}
