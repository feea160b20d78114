package db

import (
	"context"

	freezer "github.com/freezer-manager/freezer"
)

// householdScope returns an SQL condition that limits column (a household id)
// to the households the actor in ctx may see, with its arguments.
func householdScope(ctx context.Context, column string) (string, []any, error) {
	actor := freezer.ActorFromContext(ctx)
	switch actor.Kind {
	case freezer.ActorSystem:
		return "1 = 1", nil, nil
	case freezer.ActorUser:
		return column + " IN (SELECT household_id FROM memberships WHERE user_id = ?)", []any{actor.UserID}, nil
	case freezer.ActorDevice:
		return column + " = ?", []any{actor.HouseholdID}, nil
	}
	return "", nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Authentication required.")
}

// canSeeHousehold returns ENOTFOUND unless the actor may see household id.
func canSeeHousehold(ctx context.Context, q querier, id int64) error {
	cond, args, err := householdScope(ctx, "id")
	if err != nil {
		return err
	}
	var found int64
	err = q.QueryRowContext(ctx, "SELECT id FROM households WHERE id = ? AND "+cond, append([]any{id}, args...)...).Scan(&found)
	if err != nil {
		return notFound(err, "Household %d not found.", id)
	}
	return nil
}

// requireAdmin returns EFORBIDDEN unless the actor is an admin or the system.
func requireAdmin(ctx context.Context) error {
	actor := freezer.ActorFromContext(ctx)
	switch {
	case actor.Kind == freezer.ActorSystem, actor.Kind == freezer.ActorUser && actor.Admin:
		return nil
	case actor.Kind == freezer.ActorNone:
		return freezer.Errorf(freezer.EUNAUTHORIZED, "Authentication required.")
	}
	return freezer.Errorf(freezer.EFORBIDDEN, "Only administrators may do this.")
}

// requireUser returns the acting user's id, or EUNAUTHORIZED.
func requireUser(ctx context.Context) (int64, error) {
	actor := freezer.ActorFromContext(ctx)
	if actor.Kind != freezer.ActorUser {
		return 0, freezer.Errorf(freezer.EUNAUTHORIZED, "A signed-in user is required.")
	}
	return actor.UserID, nil
}

// notFound turns sql.ErrNoRows into ENOTFOUND with the given message and
// passes other errors through translateError.
func notFound(err error, format string, args ...any) error {
	if freezer.ErrorCode(translateError(err)) == freezer.ENOTFOUND {
		return freezer.Errorf(freezer.ENOTFOUND, format, args...)
	}
	return translateError(err)
}

// isSystem reports whether the actor is the server itself.
func isSystem(ctx context.Context) bool {
	return freezer.ActorFromContext(ctx).Kind == freezer.ActorSystem
}
