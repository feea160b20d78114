package db

import (
	"context"
	"fmt"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

// pendingWrites are the product writes of a scan batch's first run, sent
// together before it commits: each product's last state, under the version
// the batch first read. On MySQL most of them (a date out changed) go in one
// statement per batch instead of one round trip per scan. A product another
// transaction changed since, or a slot taken meanwhile, fails the run
// (errJobFailed): the batch then runs again writing each change at once,
// where the rule is applied again to the product as stored now.
type pendingWrites struct {
	order []int64                    // the products, in the order first written
	first map[int64]*freezer.Product // as stored before the batch changed it
	last  map[int64]*freezer.Product // as the batch left it
}

func newPendingWrites() *pendingWrites {
	return &pendingWrites{first: map[int64]*freezer.Product{}, last: map[int64]*freezer.Product{}}
}

// add records p, changed from before.
func (w *pendingWrites) add(before, p *freezer.Product) {
	if _, ok := w.first[p.ID]; !ok {
		first := *before
		w.first[p.ID] = &first
		w.order = append(w.order, p.ID)
	}
	last := *p
	w.last[p.ID] = &last
}

// has reports whether product id has a write pending; false on nil w.
func (w *pendingWrites) has(id int64) bool {
	if w == nil {
		return false
	}
	_, ok := w.last[id]
	return ok
}

// products returns the products with a write pending, as the batch left
// them; none on nil w.
func (w *pendingWrites) products() map[int64]*freezer.Product {
	if w == nil {
		return nil
	}
	return w.last
}

// flush sends the pending writes; errJobFailed when one of them found
// another version stored or its slot taken.
func (w *pendingWrites) flush(ctx context.Context, tx *Tx) error {
	if w == nil || len(w.order) == 0 {
		return nil
	}
	var dateOut []int64
	for _, id := range w.order {
		first, last := w.first[id], w.last[id]
		if tx.db.dialect == MySQL && onlyDateOut(first, last) {
			dateOut = append(dateOut, id)
			continue
		}
		changed, err := updateProduct(ctx, tx, first, last)
		if err := flushFailed(changed, err); err != nil {
			return err
		}
	}
	for _, c := range batchChunks(len(dateOut)) {
		if err := w.writeDatesOut(ctx, tx, dateOut[c[0]:c[1]], c[2]); err != nil {
			return err
		}
	}
	w.order = w.order[:0]
	clear(w.first)
	clear(w.last)
	return nil
}

// flushFailed returns errJobFailed for a write that found another version
// stored or its slot taken, else err.
func flushFailed(changed bool, err error) error {
	if freezer.ErrorCode(err) == freezer.ECONFLICT || (err == nil && !changed) {
		return errJobFailed
	}
	return err
}

// writeDatesOut writes the dates out (and outcomes) of products ids in one
// statement padded to size entries (by repeating the last), so that its
// text is one of a few and stays prepared.
func (w *pendingWrites) writeDatesOut(ctx context.Context, tx *Tx, ids []int64, size int) error {
	args := make([]any, 0, 9*size+1)
	entry := func(i int) int64 { return ids[min(i, len(ids)-1)] }
	for _, column := range []func(p *freezer.Product) any{
		func(p *freezer.Product) any { return p.DateOut },
		func(p *freezer.Product) any { return nullString(p.Outcome) },
		func(p *freezer.Product) any { return p.Version },
	} {
		for i := range size {
			id := entry(i)
			args = append(args, id, column(w.last[id]))
		}
	}
	args = append(args, tx.now)
	for i := range size {
		args = append(args, entry(i))
	}
	for i := range size {
		id := entry(i)
		args = append(args, id, w.first[id].Version)
	}
	res, err := tx.ExecContext(ctx, datesOutUpdate(size), args...)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err = flushFailed(n == int64(len(ids)), translateError(err)); err != nil {
		return fmt.Errorf("write products taken out or put back: %w", err)
	}
	return nil
}

// datesOutUpdate returns the statement of writeDatesOut for n products.
func datesOutUpdate(n int) string {
	cases := "CASE id " + strings.Repeat("WHEN ? THEN ? ", n) + "END"
	return "UPDATE products SET date_out = " + cases + ", outcome = " + cases + ", version = " + cases +
		", updated_at = ? WHERE id IN (" + placeholderList(n) + ") AND version = " + cases
}
