// Package legacy serves the REST API of the original system at its
// original paths, byte for byte as its contract says: token in the path,
// {"status", "details"} errors, the original texts and rate limits.
//
// It imports the root package and api/httpapi; never api, api/v1, api/web,
// nor a package that implements a service (db, hub, alerts,
// homeassistant, broker): it uses services through httpapi.Services.
package legacy

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// The error texts of the original system, sent as "details" (missing spaces included).
const (
	legacyBadToken              = "Bad token given"
	legacyBadParameter          = "The parameter given is not correct"
	legacyBadFormat             = "The request does not follow the format rule. Please try again with the correct format"
	legacyBadRequest            = "Bad request"
	legacyBadContentType        = "The content-type sent is not an application/json. Please try again with this content type."
	legacyBadProductEmplacement = "The emplacement where you try to store your new product is not valid.Please check the box number, the freezer and the product identifier assigned to it.The emplacement is probably already taken."
	legacyBadProductType        = "The type given to the new product to store is not correct.It should be an integer present in the list referring to the different possible types"
	legacyBadProductDate        = "The date format is for the new product is not well formatted. It should follow the YYYY-MM-DD format. Please try again with this format"
	legacyBadProductPeriod      = "The period given for the product is not valid. It should be an integer.Please Try again with the correct setting"
	legacyBadProductQuantity    = "The quantity given for the product is not valid. It should be an integer.Please Try again with the correct setting"
	legacyServerError           = "An error occurred on the server"
	legacyDeleteFreezer         = "It is impossible to delete the freezer since some products are still linked to it"
	legacyTooManyRequests       = "Too many requests"
)

// legacyError is an error of the legacy API: {"status": …, "details": …}.
type legacyError struct {
	Status  int    `json:"status"`
	Details string `json:"details"`
}

func (e *legacyError) Error() string { return e.Details }

func errLegacy(status int, details string) *legacyError {
	return &legacyError{Status: status, Details: details}
}

// Config holds the legacy API's settings.
type Config struct {
	// RateLimit bounds the requests of one client IP on one route.
	RateLimit httpapi.RateLimit
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Now is the clock of the rate limits.
	Now func() time.Time
}

// server answers the legacy routes.
type server struct {
	services httpapi.Services
	config   Config
	logger   *slog.Logger
}

// renderErrors answers a legacyError with its own body: the legacy API's
// errors are {"status": …, "details": …}, not those of the rest of the server.
func (s *server) renderErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		var le *legacyError
		if err == nil || !errors.As(err, &le) || c.Response().Committed {
			return err
		}
		if le.Status >= 500 {
			s.logger.Error("legacy request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		}
		return c.JSON(le.Status, le)
	}
}

// Register serves the original system's API at its original paths on e.
// CORS and the rate limit are route middleware, not group middleware, so
// that a wrong method on a known path still answers 405.
func Register(e *echo.Echo, services httpapi.Services, cfg Config, logger *slog.Logger) {
	s := &server{services: services, config: cfg, logger: logger}
	limiter := httpapi.NewRateLimiter(cfg.RateLimit, cfg.Now)
	mw := []echo.MiddlewareFunc{
		s.renderErrors,
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: []string{"*"},
			AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions},
			AllowHeaders: []string{echo.HeaderContentType},
		}),
		httpapi.LimitPerRoute(limiter, func(c echo.Context, _ time.Duration) error {
			return errLegacy(http.StatusTooManyRequests, legacyTooManyRequests)
		}),
	}
	routes := []struct {
		method, path string
		handler      echo.HandlerFunc
	}{
		{http.MethodGet, "/check_token/:token", s.legacyCheckToken},
		{http.MethodGet, "/types/:token", s.legacyTypes},
		{http.MethodGet, "/freezers/:token", s.legacyListFreezers},
		{http.MethodPost, "/freezers/:token", s.legacyCreateFreezer},
		{http.MethodPut, "/freezers/:token", s.legacyUpdateFreezer},
		{http.MethodDelete, "/freezers/:token", s.legacyDeleteFreezer},
		{http.MethodGet, "/freezer_next_id/:freezer/:token", s.legacyNextID},
		{http.MethodGet, "/get_product/:param/:freezer/:token", s.legacyGetProducts},
		{http.MethodPost, "/add_product/:token", s.legacyAddProduct},
		{http.MethodPost, "/update_product/:freezer/:box/:prod/:inside/:token", s.legacyUpdateProduct},
		{http.MethodGet, "/general_tendency/:token", s.legacyGeneralTendency},
		{http.MethodGet, "/custom_tendency/:token", s.legacyCustomTendency},
	}
	var paths []string
	served := map[string][]string{}
	for _, r := range routes {
		e.Add(r.method, r.path, r.handler, mw...)
		if served[r.path] == nil {
			paths = append(paths, r.path)
			e.OPTIONS(r.path, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, mw...)
		}
		served[r.path] = append(served[r.path], r.method)
	}
	for _, path := range paths {
		allow := append(slices.Clone(served[path]), http.MethodOptions)
		var others []string
		for _, m := range legacyMethods {
			if !slices.Contains(allow, m) {
				others = append(others, m)
			}
		}
		e.Match(others, path, legacyWrongMethod(strings.Join(allow, ", ")))
	}
}

