package db_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestParseDSN(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		tests := []struct {
			desc string
			dsn  string
			file string // the driver DSN up to its "?"
		}{
			{desc: "relative path", dsn: "sqlite:./data/freezer.db", file: "file:./data/freezer.db"},
			{desc: "bare file name", dsn: "sqlite:freezer.db", file: "file:freezer.db"},
			{desc: "absolute path", dsn: "sqlite:/var/lib/freezer/freezer.db", file: "file:/var/lib/freezer/freezer.db"},
			{desc: "URL form with absolute path", dsn: "sqlite:///var/lib/freezer/freezer.db", file: "file:/var/lib/freezer/freezer.db"},
			{desc: "characters escaped", dsn: "sqlite:/tmp/my data#1?.db", file: "file:/tmp/my%20data%231%3F.db"},
		}
		for _, tt := range tests {
			t.Run(tt.desc, func(t *testing.T) {
				dialect, driverDSN, err := db.ParseDSN(tt.dsn)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := dialect, db.SQLite; got != want {
					t.Errorf("dialect = %q, want %q", got, want)
				}
				file, params, _ := strings.Cut(driverDSN, "?")
				if got, want := file, tt.file; got != want {
					t.Errorf("file = %q, want %q", got, want)
				}
				q, err := url.ParseQuery(params)
				if err != nil {
					t.Fatal(err)
				}
				for key, want := range map[string]string{
					"_journal_mode": "WAL", "_foreign_keys": "1", "_txlock": "immediate", "_synchronous": "NORMAL", "_busy_timeout": "10000",
				} {
					if got := q.Get(key); got != want {
						t.Errorf("%s = %q, want %q", key, got, want)
					}
				}
			})
		}
	})

	t.Run("MySQL", func(t *testing.T) {
		tests := []struct {
			desc   string
			dsn    string
			user   string
			passwd string
			addr   string
			dbName string
			tls    string
		}{
			{desc: "full", dsn: "mysql://user:pass@db.example.com:3306/freezer?tls=true",
				user: "user", passwd: "pass", addr: "db.example.com:3306", dbName: "freezer", tls: "true"},
			{desc: "no port", dsn: "mysql://user:pass@db.example.com/freezer",
				user: "user", passwd: "pass", addr: "db.example.com:3306", dbName: "freezer"},
			{desc: "other port, no password, no database", dsn: "mysql://root@127.0.0.1:3307/",
				user: "root", addr: "127.0.0.1:3307"},
			{desc: "escaped password", dsn: "mysql://user:p%40ss%2Fw%3Ard@host/freezer",
				user: "user", passwd: "p@ss/w:rd", addr: "host:3306", dbName: "freezer"},
			{desc: "IPv6 with port", dsn: "mysql://user:pass@[::1]:3307/freezer",
				user: "user", passwd: "pass", addr: "[::1]:3307", dbName: "freezer"},
			{desc: "IPv6 without port", dsn: "mysql://user:pass@[::1]/freezer",
				user: "user", passwd: "pass", addr: "[::1]:3306", dbName: "freezer"},
			{desc: "empty port", dsn: "mysql://user:pass@host:/freezer",
				user: "user", passwd: "pass", addr: "host:3306", dbName: "freezer"},
		}
		for _, tt := range tests {
			t.Run(tt.desc, func(t *testing.T) {
				dialect, driverDSN, err := db.ParseDSN(tt.dsn)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := dialect, db.MySQL; got != want {
					t.Errorf("dialect = %q, want %q", got, want)
				}
				cfg, err := mysql.ParseDSN(driverDSN)
				if err != nil {
					t.Fatalf("driver cannot parse %q: %v", driverDSN, err)
				}
				if got, want := cfg.User, tt.user; got != want {
					t.Errorf("user = %q, want %q", got, want)
				}
				if got, want := cfg.Passwd, tt.passwd; got != want {
					t.Errorf("password = %q, want %q", got, want)
				}
				if got, want := cfg.Net, "tcp"; got != want {
					t.Errorf("net = %q, want %q", got, want)
				}
				if got, want := cfg.Addr, tt.addr; got != want {
					t.Errorf("addr = %q, want %q", got, want)
				}
				if got, want := cfg.DBName, tt.dbName; got != want {
					t.Errorf("database = %q, want %q", got, want)
				}
				if got, want := cfg.TLSConfig, tt.tls; got != want {
					t.Errorf("tls = %q, want %q", got, want)
				}
				if got, want := cfg.ParseTime, true; got != want {
					t.Errorf("parseTime = %v, want %v", got, want)
				}
				if got, want := cfg.Loc, time.UTC; got != want {
					t.Errorf("loc = %v, want %v", got, want)
				}
				if got, want := cfg.Collation, "utf8mb4_unicode_ci"; got != want {
					t.Errorf("collation = %q, want %q", got, want)
				}
				if got, want := cfg.Params["time_zone"], "'+00:00'"; got != want {
					t.Errorf("time_zone = %q, want %q", got, want)
				}
			})
		}
	})

	t.Run("ErrPasswordNotShown", func(t *testing.T) {
		const secret = "s3cret-pw"
		for _, dsn := range []string{
			"postgres://user:" + secret + "@host/db",
			"postgres://user:" + secret + "@host:notaport/db",
			"user:" + secret + "@tcp(host:3306)/db",
			"MySQL://user:" + secret + "@host/db",
			"mysql://user:" + secret + "@host:notaport/db",
			"mysql://user:" + secret + "@host/%zz",
		} {
			_, _, err := db.ParseDSN(dsn)
			if err == nil {
				t.Errorf("ParseDSN(%q) succeeded, want an error", dsn)
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseDSN(%q) error shows the password: %v", dsn, err)
			}
		}
	})

	t.Run("ErrEmpty", func(t *testing.T) {
		for _, dsn := range []string{"", "sqlite:", "sqlite://", "freezer.db"} {
			if _, _, err := db.ParseDSN(dsn); err == nil {
				t.Errorf("ParseDSN(%q) succeeded, want an error", dsn)
			}
		}
	})
}

func TestOpen(t *testing.T) {
	t.Run("SQLitePathWithSpecialCharacters", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "my data#1?.db")
		store := testdb.MustOpen(t, "sqlite:"+path)
		alice := MustRegister(t, store, "alice@example.com")
		if got, want := alice.User.ID, int64(1); got != want {
			t.Errorf("user id = %d, want %d", got, want)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("database file not at %q: %v", path, err)
		}
		if got, want := store.Dialect(), db.SQLite; got != want {
			t.Errorf("dialect = %q, want %q", got, want)
		}
		if err := store.Ping(context.Background()); err != nil {
			t.Errorf("ping: %v", err)
		}
	})

	t.Run("ErrMySQLPasswordNotShown", func(t *testing.T) {
		u, err := url.Parse(testdb.MySQLDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		const secret = "wrong-s3cret-pw"
		u.User = url.UserPassword(u.User.Username(), secret)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		store, err := db.Open(ctx, u.String())
		if err == nil {
			store.Close()
			t.Fatal("open with a wrong password succeeded")
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("open error shows the password: %v", err)
		}
		if got, want := strings.Contains(err.Error(), "Access denied"), true; got != want {
			t.Errorf("open error = %v, want an access-denied error", err)
		}
	})
}
