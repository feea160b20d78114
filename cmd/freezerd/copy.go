package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/freezer-manager/freezer/db"
)

// runBackup writes a consistent snapshot of the database into a new SQLite
// file, also while a server uses it, and prints the report as one JSON
// object.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	var to string
	fs := newFlagSet("backup", stderr)
	cfg.register(fs)
	fs.StringVar(&to, "to", "", "the new SQLite file to write (never overwritten)")
	if err := parseCommand(fs, args, getenv); err != nil {
		return err
	}
	if to == "" {
		return usageError{errors.New("--to is required: freezerd backup --to FILE")}
	}
	store, err := openExisting(ctx, cfg.DSN())
	if err != nil {
		return err
	}
	defer store.Close()
	report, err := store.Backup(ctx, to)
	if err != nil {
		return domainError(err)
	}
	return printJSON(stdout, report)
}

// runCopy copies a whole installation into an empty database, SQLite or
// MySQL either way, and prints the report as one JSON object.
func runCopy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	var from, to string
	fs := newFlagSet("copy", stderr)
	cfg.register(fs)
	fs.StringVar(&from, "from", "", "the database to copy: sqlite:PATH or mysql://user:pass@host:3306/db")
	fs.StringVar(&to, "to", "", "the empty database to copy into: sqlite:PATH or mysql://user:pass@host:3306/db")
	if err := parseCommand(fs, args, getenv); err != nil {
		return err
	}
	if from == "" || to == "" {
		return usageError{errors.New("--from and --to are required: freezerd copy --from DSN --to DSN")}
	}
	if from == to {
		return usageError{errors.New("--from and --to name the same database")}
	}
	source, err := openExisting(ctx, from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer source.Close()
	target, err := db.Open(ctx, to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer target.Close()
	report, err := db.Copy(ctx, source, target)
	if err != nil {
		return domainError(err)
	}
	return printJSON(stdout, report)
}

// openExisting opens a database without migrating it; an SQLite file must
// exist already (opening would create an empty one).
func openExisting(ctx context.Context, dsn string) (*db.DB, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s: %w", dsn, err)
		}
	}
	return db.Open(ctx, dsn)
}
