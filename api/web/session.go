package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// The web site's cookies and form field.
const (
	sessionCookie = "freezer_session" // the session secret; the database keeps its SHA-256
	csrfCookie    = "freezer_csrf"    // double-submit token of the forms shown before sign-in
	langCookie    = "freezer_lang"    // language chosen before sign-in
	csrfField     = "csrf"            // the hidden field of every form
)

// webSession is the signed-in browser of a request.
type webSession struct {
	*freezer.Session
	User   *freezer.User
	secret string // the cookie value
}

// loadSession reads the session cookie; with a valid session, the request
// acts as its user. A missing or stale cookie leaves the request anonymous.
func (w *webSite) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		sess, u, err := w.services.Sessions.FindSession(httpapi.Ctx(c), ck.Value)
		switch freezer.ErrorCode(err) {
		case "":
			c.Set("session", &webSession{Session: sess, User: u, secret: ck.Value})
			httpapi.SetUser(c, u)
		case freezer.EUNAUTHORIZED:
			w.clearCookie(c, sessionCookie)
		default:
			return err
		}
		return next(c)
	}
}

// sessionOf returns the request's session, or nil when nobody is signed in.
func sessionOf(c echo.Context) *webSession {
	s, _ := c.Get("session").(*webSession)
	return s
}

// requireSession sends anonymous visitors to the sign-in page, and back here after.
func requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if sessionOf(c) == nil {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return next(c)
	}
}

// secure reports whether the browser reached us over TLS: directly, or
// through a trusted proxy that says so in X-Forwarded-Proto.
func (w *webSite) secure(c echo.Context) bool {
	r := c.Request()
	if r.TLS != nil {
		return true
	}
	if !strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get(echo.HeaderXForwardedProto), ",")[0]), "https") {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer := net.ParseIP(host)
	for _, n := range w.config.TrustedProxies {
		if peer != nil && n.Contains(peer) {
			return true
		}
	}
	return false
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure over TLS; maxAge 0 makes it last as long as the browser.
func (w *webSite) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.secure(c), SameSite: http.SameSiteLaxMode})
}

func (w *webSite) clearCookie(c echo.Context, name string) {
	w.setCookie(c, name, "", -1)
}

// csrfToken returns the token the request's forms must send back: the
// session's, or before sign-in a random one kept in a cookie (double submit).
func (w *webSite) csrfToken(c echo.Context) string {
	if s := sessionOf(c); s != nil {
		return s.CSRFToken
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && w.validFormToken(ck.Value) {
		return ck.Value
	}
	if token, ok := c.Get(csrfCookie).(string); ok { // already set on this response
		return token
	}
	nonce := make([]byte, formTokenNonce)
	_, _ = rand.Read(nonce)
	token := hex.EncodeToString(nonce) + hex.EncodeToString(w.formTokenMAC(nonce))
	w.setCookie(c, csrfCookie, token, 0)
	c.Set(csrfCookie, token)
	return token
}

// formTokenNonce is the random half of a pre-sign-in form token; the
// other half is its MAC under the server's form key.
const formTokenNonce = 16

func (w *webSite) formTokenMAC(nonce []byte) []byte {
	mac := hmac.New(sha256.New, w.config.FormKey)
	mac.Write(nonce)
	return mac.Sum(nil)[:formTokenNonce]
}

// validFormToken reports whether token is one this server (or a replica
// with the same key) made: a cookie that another site or a network
// attacker planted, with a field to match, is refused.
func (w *webSite) validFormToken(token string) bool {
	raw, err := hex.DecodeString(token)
	if err != nil || len(raw) != 2*formTokenNonce {
		return false
	}
	return hmac.Equal(raw[formTokenNonce:], w.formTokenMAC(raw[:formTokenNonce]))
}

// errCSRF is the answer to a form that did not come from our own page.
var errCSRF = freezer.Errorf(freezer.EFORBIDDEN, "This form expired or came from another site. Reload the page and try again.")

// checkCSRF guards every POST of the site: the browser must not say the
// request is cross-site, an Origin header must name this host, and the
// form's hidden token must match the session's (or, before sign-in, the
// cookie's).
func (w *webSite) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodPost {
			return next(c)
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			return w.renderError(c, errCSRF)
		}
		if origin := r.Header.Get(echo.HeaderOrigin); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
				return w.renderError(c, errCSRF)
			}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, w.config.MaxBodyBytes)
		sent := c.FormValue(csrfField)
		want := ""
		if s := sessionOf(c); s != nil {
			want = s.CSRFToken
		} else if ck, err := c.Cookie(csrfCookie); err == nil && w.validFormToken(ck.Value) {
			want = ck.Value
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
			return w.renderError(c, errCSRF)
		}
		return next(c)
	}
}
