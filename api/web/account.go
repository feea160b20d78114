package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/httpapi"
)

// loginData fills the sign-in form.
type loginData struct {
	Email string
	Next  string
}

// registerData fills the registration form.
type registerData struct {
	Email    string
	Language string
}

// welcomeData is the page after registration: the first token, shown once.
type welcomeData struct {
	Email string
	Token string
}

// accountData is the account page.
type accountData struct {
	Tokens       []*freezer.Token
	NewToken     string // a token just created, shown this once
	NewTokenName string
	// SessionTokenID is the dashboard token of this browser's session.
	SessionTokenID int64
	Households     []householdView
	Invitations    []*freezer.Invitation // for the user's address
}

// householdView is a household with its members and pending invitations.
type householdView struct {
	*freezer.Household
	Members     []*freezer.Member
	Invitations []*freezer.Invitation
}

func (w *webSite) registerAccountRoutes() {
	w.add(http.MethodGet, "/account", w.accountPage, requireSession)
	w.add(http.MethodPost, "/account/profile", w.updateProfile, requireSession)
	w.add(http.MethodPost, "/account/password", w.changePassword, requireSession)
	w.add(http.MethodPost, "/account/tokens", w.createToken, requireSession)
	w.add(http.MethodPost, "/account/tokens/:id/revoke", w.revokeToken, requireSession)
	w.add(http.MethodPost, "/account/households/:id/members", w.inviteMember, requireSession)
	w.add(http.MethodPost, "/account/households/:id/members/:user_id/remove", w.removeMember, requireSession)
	w.add(http.MethodPost, "/account/invitations/:id/accept", w.acceptInvitation, requireSession)
	w.add(http.MethodPost, "/account/invitations/:id/decline", w.declineInvitation, requireSession)
}

// withNotice shows the text of ?done= (a key of webTexts) as a notice.
func withNotice(c echo.Context, p *webPage) *webPage {
	if done := c.QueryParam("done"); done != "" {
		p.Notice = p.T["done_"+done]
	}
	return p
}

// signedInHome is where signing in leads unless next says otherwise: the dashboard.
const signedInHome = "/app/"

func (w *webSite) loginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"), signedInHome)
	if sessionOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return w.render(c, http.StatusOK, "login", withNotice(c, w.newPage(c, loginData{Email: c.QueryParam("email"), Next: next})))
}

// limited counts an attempt against the limits of each key and renders
// the 429 page when one is exceeded; it returns false then.
func (w *webSite) limited(c echo.Context, name string, data any, checks ...func() (bool, time.Duration)) (bool, error) {
	var retry time.Duration
	for _, check := range checks {
		if ok, r := check(); !ok {
			retry = max(retry, r)
		}
	}
	if retry == 0 {
		return false, nil
	}
	seconds := int(retry.Seconds() + 0.999)
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	p := w.newPage(c, data)
	p.Error = fmt.Sprintf(p.T["err_rate"], seconds)
	return true, w.render(c, http.StatusTooManyRequests, name, p)
}

// signIn checks an e-mail and password, starts a session and sets its cookie.
// An address that is not valid is never checked nor kept: it cannot sign in.
func (w *webSite) signIn(c echo.Context) error {
	email := freezer.NormalizeEmail(c.FormValue("email"))
	if freezer.ValidateEmail(email) != nil {
		email = ""
	}
	data := loginData{Email: email, Next: safeNext(c.FormValue("next"), signedInHome)}
	ip := c.RealIP()
	if hit, err := w.limited(c, "login", data, func() (bool, time.Duration) { return w.signInLimits.Allow(ip, email) }); hit {
		return err
	}
	var u *freezer.User
	var err error = freezer.Errorf(freezer.EUNAUTHORIZED, "Wrong e-mail or password.")
	if email != "" {
		u, err = w.services.Users.Authenticate(httpapi.Ctx(c), email, c.FormValue("password"))
	}
	if err != nil {
		p := w.newPage(c, data)
		p.Error = w.errorText(p, err)
		if freezer.ErrorCode(err) == freezer.EUNAUTHORIZED {
			w.signInLimits.Fail(ip, email)
			p.Error = p.T["err_credentials"]
		}
		return w.render(c, httpapi.Status(err), "login", p)
	}
	if old := sessionOf(c); old != nil { // a new sign-in replaces the session: its id changes
		if err := w.services.Sessions.DeleteSession(httpapi.Ctx(c), old.secret); err != nil {
			return w.renderError(c, err)
		}
	}
	_, secret, err := w.services.Sessions.CreateSession(freezer.NewContextWithUser(httpapi.Ctx(c), u))
	if err != nil {
		return w.renderError(c, err)
	}
	w.setCookie(c, sessionCookie, secret, int(freezer.SessionMaxAge.Seconds()))
	w.clearCookie(c, csrfCookie)
	return c.Redirect(http.StatusSeeOther, data.Next)
}

