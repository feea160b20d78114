// Package testdb opens real databases for tests: SQLite in a temporary
// directory always, and MySQL/MariaDB in a fresh database when
// FREEZER_TEST_MYSQL_DSN names a server.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/db"
)

// Environment variables that configure the MySQL tests.
const (
	EnvMySQLDSN     = "FREEZER_TEST_MYSQL_DSN" // e.g. mysql://root@127.0.0.1:3306/
	EnvRequireMySQL = "FREEZER_REQUIRE_MYSQL"  // "1": a missing DSN fails instead of skipping
)

// Now is the fixed time that databases opened here report as the present.
var Now = time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)

// Dialects runs fn as a subtest for SQLite and, when configured, MySQL.
func Dialects(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQLDSN(t)) })
}

// EachDB runs fn with a migrated database of each dialect and a fixed clock.
func EachDB(t *testing.T, fn func(t *testing.T, store *db.DB)) {
	t.Helper()
	Dialects(t, func(t *testing.T, dsn string) { fn(t, MustOpen(t, dsn)) })
}

// SQLiteDSN returns the DSN of a new SQLite file in a temporary directory.
func SQLiteDSN(tb testing.TB) string {
	return "sqlite:" + filepath.Join(tb.TempDir(), "freezer.db")
}

// MySQLDSN creates an empty database on the configured server, drops it when
// the test ends, and returns its DSN. Without a server it skips the test,
// or fails it when FREEZER_REQUIRE_MYSQL=1.
func MySQLDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvMySQLDSN)
	if base == "" {
		if os.Getenv(EnvRequireMySQL) == "1" {
			tb.Fatalf("%s is not set but %s=1", EnvMySQLDSN, EnvRequireMySQL)
		}
		tb.Skipf("MySQL tests skipped: set %s (e.g. mysql://root@127.0.0.1:3306/) to run them", EnvMySQLDSN)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvMySQLDSN, err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "freezer_test_" + hex.EncodeToString(suffix)

	admin := mustOpenServer(tb, u)
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		admin := mustOpenServer(tb, u)
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func mustOpenServer(tb testing.TB, u *url.URL) *sql.DB {
	tb.Helper()
	server := *u
	server.Path = "/"
	_, driverDSN, err := db.ParseDSN(server.String())
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvMySQLDSN, err)
	}
	conn, err := sql.Open("mysql", driverDSN)
	if err != nil {
		tb.Fatalf("open mysql server: %v", err)
	}
	if err := conn.Ping(); err != nil {
		tb.Fatalf("MySQL server of %s does not answer: %v", EnvMySQLDSN, err)
	}
	return conn
}

// MustOpen opens and migrates the database at dsn with the fixed clock, and
// closes it when the test ends.
func MustOpen(tb testing.TB, dsn string) *db.DB {
	tb.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { store.Close() })
	store.Now = func() time.Time { return Now }
	if err := store.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return store
}
