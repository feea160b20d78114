package db

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.SessionService = (*DB)(nil)

// sessionTouchInterval bounds how often a session's last use is written, so
// that page views stay reads.
const sessionTouchInterval = time.Minute

// CreateSession signs the acting user in with a new session and dashboard token.
func (db *DB) CreateSession(ctx context.Context) (*freezer.Session, string, error) {
	userID, err := requireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	secret, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	csrf, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	s := &freezer.Session{ID: hashToken(secret), UserID: userID, CSRFToken: csrf}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := purgeExpiredSessions(ctx, tx); err != nil {
			return err
		}
		tok, tokenSecret, err := createToken(ctx, tx, userID, freezer.DashboardTokenName)
		if err != nil {
			return err
		}
		s.DashboardTokenID, s.DashboardToken = tok.ID, tokenSecret
		s.CreatedAt, s.LastSeenAt = tx.now, tx.now
		s.ExpiresAt = sessionExpiry(tx.now, tx.now)
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, csrf_token, dashboard_token_id, dashboard_token_sealed,
			created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, userID, csrf, tok.ID, sealToken(secret, tokenSecret), s.CreatedAt, s.LastSeenAt, s.ExpiresAt)
		return translateError(err)
	})
	if err != nil {
		return nil, "", err
	}
	return s, secret, nil
}

// sessionExpiry is when a session created at created and last seen at seen ends.
func sessionExpiry(created, seen time.Time) time.Time {
	idle, hard := seen.Add(freezer.SessionIdleTimeout), created.Add(freezer.SessionMaxAge)
	if idle.Before(hard) {
		return idle
	}
	return hard
}

// FindSession returns the session of a secret and its user.
func (db *DB) FindSession(ctx context.Context, secret string) (*freezer.Session, *freezer.User, error) {
	denied := freezer.Errorf(freezer.EUNAUTHORIZED, "Please sign in.")
	if len(secret) != 64 {
		return nil, nil, denied
	}
	var s freezer.Session
	var tokenID *int64
	var sealed string
	var u freezer.User
	err := db.read.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.csrf_token, s.dashboard_token_id, s.dashboard_token_sealed,
		s.created_at, s.last_seen_at, s.expires_at, u.id, u.email, u.language, u.admin, u.disabled, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, hashToken(secret)).
		Scan(&s.ID, &s.UserID, &s.CSRFToken, &tokenID, &sealed, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt,
			&u.ID, &u.Email, &u.Language, &u.Admin, &u.Disabled, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		if freezer.ErrorCode(translateError(err)) == freezer.ENOTFOUND {
			return nil, nil, denied
		}
		return nil, nil, translateError(err)
	}
	now := db.Now().UTC()
	if !now.Before(s.ExpiresAt) || u.Disabled {
		return nil, nil, denied
	}
	if tokenID != nil { // nil once the user revoked the dashboard token by hand
		s.DashboardTokenID, s.DashboardToken = *tokenID, unsealToken(secret, sealed)
	}
	if now.Sub(s.LastSeenAt) > sessionTouchInterval {
		s.LastSeenAt, s.ExpiresAt = now, sessionExpiry(s.CreatedAt, now)
		err := db.inTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, s.LastSeenAt, s.ExpiresAt, s.ID)
			return translateError(err)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return &s, &u, nil
}

// DeleteSession signs a session out and revokes its dashboard token.
func (db *DB) DeleteSession(ctx context.Context, secret string) error {
	return db.inTx(ctx, func(tx *Tx) error {
		return deleteSessions(ctx, tx, "id = ?", hashToken(secret))
	})
}

// DeleteOtherSessions signs the acting user out everywhere but keepID.
func (db *DB) DeleteOtherSessions(ctx context.Context, keepID string) error {
	userID, err := requireUser(ctx)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		return deleteSessions(ctx, tx, "user_id = ? AND id <> ?", userID, keepID)
	})
}

// purgeExpiredSessions deletes the sessions that have ended, with their tokens.
func purgeExpiredSessions(ctx context.Context, tx *Tx) error {
	return deleteSessions(ctx, tx, "expires_at <= ?", tx.now)
}

// deleteSessions deletes the sessions matching cond and their dashboard tokens.
func deleteSessions(ctx context.Context, tx *Tx, cond string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT dashboard_token_id FROM sessions WHERE dashboard_token_id IS NOT NULL AND `+cond, args...)
	if err != nil {
		return translateError(err)
	}
	var tokenIDs []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return translateError(err)
		}
		tokenIDs = append(tokenIDs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return translateError(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+cond, args...); err != nil {
		return translateError(err)
	}
	if len(tokenIDs) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(tokenIDs)), ", ")
		if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id IN (`+marks+`)`, tokenIDs...); err != nil {
			return translateError(err)
		}
	}
	return nil
}

// sealToken hides a token secret (64 hex digits) under a key derived from
// the session secret: XOR with HMAC-SHA256(session secret, label).
func sealToken(sessionSecret, tokenSecret string) string {
	return hex.EncodeToString(xorKey(sessionSecret, tokenSecret))
}

// unsealToken reverses sealToken; a damaged value gives "".
func unsealToken(sessionSecret, sealed string) string {
	b := xorKey(sessionSecret, sealed)
	if b == nil {
		return ""
	}
	return hex.EncodeToString(b)
}

func xorKey(sessionSecret, hexValue string) []byte {
	value, err := hex.DecodeString(hexValue)
	if err != nil || len(value) != sha256.Size {
		return nil
	}
	mac := hmac.New(sha256.New, []byte(sessionSecret))
	mac.Write([]byte("freezer dashboard token"))
	key := mac.Sum(nil)
	for i := range value {
		value[i] ^= key[i]
	}
	return value
}
