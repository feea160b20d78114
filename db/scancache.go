package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	freezer "github.com/freezer-manager/freezer"
)

// scanCache holds what a scan batch read, so that each row is read once per
// batch: the devices, products and resent events the batch names are read
// together before its first job (see preload), freezers on first use. Every
// write of the batch goes to the database at once and updates the cache, so
// the cache always equals what the transaction would read. A nil entry
// records that there is no such row.
type scanCache struct {
	devices  map[string]*freezer.Device
	products map[int64]*freezer.Product
	freezers map[int64]*freezer.Freezer
	events   map[eventKey]*freezer.ScanEvent
	// inside counts the products inside of households, by group, as the
	// batch leaves them (SQLite, see countInside).
	inside map[int64]map[insideKey]int
}

// eventKey is a scan event's (device, message id), as the database compares them.
type eventKey struct{ device, msg string }

// keptRows keeps the devices, products and freezers scan batches read from
// one batch to the next, on SQLite, where this process's writer connection
// is the only one that writes to them: any other write transaction of this
// process drops them before it commits, and so does a batch that finds the
// database's data_version changed (another process committed). A batch
// takes them (take), and puts them back only once it committed (put), so a
// batch that failed leaves nothing of what it changed. Resent events are
// not kept: a batch looks for those anew.
type keptRows struct {
	mu          sync.Mutex
	cache       *scanCache
	generation  uint64 // counts drops, so that a batch that began before one puts nothing back
	taken       uint64 // the generation of the cache taken
	dataVersion int64
	counts      map[int64][]freezer.InsideGroup // by household, as the last batch that committed left them
}

// maxKeptRows bounds the rows kept between batches (a few MB at most).
const maxKeptRows = 4096

// take returns the rows kept for the batch of tx, or a new cache; nil k
// (MySQL, where other replicas write too) always gives a new one.
func (k *keptRows) take(ctx context.Context, tx *Tx) (*scanCache, error) {
	if k == nil {
		return newScanCache(), nil
	}
	var version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version); err != nil {
		return nil, fmt.Errorf("read data_version: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	cache := k.cache
	k.cache, k.taken = nil, k.generation
	if cache == nil || version != k.dataVersion {
		cache = newScanCache()
	}
	if version != k.dataVersion {
		k.counts = nil // another process committed
	}
	k.dataVersion = version
	clear(cache.events)
	return cache, nil
}

// put keeps the rows of a batch that committed, unless a drop came since
// its take.
func (k *keptRows) put(cache *scanCache) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.generation != k.taken {
		return
	}
	if len(cache.devices)+len(cache.products)+len(cache.freezers) <= maxKeptRows {
		k.cache = cache
	}
	k.counts = make(map[int64][]freezer.InsideGroup, len(cache.inside))
	for h, m := range cache.inside {
		groups := make([]freezer.InsideGroup, 0, len(m))
		for g, n := range m {
			groups = append(groups, freezer.InsideGroup{FreezerID: g.freezer, DateIn: g.dateIn, PeriodMonths: g.period, Count: n})
		}
		k.counts[h] = groups
	}
}

// insideGroups returns the counts of a household's products inside that
// the last batch published; false when there are none (nil k: MySQL).
func (k *keptRows) insideGroups(householdID int64) ([]freezer.InsideGroup, bool) {
	if k == nil {
		return nil, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	groups, ok := k.counts[householdID]
	return slices.Clone(groups), ok
}

// drop forgets the kept rows: another write transaction may change them.
func (k *keptRows) drop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cache, k.counts = nil, nil
	k.generation++
}

func newScanCache() *scanCache {
	return &scanCache{devices: map[string]*freezer.Device{}, products: map[int64]*freezer.Product{},
		freezers: map[int64]*freezer.Freezer{}, events: map[eventKey]*freezer.ScanEvent{}, inside: map[int64]map[insideKey]int{}}
}

// batchBuckets are the lengths a batch lookup's list is padded to, so that
// its query is one of a few texts and stays prepared.
var batchBuckets = [...]int{1, 4, 16, 64, 256}

// batchChunks splits n keys into lookups of at most the largest bucket and
// returns, for each, its first key, its end and its padded length.
func batchChunks(n int) (chunks [][3]int) {
	largest := batchBuckets[len(batchBuckets)-1]
	for start := 0; start < n; start += largest {
		end := min(start+largest, n)
		size := largest
		for _, b := range batchBuckets {
			if end-start <= b {
				size = b
				break
			}
		}
		chunks = append(chunks, [3]int{start, end, size})
	}
	return chunks
}

// placeholderList returns "?, ?, …" with n marks.
func placeholderList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// foldKey returns s as the dialect compares it in keys: MariaDB's PAD SPACE
// collations ignore trailing spaces, SQLite compares bytes.
func (db *DB) foldKey(s string) string {
	if db.dialect == MySQL {
		return strings.TrimRight(s, " ")
	}
	return s
}

