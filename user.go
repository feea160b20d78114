package freezer

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Languages a user may choose.
const (
	LanguageEnglish = "en"
	LanguageFrench  = "fr"
)

// MinPasswordLength is the shortest password accepted for new passwords.
const MinPasswordLength = 8

// User is a person who signs in to the site or uses the API.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Language  string    `json:"language"`
	Admin     bool      `json:"admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate returns EINVALID for a malformed e-mail or an unknown language.
func (u *User) Validate() error {
	if err := ValidateEmail(u.Email); err != nil {
		return err
	}
	return ValidateLanguage(u.Language)
}

// NormalizeEmail trims an address and lowers its case, so that one mailbox has one account.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail returns EINVALID unless email is a plain address of at most 254 bytes.
func ValidateEmail(email string) error {
	if email == "" {
		return Errorf(EINVALID, "email is required.")
	}
	if len(email) > 254 || !utf8.ValidString(email) {
		return Errorf(EINVALID, "email is not a valid address.")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return Errorf(EINVALID, "email is not a valid address.")
	}
	return nil
}

// ValidateLanguage returns EINVALID unless lang is "en" or "fr".
func ValidateLanguage(lang string) error {
	if lang != LanguageEnglish && lang != LanguageFrench {
		return Errorf(EINVALID, "language must be \"en\" or \"fr\".")
	}
	return nil
}

// ValidatePassword returns EINVALID for a password that is too short or too long.
func ValidatePassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return Errorf(EINVALID, "password must have at least %d characters.", MinPasswordLength)
	}
	if len(password) > 1024 {
		return Errorf(EINVALID, "password is longer than 1024 bytes.")
	}
	return nil
}

// Registration is what it takes to create an account.
type Registration struct {
	Email         string
	Password      string
	Language      string // "" means English
	Admin         bool
	HouseholdName string // "" means "Home"
	TokenName     string // "" means "default"
}

// RegisteredUser is the result of a registration: the token is shown once.
type RegisteredUser struct {
	User      *User
	Household *Household
	Token     string
}

// UserFilter selects users; zero fields match everything.
type UserFilter struct {
	ID     *int64
	Email  *string
	Offset int
	Limit  int
}

// UserUpdate holds the fields to change; nil keeps the current value.
type UserUpdate struct {
	Email    *string `json:"email"`
	Language *string `json:"language"`
	Admin    *bool   `json:"admin"`
	Disabled *bool   `json:"disabled"`
}

// UserService manages accounts and their credentials.
type UserService interface {
	// FindUserByID returns a user: the actor themselves, or anyone for admins
	// and the system (ENOTFOUND otherwise).
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUsers lists users for admins and the system (EFORBIDDEN otherwise).
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, error)
	// RegisterUser creates a user, a household they own and a first API
	// token, atomically (EINVALID, ECONFLICT for a taken e-mail). Only the
	// system or an admin may create an admin (EFORBIDDEN).
	RegisterUser(ctx context.Context, reg Registration) (*RegisteredUser, error)
	// UpdateUser changes a user: their own e-mail and language, or any field
	// for admins (ENOTFOUND, EINVALID, ECONFLICT, EFORBIDDEN).
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, error)
	// SetPassword replaces a user's password (ENOTFOUND, EINVALID).
	SetPassword(ctx context.Context, id int64, password string) error
	// Authenticate checks an e-mail and password; a wrong pair or a
	// disabled account is EUNAUTHORIZED, with no hint which.
	Authenticate(ctx context.Context, email, password string) (*User, error)
}
