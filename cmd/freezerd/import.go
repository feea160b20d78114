package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// legacyConnectTimeout bounds how long the legacy server may take to answer.
const legacyConnectTimeout = 10 * time.Second

// runImportLegacy copies a database of the original system into freezerd's
// and prints the report as one JSON object, also when conflicts stop it.
func runImportLegacy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	var from string
	var dryRun bool
	fs := newFlagSet("import-legacy", stderr)
	cfg.register(fs)
	fs.StringVar(&from, "from", "", "the legacy MySQL database: mysql://user:pass@host:3306/db")
	fs.BoolVar(&dryRun, "dry-run", false, "read everything and print what would be imported, writing nothing")
	if err := parseCommand(fs, args, getenv); err != nil {
		return err
	}
	if from == "" {
		return usageError{errors.New("--from is required: freezerd import-legacy --from mysql://user:pass@host:3306/db [--dry-run]")}
	}
	source, err := openLegacy(ctx, from)
	if err != nil {
		return err
	}
	defer source.Close()
	store, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	report, err := store.ImportLegacy(freezer.SystemContext(ctx), source, dryRun)
	if report != nil {
		if perr := printJSON(stdout, report); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil {
		return fmt.Errorf("import: %w", domainError(err))
	}
	return nil
}

// openLegacy connects to the legacy MySQL database named by a mysql:// URL.
func openLegacy(ctx context.Context, from string) (*sql.DB, error) {
	if !strings.HasPrefix(from, "mysql://") {
		return nil, fmt.Errorf("--from %s: want a legacy MySQL database, as in mysql://user:pass@host:3306/db", redactURL(from))
	}
	_, driverDSN, err := db.ParseDSN(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	source, err := sql.Open("mysql", driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open legacy database %s: %w", redactURL(from), err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, legacyConnectTimeout)
	defer cancel()
	if err := source.PingContext(pingCtx); err != nil {
		source.Close()
		return nil, fmt.Errorf("open legacy database %s: %s", redactURL(from), oneLine(err.Error()))
	}
	return source, nil
}

// redactURL hides the password of a URL so that it can be shown, also in
// a string that is not a valid URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return "xxxxx" + s[at:]
	}
	return s
}

// oneLine keeps an error message on one line of stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
