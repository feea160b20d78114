package db

import (
	"context"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.StatsService = (*DB)(nil)

// GeneralTendency counts the products ever stored per type, over all households.
func (db *DB) GeneralTendency(ctx context.Context) ([]*freezer.TypeTendency, error) {
	if freezer.ActorFromContext(ctx).Kind == freezer.ActorNone {
		return nil, freezer.Errorf(freezer.EUNAUTHORIZED, "Authentication required.")
	}
	return db.tendency(ctx, "1 = 1", nil, "n DESC, t.id")
}

// PersonalTendency counts the products per type in the actor's households.
func (db *DB) PersonalTendency(ctx context.Context) ([]*freezer.TypeTendency, error) {
	cond, args, err := householdScope(ctx, "p.household_id")
	if err != nil {
		return nil, err
	}
	// NULLs last in both dialects: order on whether the latest date is NULL first.
	return db.tendency(ctx, cond, args, "MAX(p.date_out) IS NULL, MAX(p.date_out) DESC, COUNT(*) DESC, t.id")
}

func (db *DB) tendency(ctx context.Context, cond string, args []any, order string) ([]*freezer.TypeTendency, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.name_en, t.name_fr, COUNT(*) AS n, MAX(p.date_out) AS latest
		FROM products p JOIN product_types t ON t.id = p.type_id
		WHERE `+cond+` GROUP BY t.id, t.name_en, t.name_fr ORDER BY `+order, args...)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []*freezer.TypeTendency
	for rows.Next() {
		var tt freezer.TypeTendency
		if err := rows.Scan(&tt.Type.ID, &tt.Type.NameEN, &tt.Type.NameFR, &tt.Count, &tt.Latest); err != nil {
			return nil, translateError(err)
		}
		list = append(list, &tt)
	}
	return list, translateError(rows.Err())
}
