package web_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// visitor is a cookie-keeping HTTP client that does not follow
// redirects, so that tests see each answer of the site.
type visitor struct {
	base   string
	client *http.Client
	header http.Header // sent with every request
}

// answer is one answer of the site, read in full.
type answer struct {
	method, path string
	status       int
	header       http.Header
	body         string
}

func (a answer) String() string {
	return fmt.Sprintf("%s %s → %d %q", a.method, a.path, a.status, apitest.Truncate(a.body, 400))
}

// newVisitor browses srv with its own cookie jar.
func newVisitor(tb testing.TB, srv *httptest.Server) *visitor {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	client := *srv.Client()
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &visitor{base: srv.URL, client: &client, header: http.Header{}}
}

func (b *visitor) do(tb testing.TB, req *http.Request) answer {
	tb.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return answer{method: req.Method, path: req.URL.RequestURI(), status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// get fetches a page; headers are pairs of name, value.
func (b *visitor) get(tb testing.TB, path string, headers ...string) answer {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(tb, req)
}

// post submits a form as the browser would, with the same-origin Origin header.
func (b *visitor) post(tb testing.TB, path string, form url.Values, headers ...string) answer {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(tb, req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrf returns the form token of the page at path.
func (b *visitor) csrf(tb testing.TB, path string) string {
	tb.Helper()
	a := b.get(tb, path).want(tb, http.StatusOK)
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		tb.Fatalf("%v: no CSRF field", a)
	}
	return m[1]
}

// submit posts a form of the page at path with the page's CSRF token.
func (b *visitor) submit(tb testing.TB, page, action string, form url.Values) answer {
	tb.Helper()
	form.Set("csrf", b.csrf(tb, page))
	return b.post(tb, action, form)
}

func (a answer) want(tb testing.TB, status int) answer {
	tb.Helper()
	if a.status != status {
		tb.Fatalf("%v: status %d, want %d", a, a.status, status)
	}
	return a
}

// wantRedirect fails unless the answer is 303 See Other to location.
func (a answer) wantRedirect(tb testing.TB, location string) {
	tb.Helper()
	a.want(tb, http.StatusSeeOther)
	if got := a.header.Get("Location"); got != location {
		tb.Fatalf("%v: Location %q, want %q", a, got, location)
	}
}

// wantText fails unless the body holds every text.
func (a answer) wantText(tb testing.TB, texts ...string) {
	tb.Helper()
	for _, s := range texts {
		if !strings.Contains(a.body, s) {
			tb.Fatalf("%v: body does not contain %q", a, s)
		}
	}
}

// cookie returns the Set-Cookie of name in the answer, or nil.
func (a answer) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newSite serves a fresh SQLite store with the fixed clock.
func newSite(tb testing.TB, configure ...func(*api.Config)) *apitest.Env {
	tb.Helper()
	return serveSite(tb, testdb.MustOpen(tb, testdb.SQLiteDSN(tb)), configure...)
}

// serveSite serves store with another api.Server: one more replica.
func serveSite(tb testing.TB, store *db.DB, configure ...func(*api.Config)) *apitest.Env {
	tb.Helper()
	var opts []apitest.Option
	for _, fn := range configure {
		opts = append(opts, apitest.Configure(fn))
	}
	return apitest.Serve(tb, store, opts...)
}

// register registers an account through the store; admin makes it an administrator.
func register(tb testing.TB, s *apitest.Env, email string, admin bool, language string) *freezer.RegisteredUser {
	tb.Helper()
	return s.Register(tb, freezer.Registration{Email: email, Admin: admin, Language: language}).Registered
}

// signIn returns a visitor signed in as email.
func signIn(tb testing.TB, s *apitest.Env, email string) *visitor {
	tb.Helper()
	b := newVisitor(tb, s.Server)
	b.submit(tb, "/login", "/login", url.Values{"email": {email}, "password": {apitest.Password}}).wantRedirect(tb, "/app/")
	return b
}

// apiStatus calls the v1 API with a bearer token and returns the status.
func apiStatus(tb testing.TB, s *apitest.Env, token, path string) int {
	tb.Helper()
	return s.Call(tb, token, http.MethodGet, path, nil).Status
}

// dashboardToken reads the session's token for the dashboard.
func (b *visitor) dashboardToken(tb testing.TB) string {
	tb.Helper()
	a := b.get(tb, "/app/session").want(tb, http.StatusOK)
	var s struct{ Token string }
	if err := json.Unmarshal([]byte(a.body), &s); err != nil || len(s.Token) != 64 {
		tb.Fatalf("%v: no token (%v)", a, err)
	}
	return s.Token
}

var newTokenCode = regexp.MustCompile(`<code id="new-token">([0-9a-f]{64})</code>`)

func TestRegisterSignInSignOut(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		s := serveSite(t, testdb.MustOpen(t, dsn))
		b := newVisitor(t, s.Server)

		// Register: the first token is shown once, and works.
		a := b.submit(t, "/register", "/register", url.Values{"email": {"Alice@Example.com"}, "password": {apitest.Password},
			"password2": {apitest.Password}, "language": {"fr"}}).want(t, http.StatusCreated)
		a.wantText(t, "Bienvenue", "alice@example.com")
		m := newTokenCode.FindStringSubmatch(a.body)
		if m == nil {
			t.Fatalf("%v: no token shown", a)
		}
		if got := apiStatus(t, s, m[1], "/api/v1/me"); got != http.StatusOK {
			t.Fatalf("first token: /api/v1/me → %d", got)
		}
		if b.get(t, "/account").status != http.StatusSeeOther {
			t.Fatal("registration signed the browser in; it should ask to sign in")
		}

		// Sign in: the session cookie, then the account page in French.
		a = b.submit(t, "/login", "/login", url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}, "next": {"/app/"}})
		a.wantRedirect(t, "/app/")
		ck := a.cookie("freezer_session")
		if ck == nil || len(ck.Value) != 64 {
			t.Fatalf("%v: no session cookie", a)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
			t.Errorf("session cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q, want HttpOnly, Lax, not Secure over plain HTTP, /",
				ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
		}
		if got, want := ck.MaxAge, int(freezer.SessionMaxAge.Seconds()); got != want {
			t.Errorf("cookie Max-Age = %d, want %d", got, want)
		}
		b.get(t, "/account").want(t, http.StatusOK).wantText(t, "alice@example.com", "Jetons d&#39;API", "default")

		// The dashboard's token is a real API token…
		token := b.dashboardToken(t)
		if got := apiStatus(t, s, token, "/api/v1/me"); got != http.StatusOK {
			t.Fatalf("dashboard token: /api/v1/me → %d", got)
		}
		b.get(t, "/account").wantText(t, freezer.DashboardTokenName, "révoqué à la déconnexion")
		b.get(t, "/app/session", "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)

		// …that signing out revokes.
		b.get(t, "/logout").want(t, http.StatusOK)
		a = b.submit(t, "/account", "/logout", url.Values{})
		a.wantRedirect(t, "/login?done=signed_out")
		if ck := a.cookie("freezer_session"); ck == nil || ck.MaxAge >= 0 {
			t.Errorf("%v: the session cookie is not cleared", a)
		}
		if got := apiStatus(t, s, token, "/api/v1/me"); got != http.StatusUnauthorized {
			t.Errorf("dashboard token after sign-out: /api/v1/me → %d, want 401", got)
		}
		b.get(t, "/account").wantRedirect(t, "/login?next=%2Faccount")
		b.get(t, "/app/session").want(t, http.StatusUnauthorized)
	})
}

func TestSignInErrors(t *testing.T) {
	s := newSite(t)
	register(t, s, "alice@example.com", false, "en")
	b := newVisitor(t, s.Server)

	t.Run("WrongPassword", func(t *testing.T) {
		a := b.submit(t, "/login", "/login", url.Values{"email": {"alice@example.com"}, "password": {"wrong password"}})
		a.want(t, http.StatusUnauthorized).wantText(t, "Wrong e-mail or password.")
		if a.cookie("freezer_session") != nil {
			t.Error("a failed sign-in set a session cookie")
		}
	})
	t.Run("OpenRedirect", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)",
			"/\t/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example", "\t//evil.example", "/\x00/evil.example", `/%09/\evil.example`,
			"///evil.example", "/\x7f/evil.example", " //evil.example"} {
			b := newVisitor(t, s.Server)
			b.submit(t, "/login", "/login", url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}, "next": {next}}).
				wantRedirect(t, "/app/")
		}
		b := newVisitor(t, s.Server)
		b.submit(t, "/login", "/login", url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}, "next": {"/account?done=x%2F%2Fy#top"}}).
			wantRedirect(t, "/account?done=x%2F%2Fy#top")
	})
	t.Run("RegisterMismatch", func(t *testing.T) {
		b.submit(t, "/register", "/register", url.Values{"email": {"bob@example.com"}, "password": {apitest.Password},
			"password2": {apitest.Password + "!"}, "language": {"en"}}).want(t, http.StatusBadRequest).wantText(t, "The two passwords differ.")
		b.submit(t, "/register", "/register", url.Values{"email": {"alice@example.com"}, "password": {apitest.Password},
			"password2": {apitest.Password}, "language": {"en"}}).want(t, http.StatusConflict).wantText(t, "already registered")
	})
}

