package db

import (
	"context"
	"database/sql"
	"errors"

	freezer "github.com/freezer-manager/freezer"
)

// productTx applies the root package's rules of a product's life inside one
// write transaction, on the store's calendar. Every write carries the
// version its operation read: a product written meanwhile by another
// transaction (another replica, a REST call beside a scan) is read again,
// locked, and the rule applied to what is stored now, so that of two
// concurrent operations exactly one wins and the other sees its outcome.
type productTx struct {
	tx *Tx
	// The rows as the transaction last read or wrote them (a scan batch
	// shares its cache); a nil entry records that there is no such row.
	products map[int64]*freezer.Product
	freezers map[int64]*freezer.Freezer
	// chose records that the slot of the product placed last was chosen
	// here (the next free one), not asked for.
	chose bool
	// pending, in a scan batch's first run, holds its product writes until
	// they are sent together (see pendingWrites); nil writes each at once.
	pending *pendingWrites
	// occupants, in a scan batch's first run, are the products inside at
	// the places of the batch's products as read before its first job (0:
	// none), kept up to date by its writes: a put-back to its own slot then
	// needs no query. nil reads each place when asked.
	occupants map[slotKey]int64
	// wrote, when set, is told each product write (a scan batch counts
	// products inside from them).
	wrote func(before, after *freezer.Product)
}

// slotKey is a slot of a box of a freezer.
type slotKey struct {
	freezer   int64
	box, slot int
}

// insideAt reports whether p is inside at k.
func insideAt(p *freezer.Product, k slotKey) bool {
	return p.Inside() && p.FreezerID == k.freezer && p.Box == k.box && p.Slot == k.slot
}

func newProductTx(tx *Tx) *productTx {
	return &productTx{tx: tx, products: map[int64]*freezer.Product{}, freezers: map[int64]*freezer.Freezer{}}
}

// errRaced reports that a slot the store chose as free, or a product id
// it took from the sequence, was taken meanwhile: on a Galera cluster the
// row locks that serialise these choices (the freezer's, the sequence's)
// hold on one node only, and a write committed on another node reaches
// this one between the choice and the write. It is no user error: the
// transaction runs again (isRetryable) and chooses anew.
var errRaced = errors.New("a slot or id chosen was taken meanwhile by a transaction on another node")

// errRowChanged reports a version-conditioned write that found another version.
var errRowChanged = errors.New("the product changed since it was read")

