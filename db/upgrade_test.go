package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// oldestSchema is the newest version of the oldest migration set still in
// the tree: the first schema and its seed of product types.
const oldestSchema = 2

// TestUpgradeFromOldestSchema fills a database created by the oldest
// migrations with a row in every table, migrates it to the newest schema,
// and checks that every row kept every value it had.
func TestUpgradeFromOldestSchema(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		store, err := db.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if err := db.MigrateTo(ctx, store, oldestSchema); err != nil {
			t.Fatal(err)
		}
		if v, err := store.SchemaVersion(ctx); err != nil || v != oldestSchema {
			t.Fatalf("schema version %d (%v), want %d", v, err, oldestSchema)
		}
		raw := MustOpenRaw(t, dsn)
		at := time.Date(2025, 11, 2, 8, 30, 0, 0, time.UTC)
		for _, stmt := range []struct {
			query string
			args  []any
		}{
			{`INSERT INTO households (id, name, due_soon_days, created_at, updated_at) VALUES (7, 'Maison', 10, ?, ?)`, []any{at, at}},
			{`INSERT INTO users (id, email, password_hash, language, admin, disabled, created_at, updated_at) VALUES (3, 'ann@example.com', '$argon2id$v=19$x', 'fr', 1, 0, ?, ?)`, []any{at, at}},
			{`INSERT INTO memberships (household_id, user_id, role, created_at) VALUES (7, 3, 'owner', ?)`, []any{at}},
			{`INSERT INTO tokens (id, user_id, name, hash, legacy, created_at, last_used_at) VALUES (5, 3, 'cli', ?, 1, ?, ?)`, []any{strings.Repeat("ab", 32), at, at}},
			{`INSERT INTO freezers (id, household_id, name, number_boxes, archived_at, created_at, updated_at) VALUES (2, 7, 'Chest', 3, NULL, ?, ?)`, []any{at, at}},
			{`INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id, quantity, barcode, date_in, date_out, period_months, version, created_at, updated_at)
				VALUES (10, 7, 2, 1, 1, 'Blanquette', 'for four', 5, 4, '3017620422003', '2025-10-01', NULL, 6, 3, ?, ?)`, []any{at, at}},
			{`INSERT INTO products (id, household_id, freezer_id, box, slot, name, description, type_id, quantity, barcode, date_in, date_out, period_months, version, created_at, updated_at)
				VALUES (11, 7, 2, 1, 1, 'Soup', '', 1, 2, NULL, '2025-09-01', '2025-10-15', 3, 2, ?, ?)`, []any{at, at}},
			{`INSERT INTO devices (id, household_id, kind, name, freezer_id, mode, secret_hash, last_seen_at, online, created_at) VALUES ('door-1', 7, 'scanner', 'Door', 2, 'out', 'hash', ?, 1, ?)`, []any{at, at}},
			{`INSERT INTO scan_events (id, device_id, msg_id, code, mode, op, status, product_id, message, created_at) VALUES (1, 'door-1', 'm-1', 'FZ-I-000011', 'out', 'out', 'ok', 11, 'taken out', ?)`, []any{at}},
			{`INSERT INTO alerts (id, household_id, product_id, stage, use_by, created_at) VALUES (1, 7, 10, 'due_soon', '2026-04-01', ?)`, []any{at}},
		} {
			if _, err := raw.Exec(stmt.query, stmt.args...); err != nil {
				t.Fatalf("fill the oldest schema: %v\n%s", err, stmt.query)
			}
		}
		before := mustDump(t, store)

		if err := store.Migrate(ctx); err != nil {
			t.Fatalf("migrate to the newest schema: %v", err)
		}
		after := mustDump(t, store)
		for table, rows := range before {
			if len(rows) == 0 {
				t.Errorf("table %s of the oldest schema was not filled", table)
			}
			if got := project(after[table], columnsOf(rows)); strings.Join(got, "\n") != strings.Join(rows, "\n") {
				t.Errorf("table %s after the upgrade:\n got %q\nwant %q", table, got, rows)
			}
		}
		// The upgraded database works: a new product takes an id above the old ones.
		ann := MustRegister(t, store, "bob@example.com")
		f := MustCreateFreezer(t, store, ann, "New", 1)
		if p := MustCreateProduct(t, regCtx(ann), store, newProduct(f, 1, 0)); p.ID <= 11 {
			t.Errorf("a new product took id %d after the upgrade", p.ID)
		}
	})
}

// columnsOf returns the column names of a table's dumped rows.
func columnsOf(rows []string) map[string]bool {
	cols := map[string]bool{}
	if len(rows) > 0 {
		for _, pair := range strings.Split(rows[0], " | ") {
			name, _, _ := strings.Cut(pair, "=")
			cols[name] = true
		}
	}
	return cols
}

// project keeps of each dumped row only the given columns.
func project(rows []string, cols map[string]bool) []string {
	var out []string
	for _, row := range rows {
		var kept []string
		for _, pair := range strings.Split(row, " | ") {
			if name, _, _ := strings.Cut(pair, "="); cols[name] {
				kept = append(kept, pair)
			}
		}
		out = append(out, strings.Join(kept, " | "))
	}
	slices.Sort(out)
	return out
}
