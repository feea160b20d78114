package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/freezer-manager/freezer/alerts"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/homeassistant"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/netguard"
	"github.com/freezer-manager/freezer/labels"
)

// ServeConfig holds the settings of "freezerd serve".
type ServeConfig struct {
	Config
	Targets         TargetConfig
	HTTPAddr        string
	ShutdownTimeout time.Duration
	MQTTAddr        string // embedded broker, plain TCP; "" for none
	MQTTWSAddr      string // embedded broker over WebSocket; "" for none
	MQTTTLSAddr     string // embedded broker over TLS; "" for none
	MQTTTLSCert     string
	MQTTTLSKey      string
	MQTTRoot        string // topic root of the contract
	MQTTURL         string // external broker instead of the embedded one
	MQTTUser        string
	MQTTPassword    string
	MQTTClientID    string
	MQTTShareGroup  string
	MQTTKeepAlive   time.Duration // keep-alive on the external broker: how soon a dead replica is dropped
	LabelsDir       string        // where directory printers write; "" = <data-dir>/labels
	MQTTPublicURL   string        // the broker address new devices are told to use
	LegacyPerMinute int           // legacy API requests per client IP and route per minute; 0 = no limit
	LegacyPerDay    int           // … per day
	TrustedProxies  string        // comma-separated CIDRs whose X-Forwarded-For is believed
	AuthFailures    int           // failed API tokens per IP, and MQTT sign-ins per (IP, device) and per IP, in a minute
	// Embedded broker's connection limits.
	MQTTConnectTimeout  time.Duration
	MQTTMaxConnections  int
	MQTTMaxPendingPerIP int
	AlertSchedule       string // cron spec of the alert job, or "off"
	TZ                  string // time zone of "today" and of the schedule
	// Now is the one clock of dates, schedules and rate limits (default
	// time.Now); tests set it.
	Now func() time.Time
}

func (c *ServeConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.HTTPAddr, "http-addr", ":8080", "address of the HTTP server (REST API, web pages)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to wait for requests in flight on shutdown")
	fs.StringVar(&c.MQTTAddr, "mqtt-addr", ":1883", `address of the embedded MQTT broker; "" for no broker`)
	fs.StringVar(&c.MQTTWSAddr, "mqtt-ws-addr", "", "address of the embedded broker's MQTT-over-WebSocket listener")
	fs.StringVar(&c.MQTTTLSAddr, "mqtt-tls-addr", "", "address of the embedded broker's MQTT-over-TLS listener (needs --mqtt-tls-cert and --mqtt-tls-key)")
	fs.StringVar(&c.MQTTTLSCert, "mqtt-tls-cert", "", "PEM certificate file of the TLS listener")
	fs.StringVar(&c.MQTTTLSKey, "mqtt-tls-key", "", "PEM private key file of the TLS listener")
	fs.StringVar(&c.MQTTRoot, "mqtt-root", devices.DefaultRoot, "topic root of the MQTT contract")
	fs.StringVar(&c.MQTTURL, "mqtt-url", "", "external MQTT broker to use instead of the embedded one, e.g. tcp://mosquitto:1883")
	fs.StringVar(&c.MQTTUser, "mqtt-user", "", "username on the external broker")
	fs.StringVar(&c.MQTTPassword, "mqtt-password", "", "password on the external broker")
	fs.StringVar(&c.MQTTClientID, "mqtt-client-id", "", "client id on the external broker (default freezer-hub-<host name>); one of its own per replica")
	fs.IntVar(&c.LegacyPerMinute, "legacy-rate-minute", api.DefaultLegacyRateLimit.PerMinute, "legacy API: requests per minute per client IP and route (0: no limit)")
	fs.IntVar(&c.LegacyPerDay, "legacy-rate-day", api.DefaultLegacyRateLimit.PerDay, "legacy API: requests per day per client IP and route (0: no limit)")
	fs.IntVar(&c.AuthFailures, "auth-failures-per-minute", 20, "failed API tokens from one IP in a minute before it is refused for the rest of the minute; failed MQTT sign-ins per device and IP, and per IP (then one attempt of another device every 5 s) (0: no limit)")
	fs.DurationVar(&c.MQTTConnectTimeout, "mqtt-connect-timeout", broker.DefaultConnectTimeout, "embedded broker: close a connection that has not sent its whole CONNECT within this time")
	fs.IntVar(&c.MQTTMaxConnections, "mqtt-max-connections", broker.DefaultMaxConnections, "embedded broker: most connections at once, on all listeners (keep it below the open-file limit)")
	fs.IntVar(&c.MQTTMaxPendingPerIP, "mqtt-max-pending-per-ip", broker.DefaultMaxPendingPerIP, "embedded broker: most connections of one IP address that have not authenticated yet")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated networks (CIDR) of reverse proxies whose X-Forwarded-For names the client")
	fs.StringVar(&c.MQTTPublicURL, "mqtt-public-url", "", "broker address given to new devices, e.g. tcp://freezer.lan:1883 (default: port 1883 of the host the API was reached at)")
	fs.StringVar(&c.LabelsDir, "labels-dir", "", "directory under which households' directory printers write label files (default <data-dir>/labels)")
	fs.StringVar(&c.MQTTShareGroup, "mqtt-share-group", broker.DefaultShareGroup, `shared-subscription group that replicas split scans in; "" for a plain subscription`)
	fs.DurationVar(&c.MQTTKeepAlive, "mqtt-keepalive", broker.DefaultKeepAlive, "MQTT keep-alive on the external broker: the broker stops sending scans to a replica whose connection went silent after 1.5 times this (plus its own check interval, about 5 s on Mosquitto)")
	fs.StringVar(&c.AlertSchedule, "alert-schedule", alerts.DefaultSchedule, `when the alert job runs, as a cron spec in --tz (e.g. "0 8 * * *", "@daily"); "off" for on demand only`)
	fs.StringVar(&c.TZ, "tz", "Local", `time zone whose calendar day is "today": Local, UTC or a name such as Europe/Paris`)
}

