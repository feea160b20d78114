package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.TokenService = (*DB)(nil)

// tokenTouchInterval bounds how often a token's last use is written, so
// that reads stay reads.
const tokenTouchInterval = time.Minute

// CreateToken creates a named token for the acting user.
func (db *DB) CreateToken(ctx context.Context, name string) (*freezer.Token, string, error) {
	userID, err := requireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	var tok *freezer.Token
	var secret string
	err = db.inTx(ctx, func(tx *Tx) (err error) {
		tok, secret, err = createToken(ctx, tx, userID, name)
		return err
	})
	return tok, secret, err
}

func createToken(ctx context.Context, tx *Tx, userID int64, name string) (*freezer.Token, string, error) {
	if err := freezer.ValidateTokenName(name); err != nil {
		return nil, "", err
	}
	secret, err := newSecret()
	if err != nil {
		return nil, "", err
	}
	tok, err := insertToken(ctx, tx, userID, name, secret, false)
	return tok, secret, err
}

// insertToken stores the hash of secret as a token of userID.
func insertToken(ctx context.Context, tx *Tx, userID int64, name, secret string, legacy bool) (*freezer.Token, error) {
	tok := &freezer.Token{UserID: userID, Name: name, Legacy: legacy, CreatedAt: tx.now}
	res, err := tx.ExecContext(ctx, `INSERT INTO tokens (user_id, name, hash, legacy, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, name, hashToken(secret), legacy, tok.CreatedAt)
	if err != nil {
		return nil, translateError(err)
	}
	tok.ID, err = res.LastInsertId()
	return tok, err
}

const tokenColumns = "id, user_id, name, legacy, created_at, last_used_at"

func scanToken(row rowScanner) (*freezer.Token, error) {
	var t freezer.Token
	var lastUsed sql.NullTime
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Legacy, &t.CreatedAt, &lastUsed); err != nil {
		return nil, err
	}
	if lastUsed.Valid {
		t.LastUsedAt = &lastUsed.Time
	}
	return &t, nil
}

// FindTokens lists the acting user's tokens, newest first.
func (db *DB) FindTokens(ctx context.Context) ([]*freezer.Token, error) {
	userID, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, db.read, scanToken, "SELECT "+tokenColumns+" FROM tokens WHERE user_id = ? ORDER BY id DESC", userID)
}

// RevokeToken deletes one of the acting user's tokens.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	userID, err := requireUser(ctx)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return translateError(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete token: %w", err)
		} else if n == 0 {
			return freezer.Errorf(freezer.ENOTFOUND, "Token %d not found.", id)
		}
		return nil
	})
}

// AuthenticateToken returns the user and token a secret belongs to.
func (db *DB) AuthenticateToken(ctx context.Context, secret string) (*freezer.User, *freezer.Token, error) {
	if secret == "" || len(secret) > 512 {
		return nil, nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Invalid token.")
	}
	tok, err := scanToken(db.read.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", hashToken(secret)))
	if err != nil {
		if freezer.ErrorCode(translateError(err)) == freezer.ENOTFOUND {
			return nil, nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Invalid token.")
		}
		return nil, nil, translateError(err)
	}
	u, err := findUserByID(ctx, db.read, tok.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Invalid token.")
	}
	now := db.Now().UTC()
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > tokenTouchInterval {
		err := db.inTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, tx.now, tok.ID)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		tok.LastUsedAt = &now
	}
	return u, tok, nil
}
