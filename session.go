package freezer

import (
	"context"
	"time"
)

// How long a web session lasts: it ends after SessionIdleTimeout without a
// request, and SessionMaxAge after sign-in in any case.
const (
	SessionIdleTimeout = 14 * 24 * time.Hour
	SessionMaxAge      = 30 * 24 * time.Hour
)

// DashboardTokenName names the API token that each web session creates for
// the dashboard; signing out revokes it.
const DashboardTokenName = "dashboard (web session)"

// Session is a signed-in browser of the web site. It lives in the database,
// so that every replica knows it; the browser holds only its secret.
type Session struct {
	ID        string // SHA-256 of the secret, hex: the secret itself is never stored
	UserID    int64
	CSRFToken string // the synchronizer token every form of the session must send back
	// DashboardTokenID and DashboardToken are the API token the dashboard
	// uses. The token's secret is stored sealed with the session's secret,
	// so the database alone cannot reveal it; FindSession unseals it.
	DashboardTokenID int64
	DashboardToken   string
	CreatedAt        time.Time
	LastSeenAt       time.Time
	ExpiresAt        time.Time
}

// SessionService keeps the web site's sign-ins.
type SessionService interface {
	// CreateSession signs the acting user in: it stores a new session with
	// a CSRF token and a new dashboard API token, and returns it with its
	// secret, the cookie value, shown this once (EUNAUTHORIZED without a
	// user). Expired sessions of anybody are purged on the way.
	CreateSession(ctx context.Context) (*Session, string, error)
	// FindSession returns the session of a secret and its user, and pushes
	// its idle expiry back; an unknown or expired secret, or a disabled
	// user, is EUNAUTHORIZED.
	FindSession(ctx context.Context, secret string) (*Session, *User, error)
	// DeleteSession signs a session out and revokes its dashboard token; an
	// unknown secret is not an error.
	DeleteSession(ctx context.Context, secret string) error
	// DeleteOtherSessions signs the acting user out of every session but
	// keepID (after a password change), revoking their dashboard tokens
	// (EUNAUTHORIZED without a user).
	DeleteOtherSessions(ctx context.Context, keepID string) error
}
