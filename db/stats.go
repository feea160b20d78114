package db

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

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

// statRow is what the statistics read of one product.
type statRow struct {
	typeID       int64
	dateIn       freezer.Date
	dateOut      freezer.Date
	outcome      string
	periodMonths int
}

// statRows reads the products of the filter's households that match extra
// (a condition on the products table p, with its arguments). Dates are
// compared and counted in Go: the dialects differ on date arithmetic
// (SQLite does not clamp 31 January + 1 month to 28 February).
func (db *DB) statRows(ctx context.Context, filter freezer.StatsFilter, extra string, extraArgs ...any) ([]statRow, error) {
	cond, args, err := householdScope(ctx, "p.household_id")
	if err != nil {
		return nil, err
	}
	if filter.HouseholdID != nil {
		if err := canSeeHousehold(ctx, db.read, *filter.HouseholdID); err != nil {
			return nil, err
		}
		cond, args = cond+" AND p.household_id = ?", append(args, *filter.HouseholdID)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT p.type_id, p.date_in, p.date_out, `+productOutcome+`, p.period_months FROM products p
		WHERE `+cond+` AND (`+extra+`)`, append(args, extraArgs...)...)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var list []statRow
	for rows.Next() {
		var r statRow
		if err := rows.Scan(&r.typeID, &r.dateIn, &r.dateOut, &r.outcome, &r.periodMonths); err != nil {
			return nil, translateError(err)
		}
		list = append(list, r)
	}
	return list, translateError(rows.Err())
}

// typesByID returns every product type by id, to name the types of statistics.
func (db *DB) typesByID(ctx context.Context) (map[int64]freezer.ProductType, error) {
	list, err := loadProductTypes(ctx, db.read)
	if err != nil {
		return nil, err
	}
	types := make(map[int64]freezer.ProductType, len(list))
	for _, t := range list {
		types[t.ID] = *t
	}
	return types, nil
}

// statsWindow returns the number of months of filter's window and its first day.
func (db *DB) statsWindow(filter freezer.StatsFilter) (int, freezer.Date, error) {
	months := filter.Months
	if months == 0 {
		months = freezer.DefaultStatsMonths
	}
	if months < 1 || months > freezer.MaxStatsMonths {
		return 0, freezer.Date{}, freezer.Errorf(freezer.EINVALID, "months must be between 1 and %d.", freezer.MaxStatsMonths)
	}
	today := db.today()
	return months, freezer.Date{Year: today.Year, Month: today.Month, Day: 1}.AddMonths(1 - months), nil
}

// MonthlyStats counts the products put in and taken out in each of the last months.
func (db *DB) MonthlyStats(ctx context.Context, filter freezer.StatsFilter) ([]*freezer.MonthFlow, error) {
	months, first, err := db.statsWindow(filter)
	if err != nil {
		return nil, err
	}
	rows, err := db.statRows(ctx, filter, "p.date_in >= ? OR p.date_out >= ?", first, first)
	if err != nil {
		return nil, err
	}
	types, err := db.typesByID(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]*freezer.MonthFlow, months)
	index := make(map[string]int, months)
	for i := range list {
		m := first.AddMonths(i)
		list[i] = &freezer.MonthFlow{Month: monthOf(m), Types: []*freezer.TypeFlow{}}
		index[list[i].Month] = i
	}
	perType := make([]map[int64]*freezer.TypeFlow, months)
	count := func(day freezer.Date, typeID int64, out bool) {
		i, ok := index[monthOf(day)]
		if !ok || day.IsZero() {
			return
		}
		if perType[i] == nil {
			perType[i] = map[int64]*freezer.TypeFlow{}
		}
		tf := perType[i][typeID]
		if tf == nil {
			tf = &freezer.TypeFlow{Type: typeOf(types, typeID)}
			perType[i][typeID] = tf
		}
		if out {
			list[i].Out++
			tf.Out++
		} else {
			list[i].In++
			tf.In++
		}
	}
	for _, r := range rows {
		count(r.dateIn, r.typeID, false)
		count(r.dateOut, r.typeID, true)
	}
	for i, m := range list {
		for _, tf := range perType[i] {
			m.Types = append(m.Types, tf)
		}
		slices.SortFunc(m.Types, func(a, b *freezer.TypeFlow) int { return cmp.Compare(a.Type.ID, b.Type.ID) })
	}
	return list, nil
}

// monthOf formats the month of d as YYYY-MM.
func monthOf(d freezer.Date) string { return fmt.Sprintf("%04d-%02d", d.Year, d.Month) }

// typeOf returns the type of id, or one named by its id when it is unknown.
func typeOf(types map[int64]freezer.ProductType, id int64) freezer.ProductType {
	if t, ok := types[id]; ok {
		return t
	}
	return freezer.ProductType{ID: id}
}

// TimeInFreezer averages the days taken-out products stayed in.
func (db *DB) TimeInFreezer(ctx context.Context, filter freezer.StatsFilter) (*freezer.TimeInFreezer, error) {
	rows, err := db.statRows(ctx, filter, "p.date_out IS NOT NULL")
	if err != nil {
		return nil, err
	}
	types, err := db.typesByID(ctx)
	if err != nil {
		return nil, err
	}
	var total int
	days := map[int64]int{}
	byType := map[int64]*freezer.TypeDuration{}
	for _, r := range rows {
		d := r.dateIn.DaysUntil(r.dateOut)
		total += d
		td := byType[r.typeID]
		if td == nil {
			td = &freezer.TypeDuration{Type: typeOf(types, r.typeID)}
			byType[r.typeID] = td
		}
		td.Count++
		days[r.typeID] += d
	}
	out := &freezer.TimeInFreezer{Overall: freezer.Duration{Count: len(rows), AverageDays: average(total, len(rows))},
		Types: make([]*freezer.TypeDuration, 0, len(byType))}
	for id, td := range byType {
		td.AverageDays = average(days[id], td.Count)
		out.Types = append(out.Types, td)
	}
	slices.SortFunc(out.Types, func(a, b *freezer.TypeDuration) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Type.ID, b.Type.ID))
	})
	return out, nil
}

// LateShare counts the taken-out products that left after their use-by day.
func (db *DB) LateShare(ctx context.Context, filter freezer.StatsFilter) (*freezer.LateShare, error) {
	rows, err := db.statRows(ctx, filter, "p.date_out IS NOT NULL")
	if err != nil {
		return nil, err
	}
	types, err := db.typesByID(ctx)
	if err != nil {
		return nil, err
	}
	out := &freezer.LateShare{Types: []*freezer.TypeLateness{}}
	byType := map[int64]*freezer.TypeLateness{}
	for _, r := range rows {
		tl := byType[r.typeID]
		if tl == nil {
			tl = &freezer.TypeLateness{Type: typeOf(types, r.typeID)}
			byType[r.typeID] = tl
			out.Types = append(out.Types, tl)
		}
		late := r.dateOut.After(freezer.UseBy(r.dateIn, r.periodMonths))
		for _, l := range []*freezer.Lateness{&out.Overall, &tl.Lateness} {
			l.TakenOut++
			if late {
				l.Late++
			}
		}
	}
	for _, l := range append([]*freezer.Lateness{&out.Overall}, latenesses(out.Types)...) {
		if l.TakenOut > 0 {
			l.Share = float64(l.Late) / float64(l.TakenOut)
		}
	}
	slices.SortFunc(out.Types, func(a, b *freezer.TypeLateness) int {
		return cmp.Or(cmp.Compare(b.TakenOut, a.TakenOut), cmp.Compare(a.Type.ID, b.Type.ID))
	})
	return out, nil
}

// WasteStats counts the products taken out in the window's months that
// were thrown away or taken out after their use-by day.
func (db *DB) WasteStats(ctx context.Context, filter freezer.StatsFilter) (*freezer.Waste, error) {
	months, first, err := db.statsWindow(filter)
	if err != nil {
		return nil, err
	}
	rows, err := db.statRows(ctx, filter, "p.date_out >= ?", first)
	if err != nil {
		return nil, err
	}
	types, err := db.typesByID(ctx)
	if err != nil {
		return nil, err
	}
	out := &freezer.Waste{Months: make([]*freezer.MonthWaste, months), Types: []*freezer.TypeWaste{}}
	index := make(map[string]int, months)
	for i := range out.Months {
		out.Months[i] = &freezer.MonthWaste{Month: monthOf(first.AddMonths(i))}
		index[out.Months[i].Month] = i
	}
	byType := map[int64]*freezer.TypeWaste{}
	for _, r := range rows {
		i, ok := index[monthOf(r.dateOut)]
		if !ok {
			continue
		}
		tw := byType[r.typeID]
		if tw == nil {
			tw = &freezer.TypeWaste{Type: typeOf(types, r.typeID)}
			byType[r.typeID] = tw
			out.Types = append(out.Types, tw)
		}
		discarded := r.outcome == freezer.OutcomeDiscarded
		late := r.dateOut.After(freezer.UseBy(r.dateIn, r.periodMonths))
		for _, w := range []*freezer.WasteCount{&out.Overall, &out.Months[i].WasteCount, &tw.WasteCount} {
			w.Add(discarded, late)
		}
	}
	slices.SortFunc(out.Types, func(a, b *freezer.TypeWaste) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), cmp.Compare(b.TakenOut, a.TakenOut), cmp.Compare(a.Type.ID, b.Type.ID))
	})
	return out, nil
}

func latenesses(list []*freezer.TypeLateness) []*freezer.Lateness {
	out := make([]*freezer.Lateness, len(list))
	for i, tl := range list {
		out[i] = &tl.Lateness
	}
	return out
}

// average returns sum/n rounded to two decimals, or 0 when n is 0.
func average(sum, n int) float64 {
	if n == 0 {
		return 0
	}
	return math.Round(float64(sum)/float64(n)*100) / 100
}
