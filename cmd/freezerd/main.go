// Command freezerd is the Freezer Manager server: the REST API, the web
// pages and the database, in one binary. See "freezerd help". It is the one
// place that wires the packages together: the store, the broker or
// external bus, the scan hub, the alert job, the Home Assistant publisher,
// the change-log decorators, the label spoolers and the HTTP server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/freezer-manager/freezer/db"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

const usage = `freezerd — Freezer Manager server

Usage:
  freezerd [serve] [flags]      run the server (the default)
  freezerd migrate [flags]      bring the database schema up to date
  freezerd user add --email E --password P [--admin] [--language en|fr]
                                create a user with a household and an API token
  freezerd device add --household H --name N [--freezer F] [--mode out|in|move] [--kind scanner|integration]
                                register an MQTT device and print its credentials (shown once)
  freezerd import-legacy --from mysql://user:pass@host:3306/db [--dry-run]
                                copy the original system's database; prints a JSON report
  freezerd alerts run [--tz ZONE]
                                run the alert job once, now; prints a JSON report
  freezerd backup --to FILE     write a consistent snapshot of the database, also while serving,
                                into a new SQLite file that serve opens as is; prints a JSON report
  freezerd copy --from DSN --to DSN
                                copy a whole installation into an empty database (SQLite or MySQL,
                                either way), ids, tokens and device passwords kept; prints a JSON report
  freezerd healthcheck [--http-addr ADDR]
                                exit 0 if the server at ADDR answers /healthz
  freezerd version              print the version

Every flag also reads FREEZER_<NAME> from the environment (--http-addr: FREEZER_HTTP_ADDR).
Run "freezerd COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = runServe(ctx, args, getenv, stderr)
	case "migrate":
		err = runMigrate(ctx, args, getenv, stdout, stderr)
	case "user":
		err = runUser(ctx, args, getenv, stdin, stdout, stderr)
	case "device":
		err = runDevice(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, args, getenv, stdout, stderr)
	case "import-legacy":
		err = runImportLegacy(ctx, args, getenv, stdout, stderr)
	case "alerts":
		err = runAlerts(ctx, args, getenv, stdout, stderr)
	case "backup":
		err = runBackup(ctx, args, getenv, stdout, stderr)
	case "copy":
		err = runCopy(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, Version())
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "freezerd: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "freezerd %s: %v\n", cmd, err)
		return 2
	}
	fmt.Fprintf(stderr, "freezerd %s: %v\n", cmd, err)
	return 1
}

// usageError is a mistake on the command line.
type usageError struct{ error }

// Version returns the build's version: the -ldflags value, else the module
// version or VCS revision recorded by the Go toolchain, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

// newLogger returns the stderr logger at the configured level.
func newLogger(level string, stderr io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), nil
}

// openDB opens and migrates the configured database, with the secret key
// that encrypts households' secrets; secrets still in plain text are sealed.
func openDB(ctx context.Context, cfg *Config) (*db.DB, error) {
	if err := cfg.ensureDataDir(); err != nil {
		return nil, err
	}
	key, err := cfg.secretKey()
	if err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	store.SetSecretKey(key)
	if _, err := store.SealSecrets(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// parseCommand parses a subcommand's flags, wrapping mistakes as usage errors.
func parseCommand(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
