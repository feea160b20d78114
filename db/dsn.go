package db

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// sqliteParams are set on every SQLite connection: WAL with NORMAL sync, foreign
// keys, a busy timeout, BEGIN IMMEDIATE for every transaction so that
// writers queue instead of failing with "database is locked", a sortable
// time format read back in UTC, and temporary storage in memory (the
// statement journal of a multi-row insert then costs no file writes).
const sqliteParams = "_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_busy_timeout=10000&_txlock=immediate&_time_format=sqlite&_timezone=UTC&_pragma=temp_store(MEMORY)"

// sqlitePath returns the file of an "sqlite:PATH" DSN.
func sqlitePath(dsn string) string {
	return strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
}

// ParseDSN splits a freezerd DSN into its dialect and the driver's own data
// source name. Accepted forms: "sqlite:PATH" and
// "mysql://user:pass@host:port/db?param=value".
func ParseDSN(dsn string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := sqlitePath(dsn)
		if path == "" {
			return "", "", fmt.Errorf("parse dsn: sqlite DSN needs a file path, as in sqlite:./freezer.db")
		}
		return SQLite, "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqliteParams, nil
	case strings.HasPrefix(dsn, "mysql://"):
		cfg, err := mysqlConfig(dsn)
		if err != nil {
			return "", "", err
		}
		return MySQL, cfg.FormatDSN(), nil
	}
	return "", "", fmt.Errorf("parse dsn: unknown database %q: use sqlite:PATH or mysql://user:pass@host:port/db", redactDSN(dsn))
}

// mysqlConfig turns a mysql:// URL into the driver's configuration: UTC
// times, utf8mb4, and any extra query parameter passed to the server.
func mysqlConfig(dsn string) (*mysql.Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // a *url.Error quotes the whole DSN, password included
		}
		return nil, fmt.Errorf("parse dsn %s: %w", redactDSN(dsn), err)
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306") // Hostname drops IPv6 brackets that JoinHostPort adds back
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	for key, values := range u.Query() {
		switch key {
		case "tls":
			cfg.TLSConfig = values[0]
		case "timeout", "readTimeout", "writeTimeout":
			d, err := time.ParseDuration(values[0])
			if err != nil {
				return nil, fmt.Errorf("parse dsn: %s: %w", key, err)
			}
			*map[string]*time.Duration{"timeout": &cfg.Timeout, "readTimeout": &cfg.ReadTimeout, "writeTimeout": &cfg.WriteTimeout}[key] = d
		default:
			cfg.Params[key] = values[0]
		}
	}
	return cfg, nil
}

// redactDSN hides a password in a DSN so that it can be logged, also in a
// DSN that is not a valid URL (a bad port, a driver-style user:pass@tcp(…)).
func redactDSN(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn // a file path, no credentials
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return dsn
	}
	scheme := ""
	if i := strings.Index(dsn, "://"); i >= 0 && i < at {
		scheme = dsn[:i+3]
	}
	return scheme + "xxxxx" + dsn[at:]
}