// preload reads the devices, products and earlier events that batch names.
// A batch that runs without savepoints takes each message id for new
// (optimistic: resends are rare): the unique index on (device, message id)
// rejects the insert of a resend, and the batch then runs again with
// savepoints, which look each one up.
func (s *scanTx) preload(ctx context.Context, batch []freezer.ScanKey) error {
	var deviceIDs, msgDevices, msgIDs, productIDs []any
	for _, k := range batch {
		if k.DeviceID == "" {
			continue
		}
		if claim(s.cache.devices, s.tx.db.foldKey(k.DeviceID)) {
			deviceIDs = append(deviceIDs, k.DeviceID)
		}
		if k.MsgID != "" && claim(s.cache.events, s.eventKey(k.DeviceID, k.MsgID)) {
			msgDevices, msgIDs = append(msgDevices, k.DeviceID), append(msgIDs, k.MsgID)
		}
		if k.ProductID > 0 && claim(s.cache.products, k.ProductID) {
			productIDs = append(productIDs, k.ProductID)
		}
	}
	err := readBatch(ctx, s.tx, deviceIDs, scanDevice, "SELECT "+deviceColumns+" FROM devices WHERE id IN (%s)",
		func(d *freezer.Device) { s.cache.devices[s.tx.db.foldKey(d.ID)] = d })
	if err != nil {
		return fmt.Errorf("read devices of the batch: %w", err)
	}
	err = readBatch(ctx, s.tx, productIDs, scanProduct, "SELECT "+productColumns+" FROM products WHERE id IN (%s)",
		func(p *freezer.Product) { s.cache.products[p.ID] = p })
	if err != nil {
		return fmt.Errorf("read products of the batch: %w", err)
	}
	if s.deferInserts {
		return s.preloadOccupants(ctx, batch)
	}
	for _, c := range batchChunks(len(msgIDs)) {
		var args []any
		for i := range c[2] {
			j := min(c[0]+i, c[1]-1) // padded with the last pair
			args = append(args, msgDevices[j], msgIDs[j])
		}
		list, err := queryAll(ctx, s.tx, scanScanEvent, "SELECT "+scanEventColumns+" FROM scan_events WHERE "+
			strings.TrimSuffix(strings.Repeat("(device_id = ? AND msg_id = ?) OR ", c[2]), " OR "), args...)
		if err != nil {
			return fmt.Errorf("read resent scans of the batch: %w", err)
		}
		for _, e := range list {
			s.cache.events[s.eventKey(e.DeviceID, e.MsgID)] = e
		}
	}
	return nil
}

// preloadOccupants reads which products are inside at the places of the
// batch's products that are out: where a put-back puts them.
func (s *scanTx) preloadOccupants(ctx context.Context, batch []freezer.ScanKey) error {
	s.occupants = map[slotKey]int64{}
	var places []slotKey
	for _, k := range batch {
		p := s.cache.products[k.ProductID]
		if p == nil || p.Inside() {
			continue
		}
		place := slotKey{p.FreezerID, p.Box, p.Slot}
		if _, ok := s.occupants[place]; !ok {
			s.occupants[place] = 0
			places = append(places, place)
		}
	}
	term := "(freezer_id = ? AND box = ? AND " + s.tx.db.insideSlot() + ")"
	for _, c := range batchChunks(len(places)) {
		args := make([]any, 0, 3*c[2])
		for i := range c[2] {
			k := places[min(c[0]+i, c[1]-1)] // padded with the last place
			args = append(args, k.freezer, k.box, k.slot)
		}
		list, err := queryAll(ctx, s.tx, func(row rowScanner) (slotOccupant, error) {
			var o slotOccupant
			err := row.Scan(&o.id, &o.place.freezer, &o.place.box, &o.place.slot)
			return o, err
		}, "SELECT id, freezer_id, box, slot FROM products WHERE "+strings.TrimSuffix(strings.Repeat(term+" OR ", c[2]), " OR "), args...)
		if err != nil {
			return fmt.Errorf("read the slots of the batch's products: %w", err)
		}
		for _, o := range list {
			s.occupants[o.place] = o.id
		}
	}
	return nil
}

// slotOccupant is the product inside at a place.
type slotOccupant struct {
	id    int64
	place slotKey
}

// readBatch runs query, whose "%s" takes a list of placeholders, for ids in
// padded chunks, and passes each row it reads to keep.
func readBatch[T any](ctx context.Context, tx *Tx, ids []any, scan func(rowScanner) (T, error), query string, keep func(T)) error {
	for _, c := range batchChunks(len(ids)) {
		list, err := queryAll(ctx, tx, scan, fmt.Sprintf(query, placeholderList(c[2])), padArgs(ids[c[0]:c[1]], c[2])...)
		if err != nil {
			return err
		}
		for _, row := range list {
			keep(row)
		}
	}
	return nil
}

// claim reports whether key is new to m, and records it as a row not read
// yet (nil: no such row, until a read finds one).
func claim[K comparable, V any](m map[K]*V, key K) bool {
	if _, ok := m[key]; ok {
		return false
	}
	m[key] = nil
	return true
}

// cached returns a copy of the row of key in m, read with read the first
// time, or the error notFound makes when there is no such row (read
// returned ENOTFOUND, which is kept too).
func cached[K comparable, V any](m map[K]*V, key K, read func() (*V, error), notFound func() error) (*V, error) {
	v, ok := m[key]
	if !ok {
		var err error
		if v, err = read(); err != nil {
			if freezer.ErrorCode(err) != freezer.ENOTFOUND {
				return nil, err
			}
			v = nil
		}
		m[key] = v
	}
	if v == nil {
		return nil, notFound()
	}
	found := *v
	return &found, nil
}

// padArgs returns args lengthened to n by repeating its last value.
func padArgs(args []any, n int) []any {
	padded := make([]any, n)
	copy(padded, args)
	for i := len(args); i < n; i++ {
		padded[i] = args[len(args)-1]
	}
	return padded
}

func (s *scanTx) eventKey(deviceID, msgID string) eventKey {
	return eventKey{s.tx.db.foldKey(deviceID), s.tx.db.foldKey(msgID)}
}
