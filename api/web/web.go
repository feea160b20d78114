// Package web serves the site for people: the server-rendered account and
// admin pages (sign-in sessions, CSRF checks, French and English texts)
// and the embedded dashboard and scan page under /app/, which use the v1
// API like any other client.
//
// It imports the root package, api/httpapi and internal/throttle; never
// api, api/legacy, api/v1, nor a package that implements a service (db,
// hub, alerts, homeassistant, broker): it uses services through
// httpapi.Services.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
	"github.com/freezer-manager/freezer/internal/throttle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// The app icons of the dashboard's manifest are drawn once and committed.
//go:generate go run genicons.go

// webSite serves the account site, the admin panel and the dashboard.
type webSite struct {
	echo          *echo.Echo
	services      httpapi.Services
	config        Config
	logger        *slog.Logger
	pages         map[string]*template.Template
	signInLimits  *throttle.Lockout
	registrations *httpapi.RateLimiter // registration attempts per client IP
}

// webPageNames are the templates of the site, each drawn inside layout.html.
var webPageNames = []string{"login", "register", "welcome", "account", "admin", "logout", "error"}

// Config holds the site's settings.
type Config struct {
	// MaxBodyBytes bounds form bodies.
	MaxBodyBytes int64
	// Now is the clock of the sign-in and registration limits.
	Now func() time.Time
	// TrustedProxies are the networks whose X-Forwarded-Proto header is
	// believed (Secure cookies behind a TLS proxy).
	TrustedProxies []*net.IPNet
	// FormKey signs the form tokens handed out before sign-in.
	FormKey []byte
}

// Register serves the server-rendered site (/register, /login, /logout,
// /account, /admin) and the dashboard's files under /app/ on e.
func Register(e *echo.Echo, services httpapi.Services, cfg Config, logger *slog.Logger) {
	w := &webSite{echo: e, services: services, config: cfg, logger: logger, pages: map[string]*template.Template{},
		signInLimits:  throttle.NewLockout(signInLimits, cfg.Now),
		registrations: httpapi.NewRateLimiter(registrationLimit, cfg.Now),
	}
	for _, name := range webPageNames {
		w.pages[name] = template.Must(template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	w.add(http.MethodGet, "/register", w.registerPage)
	w.add(http.MethodPost, "/register", w.register)
	w.add(http.MethodGet, "/login", w.loginPage)
	w.add(http.MethodPost, "/login", w.signIn)
	w.add(http.MethodGet, "/logout", w.logoutPage)
	w.add(http.MethodPost, "/logout", w.signOut)
	w.registerAccountRoutes()
	w.registerAdminRoutes()

	app, err := fs.Sub(staticFS, "static/app")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/app", http.FileServer(http.FS(app)))
	w.add(http.MethodGet, "/app/session", w.dashboardSession)
	// The dashboard's files need no session: no database read per file.
	e.GET("/app", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/app/") }, securityHeaders)
	e.GET("/app/scan", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		c.Request().URL.Path = "/app/scan.html"
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}, securityHeaders)
	e.GET("/app/*", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		if strings.HasSuffix(c.Request().URL.Path, ".webmanifest") { // unknown to the mime package
			c.Response().Header().Set(echo.HeaderContentType, "application/manifest+json")
		}
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}, securityHeaders)
}

// add serves a route of the site: security headers, the session, CSRF
// checks on POST, then the route's own middleware. (Not an Echo group: a
// group with middleware at the root would catch every unknown path.)
func (w *webSite) add(method, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	w.echo.Add(method, path, h, append([]echo.MiddlewareFunc{securityHeaders, w.loadSession, w.checkCSRF}, mw...)...)
}

// contentSecurityPolicy allows our own scripts, styles and API only: no
// inline script, so that injected markup could not run even if it got in.
// The web app manifest (manifest-src) and its icons (img-src) are our own
// files too: manifest-src falls back to default-src 'self'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers every page of the site carries.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// dashboardSessionResponse hands the dashboard its API token.
type dashboardSessionResponse struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Language string `json:"language"`
	Admin    bool   `json:"admin"`
}

// dashboardSession gives a signed-in browser its session's dashboard token,
// so that the dashboard uses the REST API like any other app. Only pages of
// this origin can read the answer (no CORS), and signing out revokes the token.
func (w *webSite) dashboardSession(c echo.Context) error {
	if site := c.Request().Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return freezer.Errorf(freezer.EFORBIDDEN, "Only the dashboard of this site may ask.")
	}
	s := sessionOf(c)
	if s == nil || s.DashboardToken == "" {
		return freezer.Errorf(freezer.EUNAUTHORIZED, "Sign in at /login first.")
	}
	return c.JSON(http.StatusOK, dashboardSessionResponse{Token: s.DashboardToken, Email: s.User.Email, Language: s.User.Language, Admin: s.User.Admin})
}

// webPage is what every template receives.
type webPage struct {
	T      map[string]string // the texts in the page's language
	Lang   string
	User   *freezer.User // nil before sign-in
	CSRF   string
	Error  string
	Notice string
	Data   any // the page's own data
}

// language picks the page language: the user's, else ?lang= (remembered in
// a cookie), else the cookie, else the browser's preference.
func (w *webSite) language(c echo.Context) string {
	if s := sessionOf(c); s != nil {
		return s.User.Language
	}
	if l := c.QueryParam("lang"); freezer.ValidateLanguage(l) == nil {
		w.setCookie(c, langCookie, l, int((365 * 24 * time.Hour).Seconds()))
		return l
	}
	if ck, err := c.Cookie(langCookie); err == nil && freezer.ValidateLanguage(ck.Value) == nil {
		return ck.Value
	}
	for _, tag := range strings.Split(c.Request().Header.Get("Accept-Language"), ",") {
		tag = strings.ToLower(strings.TrimSpace(strings.Split(tag, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return freezer.LanguageFrench
		case strings.HasPrefix(tag, "en"):
			return freezer.LanguageEnglish
		}
	}
	return freezer.LanguageEnglish
}

// newPage starts the data of a page for the request.
func (w *webSite) newPage(c echo.Context, data any) *webPage {
	lang := w.language(c)
	p := &webPage{T: webTexts[lang], Lang: lang, CSRF: w.csrfToken(c), Data: data}
	if s := sessionOf(c); s != nil {
		p.User = s.User
	}
	return p
}

// render draws a page with a status.
func (w *webSite) render(c echo.Context, status int, name string, p *webPage) error {
	var buf bytes.Buffer
	if err := w.pages[name].Execute(&buf, p); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// renderError draws the error page for err, with the status of its code.
func (w *webSite) renderError(c echo.Context, err error) error {
	status := httpapi.Status(err)
	if status >= 500 {
		w.logger.Error("web request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	p := w.newPage(c, nil)
	p.Error = w.errorText(p, err)
	return w.render(c, status, "error", p)
}

// errorText shows a domain error in the page's language when we have a
// text for it, else in the service's words.
func (w *webSite) errorText(p *webPage, err error) string {
	switch {
	case err == errCSRF:
		return p.T["err_csrf"]
	case freezer.ErrorCode(err) == freezer.EINTERNAL:
		return p.T["err_internal"]
	}
	return freezer.ErrorMessage(err)
}

// safeNext returns target when it is a path of this site, else fallback:
// the sign-in page must not send people elsewhere. Browsers drop tabs and
// newlines from a URL and read a backslash as a slash, so "/\t/evil.example"
// would leave the site: a target with a control character or a backslash
// is refused, and what remains must parse as a path alone.
func safeNext(target, fallback string) string {
	if strings.ContainsFunc(target, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return fallback
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return target
}