func TestCSRF(t *testing.T) {
	s := newSite(t)
	register(t, s, "alice@example.com", false, "en")

	t.Run("BeforeSignIn", func(t *testing.T) {
		b := newVisitor(t, s.Server)
		form := url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}}
		b.post(t, "/login", form).want(t, http.StatusForbidden) // no cookie, no field
		b.csrf(t, "/login")
		form.Set("csrf", strings.Repeat("0", 64))
		b.post(t, "/login", form).want(t, http.StatusForbidden) // cookie and field differ
		b.post(t, "/register", url.Values{"email": {"x@example.com"}, "password": {apitest.Password}, "password2": {apitest.Password}}).
			want(t, http.StatusForbidden)
	})

	t.Run("PlantedCookie", func(t *testing.T) {
		// A cookie set by someone else (a sibling subdomain, a network
		// attacker on plain HTTP) with a field to match is not ours.
		b := newVisitor(t, s.Server)
		planted := strings.Repeat("ab", 32)
		u, _ := url.Parse(s.Server.URL)
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "freezer_csrf", Value: planted, Path: "/"}})
		b.post(t, "/login", url.Values{"csrf": {planted}, "email": {"alice@example.com"}, "password": {apitest.Password}}).
			want(t, http.StatusForbidden)
		// The login page replaces it with a token of its own.
		if token := b.csrf(t, "/login"); token == planted {
			t.Fatal("the login page kept the planted token")
		}
		// A token of another server (another key) is not ours either.
		other := newSite(t)
		theirs := newVisitor(t, other.Server).csrf(t, "/login")
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "freezer_csrf", Value: theirs, Path: "/"}})
		b.post(t, "/login", url.Values{"csrf": {theirs}, "email": {"alice@example.com"}, "password": {apitest.Password}}).
			want(t, http.StatusForbidden)
	})

	t.Run("SignedIn", func(t *testing.T) {
		b := signIn(t, s, "alice@example.com")
		token := b.csrf(t, "/account")
		create := url.Values{"name": {"script"}}
		b.post(t, "/account/tokens", create).want(t, http.StatusForbidden).wantText(t, "came from another site")
		create.Set("csrf", strings.Repeat("a", 64))
		b.post(t, "/account/tokens", create).want(t, http.StatusForbidden)
		create.Set("csrf", token)
		b.post(t, "/account/tokens", create, "Origin", "http://evil.example").want(t, http.StatusForbidden)
		b.post(t, "/account/tokens", create, "Origin", "null").want(t, http.StatusForbidden)
		b.post(t, "/account/tokens", create, "Sec-Fetch-Site", "cross-site").want(t, http.StatusForbidden)
		b.post(t, "/logout", url.Values{}).want(t, http.StatusForbidden)
		// The real form works, and a token of another session does not.
		b.post(t, "/account/tokens", create).want(t, http.StatusCreated)
		other := signIn(t, s, "alice@example.com")
		other.post(t, "/account/tokens", create).want(t, http.StatusForbidden)
	})
}