func (w *webSite) logoutPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return w.render(c, http.StatusOK, "logout", w.newPage(c, nil))
}

// signOut ends the session and revokes its dashboard token.
func (w *webSite) signOut(c echo.Context) error {
	if s := sessionOf(c); s != nil {
		if err := w.services.Sessions.DeleteSession(httpapi.Ctx(c), s.secret); err != nil {
			return w.renderError(c, err)
		}
	}
	w.clearCookie(c, sessionCookie)
	return c.Redirect(http.StatusSeeOther, "/login?done=signed_out")
}

func (w *webSite) registerPage(c echo.Context) error {
	if sessionOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/account")
	}
	return w.render(c, http.StatusOK, "register", w.newPage(c, registerData{Language: w.language(c)}))
}

// register creates an account and shows its first API token once.
func (w *webSite) register(c echo.Context) error {
	data := registerData{Email: freezer.NormalizeEmail(c.FormValue("email")), Language: c.FormValue("language")}
	if freezer.ValidateLanguage(data.Language) != nil {
		data.Language = w.language(c)
	}
	if hit, err := w.limited(c, "register", data,
		func() (bool, time.Duration) { return w.registrations.Allow(c.RealIP()) }); hit {
		return err
	}
	password := c.FormValue("password")
	p := w.newPage(c, data)
	switch {
	case freezer.ValidateEmail(data.Email) != nil:
		p.Error = p.T["err_email"]
	case utf8.RuneCountInString(password) < freezer.MinPasswordLength:
		p.Error = fmt.Sprintf(p.T["err_password_short"], freezer.MinPasswordLength)
	case password != c.FormValue("password2"):
		p.Error = p.T["err_password_mismatch"]
	}
	if p.Error != "" {
		return w.render(c, http.StatusBadRequest, "register", p)
	}
	reg, err := w.services.Users.RegisterUser(httpapi.Ctx(c), freezer.Registration{Email: data.Email, Password: password,
		Language: data.Language, TokenName: "default", HouseholdName: webTexts[data.Language]["default_household"]})
	if err != nil {
		p.Error = w.errorText(p, err)
		if freezer.ErrorCode(err) == freezer.ECONFLICT {
			p.Error = p.T["err_email_taken"]
		}
		return w.render(c, httpapi.Status(err), "register", p)
	}
	p = w.newPage(c, welcomeData{Email: reg.User.Email, Token: reg.Token})
	p.Lang, p.T = reg.User.Language, webTexts[reg.User.Language]
	return w.render(c, http.StatusCreated, "welcome", p)
}

// loadAccount reads what the account page shows.
func (w *webSite) loadAccount(c echo.Context) (*accountData, error) {
	ctx := httpapi.Ctx(c)
	tokens, err := w.services.Tokens.FindTokens(ctx)
	if err != nil {
		return nil, err
	}
	households, err := w.services.Households.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	invitations, err := w.services.Households.FindInvitations(ctx)
	if err != nil {
		return nil, err
	}
	data := &accountData{Tokens: tokens, SessionTokenID: sessionOf(c).DashboardTokenID, Invitations: invitations}
	for _, h := range households {
		members, err := w.services.Households.FindMembers(ctx, h.ID)
		if err != nil {
			return nil, err
		}
		pending, err := w.services.Households.FindHouseholdInvitations(ctx, h.ID)
		if err != nil {
			return nil, err
		}
		data.Households = append(data.Households, householdView{Household: h, Members: members, Invitations: pending})
	}
	return data, nil
}

func (w *webSite) accountPage(c echo.Context) error {
	data, err := w.loadAccount(c)
	if err != nil {
		return w.renderError(c, err)
	}
	return w.render(c, http.StatusOK, "account", withNotice(c, w.newPage(c, data)))
}