// Server is a running freezerd: its database and listeners.
type Server struct {
	Config   ServeConfig
	Logger   *slog.Logger
	DB       *db.DB
	HTTP     *api.Server
	Broker   *broker.Broker   // nil without an embedded broker
	External *broker.External // nil without an external broker
	Hub      *hub.Hub         // nil without a broker
	Spooler  *labels.Spooler  // prints labels on households' printers
	// Publisher keeps household topics and Home Assistant discovery up to
	// date (nil without a broker); Alerts is the alert job.
	Publisher *homeassistant.Publisher
	Alerts    *alerts.Job
	location  *time.Location  // --tz
	guard     *netguard.Guard // --allow-private-targets, --allowed-target-networks
}

// Open opens the database and binds every listener; on error nothing stays open.
func (m *Server) Open(ctx context.Context) (err error) {
	// A first start that fails leaves no data directory half made.
	_, statErr := os.Stat(m.Config.DataDir)
	newDataDir := m.Config.DB == "" && errors.Is(statErr, fs.ErrNotExist)
	defer func() {
		if err != nil {
			m.Close(ctx)
			if newDataDir {
				_ = os.RemoveAll(m.Config.DataDir)
			}
		}
	}()
	if m.DB, err = openDB(ctx, &m.Config.Config); err != nil {
		return err
	}
	if err := m.configureTime(); err != nil {
		return err
	}
	if m.guard, err = m.Config.Targets.guard(); err != nil {
		return err
	}
	if err := m.openMQTT(); err != nil {
		return err
	}
	if err := m.openAlerts(); err != nil {
		return err
	}
	services := api.NewServices(m.DB)
	m.openLabels(&services)
	m.watch(&services)
	if m.Broker != nil {
		services.Disconnector = m.Broker
	}
	if m.Hub != nil {
		services.Scanner = m.Hub
	}
	proxies, err := parseCIDRs("--trusted-proxies", m.Config.TrustedProxies)
	if err != nil {
		return err
	}
	m.HTTP = api.NewServer(api.Config{Version: Version(), MQTTTopics: devices.Topics{Root: m.Config.MQTTRoot},
		Now: m.Config.Now, MQTTPublicURL: m.Config.MQTTPublicURL, MQTTPort: m.brokerPort(), TrustedProxies: proxies, TokenFailuresPerMinute: m.Config.AuthFailures,
		LegacyRateLimit: &api.RateLimit{PerMinute: m.Config.LegacyPerMinute, PerDay: m.Config.LegacyPerDay},
		FormKey:         m.Config.key.Derive("form tokens")}, services, m.Logger)
	if err := m.HTTP.Listen(m.Config.HTTPAddr); err != nil {
		return err
	}
	// The alert job (and its catch-up run) starts once every listener is bound.
	m.Alerts.Start()
	return nil
}