func TestSecureCookie(t *testing.T) {
	t.Run("TrustedProxy", func(t *testing.T) {
		_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
		s := newSite(t, func(c *api.Config) { c.TrustedProxies = []*net.IPNet{loopback} })
		register(t, s, "alice@example.com", false, "en")
		b := newVisitor(t, s.Server)
		b.header.Set("X-Forwarded-Proto", "https")
		a := b.submit(t, "/login", "/login", url.Values{"email": {"alice@example.com"}, "password": {apitest.Password}})
		if ck := a.cookie("freezer_session"); ck == nil || !ck.Secure || !ck.HttpOnly {
			t.Fatalf("%v: session cookie %v, want Secure and HttpOnly behind a trusted TLS proxy", a, ck)
		}
	})
	t.Run("UntrustedProxy", func(t *testing.T) {
		s := newSite(t)
		b := newVisitor(t, s.Server)
		a := b.get(t, "/login", "X-Forwarded-Proto", "https")
		if ck := a.cookie("freezer_csrf"); ck == nil || ck.Secure {
			t.Fatalf("%v: csrf cookie %v: an untrusted X-Forwarded-Proto must not make it Secure", a, ck)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
		srv := httptest.NewTLSServer(api.NewServer(api.Config{Now: func() time.Time { return testdb.Now }}, api.NewServices(store), nil).Handler())
		t.Cleanup(srv.Close)
		srv.Client().Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		a := newVisitor(t, srv).get(t, "/login").want(t, http.StatusOK)
		if ck := a.cookie("freezer_csrf"); ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("%v: cookie %v, want Secure, HttpOnly, SameSite=Lax over TLS", a, ck)
		}
	})
}