// accountResult ends an account form: back to the page with a notice, or
// the page again with the error.
func (w *webSite) accountResult(c echo.Context, err error, done string) error {
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/account?done="+url.QueryEscape(done))
	}
	data, loadErr := w.loadAccount(c)
	if loadErr != nil {
		return w.renderError(c, loadErr)
	}
	p := w.newPage(c, data)
	p.Error = w.errorText(p, err)
	return w.render(c, httpapi.Status(err), "account", p)
}

func (w *webSite) updateProfile(c echo.Context) error {
	email, lang := c.FormValue("email"), c.FormValue("language")
	_, err := w.services.Users.UpdateUser(httpapi.Ctx(c), sessionOf(c).User.ID, freezer.UserUpdate{Email: &email, Language: &lang})
	if err == nil { // the page shows the new language at once
		sessionOf(c).User.Language = lang
	}
	return w.accountResult(c, err, "profile")
}

// changePassword checks the current password, sets the new one and signs
// every other session out.
func (w *webSite) changePassword(c echo.Context) error {
	s := sessionOf(c)
	ip := c.RealIP()
	if hit, err := w.limited(c, "error", nil, func() (bool, time.Duration) { return w.signInLimits.Allow(ip, s.User.Email) }); hit {
		return err
	}
	T := webTexts[s.User.Language]
	password := c.FormValue("new_password")
	if _, err := w.services.Users.Authenticate(httpapi.Ctx(c), s.User.Email, c.FormValue("current_password")); err != nil {
		if freezer.ErrorCode(err) == freezer.EUNAUTHORIZED {
			w.signInLimits.Fail(ip, s.User.Email)
			err = freezer.Errorf(freezer.EUNAUTHORIZED, "%s", T["err_current_password"])
		}
		return w.accountResult(c, err, "")
	}
	if password != c.FormValue("new_password2") {
		return w.accountResult(c, freezer.Errorf(freezer.EINVALID, "%s", T["err_password_mismatch"]), "")
	}
	if err := w.services.Users.SetPassword(httpapi.Ctx(c), s.User.ID, password); err != nil {
		return w.accountResult(c, err, "")
	}
	return w.accountResult(c, w.services.Sessions.DeleteOtherSessions(httpapi.Ctx(c), s.ID), "password")
}

// createToken creates a named API token and shows its secret this once.
func (w *webSite) createToken(c echo.Context) error {
	tok, secret, err := w.services.Tokens.CreateToken(httpapi.Ctx(c), c.FormValue("name"))
	if err != nil {
		return w.accountResult(c, err, "")
	}
	data, err := w.loadAccount(c)
	if err != nil {
		return w.renderError(c, err)
	}
	data.NewToken, data.NewTokenName = secret, tok.Name
	return w.render(c, http.StatusCreated, "account", w.newPage(c, data))
}

func (w *webSite) revokeToken(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err == nil {
		err = w.services.Tokens.RevokeToken(httpapi.Ctx(c), id)
	}
	return w.accountResult(c, err, "token_revoked")
}

// inviteMember invites an address; the notice is the same whether it has an account.
func (w *webSite) inviteMember(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err == nil {
		_, err = w.services.Households.InviteMember(httpapi.Ctx(c), id, c.FormValue("email"))
	}
	return w.accountResult(c, err, "member_invited")
}

func (w *webSite) acceptInvitation(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err == nil {
		_, err = w.services.Households.AcceptInvitation(httpapi.Ctx(c), id)
	}
	return w.accountResult(c, err, "invitation_accepted")
}

// declineInvitation declines an invitation of the user's, or withdraws one of their household's.
func (w *webSite) declineInvitation(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	if err == nil {
		err = w.services.Households.DeclineInvitation(httpapi.Ctx(c), id)
	}
	return w.accountResult(c, err, "invitation_declined")
}

func (w *webSite) removeMember(c echo.Context) error {
	id, err := httpapi.PathID(c, "id")
	userID, err2 := httpapi.PathID(c, "user_id")
	if err == nil {
		err = err2
	}
	if err == nil {
		err = w.services.Households.RemoveMember(httpapi.Ctx(c), id, userID)
	}
	return w.accountResult(c, err, "member_removed")
}