// openMQTT connects the hub to the external broker, or starts the
// embedded broker and the hub on it.
func (m *Server) openMQTT() error {
	c := m.Config
	topics := devices.Topics{Root: c.MQTTRoot}
	if c.MQTTURL != "" {
		// After a reconnection the broker may have lost the retained
		// messages (restarted without persistence): publish them again.
		var publisher atomic.Pointer[homeassistant.Publisher]
		var err error
		m.External, err = broker.DialExternal(broker.ExternalConfig{URL: c.MQTTURL, Username: c.MQTTUser, Password: c.MQTTPassword,
			ClientID: c.MQTTClientID, Topics: topics, ShareGroup: c.MQTTShareGroup, KeepAlive: c.MQTTKeepAlive,
			OnReconnect: func() { publisher.Load().Republish() }}, m.Logger)
		if err != nil {
			return err
		}
		if err := m.openPublisher(m.External); err != nil {
			return err
		}
		publisher.Store(m.Publisher)
		m.Hub = hub.New(hub.Config{Topics: topics, Now: m.Config.Now, OnScan: m.Publisher.ScanAnswered}, m.DB,
			devices.IgnoreRetainedScans(m.External, topics), m.Logger)
		return m.Hub.Start()
	}
	if c.MQTTAddr == "" && c.MQTTWSAddr == "" && c.MQTTTLSAddr == "" {
		return nil
	}
	cfg := broker.Config{TCPAddr: c.MQTTAddr, WebSocketAddr: c.MQTTWSAddr, TLSAddr: c.MQTTTLSAddr, Topics: topics,
		AuthFailuresPerMinute: c.AuthFailures, ConnectTimeout: c.MQTTConnectTimeout, MaxConnections: c.MQTTMaxConnections,
		MaxPendingPerIP: c.MQTTMaxPendingPerIP}
	if c.MQTTTLSAddr != "" {
		cert, err := tls.LoadX509KeyPair(c.MQTTTLSCert, c.MQTTTLSKey)
		if err != nil {
			return fmt.Errorf("mqtt tls: %w", err)
		}
		cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var err error
	if m.Broker, err = broker.New(cfg, m.DB, m.Logger); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (another MQTT broker runs there? give the embedded one another address with --mqtt-addr, "+
				"none with --mqtt-addr \"\", or use that broker with --mqtt-url)", err)
		}
		return err
	}
	if err := m.Broker.Start(); err != nil {
		return err
	}
	if err := m.openPublisher(m.Broker); err != nil {
		return err
	}
	m.Hub = hub.New(hub.Config{Topics: topics, Now: m.Config.Now, OnScan: m.Publisher.ScanAnswered}, m.DB, m.Broker, m.Logger)
	return m.Hub.Start()
}

// Run serves until ctx is cancelled, then shuts down cleanly.
func (m *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.HTTP.Serve() }()
	mqttAddr := ""
	if m.Broker != nil {
		mqttAddr = m.Broker.TCPAddr()
	}
	m.Logger.Info("freezerd started", "version", Version(), "http", m.HTTP.Addr(), "mqtt", mqttAddr, "database", m.DB.Dialect())
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
	m.closeAlerts()
	// The broker stops first, so that no scan arrives at a stopped hub.
	if m.Broker != nil {
		if err := m.Broker.Close(); err != nil {
			firstErr = err
		}
		m.Broker = nil
	}
	if m.Hub != nil {
		m.Hub.Close()
		m.Hub = nil
	}
	if m.External != nil {
		m.External.Close()
		m.External = nil
	}
	if m.HTTP != nil && m.HTTP.Addr() != "" {
		shutdownCtx, cancel := context.WithTimeout(ctx, m.Config.ShutdownTimeout)
		defer cancel()
		if err := m.HTTP.Shutdown(shutdownCtx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	m.closeLabels() // after the HTTP server: no new print starts
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
	cfg.Targets.register(fs)
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

// parseCIDRs reads the comma-separated list of networks of flag; a bare
// address is one host.
func parseCIDRs(flag, list string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			if ip := net.ParseIP(item); ip != nil && ip.To4() != nil {
				item += "/32"
			} else {
				item += "/128"
			}
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %q is not a network", flag, item)}
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// brokerPort is the embedded broker's TCP port, "" without one.
func (m *Server) brokerPort() string {
	if m.Broker == nil {
		return ""
	}
	_, port, _ := net.SplitHostPort(m.Broker.TCPAddr())
	return port
}
