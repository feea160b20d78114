package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
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
// "mysql://user:pass@host:port/db?param=value"; a MySQL DSN may name several
// hosts of one cluster, "host1:3306,host2:3306" (see mysqlHosts), of which
// the driver's name holds the first.
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

// mysqlHosts splits the hosts of a mysql:// DSN that names several, and
// returns the DSN with its first host alone.
func mysqlHosts(dsn string) (string, []string) {
	rest := strings.TrimPrefix(dsn, "mysql://")
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	at := strings.LastIndex(authority, "@")
	hosts := strings.Split(authority[at+1:], ",")
	if len(hosts) < 2 {
		return dsn, nil
	}
	return "mysql://" + authority[:at+1] + hosts[0] + rest[end:], hosts
}

// mysqlConfigs returns the driver's configuration of each host a mysql://
// DSN names, in its order.
func mysqlConfigs(dsn string) ([]*mysql.Config, error) {
	first, hosts := mysqlHosts(dsn)
	cfg, err := mysqlConfig(first)
	if err != nil {
		return nil, err
	}
	configs := []*mysql.Config{cfg}
	for _, h := range hosts[min(1, len(hosts)):] {
		other := cfg.Clone()
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "3306")
		}
		other.Addr = h
		configs = append(configs, other)
	}
	return configs, nil
}

// mysqlConfig turns a mysql:// URL of one host into the driver's
// configuration: UTC times, utf8mb4, and any extra query parameter passed to
// the server.
func mysqlConfig(dsn string) (*mysql.Config, error) {
	dsn, _ = mysqlHosts(dsn)
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

// failover connects to the first host that answers, starting from the one
// that answered last: the nodes of one cluster (Galera), any of which serves.
type failover struct {
	hosts []driver.Connector
	last  atomic.Int32
}

// newMySQLConnector returns the connector of a mysql:// DSN: its one host,
// or failover between the several it names.
func newMySQLConnector(dsn string) (driver.Connector, error) {
	configs, err := mysqlConfigs(dsn)
	if err != nil {
		return nil, err
	}
	f := &failover{}
	for _, cfg := range configs {
		c, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("mysql %s: %w", cfg.Addr, err)
		}
		f.hosts = append(f.hosts, c)
	}
	if len(f.hosts) == 1 {
		return readCommitted{f.hosts[0]}, nil
	}
	return readCommitted{f}, nil
}

// readCommitted makes READ COMMITTED the isolation level of each new
// connection's transactions, the level of the store's write transactions
// (see runTx): set once per connection, not by one more round trip before
// each transaction. Reads that need a snapshot set their own (see snapshot).
type readCommitted struct{ driver.Connector }

// Connect implements driver.Connector.
func (c readCommitted) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	exec, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("set isolation level: the driver cannot run a statement on a connection")
	}
	if _, err := exec.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("set isolation level: %w", err)
	}
	return conn, nil
}

// Connect implements driver.Connector.
func (f *failover) Connect(ctx context.Context) (driver.Conn, error) {
	start := int(f.last.Load())
	var errs []error
	for i := range f.hosts {
		k := (start + i) % len(f.hosts)
		conn, err := f.hosts[k].Connect(ctx)
		if err == nil {
			f.last.Store(int32(k))
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no host of the database answers: %w", errors.Join(errs...))
}

// Driver implements driver.Connector.
func (f *failover) Driver() driver.Driver { return f.hosts[0].Driver() }
