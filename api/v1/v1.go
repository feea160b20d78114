// Package v1 serves the REST API at /api/v1: bearer tokens, JSON in and
// out, paginated lists, and the OpenAPI document generated from the same
// route table that registers the routes (/api/v1/openapi.json, /api/docs).
//
// It imports the root package, api/httpapi, internal/throttle, labels
// (rendering) and devices (the wire contract); never api, api/legacy,
// api/web, nor a package that implements a service (db, hub, alerts,
// homeassistant, broker): it uses services through httpapi.Services.
package v1

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/throttle"
)

// v1Prefix is where the v1 API lives.
const v1Prefix = "/api/v1"

// Pagination bounds of v1 lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// route is one v1 endpoint: registered and documented from the same table.
type route struct {
	Method   string
	Path     string // Echo syntax, below /api/v1
	Summary  string
	Handler  echo.HandlerFunc
	Request  any  // a value of the request body type, nil for none
	Response any  // a value of the response type, nil for 204
	List     bool // Response is the item type of a paginated list
	Admin    bool // only administrators
	Public   bool // no token needed
	Query    []param
	Status   int // success status; 0 means 200
	Produces string
}

// param documents a query parameter.
type param struct {
	Name, Type, Description string
}

// v1Routes lists every v1 endpoint.
func (s *server) v1Routes() []route {
	var routes []route
	for _, group := range [][]route{
		s.v1MeRoutes(), s.v1HouseholdRoutes(), s.v1FreezerRoutes(), s.v1ProductRoutes(),
		s.v1TypeRoutes(), s.v1TokenRoutes(), s.v1DeviceRoutes(), s.v1ScanRoutes(), s.v1AlertRoutes(), s.v1DocRoutes(), s.v1LabelRoutes(), s.v1StatsRoutes(), s.v1EventRoutes(), s.v1ExportRoutes(),
	} {
		routes = append(routes, group...)
	}
	return routes
}

// Config holds the v1 API's settings.
type Config struct {
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Now is the clock of the token-failure limit.
	Now func() time.Time
	// MQTTTopics are the topics new devices are told about.
	MQTTTopics devices.Topics
	// TokenFailuresPerMinute answers 429 to a client IP whose API tokens
	// failed this often within a minute (0: no limit).
	TokenFailuresPerMinute int
	// MQTTPort is the embedded broker's port, for the default MQTTPublicURL.
	MQTTPort string
	// MQTTPublicURL is the broker address new devices are told to use
	// (default: port MQTTPort of the host the request came to).
	MQTTPublicURL string
}

// server answers the v1 routes.
type server struct {
	services httpapi.Services
	config   Config
	logger   *slog.Logger
	// tokenFailures slows down guessing of API tokens.
	tokenFailures *throttle.Failures
	// decoding bounds the camera frames decoded at once (see v1ScanImage).
	decoding chan struct{}
}

// Register serves the v1 API on e, and its document for people at /api/docs.
func Register(e *echo.Echo, services httpapi.Services, cfg Config, logger *slog.Logger) {
	s := &server{services: services, config: cfg, logger: logger, decoding: make(chan struct{}, maxDecodes),
		tokenFailures: throttle.New(cfg.TokenFailuresPerMinute, time.Minute, cfg.Now)}
	// CORS is server middleware limited to /api/v1, not group middleware:
	// a group with middleware gets catch-all routes, which answer 404 to a
	// wrong method on a known path instead of 405.
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p != v1Prefix && !strings.HasPrefix(p, v1Prefix+"/")
		},
		AllowOrigins:  []string{"*"},
		AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete},
		AllowHeaders:  []string{echo.HeaderContentType, echo.HeaderAuthorization},
		ExposeHeaders: []string{"Retry-After"},
	}))
	g := e.Group(v1Prefix)
	for _, r := range s.v1Routes() {
		mw := []echo.MiddlewareFunc{}
		if !r.Public {
			mw = append(mw, s.requireToken)
		}
		if r.Admin {
			mw = append(mw, requireAdmin)
		}
		g.Add(r.Method, r.Path, r.Handler, mw...)
	}
	e.GET("/api/docs", s.handleDocs)
}

// requireToken authenticates "Authorization: Bearer <token>" and puts the
// acting user in the request's context.
func (s *server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if blocked, retry := s.tokenFailures.Blocked(c.RealIP()); blocked {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
			return echo.NewHTTPError(http.StatusTooManyRequests, "Too many failed attempts from this address: try again later.")
		}
		// The scheme is case-insensitive (RFC 9110 §11.1).
		scheme, secret, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="freezer"`)
			return freezer.Errorf(freezer.EUNAUTHORIZED, "Send your API token as \"Authorization: Bearer <token>\".")
		}
		u, _, err := s.services.Tokens.AuthenticateToken(c.Request().Context(), strings.TrimSpace(secret))
		if err != nil {
			if freezer.ErrorCode(err) == freezer.EUNAUTHORIZED {
				s.tokenFailures.Fail(c.RealIP())
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="freezer", error="invalid_token"`)
			}
			return err
		}
		httpapi.SetUser(c, u)
		return next(c)
	}
}

// requireAdmin answers 403 to users who are not administrators.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !httpapi.CurrentUser(c).Admin {
			return freezer.Errorf(freezer.EFORBIDDEN, "Only administrators may do this.")
		}
		return next(c)
	}
}

// bind decodes a JSON body into dst strictly (see httpapi.BindJSON).
func (s *server) bind(c echo.Context, dst any) error {
	return httpapi.BindJSON(c, dst, s.config.MaxBodyBytes)
}

// listResponse is every v1 list: a page of items and the cursor of the next page.
type listResponse[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// page reads the limit and cursor query parameters.
type page struct {
	Limit   int
	Offset  int   // offset cursors
	AfterID int64 // id cursors
}

// readPage parses ?limit= and ?cursor= (EINVALID for bad values).
func readPage(c echo.Context) (page, error) {
	p := page{Limit: DefaultPageSize}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return p, freezer.Errorf(freezer.EINVALID, "limit must be between 1 and %d.", MaxPageSize)
		}
		p.Limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		kind, value, ok := strings.Cut(string(raw), ":")
		n, convErr := strconv.ParseInt(value, 10, 64)
		if err != nil || !ok || convErr != nil || n < 0 {
			return p, freezer.Errorf(freezer.EINVALID, "cursor is not one this API gave.")
		}
		switch kind {
		case "o":
			p.Offset = int(n)
		case "i":
			p.AfterID = n
		default:
			return p, freezer.Errorf(freezer.EINVALID, "cursor is not one this API gave.")
		}
	}
	return p, nil
}

// offsetCursor and idCursor make the opaque next_cursor values.
func offsetCursor(offset int) *string { return cursor("o", int64(offset)) }
func idCursor(id int64) *string       { return cursor("i", id) }

func cursor(kind string, n int64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strconv.FormatInt(n, 10)))
	return &s
}

// queryInt64 reads an optional integer query parameter.
func queryInt64(c echo.Context, name string) (*int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, freezer.Errorf(freezer.EINVALID, "%s must be a whole number.", name)
	}
	return &n, nil
}

// queryBool reads an optional true/false query parameter.
func queryBool(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, freezer.Errorf(freezer.EINVALID, "%s must be true or false.", name)
	}
	return b, nil
}
