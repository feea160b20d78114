package db

import (
	"context"
	"slices"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ProductService = (*DB)(nil)

const productColumns = `id, household_id, freezer_id, box, slot, name, description, type_id, quantity,
	COALESCE(barcode, ''), date_in, date_out, period_months, version, created_at, updated_at`

func scanProduct(row rowScanner) (*freezer.Product, error) {
	var p freezer.Product
	err := row.Scan(&p.ID, &p.HouseholdID, &p.FreezerID, &p.Box, &p.Slot, &p.Name, &p.Description, &p.TypeID, &p.Quantity,
		&p.Barcode, &p.DateIn, &p.DateOut, &p.PeriodMonths, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// productOrders maps the public sort names to ORDER BY clauses; id breaks ties.
var productOrders = map[string]string{
	"":                       "id",
	freezer.SortByID:         "id",
	freezer.SortByDateIn:     "date_in, id",
	freezer.SortByDateOutNew: "date_out DESC, id DESC",
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
	if filter.Sort != freezer.SortByUseBy && filter.Stage == "" {
		return findProducts(ctx, db.read, filter)
	}
	// Use-by days and stages follow the domain's month arithmetic, which the
	// dialects do not share (SQLite does not clamp 31 January + 1 month to
	// 28 February): such lists are filtered and ordered here.
	all := filter
	all.Stage, all.Offset, all.Limit = "", 0, 0
	if all.Sort == freezer.SortByUseBy {
		all.Sort = freezer.SortByDateIn
	}
	list, err := findProducts(ctx, db.read, all)
	if err != nil {
		return nil, err
	}
	if filter.Stage != "" {
		if list, err = db.keepStage(ctx, list, filter.Stage); err != nil {
			return nil, err
		}
	}
	if filter.Sort == freezer.SortByUseBy {
		slices.SortStableFunc(list, func(a, b *freezer.Product) int { return a.UseBy().Compare(b.UseBy()) })
	}
	list = list[min(max(filter.Offset, 0), len(list)):]
	if filter.Limit > 0 && filter.Limit < len(list) {
		list = list[:filter.Limit]
	}
	return list, nil
}

// keepStage keeps the products at stage today, with each household's due-soon window.
func (db *DB) keepStage(ctx context.Context, list []*freezer.Product, stage string) ([]*freezer.Product, error) {
	switch stage {
	case freezer.StageInside, freezer.StageDueSoon, freezer.StageOverdue, freezer.StageOut:
	default:
		return nil, freezer.Errorf(freezer.EINVALID, "Unknown stage %q.", stage)
	}
	households, err := db.FindHouseholds(ctx)
	if err != nil {
		return nil, err
	}
	window := make(map[int64]int, len(households))
	for _, h := range households {
		window[h.ID] = h.DueSoonDays
	}
	today := db.today()
	return slices.DeleteFunc(list, func(p *freezer.Product) bool {
		days, ok := window[p.HouseholdID]
		if !ok {
			days = freezer.DefaultDueSoonDays
		}
		return p.Stage(today, days) != stage
	}), nil
}

func findProducts(ctx context.Context, q querier, filter freezer.ProductFilter) ([]*freezer.Product, error) {
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	order, ok := productOrders[filter.Sort]
	if !ok {
		return nil, freezer.Errorf(freezer.EINVALID, "Unknown sort %q.", filter.Sort)
	}
	where := []string{cond}
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

// CreateProduct stores a product in a free slot of one of the actor's freezers.
func (db *DB) CreateProduct(ctx context.Context, p *freezer.Product) error {
	if p.ID != 0 && !isSystem(ctx) {
		return freezer.Errorf(freezer.EINVALID, "A new product cannot choose its id.")
	}
	if err := p.Validate(db.today()); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *Tx) error {
		if err := placeProduct(ctx, tx, p, true); err != nil {
			return err
		}
		if err := assignProductID(ctx, tx, p); err != nil { // see labels.go: ids shared with blank labels
			return err
		}
		p.Version, p.CreatedAt, p.UpdatedAt = 1, tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id,
			quantity, barcode, date_in, date_out, period_months, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			nullID(p.ID), p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID,
			p.Quantity, nullString(p.Barcode), p.DateIn, p.DateOut, p.PeriodMonths, p.Version, p.CreatedAt, p.UpdatedAt)
		if err != nil {
			return translateError(err)
		}
		if err := assignID(res, &p.ID); err != nil {
			return err
		}
		return recordHistory(ctx, tx, productEvent(ctx, p, freezer.ActionCreate,
			"created "+p.Name+" in "+freezer.PlaceOf(p).Location()))
	})
}

// placeProduct checks p's freezer, box and type inside tx, sets its
// household from the freezer, and picks the next free slot when Slot is 0.
// The freezer row is locked (MySQL) so that placements in one freezer
// serialise; the unique index settles any remaining race.
func placeProduct(ctx context.Context, tx *Tx, p *freezer.Product, checkType bool) error {
	f, err := findFreezerByID(ctx, tx, p.FreezerID, true)
	if err != nil {
		return err
	}
	if f.ArchivedAt != nil && p.Inside() {
		return freezer.Errorf(freezer.ECONFLICT, "Freezer %d is archived.", f.ID)
	}
	if err := freezer.ValidateBox(p.Box, f.NumberBoxes); err != nil {
		return err
	}
	if checkType {
		if _, err := findProductTypeByID(ctx, tx, p.TypeID); err != nil {
			return freezer.Errorf(freezer.EINVALID, "type_id %d does not exist.", p.TypeID)
		}
	}
	p.HouseholdID = f.HouseholdID
	if p.Slot == 0 {
		slot, err := nextFreeSlot(ctx, tx, p.FreezerID, p.Box)
		if err != nil {
			return err
		}
		p.Slot = slot
	}
	return nil
}

func nextFreeSlot(ctx context.Context, q querier, freezerID int64, box int) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT slot FROM products WHERE freezer_id = ? AND box = ? AND date_out IS NULL`, freezerID, box)
	if err != nil {
		return 0, translateError(err)
	}
	defer rows.Close()
	var taken []int
	for rows.Next() {
		var s int
		if err := rows.Scan(&s); err != nil {
			return 0, translateError(err)
		}
		taken = append(taken, s)
	}
	return freezer.NextFreeSlot(taken), translateError(rows.Err())
}

// UpdateProduct applies upd to a product in one transaction: edit, move,
// take out (DateOut set) or put back (DateOut zero).
func (db *DB) UpdateProduct(ctx context.Context, id int64, upd freezer.ProductUpdate) (*freezer.Product, error) {
	var p *freezer.Product
	err := db.inTx(ctx, func(tx *Tx) (err error) {
		if p, err = findProductByID(ctx, tx, id); err != nil {
			return err
		}
		if upd.Version != 0 && upd.Version != p.Version {
			return freezer.Errorf(freezer.ECONFLICT, "Product %d was changed by someone else (version %d, not %d): reload it.", id, p.Version, upd.Version)
		}
		before := *p
		oldVersion, oldType, oldPlace := p.Version, p.TypeID, freezer.PlaceOf(p)
		upd.Apply(p)
		if err := p.Validate(tx.db.today()); err != nil {
			return err
		}
		// A taken-out product left in a box that no longer exists may still be edited.
		if freezer.PlaceOf(p) != oldPlace || p.Inside() || p.TypeID != oldType {
			if err := placeProduct(ctx, tx, p, p.TypeID != oldType); err != nil {
				return err
			}
		}
		p.Version, p.UpdatedAt = oldVersion+1, tx.now
		res, err := tx.ExecContext(ctx, `UPDATE products SET household_id = ?, freezer_id = ?, box = ?, slot = ?, name = ?, description = ?,
			type_id = ?, quantity = ?, barcode = ?, date_in = ?, date_out = ?, period_months = ?, version = ?, updated_at = ?
			WHERE id = ? AND version = ?`,
			p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID, p.Quantity, nullString(p.Barcode),
			p.DateIn, p.DateOut, p.PeriodMonths, p.Version, p.UpdatedAt, id, oldVersion)
		if err != nil {
			return translateError(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return freezer.Errorf(freezer.ECONFLICT, "Product %d was changed by someone else: reload it.", id)
		}
		action, summary := freezer.DescribeChange(&before, p)
		return recordHistory(ctx, tx, productEvent(ctx, p, action, summary))
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