func TestAdmin(t *testing.T) {
	s := newSite(t)
	register(t, s, "admin@example.com", true, "en")
	bob := register(t, s, "bob@example.com", false, "en")

	t.Run("ErrAnonymous", func(t *testing.T) {
		newVisitor(t, s.Server).get(t, "/admin").wantRedirect(t, "/login?next=%2Fadmin")
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		b := signIn(t, s, "bob@example.com")
		b.get(t, "/admin").want(t, http.StatusForbidden).wantText(t, "Only administrators")
		token := b.csrf(t, "/account")
		b.post(t, "/admin/types", url.Values{"csrf": {token}, "name_en": {"x"}, "name_fr": {"x"}}).want(t, http.StatusForbidden)
		b.post(t, "/admin/users/1", url.Values{"csrf": {token}, "action": {"disable"}}).want(t, http.StatusForbidden)
		if strings.Contains(b.get(t, "/account").body, `href="/admin"`) {
			t.Error("the account page links to the admin panel for a non-admin")
		}
	})
	t.Run("OK", func(t *testing.T) {
		b := signIn(t, s, "admin@example.com")
		a := b.get(t, "/admin").want(t, http.StatusOK)
		a.wantText(t, `id="stat-users">2<`, `id="stat-households">2<`, "soup", "soupe", "bob@example.com")

		b.submit(t, "/admin", "/admin/types", url.Values{"name_en": {"Dumplings"}, "name_fr": {"Raviolis"}}).wantRedirect(t, "/admin?done=type_added#types")
		types, err := s.Store.FindProductTypes(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		last := types[len(types)-1]
		if last.NameEN != "Dumplings" || last.NameFR != "Raviolis" {
			t.Fatalf("last type = %+v", last)
		}
		b.submit(t, "/admin", fmt.Sprintf("/admin/types/%d", last.ID), url.Values{"name_en": {"Gyoza"}, "name_fr": {"Gyozas"}}).
			wantRedirect(t, "/admin?done=type_renamed#types")
		b.get(t, "/admin?done=type_renamed").wantText(t, `value="Gyoza"`, `value="Gyozas"`, "The product type was renamed.")

		// Disable bob: he can no longer sign in, nor use his token.
		bobBrowser := signIn(t, s, "bob@example.com")
		userPath := fmt.Sprintf("/admin/users/%d", bob.User.ID)
		b.submit(t, "/admin", userPath, url.Values{"action": {"disable"}}).wantRedirect(t, "/admin?done=user_updated#users")
		bobBrowser.get(t, "/account").wantRedirect(t, "/login?next=%2Faccount")
		newVisitor(t, s.Server).submit(t, "/login", "/login", url.Values{"email": {"bob@example.com"}, "password": {apitest.Password}}).
			want(t, http.StatusUnauthorized)
		if got := apiStatus(t, s, bob.Token, "/api/v1/me"); got != http.StatusUnauthorized {
			t.Errorf("disabled user's token: %d, want 401", got)
		}
		b.submit(t, "/admin", userPath, url.Values{"action": {"enable"}}).want(t, http.StatusSeeOther)
		b.submit(t, "/admin", userPath, url.Values{"action": {"make_admin"}}).want(t, http.StatusSeeOther)
		signIn(t, s, "bob@example.com").get(t, "/admin").want(t, http.StatusOK)

		// Nobody changes their own flags here.
		b.submit(t, "/admin", "/admin/users/1", url.Values{"action": {"remove_admin"}}).want(t, http.StatusConflict)
		b.submit(t, "/admin", userPath, url.Values{"action": {"explode"}}).want(t, http.StatusBadRequest)
	})
}

func TestEscaping(t *testing.T) {
	const xss = `<img src=x onerror=alert(1)>`
	const escaped = `&lt;img src=x onerror=alert(1)&gt;`
	s := newSite(t)
	admin := register(t, s, "admin@example.com", true, "en")
	ctx := freezer.NewContextWithUser(context.Background(), admin.User)
	if _, err := s.Store.UpdateHousehold(ctx, admin.Household.ID, freezer.HouseholdUpdate{Name: ptrTo(xss)}); err != nil {
		t.Fatal(err)
	}
	b := signIn(t, s, "admin@example.com")
	a := b.submit(t, "/account", "/account/tokens", url.Values{"name": {xss}}).want(t, http.StatusCreated)
	b.submit(t, "/admin", "/admin/types", url.Values{"name_en": {xss}, "name_fr": {xss}}).want(t, http.StatusSeeOther)
	for _, a := range []answer{a, b.get(t, "/account"), b.get(t, "/admin")} {
		if strings.Contains(a.body, "<img") {
			t.Errorf("%v: the name is markup", a)
		}
		a.wantText(t, escaped)
	}
	// A hostile ?next= or ?email= stays an attribute value.
	a = newVisitor(t, s.Server).get(t, `/login?email="><script>alert(1)</script>&next=/"><script>`)
	if strings.Contains(a.body, "<script>") {
		t.Errorf("%v: query text became markup", a)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestSignInRateLimit(t *testing.T) {
	s := newSite(t)
	register(t, s, "alice@example.com", false, "en")
	b := newVisitor(t, s.Server)
	token := b.csrf(t, "/login")
	attempt := func(email, password string) answer {
		return b.post(t, "/login", url.Values{"csrf": {token}, "email": {email}, "password": {password}})
	}
	// Ten failures a minute per e-mail address…
	for i := 0; i < 10; i++ {
		attempt("alice@example.com", "wrong password").want(t, http.StatusUnauthorized)
	}
	a := attempt("alice@example.com", apitest.Password).want(t, http.StatusTooManyRequests)
	a.wantText(t, "Too many attempts")
	if a.header.Get("Retry-After") == "" {
		t.Errorf("%v: no Retry-After", a)
	}
	// …twenty per IP address, whatever the e-mail; then an address that has
	// not failed from this IP gets one attempt per few seconds.
	for i := 0; i < 10; i++ {
		attempt(fmt.Sprintf("other%d@example.com", i), "x").want(t, http.StatusUnauthorized)
	}
	attempt("other0@example.com", "x").want(t, http.StatusTooManyRequests)
	attempt("someone@example.com", "x").want(t, http.StatusUnauthorized)
	attempt("someone2@example.com", "x").want(t, http.StatusTooManyRequests)
	attempt("not an address", "x").want(t, http.StatusTooManyRequests)
}

func TestSessionOnAnyReplica(t *testing.T) {
	a := newSite(t)
	register(t, a, "alice@example.com", false, "en")
	b := serveSite(t, a.Store) // another server on the same database
	browser := signIn(t, a, "alice@example.com")
	token := browser.csrf(t, "/account")
	browser.base = b.Server.URL
	// The cookie was set for 127.0.0.1; both servers listen there.
	browser.get(t, "/account").want(t, http.StatusOK).wantText(t, "alice@example.com")
	browser.post(t, "/account/tokens", url.Values{"csrf": {token}, "name": {"from b"}}).want(t, http.StatusCreated)
}

func TestAccount(t *testing.T) {
	s := newSite(t)
	alice := register(t, s, "alice@example.com", false, "en")
	register(t, s, "bob@example.com", false, "en")
	b := signIn(t, s, "alice@example.com")

	t.Run("Tokens", func(t *testing.T) {
		a := b.submit(t, "/account", "/account/tokens", url.Values{"name": {"kitchen tablet"}}).want(t, http.StatusCreated)
		m := newTokenCode.FindStringSubmatch(a.body)
		if m == nil {
			t.Fatalf("%v: new token not shown", a)
		}
		if got := apiStatus(t, s, m[1], "/api/v1/me"); got != http.StatusOK {
			t.Fatalf("new token: %d", got)
		}
		if strings.Contains(b.get(t, "/account").body, m[1]) {
			t.Error("the token is shown again")
		}
		tokens, err := s.Store.FindTokens(freezer.NewContextWithUser(context.Background(), alice.User))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(tokens, func(tok *freezer.Token) bool { return tok.Name == "kitchen tablet" })
		b.submit(t, "/account", fmt.Sprintf("/account/tokens/%d/revoke", tokens[i].ID), url.Values{}).wantRedirect(t, "/account?done=token_revoked")
		if got := apiStatus(t, s, m[1], "/api/v1/me"); got != http.StatusUnauthorized {
			t.Errorf("revoked token: %d, want 401", got)
		}
	})

	t.Run("Members", func(t *testing.T) {
		path := fmt.Sprintf("/account/households/%d/members", alice.Household.ID)
		// An invitation, the same for an address with or without an account.
		b.submit(t, "/account", path, url.Values{"email": {"bob@example.com"}}).wantRedirect(t, "/account?done=member_invited")
		b.submit(t, "/account", path, url.Values{"email": {"nobody@example.com"}}).wantRedirect(t, "/account?done=member_invited")
		b.get(t, "/account?done=member_invited").wantText(t, "bob@example.com", "nobody@example.com", "The invitation is sent")
		members, _ := s.Store.FindMembers(freezer.NewContextWithUser(context.Background(), alice.User), alice.Household.ID)
		if len(members) != 1 {
			t.Fatalf("%d members before bob accepts, want 1", len(members))
		}
		// Bob sees it on his account page and accepts.
		bob := signIn(t, s, "bob@example.com")
		page := bob.get(t, "/account").want(t, http.StatusOK)
		page.wantText(t, "Invitations", "invited by alice@example.com")
		m := regexp.MustCompile(`/account/invitations/(\d+)/accept`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatalf("%v: no accept form", page)
		}
		bob.submit(t, "/account", "/account/invitations/"+m[1]+"/accept", url.Values{}).wantRedirect(t, "/account?done=invitation_accepted")
		members, _ = s.Store.FindMembers(freezer.NewContextWithUser(context.Background(), alice.User), alice.Household.ID)
		b.submit(t, "/account", fmt.Sprintf("%s/%d/remove", path, members[1].UserID), url.Values{}).wantRedirect(t, "/account?done=member_removed")
	})

	t.Run("Profile", func(t *testing.T) {
		b.submit(t, "/account", "/account/profile", url.Values{"email": {"alice@example.com"}, "language": {"fr"}}).wantRedirect(t, "/account?done=profile")
		b.get(t, "/account?done=profile").wantText(t, `lang="fr"`, "Votre profil a été enregistré.")
		b.submit(t, "/account", "/account/profile", url.Values{"email": {"alice@example.com"}, "language": {"en"}}).want(t, http.StatusSeeOther)
	})

	t.Run("Password", func(t *testing.T) {
		other := signIn(t, s, "alice@example.com")
		b.submit(t, "/account", "/account/password", url.Values{"current_password": {"wrong password"},
			"new_password": {"a new password"}, "new_password2": {"a new password"}}).want(t, http.StatusUnauthorized).wantText(t, "current password is wrong")
		b.submit(t, "/account", "/account/password", url.Values{"current_password": {apitest.Password},
			"new_password": {"a new password"}, "new_password2": {"another one"}}).want(t, http.StatusBadRequest)
		b.submit(t, "/account", "/account/password", url.Values{"current_password": {apitest.Password},
			"new_password": {"a new password"}, "new_password2": {"a new password"}}).wantRedirect(t, "/account?done=password")
		b.get(t, "/account").want(t, http.StatusOK)
		other.get(t, "/account").wantRedirect(t, "/login?next=%2Faccount")
	})
}

func TestLanguage(t *testing.T) {
	s := newSite(t)
	b := newVisitor(t, s.Server)
	b.get(t, "/login", "Accept-Language", "fr-BE,fr;q=0.9,en;q=0.5").wantText(t, `lang="fr"`, "Se connecter")
	b.get(t, "/login", "Accept-Language", "de-DE,en;q=0.5").wantText(t, `lang="en"`)
	b.get(t, "/login?lang=fr").wantText(t, `lang="fr"`)
	b.get(t, "/register", "Accept-Language", "en").wantText(t, `lang="fr"`, `<option value="fr" selected>`) // the choice is remembered
}

func TestDashboardFiles(t *testing.T) {
	s := newSite(t)
	b := newVisitor(t, s.Server)
	b.get(t, "/app").want(t, http.StatusMovedPermanently)
	a := b.get(t, "/app/").want(t, http.StatusOK)
	a.wantText(t, `<script src="app.js" defer>`)
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for path, ctype := range map[string]string{"/app/app.js": "javascript", "/app/app.css": "text/css", "/app/i18n.js": "javascript",
		"/app/charts.js": "javascript"} {
		if a := b.get(t, path).want(t, http.StatusOK); !strings.Contains(a.header.Get("Content-Type"), ctype) {
			t.Errorf("%s: Content-Type %q, want %s", path, a.header.Get("Content-Type"), ctype)
		}
	}
	b.get(t, "/app/nothing.js").want(t, http.StatusNotFound)
	b.get(t, "/app/session").want(t, http.StatusUnauthorized)
}
