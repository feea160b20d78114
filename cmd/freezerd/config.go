package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/freezer-manager/freezer/internal/netguard"
	"github.com/freezer-manager/freezer/internal/secretbox"
)

// Config holds the settings shared by every subcommand.
type Config struct {
	DataDir  string // where the SQLite file and other state live
	DB       string // database DSN; "" means sqlite:<DataDir>/freezer.db
	LogLevel string
	// SecretKey (64 hexadecimal digits) encrypts households' secrets in the
	// database and signs forms; "" reads SecretKeyFile, which is created
	// with a new key on first start ("" = <data-dir>/secret.key).
	SecretKey     string
	SecretKeyFile string

	key *secretbox.Key // loaded by openDB
}

// DSN returns the database to use: --db, or the SQLite file under --data-dir.
func (c *Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(c.DataDir, "freezer.db")
}

// register adds the shared flags to fs.
func (c *Config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", "./freezer-data", "directory for the SQLite database and other state (created if missing)")
	fs.StringVar(&c.DB, "db", "", "database DSN: sqlite:PATH or mysql://user:pass@host:3306/db, several hosts of one cluster as host1:3306,host2:3306 (default sqlite:<data-dir>/freezer.db)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.SecretKey, "secret-key", "", "key (64 hex digits) that encrypts stored printer/webhook tokens and SMTP passwords; every replica needs the same (default: read --secret-key-file)")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", "", "file of the secret key, created with a new key if missing (default <data-dir>/secret.key); back it up with the database")
}

// secretKey returns --secret-key, or the key file's key, creating the file
// (and the data directory it is in) on first start.
func (c *Config) secretKey() (*secretbox.Key, error) {
	if c.key != nil {
		return c.key, nil
	}
	if c.SecretKey != "" {
		k, err := secretbox.Parse(c.SecretKey)
		if err != nil {
			return nil, usageError{fmt.Errorf("--secret-key: %w", err)}
		}
		c.key = k
		return k, nil
	}
	path := c.SecretKeyFile
	if path == "" {
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		path = filepath.Join(c.DataDir, "secret.key")
	}
	k, err := secretbox.LoadOrCreate(path)
	if err != nil {
		return nil, err
	}
	c.key = k
	return k, nil
}

// newFlagSet returns a flag set for a subcommand that writes its usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags sets every flag from its FREEZER_<NAME> environment variable
// first, then from args, so that a flag on the command line wins.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		if v := getenv(EnvName(f.Name)); v != "" {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("environment %s: %w", EnvName(f.Name), setErr)
			}
		}
	})
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// EnvName returns the environment twin of a flag: http-addr → FREEZER_HTTP_ADDR.
func EnvName(flagName string) string {
	return "FREEZER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ensureDataDir creates the data directory when the database lives in it.
func (c *Config) ensureDataDir() error {
	if c.DB != "" {
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	return nil
}

// TargetConfig says which addresses households' printers, webhooks and
// SMTP servers may reach: by default none on the server's own networks.
type TargetConfig struct {
	AllowPrivate    bool
	AllowedNetworks string // comma-separated CIDRs
}

func (c *TargetConfig) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.AllowPrivate, "allow-private-targets", false, "let households' printers, webhooks and SMTP servers be on loopback, private and link-local addresses")
	fs.StringVar(&c.AllowedNetworks, "allowed-target-networks", "", "comma-separated networks (CIDR) that households' printers, webhooks and SMTP servers may be on although private, e.g. 192.168.1.0/24")
}

// guard returns the guard of outbound connections these settings describe.
func (c *TargetConfig) guard() (*netguard.Guard, error) {
	nets, err := parseCIDRs("--allowed-target-networks", c.AllowedNetworks)
	if err != nil {
		return nil, err
	}
	g := &netguard.Guard{AllowPrivate: c.AllowPrivate}
	for _, n := range nets {
		ones, _ := n.Mask.Size()
		addr, _ := netip.AddrFromSlice(n.IP)
		g.Allowed = append(g.Allowed, netip.PrefixFrom(addr.Unmap(), ones-(len(n.IP)*8-addr.Unmap().BitLen())))
	}
	return g, nil
}
