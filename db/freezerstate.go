package db

import (
	"context"
	"fmt"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.InsideCounter = (*DB)(nil)

// CountInside returns the household's products inside, counted by freezer,
// day in and period: one indexed aggregate instead of every product's row,
// so that publishing freezer states after a scan costs little more with
// 10 000 products inside than with 10. On SQLite the server's own count of
// a household that scans changed is kept by the scan batches (see
// countInside) and costs nothing.
func (db *DB) CountInside(ctx context.Context, householdID int64) ([]freezer.InsideGroup, error) {
	if isSystem(ctx) {
		if groups, ok := db.kept.insideGroups(householdID); ok {
			return groups, nil
		}
	}
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	groups, err := countInside(ctx, db.read, householdID, cond, args)
	if err != nil {
		return nil, fmt.Errorf("count products inside: %w", err)
	}
	return groups, nil
}

// countInside counts the household's products inside by group, in the
// households cond (with args) lets the actor see.
func countInside(ctx context.Context, q querier, householdID int64, cond string, args []any) ([]freezer.InsideGroup, error) {
	query := `SELECT freezer_id, date_in, period_months, COUNT(*) FROM products
		WHERE household_id = ? AND date_out IS NULL AND ` + cond + `
		GROUP BY freezer_id, date_in, period_months`
	return queryAll(ctx, q, func(row rowScanner) (freezer.InsideGroup, error) {
		var g freezer.InsideGroup
		err := row.Scan(&g.FreezerID, &g.DateIn, &g.PeriodMonths, &g.Count)
		return g, err
	}, query, append([]any{householdID}, args...)...)
}

// insideKey is a group of InsideGroup.
type insideKey struct {
	freezer int64
	dateIn  freezer.Date
	period  int
}

// maxCountedHouseholds bounds the households whose products inside scan
// batches keep counted.
const maxCountedHouseholds = 64

// productChange is a product's write: as it was and as it became.
type productChange struct{ before, after freezer.Product }

// countInside brings the counts of products inside of the households the
// batch's writes touched up to date, in the rows kept between batches
// (SQLite): a household counted already by the changes, one not counted yet
// by a count in the transaction, after its writes.
func (s *scanTx) countInside(ctx context.Context) error {
	if s.tx.db.kept == nil || len(s.writes) == 0 {
		return nil
	}
	counted := map[int64]bool{} // counted in this transaction: the changes are in the count
	for _, c := range s.writes {
		for _, p := range []*freezer.Product{&c.before, &c.after} {
			h := p.HouseholdID
			if _, ok := s.cache.inside[h]; ok || counted[h] || len(s.cache.inside) >= maxCountedHouseholds {
				continue
			}
			groups, err := countInside(ctx, s.tx, h, "1 = 1", nil)
			if err != nil {
				return fmt.Errorf("count products inside: %w", err)
			}
			m := make(map[insideKey]int, len(groups))
			for _, g := range groups {
				m[insideKey{g.FreezerID, g.DateIn, g.PeriodMonths}] = g.Count
			}
			s.cache.inside[h], counted[h] = m, true
		}
	}
	count := func(p *freezer.Product, delta int) {
		if m := s.cache.inside[p.HouseholdID]; m != nil && p.Inside() && !counted[p.HouseholdID] {
			k := insideKey{p.FreezerID, p.DateIn, p.PeriodMonths}
			if m[k] += delta; m[k] == 0 {
				delete(m, k)
			}
		}
	}
	for _, c := range s.writes {
		count(&c.before, -1)
		count(&c.after, 1)
	}
	return nil
}

// CountDiscarded counts a household's products thrown away (taken out with
// OutcomeDiscarded) on or after since.
func (db *DB) CountDiscarded(ctx context.Context, householdID int64, since freezer.Date) (int, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return 0, err
	}
	var n int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM products WHERE household_id = ? AND date_out >= ? AND outcome = ? AND `+cond,
		append([]any{householdID, since, freezer.OutcomeDiscarded}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count products thrown away: %w", translateError(err))
	}
	return n, nil
}
