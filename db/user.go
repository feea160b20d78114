package db

import (
	"context"
	"fmt"
	"strings"
	"sync"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.UserService = (*DB)(nil)

const userColumns = "id, email, language, admin, disabled, created_at, updated_at"

func scanUser(row rowScanner) (*freezer.User, error) {
	var u freezer.User
	if err := row.Scan(&u.ID, &u.Email, &u.Language, &u.Admin, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	return &u, nil
}

// canSeeUser returns ENOTFOUND unless the actor is that user, an admin or the system.
func canSeeUser(ctx context.Context, id int64) error {
	actor := freezer.ActorFromContext(ctx)
	switch {
	case actor.Kind == freezer.ActorSystem, actor.Kind == freezer.ActorUser && (actor.Admin || actor.UserID == id):
		return nil
	case actor.Kind == freezer.ActorNone:
		return freezer.Errorf(freezer.EUNAUTHORIZED, "Authentication required.")
	}
	return freezer.Errorf(freezer.ENOTFOUND, "User %d not found.", id)
}

// FindUserByID returns the actor themselves, or any user for admins.
func (db *DB) FindUserByID(ctx context.Context, id int64) (*freezer.User, error) {
	if err := canSeeUser(ctx, id); err != nil {
		return nil, err
	}
	return findUserByID(ctx, db.read, id)
}

func findUserByID(ctx context.Context, q querier, id int64) (*freezer.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "User %d not found.", id)
	}
	return u, nil
}

// FindUsers lists users, for admins and the system.
func (db *DB) FindUsers(ctx context.Context, filter freezer.UserFilter) ([]*freezer.User, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if filter.ID != nil {
		where, args = append(where, "id = ?"), append(args, *filter.ID)
	}
	if filter.Email != nil {
		where, args = append(where, "email = ?"), append(args, freezer.NormalizeEmail(*filter.Email))
	}
	return queryAll(ctx, db.read, scanUser, "SELECT "+userColumns+" FROM users WHERE "+strings.Join(where, " AND ")+
		" ORDER BY id"+limitClause(filter.Offset, filter.Limit), args...)
}

// RegisterUser creates a user, their own household and a first token.
func (db *DB) RegisterUser(ctx context.Context, reg freezer.Registration) (*freezer.RegisteredUser, error) {
	if reg.Admin {
		if err := requireAdmin(ctx); err != nil {
			return nil, err
		}
	}
	u := &freezer.User{Email: freezer.NormalizeEmail(reg.Email), Language: reg.Language, Admin: reg.Admin}
	if u.Language == "" {
		u.Language = freezer.LanguageEnglish
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := freezer.ValidatePassword(reg.Password); err != nil {
		return nil, err
	}
	hash, err := hashPassword(reg.Password)
	if err != nil {
		return nil, err
	}
	out := &freezer.RegisteredUser{User: u, Household: &freezer.Household{Name: reg.HouseholdName}}
	if out.Household.Name == "" {
		out.Household.Name = "Home"
	}
	tokenName := reg.TokenName
	if tokenName == "" {
		tokenName = "default"
	}
	err = db.inTx(ctx, func(tx *Tx) error {
		if err := insertUser(ctx, tx, u, hash); err != nil {
			return err
		}
		if err := createHousehold(ctx, tx, out.Household, u.ID); err != nil {
			return err
		}
		_, secret, err := createToken(ctx, tx, u.ID, tokenName)
		out.Token = secret
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertUser stores u with a password hash; u.ID may be preset (import).
func insertUser(ctx context.Context, tx *Tx, u *freezer.User, passwordHash string) error {
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, language, admin, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Email, passwordHash, u.Language, u.Admin, u.Disabled, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return translateError(err)
	}
	u.ID, err = res.LastInsertId()
	return err
}

// UpdateUser changes a user's e-mail and language (themselves), or admin and
// disabled flags (admins only).
func (db *DB) UpdateUser(ctx context.Context, id int64, upd freezer.UserUpdate) (*freezer.User, error) {
	if err := canSeeUser(ctx, id); err != nil {
		return nil, err
	}
	if upd.Admin != nil || upd.Disabled != nil {
		if err := requireAdmin(ctx); err != nil {
			return nil, err
		}
	}
	var u *freezer.User
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if u, err = findUserByID(ctx, tx, id); err != nil {
			return err
		}
		if upd.Email != nil {
			u.Email = freezer.NormalizeEmail(*upd.Email)
		}
		setIfNotNil(&u.Language, upd.Language)
		setIfNotNil(&u.Admin, upd.Admin)
		setIfNotNil(&u.Disabled, upd.Disabled)
		if err := u.Validate(); err != nil {
			return err
		}
		u.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE users SET email = ?, language = ?, admin = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			u.Email, u.Language, u.Admin, u.Disabled, u.UpdatedAt, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword replaces a user's password with a new argon2id hash.
func (db *DB) SetPassword(ctx context.Context, id int64, password string) error {
	if err := canSeeUser(ctx, id); err != nil {
		return err
	}
	if err := freezer.ValidatePassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		return setPasswordHash(ctx, tx, id, hash)
	})
}

func setPasswordHash(ctx context.Context, tx *Tx, id int64, hash string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, tx.now, id)
	if err != nil {
		return translateError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set password: %w", err)
	} else if n == 0 {
		return freezer.Errorf(freezer.ENOTFOUND, "User %d not found.", id)
	}
	return nil
}

// errBadCredentials is the one answer to every failed sign-in.
var errBadCredentials = freezer.Errorf(freezer.EUNAUTHORIZED, "Wrong e-mail or password.")

// Authenticate checks an e-mail and password. A hash of an older scheme is
// replaced by argon2id on success.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*freezer.User, error) {
	var hash string
	var u freezer.User
	err := db.read.QueryRowContext(ctx, "SELECT "+userColumns+", password_hash FROM users WHERE email = ?", freezer.NormalizeEmail(email)).
		Scan(&u.ID, &u.Email, &u.Language, &u.Admin, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &hash)
	if err != nil {
		if freezer.ErrorCode(translateError(err)) == freezer.ENOTFOUND {
			checkPassword(dummyHash(), password) // same work as a real check, so timing does not reveal accounts
			return nil, errBadCredentials
		}
		return nil, translateError(err)
	}
	ok, rehash := checkPassword(hash, password)
	if !ok || u.Disabled {
		return nil, errBadCredentials
	}
	if rehash {
		newHash, err := hashPassword(password)
		if err != nil {
			return nil, err
		}
		if err := db.inTx(ctx, func(tx *Tx) error { return setPasswordHash(ctx, tx, u.ID, newHash) }); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

// dummyHash is checked against when an e-mail is unknown.
var dummyHash = sync.OnceValue(func() string {
	h, _ := hashPassword("no such user")
	return h
})

func setIfNotNil[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