// lockClause makes a read in a transaction current and locks its rows on
// MySQL, whose plain reads see the transaction's snapshot; SQLite's single
// writer always reads current rows.
func (l *productTx) lockClause() string {
	if l.tx.db.dialect == MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// insideSlot is the condition "the slot is ?, held by a product inside" in
// the terms of the dialect's unique index on the places of products inside.
func (db *DB) insideSlot() string {
	if db.dialect == MySQL {
		return "inside_slot = ?"
	}
	return "slot = ? AND date_out IS NULL"
}

// read returns a copy of product id as the actor may see it: as this
// transaction has it, or, when fresh or unknown, read and locked now.
func (l *productTx) read(ctx context.Context, id int64, fresh bool) (*freezer.Product, error) {
	if p, ok := l.products[id]; ok && !fresh {
		if p == nil {
			return nil, freezer.Errorf(freezer.ENOTFOUND, "Product %d not found.", id)
		}
		found := *p
		return &found, nil
	}
	cond, args, err := householdScope(ctx, "household_id")
	if err != nil {
		return nil, err
	}
	p, err := scanProduct(l.tx.QueryRowContext(ctx, "SELECT "+productColumns+" FROM products WHERE id = ? AND "+cond+l.lockClause(),
		append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "Product %d not found.", id)
	}
	stored := *p
	l.products[id] = &stored
	return p, nil
}

// apply runs change on product id and writes the result under the version
// read. A version given by the caller (not 0) must be the stored one.
// Refused or not, it returns the product as stored (nil when not found).
func (l *productTx) apply(ctx context.Context, id, version int64, change func(p *freezer.Product) error) (*freezer.Product, *freezer.Product, error) {
	for fresh := false; ; fresh = true {
		p, err := l.read(ctx, id, fresh)
		if err != nil {
			return nil, nil, err
		}
		if version != 0 && version != p.Version {
			return p, nil, freezer.ErrStale(id, p.Version, version)
		}
		before := *p
		if err := change(p); err != nil {
			return &before, nil, err
		}
		err = l.write(ctx, &before, p)
		if errors.Is(err, errRowChanged) && !fresh {
			continue
		} else if errors.Is(err, errRowChanged) {
			return &before, nil, freezer.ErrStale(id, before.Version, before.Version)
		} else if err != nil {
			return &before, nil, err
		}
		return &before, p, nil
	}
}

// write stores p, changed from before, under before's version
// (errRowChanged when another version is stored), or adds it to the pending
// writes.
func (l *productTx) write(ctx context.Context, before, p *freezer.Product) error {
	p.Version, p.UpdatedAt = before.Version+1, l.tx.now
	if l.pending != nil {
		l.pending.add(before, p)
	} else if changed, err := updateProduct(ctx, l.tx, before, p); err != nil {
		if freezer.ErrorCode(err) == freezer.ECONFLICT && p.Inside() {
			if l.chose {
				return errRaced
			}
			return freezer.ErrSlotTaken(p.Slot) // the unique index on the places of products inside
		}
		return err
	} else if !changed {
		return errRowChanged
	}
	stored := *p
	l.products[p.ID] = &stored
	if l.wrote != nil {
		l.wrote(before, p)
	}
	k := slotKey{p.FreezerID, p.Box, p.Slot}
	if _, ok := l.occupants[k]; ok && p.Inside() {
		l.occupants[k] = p.ID
	}
	return nil
}

// updateProduct writes p over the stored row of before's version; false
// when another version is stored.
func updateProduct(ctx context.Context, tx *Tx, before, p *freezer.Product) (bool, error) {
	var res sql.Result
	var err error
	if onlyDateOut(before, p) {
		// A change of date_out alone (most scans) writes that column alone:
		// SQLite then checks no foreign key and leaves the slot index alone.
		res, err = tx.ExecContext(ctx, `UPDATE products SET date_out = ?, outcome = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`,
			p.DateOut, nullString(p.Outcome), p.Version, p.UpdatedAt, p.ID, before.Version)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE products SET household_id = ?, freezer_id = ?, box = ?, slot = ?, name = ?, description = ?,
			type_id = ?, quantity = ?, barcode = ?, date_in = ?, date_out = ?, outcome = ?, period_months = ?, version = ?, updated_at = ?
			WHERE id = ? AND version = ?`,
			p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.Description, p.TypeID, p.Quantity, nullString(p.Barcode),
			p.DateIn, p.DateOut, nullString(p.Outcome), p.PeriodMonths, p.Version, p.UpdatedAt, p.ID, before.Version)
	}
	if err != nil {
		return false, translateError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, translateError(err)
	}
	return n == 1, nil
}

// onlyDateOut reports whether p differs from before in its date out,
// outcome, version and time of change alone.
func onlyDateOut(before, p *freezer.Product) bool {
	same := *before
	same.DateOut, same.Outcome, same.Version, same.UpdatedAt = p.DateOut, p.Outcome, p.Version, p.UpdatedAt
	return same == *p
}

// freezer returns a freezer the actor may see; lock reads it anew and locks
// it, so that placements in one freezer serialise.
func (l *productTx) freezer(ctx context.Context, id int64, lock bool) (*freezer.Freezer, error) {
	if id <= 0 {
		return nil, freezer.FieldErrorf(freezer.EINVALID, "freezer_id", "freezer_id is required.")
	}
	if f, ok := l.freezers[id]; ok && f != nil && (!lock || l.tx.locked[id]) {
		return f, nil // a lock holds until the transaction ends
	}
	f, err := findFreezerByID(ctx, l.tx, id, lock)
	if freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return nil, freezer.FieldErrorf(freezer.ENOTFOUND, "freezer_id", "Freezer %d not found.", id)
	} else if err != nil {
		return nil, err
	}
	l.freezers[id] = f
	if lock {
		if l.tx.locked == nil {
			l.tx.locked = map[int64]bool{}
		}
		l.tx.locked[id] = true
	}
	return f, nil
}

// place checks that p may be inside, or be moved, at its freezer, box and
// slot (CheckBox), and chooses its slot (ChooseSlot: Slot 0 for the next
// free one; fallback for the next free one when Slot is taken). It sets the
// product's household from the freezer.
func (l *productTx) place(ctx context.Context, p *freezer.Product, fallback bool) error {
	return l.placeIn(ctx, p, fallback, true)
}

// placeIn is place; a product recorded out (not moved: created out, as
// history) holds no slot, and may be recorded in an archived freezer.
func (l *productTx) placeIn(ctx context.Context, p *freezer.Product, fallback, holdsSlot bool) error {
	// SQLite's single writer needs no lock, and its scan batches keep the
	// freezers they read (see keptRows).
	f, err := l.freezer(ctx, p.FreezerID, l.tx.db.dialect == MySQL)
	if err != nil {
		return err
	}
	if err := freezer.CheckBox(f, p.Box); err != nil && (holdsSlot || freezer.ErrorField(err) == "box") {
		return err
	}
	p.HouseholdID = f.HouseholdID
	if !holdsSlot && p.Slot != 0 {
		return nil
	}
	// A slot asked for that is free is the slot chosen, whatever else the
	// box holds: the box is read only when it is not.
	var taken []int
	if p.Slot == 0 {
		taken, err = l.takenSlots(ctx, p.FreezerID, p.Box, p.ID)
	} else if occupied, err2 := l.slotTaken(ctx, slotKey{p.FreezerID, p.Box, p.Slot}, p.ID); err2 != nil {
		return err2
	} else if occupied {
		taken, err = l.takenSlots(ctx, p.FreezerID, p.Box, p.ID)
	}
	if err != nil {
		return err
	}
	asked := p.Slot
	p.Slot, err = freezer.ChooseSlot(p.Slot, taken, fallback)
	l.chose = err == nil && p.Slot != asked
	return err
}

// slotTaken reports whether a product inside other than exceptID holds
// slot k. Its caller holds the freezer's lock, which every placement in
// the freezer takes first, and reads committed rows (see runTx); in a scan
// batch's first run, the occupants read before the lock may be stale, and
// a place taken meanwhile fails the batch's writes instead.
func (l *productTx) slotTaken(ctx context.Context, k slotKey, exceptID int64) (bool, error) {
	id, known := l.occupants[k]
	if !known {
		err := l.tx.QueryRowContext(ctx, "SELECT id FROM products WHERE freezer_id = ? AND box = ? AND "+l.tx.db.insideSlot()+" AND id <> ?",
			k.freezer, k.box, k.slot, exceptID).Scan(&id)
		if err == sql.ErrNoRows {
			id = 0
		} else if err != nil {
			return false, translateError(err)
		}
	}
	if id != 0 && id != exceptID {
		if p := l.products[id]; p == nil || insideAt(p, k) {
			return true, nil
		}
	}
	// A product this transaction placed there and has not written yet.
	for _, p := range l.pending.products() {
		if p.ID != exceptID && insideAt(p, k) {
			return true, nil
		}
	}
	return false, nil
}

// takenSlots returns the slots of a box held by products inside other than
// exceptID (see slotTaken).
func (l *productTx) takenSlots(ctx context.Context, freezerID int64, box int, exceptID int64) ([]int, error) {
	rows, err := l.tx.QueryContext(ctx, `SELECT id, slot FROM products WHERE freezer_id = ? AND box = ? AND date_out IS NULL AND id <> ?`,
		freezerID, box, exceptID)
	if err != nil {
		return nil, translateError(err)
	}
	defer rows.Close()
	var taken []int
	for rows.Next() {
		var id int64
		var s int
		if err := rows.Scan(&id, &s); err != nil {
			return nil, translateError(err)
		}
		if !l.pending.has(id) {
			taken = append(taken, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, translateError(err)
	}
	for _, p := range l.pending.products() {
		if p.ID != exceptID && p.Inside() && p.FreezerID == freezerID && p.Box == box {
			taken = append(taken, p.Slot)
		}
	}
	return taken, nil
}

// takeOut applies freezer.(*Product).TakeOut.
func (l *productTx) takeOut(ctx context.Context, id int64, req freezer.TakeOutRequest) (*freezer.Product, *freezer.Product, error) {
	today := l.tx.today()
	return l.apply(ctx, id, req.Version, func(p *freezer.Product) error { return p.TakeOut(req.Date, today, req.Outcome) })
}

// putBack applies freezer.(*Product).PutBack at the slot asked, else at its
// own or the next free one.
func (l *productTx) putBack(ctx context.Context, id int64, req freezer.PutBackRequest) (*freezer.Product, *freezer.Product, error) {
	return l.apply(ctx, id, req.Version, func(p *freezer.Product) error {
		if err := p.PutBack(); err != nil {
			return err
		}
		if req.Slot != 0 {
			p.Slot = req.Slot
		}
		return l.place(ctx, p, req.Slot == 0)
	})
}

// move applies freezer.(*Product).MoveTo.
func (l *productTx) move(ctx context.Context, id int64, req freezer.MoveRequest) (*freezer.Product, *freezer.Product, error) {
	return l.apply(ctx, id, req.Version, func(p *freezer.Product) error {
		p.MoveTo(req.Destination)
		return l.place(ctx, p, false)
	})
}

// update applies a ProductUpdate: the place first, then the type, then the
// product's own fields (Validate), the order in which the legacy API
// reports them.
func (l *productTx) update(ctx context.Context, id int64, upd freezer.ProductUpdate) (*freezer.Product, *freezer.Product, error) {
	today := l.tx.today()
	return l.apply(ctx, id, upd.Version, func(p *freezer.Product) error {
		oldType := p.TypeID
		if placement := upd.Apply(p); placement.Check {
			if err := l.place(ctx, p, placement.Fallback); err != nil {
				return err
			}
		}
		if p.TypeID != oldType {
			if err := checkType(ctx, l.tx, p.TypeID); err != nil {
				return err
			}
		}
		return p.Validate(today)
	})
}

// restore puts a product back where an undone scan found it: the place
// rules apply to a place inside, and its slot must still be free.
func (l *productTx) restore(ctx context.Context, id int64, place freezer.ProductPlace) (*freezer.Product, *freezer.Product, error) {
	return l.apply(ctx, id, 0, func(p *freezer.Product) error {
		p.FreezerID, p.Box, p.Slot, p.DateOut, p.Outcome = place.FreezerID, place.Box, place.Slot, place.DateOut, place.Outcome
		if !p.Inside() {
			if p.Outcome == "" {
				p.Outcome = freezer.OutcomeEaten
			}
			return nil
		}
		return l.place(ctx, p, false)
	})
}

// checkType returns EINVALID (field type_id) unless product type id exists.
func checkType(ctx context.Context, q querier, id int64) error {
	if _, err := findProductTypeByID(ctx, q, id); freezer.ErrorCode(err) == freezer.ENOTFOUND {
		return freezer.FieldErrorf(freezer.EINVALID, "type_id", "type_id %d does not exist.", id)
	} else if err != nil {
		return err
	}
	return nil
}
