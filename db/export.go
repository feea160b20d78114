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
			CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Labels: []int64{}})
	}
	for _, t := range types {
		if used[t.ID] {
			doc.ProductTypes = append(doc.ProductTypes, t)
		}
	}
	if err := exportLabels(ctx, db.read, householdID, doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// exportLabels adds to a document the labels that name its products
// through aliases and the household's blank labels not used yet.
func exportLabels(ctx context.Context, q querier, householdID int64, doc *freezer.HouseholdExport) error {
	byID := make(map[int64]*freezer.ExportedProduct, len(doc.Products))
	for _, p := range doc.Products {
		byID[p.ID] = p
	}
	rows, err := q.QueryContext(ctx, `SELECT label_id, product_id FROM label_aliases WHERE household_id = ? ORDER BY label_id`, householdID)
	if err != nil {
		return translateError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var label, product int64
		if err := rows.Scan(&label, &product); err != nil {
			return translateError(err)
		}
		if p := byID[product]; p != nil {
			p.Labels = append(p.Labels, label)
		}
	}
	if err := rows.Err(); err != nil {
		return translateError(err)
	}
	blank, err := queryAll(ctx, q, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, `SELECT id FROM label_reservations WHERE household_id = ? AND claimed_at IS NULL ORDER BY id`, householdID)
	if err != nil {
		return err
	}
	doc.BlankLabels = append([]int64{}, blank...)
	return nil
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
		// Every new id comes from above the document's label ids, so that
		// none takes an id a later product of the document keeps.
		if err := advanceProductIDs(ctx, tx, doc.LabelIDs()); err != nil {
			return err
		}
		freezerIDs := make(map[int64]int64, len(doc.Freezers))
		for _, f := range doc.Freezers {
			id, err := insertImportedFreezer(ctx, tx, householdID, f)
			if err != nil {
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
			if err := importProductID(ctx, tx, p, e.ID, result); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id,
				quantity, barcode, date_in, date_out, outcome, period_months, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID,
				p.Quantity, nullString(p.Barcode), p.DateIn, p.DateOut, nullString(p.Outcome), p.PeriodMonths, p.Version, p.CreatedAt, p.UpdatedAt); err != nil {
				return translateError(err)
			}
			for _, label := range append([]int64{e.ID}, e.Labels...) {
				if label != 0 && label != p.ID {
					if err := addLabelAlias(ctx, tx, householdID, label, p.ID); err != nil {
						return err
					}
					result.Aliases++
				}
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
		for _, id := range doc.BlankLabels {
			free, err := productIDFree(ctx, tx, id)
			if err != nil || !free {
				continue // taken here: the label scans as "not a product of this household", never as another product
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO label_reservations (id, household_id, created_at) VALUES (?, ?, ?)`, id, householdID, tx.now); err != nil {
				return translateError(err)
			}
			result.BlankLabels++
		}
		return recordHistory(ctx, tx, events...)
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// insertImportedFreezer stores a freezer of a document under its id when no
// freezer has it here (its printed box labels then keep working), else
// under a new one, and returns the id.
func insertImportedFreezer(ctx context.Context, tx *Tx, householdID int64, f *freezer.ExportedFreezer) (int64, error) {
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM freezers WHERE id = ?`, f.ID).Scan(&taken); err != nil {
		return 0, translateError(err)
	}
	cols, marks, args := "", "", []any{}
	if taken == 0 {
		cols, marks, args = "id, ", "?, ", append(args, f.ID)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO freezers (`+cols+`household_id, name, number_boxes, archived_at, created_at, updated_at)
		VALUES (`+marks+`?, ?, ?, ?, ?, ?)`, append(args, householdID, f.Name, f.NumberBoxes, utcPtr(f.ArchivedAt), orNow(f.CreatedAt, tx), orNow(f.UpdatedAt, tx))...)
	if err != nil {
		return 0, translateError(err)
	}
	if taken == 0 {
		return f.ID, nil
	}
	var id int64
	return id, assignID(res, &id)
}

// importProductID gives an imported product the id its labels carry when
// no product or blank label has it here, else a new one from the sequence
// (its old id then becomes an alias).
func importProductID(ctx context.Context, tx *Tx, p *freezer.Product, printed int64, result *freezer.ImportResult) error {
	if printed > 0 {
		free, err := productIDFree(ctx, tx, printed)
		if err != nil {
			return err
		}
		if free {
			p.ID = printed
			result.KeptIDs++
			return nil
		}
	}
	id, err := nextProductIDs(ctx, tx, 1)
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// productIDFree tells whether no product and no blank label carries id.
func productIDFree(ctx context.Context, tx *Tx, id int64) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM products WHERE id = ?) + (SELECT COUNT(*) FROM label_reservations WHERE id = ?)`,
		id, id).Scan(&n); err != nil {
		return false, translateError(err)
	}
	return n == 0, nil
}

// addLabelAlias makes a household's printed label id name product. A blank
// label of the household with the same id would give one code two
// meanings: ECONFLICT.
func addLabelAlias(ctx context.Context, tx *Tx, householdID, label, product int64) error {
	r, err := findReservation(ctx, tx, label, false)
	if err != nil {
		return err
	}
	if r != nil && r.HouseholdID == householdID {
		return freezer.Errorf(freezer.ECONFLICT, "A blank label of this household carries FZ-I-%06d, a label of the document: import into another household.", label)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO label_aliases (household_id, label_id, product_id, created_at) VALUES (?, ?, ?, ?)`,
		householdID, label, product, tx.now)
	return translateError(err)
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
