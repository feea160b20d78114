// Package api serves Freezer Manager over HTTP: it builds the one Echo
// instance with its shared middleware and error rendering, answers / and
// /healthz, and has api/legacy (the original system's API), api/v1 (the v1
// API and its OpenAPI document) and api/web (the site and the dashboard)
// register their routes on it.
//
// It imports the root package, devices and the api packages; never a
// package that implements a service (db, hub, alerts, homeassistant,
// broker) nor labels: cmd/freezerd builds the services, spoolers and
// schedulers and passes them in.
package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/api/legacy"
	v1 "github.com/freezer-manager/freezer/api/v1"
	"github.com/freezer-manager/freezer/api/web"
	"github.com/freezer-manager/freezer/devices"
)

// Services are the domain services the HTTP layer uses.
type Services = httpapi.Services

// RateLimit bounds the requests of one client on one route; 0 disables a window.
type RateLimit = httpapi.RateLimit

// Config holds the HTTP layer's settings; the zero value of a field means its default.
type Config struct {
	Version string // reported by /healthz
	// LegacyRateLimit bounds the requests of one client IP on one legacy
	// route (default: 100 a minute, 24000 a day, as the original system).
	LegacyRateLimit *RateLimit
	// TrustedProxies are the networks whose X-Forwarded-For header is
	// believed; without them the client IP is the peer address.
	TrustedProxies []*net.IPNet
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Now is the clock of rate limits and dates (default time.Now).
	Now func() time.Time
	// MQTTTopics are the topics new devices are told about.
	MQTTTopics devices.Topics
	// TokenFailuresPerMinute answers 429 to a client IP whose API tokens
	// failed this often within a minute (0: no limit). The legacy API keeps
	// its own limit, the original system's.
	TokenFailuresPerMinute int
	// MQTTPort is the embedded broker's port, for the default MQTTPublicURL
	// (default 1883).
	MQTTPort string
	// MQTTPublicURL is the broker address new devices are told to use
	// (default: port 1883 of the host the request came to).
	MQTTPublicURL string
	// FormKey signs the form tokens handed out before sign-in (default: a
	// random key of this process; replicas behind one address need the same).
	FormKey []byte
}

// DefaultLegacyRateLimit is the original system's limit.
var DefaultLegacyRateLimit = RateLimit{PerMinute: 100, PerDay: 24000}

// DefaultMaxBodyBytes bounds request bodies unless configured otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Server is the HTTP server of freezerd.
type Server struct {
	echo     *echo.Echo
	http     *http.Server
	listener net.Listener
	logger   *slog.Logger
	services Services
	config   Config
}

// NewServer builds the routes over services.
func NewServer(cfg Config, services Services, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MQTTTopics.Root == "" {
		cfg.MQTTTopics.Root = devices.DefaultRoot
	}
	if len(cfg.FormKey) == 0 {
		cfg.FormKey = make([]byte, 32)
		_, _ = rand.Read(cfg.FormKey)
	}
	if cfg.LegacyRateLimit == nil {
		cfg.LegacyRateLimit = &DefaultLegacyRateLimit
	}
	s := &Server{echo: echo.New(), logger: logger, services: services, config: cfg}
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = clientIPExtractor(cfg.TrustedProxies)
	s.echo.Use(middleware.Recover())
	s.echo.Use(s.logRequests)
	s.echo.GET("/", s.handleIndex)
	s.echo.GET("/healthz", s.handleHealth)
	legacy.Register(s.echo, services, legacy.Config{RateLimit: *cfg.LegacyRateLimit, MaxBodyBytes: cfg.MaxBodyBytes, Now: cfg.Now}, logger)
	v1.Register(s.echo, services, v1.Config{MaxBodyBytes: cfg.MaxBodyBytes, Now: cfg.Now, MQTTTopics: cfg.MQTTTopics,
		TokenFailuresPerMinute: cfg.TokenFailuresPerMinute, MQTTPort: cfg.MQTTPort, MQTTPublicURL: cfg.MQTTPublicURL}, logger)
	web.Register(s.echo, services, web.Config{MaxBodyBytes: cfg.MaxBodyBytes, Now: cfg.Now, TrustedProxies: cfg.TrustedProxies, FormKey: cfg.FormKey}, logger)
	s.http = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the server's routes, for tests that use httptest.
func (s *Server) Handler() http.Handler { return s.echo }

// Listen binds addr (":0" picks a free port). It returns a one-line error
// when the address cannot be used, for example when the port is taken.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http: cannot listen on %s: %w", addr, errors.Unwrap(err))
	}
	s.listener = ln
	return nil
}

// Addr returns the address the server listens on, once Listen succeeded.
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Serve answers requests until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return nil
}

// Shutdown stops accepting requests and waits for those in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

func (s *Server) handleIndex(c echo.Context) error {
	return c.String(http.StatusOK, "Freezer Manager. API: /api/v1, health: /healthz\n")
}

// healthResponse is the body of GET /healthz.
type healthResponse struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Version  string `json:"version"`
}

func (s *Server) handleHealth(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	resp := healthResponse{Status: "ok", Database: "ok", Version: s.config.Version}
	if err := s.services.Database.Ping(ctx); err != nil {
		s.logger.Error("health check: database does not answer", "err", err)
		resp.Status, resp.Database = "error", "unreachable"
		return c.JSON(http.StatusServiceUnavailable, resp)
	}
	return c.JSON(http.StatusOK, resp)
}

// logRequests logs each request at debug level, and server errors at error level.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelError
		}
		s.logger.Log(c.Request().Context(), level, "request",
			"method", c.Request().Method, "path", c.Request().URL.Path, "status", status,
			"duration", time.Since(start), "remote", c.RealIP())
		return nil
	}
}

// handleError renders errors that reach Echo as a small JSON object.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, message := freezer.ErrorCode(err), freezer.ErrorMessage(err)
	status := httpapi.Status(err)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status, message = he.Code, http.StatusText(he.Code)
		// A 503's text says what is unavailable; other server errors stay vague.
		if text, ok := he.Message.(string); ok && text != "" && (status < 500 || status == http.StatusServiceUnavailable) {
			message = text
		}
		code = httpapi.StatusCode(status)
	}
	if status >= 500 {
		s.logger.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, httpapi.ErrorResponse{Error: httpapi.ErrorBody{Code: code, Message: message}})
}

// clientIPExtractor takes the client IP from X-Forwarded-For only when the
// peer is one of the trusted proxies, and otherwise uses the peer address.
func clientIPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
