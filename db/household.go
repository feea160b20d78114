package db

import (
	"context"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.HouseholdService = (*DB)(nil)

const householdColumns = "id, name, due_soon_days, created_at, updated_at"

func scanHousehold(row rowScanner) (*freezer.Household, error) {
	var h freezer.Household
	if err := row.Scan(&h.ID, &h.Name, &h.DueSoonDays, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return nil, err
	}
	return &h, nil
}

// FindHouseholdByID returns one of the actor's households (ENOTFOUND).
func (db *DB) FindHouseholdByID(ctx context.Context, id int64) (*freezer.Household, error) {
	return findHouseholdByID(ctx, db.read, id)
}

func findHouseholdByID(ctx context.Context, q querier, id int64) (*freezer.Household, error) {
	cond, args, err := householdScope(ctx, "id")
	if err != nil {
		return nil, err
	}
	h, err := scanHousehold(q.QueryRowContext(ctx, "SELECT "+householdColumns+" FROM households WHERE id = ? AND "+cond, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "Household %d not found.", id)
	}
	return h, nil
}

// FindHouseholds returns the actor's households, ordered by id.
func (db *DB) FindHouseholds(ctx context.Context) ([]*freezer.Household, error) {
	cond, args, err := householdScope(ctx, "id")
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, db.read, scanHousehold, "SELECT "+householdColumns+" FROM households WHERE "+cond+" ORDER BY id", args...)
}

// CreateHousehold creates a household owned by the acting user.
func (db *DB) CreateHousehold(ctx context.Context, h *freezer.Household) error {
	userID, err := requireUser(ctx)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		return createHousehold(ctx, tx, h, userID)
	})
}

// createHousehold inserts h and makes ownerID (when not 0) its owner.
func createHousehold(ctx context.Context, tx *Tx, h *freezer.Household, ownerID int64) error {
	if h.DueSoonDays == 0 {
		h.DueSoonDays = freezer.DefaultDueSoonDays
	}
	if err := h.Validate(); err != nil {
		return err
	}
	h.CreatedAt, h.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO households (name, due_soon_days, created_at, updated_at) VALUES (?, ?, ?, ?)`,
		h.Name, h.DueSoonDays, h.CreatedAt, h.UpdatedAt)
	if err != nil {
		return translateError(err)
	}
	if h.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if ownerID == 0 {
		return nil
	}
	return addMembership(ctx, tx, h.ID, ownerID, freezer.RoleOwner)
}

func addMembership(ctx context.Context, tx *Tx, householdID, userID int64, role string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO memberships (household_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`,
		householdID, userID, role, tx.now)
	return translateError(err)
}

// UpdateHousehold renames a household or changes its due-soon window.
func (db *DB) UpdateHousehold(ctx context.Context, id int64, upd freezer.HouseholdUpdate) (*freezer.Household, error) {
	var h *freezer.Household
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if h, err = findHouseholdByID(ctx, tx, id); err != nil {
			return err
		}
		setIfNotNil(&h.Name, upd.Name)
		setIfNotNil(&h.DueSoonDays, upd.DueSoonDays)
		if err := h.Validate(); err != nil {
			return err
		}
		h.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE households SET name = ?, due_soon_days = ?, updated_at = ? WHERE id = ?`,
			h.Name, h.DueSoonDays, h.UpdatedAt, id)
		return translateError(err)
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// FindMembers lists a household's members, owners first.
func (db *DB) FindMembers(ctx context.Context, householdID int64) ([]*freezer.Member, error) {
	if err := canSeeHousehold(ctx, db.read, householdID); err != nil {
		return nil, err
	}
	return findMembers(ctx, db.read, householdID)
}

func findMembers(ctx context.Context, q querier, householdID int64) ([]*freezer.Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m
		JOIN users u ON u.id = m.user_id WHERE m.household_id = ? ORDER BY m.role DESC, m.created_at, m.user_id`, householdID)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []*freezer.Member
	for rows.Next() {
		var m freezer.Member
		if err := rows.Scan(&m.UserID, &m.Email, &m.Role, &m.JoinedAt); err != nil {
			return nil, translateError(err)
		}
		list = append(list, &m)
	}
	return list, translateError(rows.Err())
}

// AddMember makes the user with that e-mail a member at once, without an
// invitation: the server itself only (EFORBIDDEN otherwise; ENOTFOUND for
// an unknown household or e-mail, ECONFLICT when already a member). Users
// invite with InviteMember.
func (db *DB) AddMember(ctx context.Context, householdID int64, email string) (*freezer.Member, error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	m := &freezer.Member{Email: freezer.NormalizeEmail(email), Role: freezer.RoleMember}
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ?`, m.Email).Scan(&m.UserID); err != nil {
			return notFound(err, "No user has the e-mail address %q.", m.Email)
		}
		m.JoinedAt = tx.now
		if err := addMembership(ctx, tx, householdID, m.UserID, m.Role); err != nil {
			if freezer.ErrorCode(err) == freezer.ECONFLICT {
				return freezer.Errorf(freezer.ECONFLICT, "%s is already a member.", m.Email)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMember removes a member; the last member cannot leave.
func (db *DB) RemoveMember(ctx context.Context, householdID, userID int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		members, err := findMembers(ctx, tx, householdID)
		if err != nil {
			return err
		}
		actor := freezer.ActorFromContext(ctx)
		var found, actorOwns bool
		for _, m := range members {
			found = found || m.UserID == userID
			actorOwns = actorOwns || (m.UserID == actor.UserID && m.Role == freezer.RoleOwner)
		}
		if actor.Kind == freezer.ActorUser && actor.UserID != userID && !actorOwns {
			return freezer.Errorf(freezer.EFORBIDDEN, "Only an owner may remove another member.")
		}
		if !found {
			return freezer.Errorf(freezer.ENOTFOUND, "User %d is not a member.", userID)
		}
		if len(members) == 1 {
			return freezer.Errorf(freezer.ECONFLICT, "The last member cannot leave the household.")
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM memberships WHERE household_id = ? AND user_id = ?`, householdID, userID); err != nil {
			return translateError(err)
		}
		return keepAnOwner(ctx, tx, householdID)
	})
}

// keepAnOwner makes the longest-standing member an owner when the last
// owner has left, so that someone can still manage the members.
func keepAnOwner(ctx context.Context, tx *Tx, householdID int64) error {
	members, err := findMembers(ctx, tx, householdID)
	if err != nil || len(members) == 0 || members[0].Role == freezer.RoleOwner {
		return err
	}
	first := members[0]
	for _, m := range members[1:] {
		if m.JoinedAt.Before(first.JoinedAt) {
			first = m
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE household_id = ? AND user_id = ?`, freezer.RoleOwner, householdID, first.UserID)
	return translateError(err)
}
