package db

import (
	"context"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

var _ freezer.ExportService = (*DB)(nil)

// ExportHousehold returns one of the actor's households as a document.
func (db *DB) ExportHousehold(ctx context.Context, householdID int64) (*freezer.HouseholdExport, error) {
	h, err := findHouseholdByID(ctx, db.read, householdID)
	if err != nil {
		return nil, err
	}
	doc := &freezer.HouseholdExport{Format: freezer.ExportFormat, Version: freezer.ExportVersion, ExportedAt: db.Now().UTC(),
		Household: freezer.ExportedHousehold{Name: h.Name, DueSoonDays: h.DueSoonDays},
		Freezers:  []*freezer.ExportedFreezer{}, Products: []*freezer.ExportedProduct{}, ProductTypes: []*freezer.ProductType{}}
	// Products before freezers: a freezer that holds products cannot be
	// deleted meanwhile, so every product's freezer is in the document.
	products, err := findProducts(ctx, db.read, freezer.ProductFilter{HouseholdID: &householdID})
	if err != nil {
		return nil, err
	}
	freezers, err := findFreezers(ctx, db.read, freezer.FreezerFilter{HouseholdID: &householdID, IncludeArchived: true}, false)
	if err != nil {
		return nil, err
	}
	types, err := loadProductTypes(ctx, db.read)
	if err != nil {
		return nil, err
	}
	for _, f := range freezers {
		doc.Freezers = append(doc.Freezers, &freezer.ExportedFreezer{ID: f.ID, Name: f.Name, NumberBoxes: f.NumberBoxes,
			ArchivedAt: utcPtr(f.ArchivedAt), CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.UpdatedAt.UTC()})
	}
	used := map[int64]bool{}
	for _, p := range products {
		used[p.TypeID] = true
		doc.Products = append(doc.Products, &freezer.ExportedProduct{ID: p.ID, FreezerID: p.FreezerID, Box: p.Box, Slot: p.Slot,
			Name: p.Name, Description: p.Description, TypeID: p.TypeID, Quantity: p.Quantity, Barcode: p.Barcode,
			DateIn: p.DateIn, DateOut: p.DateOut, Outcome: p.Outcome, PeriodMonths: p.PeriodMonths, Version: p.Version,
			CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()})
	}
	for _, t := range types {
		if used[t.ID] {
			doc.ProductTypes = append(doc.ProductTypes, t)
		}
	}
	return doc, nil
}

// ImportHousehold recreates a document's freezers and products in an empty household.
func (db *DB) ImportHousehold(ctx context.Context, householdID int64, doc *freezer.HouseholdExport) (*freezer.ImportResult, error) {
	if doc == nil {
		return nil, freezer.Errorf(freezer.EINVALID, "The document is empty.")
	}
	if err := doc.Validate(db.today()); err != nil {
		return nil, err
	}
	result := &freezer.ImportResult{HouseholdID: householdID}
	err := db.inTx(ctx, func(tx *Tx) error {
		*result = freezer.ImportResult{HouseholdID: householdID}
		if err := lockEmptyHousehold(ctx, tx, householdID); err != nil {
			return err
		}
		types, err := loadProductTypes(ctx, tx)
		if err != nil {
			return err
		}
		typeIDs, err := resolveTypes(doc, types)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE households SET name = ?, due_soon_days = ?, updated_at = ? WHERE id = ?`,
			doc.Household.Name, doc.Household.DueSoonDays, tx.now, householdID); err != nil {
			return translateError(err)
		}
		freezerIDs := make(map[int64]int64, len(doc.Freezers))
		for _, f := range doc.Freezers {
			res, err := tx.ExecContext(ctx, `INSERT INTO freezers (household_id, name, number_boxes, archived_at, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, householdID, f.Name, f.NumberBoxes, utcPtr(f.ArchivedAt), orNow(f.CreatedAt, tx), orNow(f.UpdatedAt, tx))
			if err != nil {
				return translateError(err)
			}
			var id int64
			if err := assignID(res, &id); err != nil {
				return err
			}
			freezerIDs[f.ID] = id
			result.Freezers++
		}
		events := make([]*freezer.HistoryEvent, 0, len(doc.Products))
		for _, e := range doc.Products {
			p := &freezer.Product{HouseholdID: householdID, FreezerID: freezerIDs[e.FreezerID], Box: e.Box, Slot: e.Slot,
				Name: e.Name, Description: e.Description, TypeID: typeIDs[e.TypeID], Quantity: e.Quantity, Barcode: e.Barcode,
				DateIn: e.DateIn, DateOut: e.DateOut, Outcome: e.Outcome, PeriodMonths: e.PeriodMonths, Version: max(e.Version, 1),
				CreatedAt: orNow(e.CreatedAt, tx), UpdatedAt: orNow(e.UpdatedAt, tx)}
			// New ids come from the sequence shared with blank labels, so that
			// an imported product never takes an id a printed label waits for.
			if err := assignProductID(ctx, tx, p); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id,
				quantity, barcode, date_in, date_out, outcome, period_months, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID,
				p.Quantity, nullString(p.Barcode), p.DateIn, p.DateOut, nullString(p.Outcome), p.PeriodMonths, p.Version, p.CreatedAt, p.UpdatedAt); err != nil {
				return translateError(err)
			}
			result.Products++
			summary := "imported " + p.Name + " into " + freezer.PlaceOf(p).Location()
			if p.Inside() {
				result.Inside++
			} else {
				summary = "imported " + p.Name + " (taken out on " + p.DateOut.String() + " from " + freezer.PlaceOf(p).Location() + ")"
			}
			events = append(events, productEvent(ctx, p, freezer.ActionCreate, summary))
		}
		return recordHistory(ctx, tx, events...)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// lockEmptyHousehold checks that the actor sees the household and that it
// has no freezer, archived or not (ECONFLICT); on MySQL it locks the
// household's row so that two imports into it serialise.
func lockEmptyHousehold(ctx context.Context, tx *Tx, householdID int64) error {
	if _, err := findHouseholdByID(ctx, tx, householdID); err != nil {
		return err
	}
	if tx.db.dialect == MySQL {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM households WHERE id = ? FOR UPDATE`, householdID).Scan(&id); err != nil {
			return notFound(err, "Household %d not found.", householdID)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM freezers WHERE household_id = ?`, householdID).Scan(&n); err != nil {
		return translateError(err)
	}
	if n > 0 {
		return freezer.Errorf(freezer.ECONFLICT, "Household %d already has %d freezers: import only into a household without any.", householdID, n)
	}
	return nil
}

// resolveTypes maps the type ids of a document's products to this
// database's types. The document names its types: a type is matched by id
// when a name agrees, else by its English name, else by id alone (a type
// renamed here); a product type found by no rule is EINVALID.
func resolveTypes(doc *freezer.HouseholdExport, types []*freezer.ProductType) (map[int64]int64, error) {
	byID := make(map[int64]*freezer.ProductType, len(types))
	byName := make(map[string]*freezer.ProductType, len(types))
	for _, t := range types {
		byID[t.ID] = t
		if _, dup := byName[t.NameEN]; !dup {
			byName[t.NameEN] = t
		}
	}
	named := make(map[int64]*freezer.ProductType, len(doc.ProductTypes))
	for _, t := range doc.ProductTypes {
		named[t.ID] = t
	}
	ids := make(map[int64]int64)
	for i, p := range doc.Products {
		if _, done := ids[p.TypeID]; done {
			continue
		}
		here, docType := byID[p.TypeID], named[p.TypeID]
		switch {
		case docType != nil && here != nil && (here.NameEN == docType.NameEN || here.NameFR == docType.NameFR):
			ids[p.TypeID] = here.ID
		case docType != nil && byName[docType.NameEN] != nil:
			ids[p.TypeID] = byName[docType.NameEN].ID
		case here != nil:
			ids[p.TypeID] = here.ID
		default:
			return nil, freezer.Errorf(freezer.EINVALID, "products[%d].type_id %d is not a product type of this server.", i, p.TypeID)
		}
	}
	return ids, nil
}

// utcPtr returns a copy of *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// orNow returns t in UTC, or the transaction's time when t is zero.
func orNow(t time.Time, tx *Tx) time.Time {
	if t.IsZero() {
		return tx.now
	}
	return t.UTC()
}
