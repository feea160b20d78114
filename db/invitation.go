package db

import (
	"context"
	"database/sql"
	"errors"

	freezer "github.com/freezer-manager/freezer"
)

const invitationSelect = `SELECT i.id, i.household_id, h.name, i.email, COALESCE(u.email, ''), i.created_at
	FROM household_invitations i JOIN households h ON h.id = i.household_id LEFT JOIN users u ON u.id = i.invited_by`

func scanInvitation(row rowScanner) (*freezer.Invitation, error) {
	var inv freezer.Invitation
	if err := row.Scan(&inv.ID, &inv.HouseholdID, &inv.HouseholdName, &inv.Email, &inv.InvitedBy, &inv.CreatedAt); err != nil {
		return nil, err
	}
	return &inv, nil
}

// InviteMember invites an address into one of the actor's households. It
// never reads whether the address has an account.
func (db *DB) InviteMember(ctx context.Context, householdID int64, email string) (*freezer.Invitation, error) {
	email = freezer.NormalizeEmail(email)
	if err := freezer.ValidateEmail(email); err != nil {
		return nil, err
	}
	var inv *freezer.Invitation
	err := db.inTx(ctx, func(tx *Tx) error {
		if err := canSeeHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		// Members are no secret to members.
		var member int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.household_id = ? AND u.email = ?`, householdID, email).Scan(&member); err != nil {
			return translateError(err)
		}
		if member > 0 {
			return freezer.Errorf(freezer.ECONFLICT, "%s is already a member.", email)
		}
		var by any
		if actor := freezer.ActorFromContext(ctx); actor.Kind == freezer.ActorUser {
			by = actor.UserID
		}
		find := func() (err error) {
			inv, err = scanInvitation(tx.QueryRowContext(ctx, invitationSelect+` WHERE i.household_id = ? AND i.email = ?`, householdID, email))
			return err
		}
		if err := find(); !errors.Is(err, sql.ErrNoRows) {
			return translateError(err) // pending already, or a failure
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO household_invitations (household_id, email, invited_by, created_at) VALUES (?, ?, ?, ?)`,
			householdID, email, by, tx.now); err != nil {
			return translateError(err)
		}
		return translateError(find())
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// FindInvitations lists the invitations of the acting user's address.
func (db *DB) FindInvitations(ctx context.Context) ([]*freezer.Invitation, error) {
	userID, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, db.read, scanInvitation, invitationSelect+` WHERE i.email = (SELECT email FROM users WHERE id = ?) ORDER BY i.id`, userID)
}

// FindHouseholdInvitations lists the pending invitations of one of the actor's households.
func (db *DB) FindHouseholdInvitations(ctx context.Context, householdID int64) ([]*freezer.Invitation, error) {
	if err := canSeeHousehold(ctx, db.read, householdID); err != nil {
		return nil, err
	}
	return queryAll(ctx, db.read, scanInvitation, invitationSelect+` WHERE i.household_id = ? ORDER BY i.id`, householdID)
}

// AcceptInvitation makes the acting user a member of the household that
// invited their address, and removes the invitation.
func (db *DB) AcceptInvitation(ctx context.Context, id int64) (*freezer.Member, error) {
	userID, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	var m *freezer.Member
	err = db.inTx(ctx, func(tx *Tx) error {
		var householdID int64
		var email string
		err := tx.QueryRowContext(ctx, `SELECT i.household_id, u.email FROM household_invitations i JOIN users u ON u.email = i.email
			WHERE i.id = ? AND u.id = ?`, id, userID).Scan(&householdID, &email)
		if err != nil {
			return notFound(err, "Invitation %d not found.", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM household_invitations WHERE id = ?`, id); err != nil {
			return translateError(err)
		}
		if err := addMembership(ctx, tx, householdID, userID, freezer.RoleMember); err != nil {
			if freezer.ErrorCode(err) != freezer.ECONFLICT {
				return err
			}
		}
		m = &freezer.Member{UserID: userID, Email: email, Role: freezer.RoleMember, JoinedAt: tx.now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeclineInvitation removes an invitation of the acting user's address, or
// of one of the actor's households.
func (db *DB) DeclineInvitation(ctx context.Context, id int64) error {
	cond, args, err := householdScope(ctx, "i.household_id")
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		var found int64
		actor := freezer.ActorFromContext(ctx)
		err := tx.QueryRowContext(ctx, `SELECT i.id FROM household_invitations i WHERE i.id = ? AND (`+cond+
			` OR i.email = (SELECT email FROM users WHERE id = ?))`, append(append([]any{id}, args...), actor.UserID)...).Scan(&found)
		if err != nil {
			return notFound(err, "Invitation %d not found.", id)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM household_invitations WHERE id = ?`, id)
		return translateError(err)
	})
}
