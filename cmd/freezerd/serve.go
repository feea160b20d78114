package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/db"
)

// ServeConfig holds the settings of "freezerd serve".
type ServeConfig struct {
	Config
	HTTPAddr        string
	ShutdownTimeout time.Duration
}

func (c *ServeConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, "http-addr", ":8080", "address of the HTTP server (REST API, web pages)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for requests in flight on shutdown")
}

// Server is a running freezerd: its database and listeners.
type Server struct {
	Config ServeConfig
	Logger *slog.Logger
	DB     *db.DB
	HTTP   *api.Server
}

// Open opens the database and binds every listener; on error nothing stays open.
func (m *Server) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close(ctx)
		}
	}()
	if m.DB, err = openDB(ctx, &m.Config.Config); err != nil {
		return err
	}
	m.HTTP = api.NewServer(api.Config{Version: Version()}, api.NewServices(m.DB), m.Logger)
	return m.HTTP.Listen(m.Config.HTTPAddr)
}

// Run serves until ctx is cancelled, then shuts down cleanly.
func (m *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.HTTP.Serve() }()
	m.Logger.Info("freezerd started", "version", Version(), "http", m.HTTP.Addr(), "database", m.DB.Dialect())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down")
	return m.Close(context.Background())
}

// Close stops the listeners, waiting up to the shutdown timeout for
// requests in flight, then closes the database.
func (m *Server) Close(ctx context.Context) error {
	var firstErr error
	if m.HTTP != nil && m.HTTP.Addr() != "" {
		shutdownCtx, cancel := context.WithTimeout(ctx, m.Config.ShutdownTimeout)
		defer cancel()
		firstErr = m.HTTP.Shutdown(shutdownCtx)
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("close database: %w", err)
		}
		m.DB = nil
	}
	return firstErr
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var cfg ServeConfig
	fs := newFlagSet("serve", stderr)
	cfg.Config.register(fs)
	cfg.register(fs)
	if err := parseCommand(fs, args, getenv); err != nil {
		return err
	}
	logger, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	m := &Server{Config: cfg, Logger: logger}
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("migrate", stderr)
	cfg.register(fs)
	if err := parseCommand(fs, args, getenv); err != nil {
		return err
	}
	store, err := openDB(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return printJSON(stdout, map[string]any{"schema_version": v, "database": store.Dialect()})
}
