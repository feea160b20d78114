package freezer

import (
	"context"
	"time"
)

// Token is a named API credential of a user. Only a hash of its secret is
// stored; the secret is shown once, when the token is created.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Legacy     bool       `json:"legacy"` // imported from the original system
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// TokenService manages the acting user's API tokens.
type TokenService interface {
	// CreateToken creates a token for the acting user and returns it with
	// its secret (EINVALID, EUNAUTHORIZED).
	CreateToken(ctx context.Context, name string) (*Token, string, error)
	// FindTokens lists the acting user's tokens, newest first.
	FindTokens(ctx context.Context) ([]*Token, error)
	// RevokeToken deletes one of the acting user's tokens (ENOTFOUND).
	RevokeToken(ctx context.Context, id int64) error
	// AuthenticateToken returns the user and token a secret belongs to;
	// an unknown secret or a disabled user is EUNAUTHORIZED.
	AuthenticateToken(ctx context.Context, secret string) (*User, *Token, error)
}

// ValidateTokenName returns EINVALID for an empty or overlong name.
func ValidateTokenName(name string) error { return validateName("name", name) }
