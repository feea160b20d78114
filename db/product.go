package db

import (
	"context"
	"fmt"
	"slices"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ProductService = (*DB)(nil)

const productColumns = `id, household_id, freezer_id, box, slot, name, description, type_id, quantity,
	COALESCE(barcode, ''), date_in, date_out, ` + productOutcome + `, period_months, version, created_at, updated_at`

// productOutcome reads a product's outcome: "" inside, eaten for a product
// out before outcomes were recorded.
const productOutcome = `CASE WHEN date_out IS NULL THEN '' ELSE COALESCE(outcome, 'eaten') END`

func scanProduct(row rowScanner) (*freezer.Product, error) {
	var p freezer.Product
	err := row.Scan(&p.ID, &p.HouseholdID, &p.FreezerID, &p.Box, &p.Slot, &p.Name, &p.Description, &p.TypeID, &p.Quantity,
		&p.Barcode, &p.DateIn, &p.DateOut, &p.Outcome, &p.PeriodMonths, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// useBySQL is a product's use-by day (freezer.UseBy) in each dialect:
// MySQL's DATE_ADD keeps to the last day of a shorter month, as UseBy
// does; SQLite's date() runs over into the next month, hence the MIN with
// the target month's last day. The SQLite index products_inside_use_by
// (migration 00017) is on this very expression: change both together.
var useBySQL = map[Dialect]string{
	SQLite: `MIN(date(date_in, 'start of month', '+' || period_months || ' months', '+' || (CAST(strftime('%d', date_in) AS INTEGER) - 1) || ' days'), ` +
		`date(date_in, 'start of month', '+' || (period_months + 1) || ' months', '-1 day'))`,
	MySQL: `DATE_ADD(date_in, INTERVAL period_months MONTH)`,
}

// productOrder returns the ORDER BY clause of sort (a name or its reverse
// "-name"), written for the dialect; the id breaks ties.
func (db *DB) productOrder(sort, language string) (string, error) {
	key, desc := strings.CutPrefix(sort, "-")
	lower := "LOWER(%s)"
	if db.dialect == MySQL {
		lower = "LOWER(%s) COLLATE utf8mb4_bin" // code point order, as SQLite compares
	}
	typeName := "name_en"
	if language == freezer.LanguageFrench {
		typeName = "name_fr"
	}
	var keys []string
	switch key {
	case "", freezer.SortByID:
	case freezer.SortByName:
		keys = []string{fmt.Sprintf(lower, "name")}
	case freezer.SortByType:
		keys = []string{"(SELECT " + fmt.Sprintf(lower, "t."+typeName) + " FROM product_types t WHERE t.id = products.type_id)"}
	case freezer.SortByPlace:
		keys = []string{"(SELECT " + fmt.Sprintf(lower, "f.name") + " FROM freezers f WHERE f.id = products.freezer_id)", "box", "slot"}
	case freezer.SortByQuantity, freezer.SortByDateIn, freezer.SortByDateOut:
		keys = []string{key}
	case freezer.SortByUseBy: // the oldest put in first among those of one day
		keys = []string{useBySQL[db.dialect], "date_in"}
	default:
		return "", freezer.Errorf(freezer.EINVALID, "Unknown sort %q.", sort)
	}
	keys = append(keys, "id")
	if desc {
		for i := range keys {
			keys[i] += " DESC"
		}
	}
	return strings.Join(keys, ", "), nil
}

// FindProductByID returns one product the actor may see (ENOTFOUND).
func (db *DB) FindProductByID(ctx context.Context, id int64) (*freezer.Product, error) {
	return findProductByID(ctx, db.read, id)
}

func findProductByID(ctx context.Context, q querier, id int64) (*freezer.Product, error) {
	list, err := findProducts(ctx, q, freezer.ProductFilter{ID: &id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, freezer.Errorf(freezer.ENOTFOUND, "Product %d not found.", id)
	}
	return list[0], nil
}

// FindProducts returns the products matching filter that the actor may see.
func (db *DB) FindProducts(ctx context.Context, filter freezer.ProductFilter) ([]*freezer.Product, error) {
	if err := filter.Validate(); err != nil {
		return nil, err
	}
	if filter.Sort == freezer.SortByEatNext && filter.Inside != nil && *filter.Inside && filter.Stage == "" && filter.Offset == 0 && filter.Limit > 0 {
		return db.eatNext(ctx, filter)
	}
	scope, args, err := listScope(ctx, db.read)
	if err != nil {
		return nil, err
	}
	if filter.Sort != freezer.SortByEatNext && filter.Stage == "" {
		order, err := db.productOrder(filter.Sort, filter.Language)
		if err != nil {
			return nil, err
		}
		return queryProducts(ctx, db.read, filter, order, scope, args)
	}
	// Stages and what to eat next follow the domain's rules (each
	// household's due-soon window, today): such lists are filtered and
	// ordered here.
	all := filter
	all.Stage, all.Offset, all.Limit = "", 0, 0
	if all.Sort == freezer.SortByEatNext {
		all.Sort = freezer.SortByDateIn
	}
	order, err := db.productOrder(all.Sort, all.Language)
	if err != nil {
		return nil, err
	}
	list, err := queryProducts(ctx, db.read, all, order, scope, args)
	if err != nil {
		return nil, err
	}
	window, err := db.dueSoonWindows(ctx)
	if err != nil {
		return nil, err
	}
	today := db.today()
	if filter.Stage != "" {
		if list, err = keepStage(list, filter.Stage, today, window); err != nil {
			return nil, err
		}
	}
	if filter.Sort == freezer.SortByEatNext {
		slices.SortStableFunc(list, func(a, b *freezer.Product) int { return freezer.EatNextOrder(a, b, today, window) })
	}
	list = list[min(max(filter.Offset, 0), len(list)):]
	if filter.Limit > 0 && filter.Limit < len(list) {
		list = list[:filter.Limit]
	}
	return list, nil
}

// listScope is householdScope with a user's households written out: with
// household_id equal to one value, not IN a subquery, a list in id or
// use-by order reads the indexes of migration 00017 in their order and
// stops at its limit, instead of sorting every product of the household.
func listScope(ctx context.Context, q querier) (string, []any, error) {
	actor := freezer.ActorFromContext(ctx)
	if actor.Kind != freezer.ActorUser {
		return householdScope(ctx, "household_id")
	}
	ids, err := queryAll(ctx, q, func(row rowScanner) (any, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	}, "SELECT household_id FROM memberships WHERE user_id = ? ORDER BY household_id", actor.UserID)
	if err != nil {
		return "", nil, fmt.Errorf("households of user %d: %w", actor.UserID, err)
	}
	switch len(ids) {
	case 0:
		return "1 = 0", nil, nil
	case 1:
		return "household_id = ?", ids, nil
	}
	return "household_id IN (" + placeholderList(len(ids)) + ")", ids, nil
}

// eatNext returns the first filter.Limit products inside in EatNextOrder.
// In each household, those overdue or due soon (use-by day at most its
// due-soon window from today) come first by use-by day, then the others by
// day in: the first filter.Limit of each kind are enough, which the
// indexes of migration 00017 give without reading the household's every
// product.
func (db *DB) eatNext(ctx context.Context, filter freezer.ProductFilter) ([]*freezer.Product, error) {
	households, err := db.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	today := db.today()
	useBy := useBySQL[db.dialect]
	window := make(map[int64]int, len(households))
	var list []*freezer.Product
	for _, h := range households {
		if filter.HouseholdID != nil && *filter.HouseholdID != h.ID {
			continue
		}
		window[h.ID] = h.DueSoonDays
		cutoff := today.AddDays(h.DueSoonDays)
		f := filter
		f.HouseholdID = nil
		soon, err := queryProducts(ctx, db.read, f, useBy+", id", "household_id = ? AND "+useBy+" <= ?", []any{h.ID, cutoff})
		if err != nil {
			return nil, err
		}
		list = append(list, soon...)
		if len(soon) == filter.Limit {
			continue // the others of the household come after these
		}
		// NOT (…): a range on the use-by day would lead SQLite to the use-by
		// index and a sort, where the day-in index stops at the limit.
		later, err := queryProducts(ctx, db.read, f, "date_in, id", "household_id = ? AND NOT ("+useBy+" <= ?)", []any{h.ID, cutoff})
		if err != nil {
			return nil, err
		}
		list = append(list, later...)
	}
	slices.SortFunc(list, func(a, b *freezer.Product) int {
		return freezer.EatNextOrder(a, b, today, func(id int64) int { return window[id] })
	})
	return list[:min(filter.Limit, len(list))], nil
}

// dueSoonWindows returns the due-soon window of each household the actor
// sees (DefaultDueSoonDays for any other).
func (db *DB) dueSoonWindows(ctx context.Context) (func(householdID int64) int, error) {
	households, err := db.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	window := make(map[int64]int, len(households))
	for _, h := range households {
		window[h.ID] = h.DueSoonDays
	}
	return func(id int64) int {
		if days, ok := window[id]; ok {
			return days
		}
		return freezer.DefaultDueSoonDays
	}, nil
}

// keepStage keeps the products at stage on today.
func keepStage(list []*freezer.Product, stage string, today freezer.Date, window func(int64) int) ([]*freezer.Product, error) {
	switch stage {
	case freezer.StageInside, freezer.StageDueSoon, freezer.StageOverdue, freezer.StageOut:
	default:
		return nil, freezer.Errorf(freezer.EINVALID, "Unknown stage %q.", stage)
	}
	return slices.DeleteFunc(list, func(p *freezer.Product) bool { return p.Stage(today, window(p.HouseholdID)) != stage }), nil
}

// findProducts returns the products matching filter that the actor may
// see, in id order: the other orders are FindProducts', which knows the
// dialect.
func findProducts(ctx context.Context, q querier, filter freezer.ProductFilter) ([]*freezer.Product, error) {
	if filter.Sort != "" && filter.Sort != freezer.SortByID {
		return nil, fmt.Errorf("find products: sort %q is FindProducts'", filter.Sort)
	}
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	return queryProducts(ctx, q, filter, "id", cond, args)
}

// queryProducts returns the products matching filter within scope (an SQL
// condition and its arguments) in order.
func queryProducts(ctx context.Context, q querier, filter freezer.ProductFilter, order, scope string, scopeArgs []any) ([]*freezer.Product, error) {
	where, args := []string{scope}, slices.Clone(scopeArgs)
	add := func(clause string, v any) { where, args = append(where, clause), append(args, v) }
	if filter.ID != nil {
		add("id = ?", *filter.ID)
	}
	if filter.HouseholdID != nil {
		add("household_id = ?", *filter.HouseholdID)
	}
	if filter.FreezerID != nil {
		add("freezer_id = ?", *filter.FreezerID)
	}
	if filter.Box != nil {
		add("box = ?", *filter.Box)
	}
	if filter.Slot != nil {
		add("slot = ?", *filter.Slot)
	}
	if filter.TypeID != nil {
		add("type_id = ?", *filter.TypeID)
	}
	if filter.Barcode != nil {
		add("barcode = ?", *filter.Barcode)
	}
	if filter.Query != "" {
		pattern := "%" + likeEscaper.Replace(filter.Query) + "%"
		where, args = append(where, "(name LIKE ? ESCAPE '!' OR description LIKE ? ESCAPE '!')"), append(args, pattern, pattern)
	}
	if filter.AfterID > 0 {
		add("id > ?", filter.AfterID)
	}
	if filter.Inside != nil {
		if *filter.Inside {
			where = append(where, "date_out IS NULL")
		} else {
			where = append(where, "date_out IS NOT NULL")
		}
	}
	return queryAll(ctx, q, scanProduct, "SELECT "+productColumns+" FROM products WHERE "+strings.Join(where, " AND ")+
		" ORDER BY "+order+limitClause(filter.Offset, filter.Limit), args...)
}

// CreateProduct stores a product in a free slot of one of the actor's
// freezers. It checks, in the legacy API's order: the place, the type, then
// the product's own fields.
func (db *DB) CreateProduct(ctx context.Context, p *freezer.Product) error {
	if p.ID != 0 && !isSystem(ctx) {
		return freezer.Errorf(freezer.EINVALID, "A new product cannot choose its id.")
	}
	asked := *p
	return db.inTx(ctx, func(tx *Tx) error {
		*p = asked // a run again starts from the request, not from the slot and id a failed run chose
		l := newProductTx(tx)
		if err := l.placeIn(ctx, p, false, p.Inside()); err != nil {
			return err
		}
		if err := checkType(ctx, tx, p.TypeID); err != nil {
			return err
		}
		if err := p.Validate(tx.today()); err != nil {
			return err
		}
		if err := assignProductID(ctx, tx, p); err != nil { // see labels.go: ids shared with blank labels
			return err
		}
		p.Version, p.CreatedAt, p.UpdatedAt = 1, tx.now, tx.now
		if !p.Inside() && p.Outcome == "" {
			p.Outcome = freezer.OutcomeEaten
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id,
			quantity, barcode, date_in, date_out, outcome, period_months, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			nullID(p.ID), p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID,
			p.Quantity, nullString(p.Barcode), p.DateIn, p.DateOut, nullString(p.Outcome), p.PeriodMonths, p.Version, p.CreatedAt, p.UpdatedAt)
		if err != nil {
			err = translateError(err)
			if l.chose && freezer.ErrorMessage(err) == slotConflictMessage ||
				asked.ID == 0 && freezer.ErrorMessage(err) == idConflictMessage {
				return errRaced // see errRaced
			}
			if freezer.ErrorMessage(err) == slotConflictMessage {
				return freezer.ErrSlotTaken(p.Slot)
			}
			return err
		}
		if err := assignID(res, &p.ID); err != nil {
			return err
		}
		return recordHistory(ctx, tx, productEvent(ctx, p, freezer.ActionCreate,
			"created "+p.Name+" in "+freezer.PlaceOf(p).Location()))
	})
}

// Today returns the store's calendar day: now in its time zone.
func (db *DB) Today() freezer.Date { return db.today() }

// UpdateProduct applies upd to a product in one transaction: edit, move,
// take out or put back, by the rules of freezer.ProductUpdate.
func (db *DB) UpdateProduct(ctx context.Context, id int64, upd freezer.ProductUpdate) (*freezer.Product, error) {
	return db.changeProduct(ctx, func(l *productTx) (*freezer.Product, *freezer.Product, error) { return l.update(ctx, id, upd) })
}

// TakeOutProduct takes a product out by freezer.(*Product).TakeOut's rule.
func (db *DB) TakeOutProduct(ctx context.Context, id int64, req freezer.TakeOutRequest) (*freezer.Product, error) {
	return db.changeProduct(ctx, func(l *productTx) (*freezer.Product, *freezer.Product, error) { return l.takeOut(ctx, id, req) })
}

// PutBackProduct puts a product back in by freezer.(*Product).PutBack's rule.
func (db *DB) PutBackProduct(ctx context.Context, id int64, req freezer.PutBackRequest) (*freezer.Product, error) {
	return db.changeProduct(ctx, func(l *productTx) (*freezer.Product, *freezer.Product, error) { return l.putBack(ctx, id, req) })
}

// MoveProduct moves a product by freezer.(*Product).MoveTo's rule.
func (db *DB) MoveProduct(ctx context.Context, id int64, req freezer.MoveRequest) (*freezer.Product, error) {
	return db.changeProduct(ctx, func(l *productTx) (*freezer.Product, *freezer.Product, error) { return l.move(ctx, id, req) })
}

// changeProduct runs one product operation in a transaction and logs the change.
func (db *DB) changeProduct(ctx context.Context, op func(l *productTx) (before, after *freezer.Product, err error)) (*freezer.Product, error) {
	var p *freezer.Product
	err := db.inTx(ctx, func(tx *Tx) error {
		before, after, err := op(newProductTx(tx))
		if err != nil {
			return err
		}
		p = after
		action, summary := freezer.DescribeChange(before, after)
		return recordHistory(ctx, tx, productEvent(ctx, after, action, summary))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// DeleteProduct removes a product record the actor may see.
func (db *DB) DeleteProduct(ctx context.Context, id int64) error {
	return db.inTx(ctx, func(tx *Tx) error {
		p, err := findProductByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE id = ?`, id); err != nil {
			return translateError(err)
		}
		// The log keeps the product's history: its rows have no foreign key.
		return recordHistory(ctx, tx, productEvent(ctx, p, freezer.ActionDelete, deleteSummary(p)))
	})
}

// likeEscaper escapes LIKE's wildcards with '!', an escape character that
// both dialects read the same way.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// deleteSummary describes the deletion of p for the change log.
func deleteSummary(p *freezer.Product) string {
	if p.Inside() {
		return "deleted " + p.Name + " from " + freezer.PlaceOf(p).Location()
	}
	return "deleted " + p.Name + " (taken out on " + p.DateOut.String() + " from " + freezer.PlaceOf(p).Location() + ")"
}