// legacyMethods are the methods Echo routes; those a legacy path does not
// serve go to legacyWrongMethod.
var legacyMethods = []string{http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions,
	http.MethodPatch, http.MethodPost, echo.PROPFIND, http.MethodPut, http.MethodTrace, echo.REPORT}

// legacyWrongMethod answers a method that a legacy path does not serve: 404
// when the path does not have the route's shape (the original matched the
// path, parameter types included, before the method), else 405.
func legacyWrongMethod(allow string) echo.HandlerFunc {
	return func(c echo.Context) error {
		for _, name := range c.ParamNames() {
			v := c.Param(name)
			if v == "" || strings.Contains(v, "/") {
				return echo.ErrNotFound
			}
			if name != "token" && name != "param" {
				if _, err := pathInts(c, name); err != nil {
					return err
				}
			}
		}
		c.Response().Header().Set(echo.HeaderAllow, allow)
		return echo.ErrMethodNotAllowed
	}
}

// legacyAuth checks the token of the path and returns a context acting as
// its user: 404 when the segment is empty or holds a slash (Echo's last
// parameter takes the rest of the path: an unknown path), 400 BAD_TOKEN
// when no user has it.
func (s *server) legacyAuth(c echo.Context) (context.Context, error) {
	token := c.Param("token")
	if token == "" || strings.Contains(token, "/") {
		return nil, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	u, _, err := s.services.Tokens.AuthenticateToken(ctx, token)
	if err != nil {
		if freezer.ErrorCode(err) == freezer.EUNAUTHORIZED {
			return nil, errLegacy(http.StatusBadRequest, legacyBadToken)
		}
		return nil, legacyInternal(err)
	}
	return freezer.NewContextWithUser(ctx, u), nil
}

// pathInts parses integer path parameters the way the original routes
// matched them (digits only): anything else is an unknown path, 404.
func pathInts(c echo.Context, names ...string) ([]int64, error) {
	values := make([]int64, len(names))
	for i, name := range names {
		v := c.Param(name)
		if v == "" || len(v) > 10 {
			return nil, echo.ErrNotFound
		}
		for _, r := range v {
			if r < '0' || r > '9' {
				return nil, echo.ErrNotFound
			}
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > legacyMaxNumber {
			return nil, echo.ErrNotFound
		}
		values[i] = n
	}
	return values, nil
}

// legacyInternal logs an unexpected error and answers 500 SERVER_ERROR.
func legacyInternal(err error) error {
	return errors.Join(errLegacy(http.StatusInternalServerError, legacyServerError), err)
}

func (s *server) legacyCheckToken(c echo.Context) error {
	if _, err := s.legacyAuth(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// legacyType is a product type as the original API lists it.
type legacyType struct {
	TypeID     int64  `json:"type_id"`
	TypeNameEN string `json:"type_name_en"`
	TypeNameFR string `json:"type_name_fr"`
}

func (s *server) legacyTypes(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	types, err := s.services.Types.FindProductTypes(ctx)
	if err != nil {
		return legacyInternal(err)
	}
	out := make([]legacyType, 0, len(types))
	for _, t := range types {
		out = append(out, legacyType{TypeID: t.ID, TypeNameEN: t.NameEN, TypeNameFR: t.NameFR})
	}
	return c.JSON(http.StatusOK, out)
}

// tendencyItem is one row of the general tendency.
type tendencyItem struct {
	Freq       int    `json:"freq"`
	TypeID     int64  `json:"type_id"`
	TypeNameEN string `json:"type_name_en"`
	TypeNameFR string `json:"type_name_fr"`
}

// personalTendencyItem always carries "latest", null when no product of the type was taken out.
type personalTendencyItem struct {
	Freq       int     `json:"freq"`
	Latest     *string `json:"latest"`
	TypeID     int64   `json:"type_id"`
	TypeNameEN string  `json:"type_name_en"`
	TypeNameFR string  `json:"type_name_fr"`
}

func (s *server) legacyGeneralTendency(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	list, err := s.services.Stats.GeneralTendency(ctx)
	if err != nil {
		return legacyInternal(err)
	}
	out := make([]tendencyItem, 0, len(list))
	for _, t := range list {
		out = append(out, tendencyItem{Freq: t.Count, TypeID: t.Type.ID, TypeNameEN: t.Type.NameEN, TypeNameFR: t.Type.NameFR})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) legacyCustomTendency(c echo.Context) error {
	ctx, err := s.legacyAuth(c)
	if err != nil {
		return err
	}
	list, err := s.services.Stats.PersonalTendency(ctx)
	if err != nil {
		return legacyInternal(err)
	}
	out := make([]personalTendencyItem, 0, len(list))
	for _, t := range list {
		out = append(out, personalTendencyItem{Freq: t.Count, Latest: optionalDate(t.Latest), TypeID: t.Type.ID,
			TypeNameEN: t.Type.NameEN, TypeNameFR: t.Type.NameFR})
	}
	return c.JSON(http.StatusOK, out)
}

// optionalDate returns nil for the zero date, else its YYYY-MM-DD text.
func optionalDate(d freezer.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}
