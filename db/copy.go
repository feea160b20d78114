package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

// A copy (and a backup of MySQL, which is a copy into a new SQLite file)
// reads the list of tables, their columns and their foreign keys from the
// databases themselves: a table that a migration adds is copied without a
// change here, and a table that one side has and the other lacks stops the
// copy instead of being skipped.

// migrationTables belong to the migration tool. They are not copied: both
// sides must have applied every migration of this build instead, which the
// copy checks (the two dialects number their migrations apart, so the
// version rows themselves would not mean the same on both sides).
var migrationTables = map[string]bool{"goose_db_version": true, "goose_lock": true}

// seededTables are the tables migrations fill in a new database; a copy
// replaces their rows with the source's.
var seededTables = map[string]bool{"product_types": true, "product_id_sequence": true}

// copyBatchRows bounds the rows of one INSERT statement.
const copyBatchRows = 200

// CopyReport says what Copy copied.
type CopyReport struct {
	From              Dialect          `json:"from"`
	To                Dialect          `json:"to"`
	FromSchemaVersion int64            `json:"from_schema_version"`
	ToSchemaVersion   int64            `json:"to_schema_version"`
	Tables            map[string]int64 `json:"tables"` // rows copied per table
	Rows              int64            `json:"rows"`
}

// column is a column of a table and its declared type, in lower case.
type column struct {
	name, kind string
}

// table is a table as a database describes it.
type table struct {
	name    string
	columns []column
	refs    []string // the tables its foreign keys point to
}

// Copy copies every row of every table of from into to, ids included, in
// one consistent read of from and one transaction on to. to must be empty
// (a new database: Copy migrates one that has no table yet) and both must
// be at the newest schema of this build; otherwise Copy returns ECONFLICT
// saying what to do, and writes nothing.
func Copy(ctx context.Context, from, to *DB) (*CopyReport, error) {
	report := &CopyReport{From: from.dialect, To: to.dialect, Tables: map[string]int64{}}
	var err error
	if report.FromSchemaVersion, err = from.checkSchema(ctx, "source", false); err != nil {
		return nil, err
	}
	if report.ToSchemaVersion, err = to.checkSchema(ctx, "target", true); err != nil {
		return nil, err
	}
	snap, err := from.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.end()
	source, err := listTables(ctx, snap, from.dialect)
	if err != nil {
		return nil, fmt.Errorf("read source tables: %w", err)
	}
	order, err := insertOrder(source)
	if err != nil {
		return nil, err
	}
	tx, err := to.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin copy: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	target, err := listTables(ctx, tx, to.dialect)
	if err != nil {
		return nil, fmt.Errorf("read target tables: %w", err)
	}
	if err := sameTables(source, target); err != nil {
		return nil, err
	}
	if err := checkEmpty(ctx, tx, to.dialect, target); err != nil {
		return nil, err
	}
	for _, name := range order {
		if seededTables[name] {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+quoteName(to.dialect, name)); err != nil {
				return nil, fmt.Errorf("empty %s: %w", name, err)
			}
		}
		n, err := copyTable(ctx, snap, tx, source[name], target[name], from.dialect, to.dialect)
		if err != nil {
			return nil, fmt.Errorf("copy table %s: %w", name, err)
		}
		report.Tables[name] = n
		report.Rows += n
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit copy: %w", err)
	}
	return report, nil
}

// checkSchema returns the schema version of db, which must be the newest
// of this build; a target without any table is migrated first when
// migrateNew is set.
func (db *DB) checkSchema(ctx context.Context, side string, migrateNew bool) (int64, error) {
	if migrateNew {
		tables, err := listTables(ctx, db.read, db.dialect)
		if err != nil {
			return 0, fmt.Errorf("read %s tables: %w", side, err)
		}
		if len(tables) == 0 {
			if err := db.Migrate(ctx); err != nil {
				return 0, err
			}
		}
	}
	provider, err := db.migrationProvider()
	if err != nil {
		return 0, err
	}
	current, newest, err := provider.GetVersions(ctx)
	if err != nil {
		return 0, freezer.Errorf(freezer.ECONFLICT, "The %s %s database has no schema version (%v): it is not a freezerd database, or run freezerd migrate on it first.",
			side, db.dialect, oneLine(err))
	}
	if current != newest {
		return 0, freezer.Errorf(freezer.ECONFLICT, "The %s %s database is at schema version %d, this freezerd's is %d: run this version's freezerd migrate on it first.",
			side, db.dialect, current, newest)
	}
	return current, nil
}

// snapshot is a consistent read of a whole database: every query on it
// sees the same committed state, while the server goes on writing.
type snapshot struct {
	querier
	end func() error
}

// snapshot starts a consistent read. On SQLite it uses a connection of its
// own whose BEGIN takes no lock (the first read fixes what it sees, and WAL
// lets writers go on); on MySQL one REPEATABLE READ transaction started
// WITH CONSISTENT SNAPSHOT.
func (db *DB) snapshot(ctx context.Context) (*snapshot, error) {
	switch db.dialect {
	case SQLite:
		conn, err := sql.Open("sqlite", strings.Replace(db.source, "_txlock=immediate", "_txlock=deferred", 1)+"&_query_only=1")
		if err != nil {
			return nil, fmt.Errorf("open snapshot: %w", err)
		}
		conn.SetMaxOpenConns(1)
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin snapshot: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master").Scan(&n); err != nil {
			tx.Rollback() //nolint:errcheck // the read failed already
			conn.Close()
			return nil, fmt.Errorf("begin snapshot: %w", err)
		}
		return &snapshot{querier: tx, end: func() error { return errors.Join(tx.Rollback(), conn.Close()) }}, nil
	default:
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("open snapshot: %w", err)
		}
		for _, stmt := range []string{"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				conn.Close()
				return nil, fmt.Errorf("begin snapshot: %w", err)
			}
		}
		return &snapshot{querier: conn, end: func() error {
			_, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return errors.Join(err, conn.Close())
		}}, nil
	}
}

// listTables reads the tables of a database with their columns (generated
// ones left out: the target computes them) and foreign keys, leaving out
// those of SQLite itself and of the migration tool.
func listTables(ctx context.Context, q querier, dialect Dialect) (map[string]*table, error) {
	tables := map[string]*table{}
	add := func(name string) *table {
		if tables[name] == nil {
			tables[name] = &table{name: name}
		}
		return tables[name]
	}
	if dialect == SQLite {
		names, err := queryStrings(ctx, q, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if migrationTables[name] {
				continue
			}
			t := add(name)
			// hidden is 0 for an ordinary column; generated columns are 2 or 3.
			rows, err := q.QueryContext(ctx, `SELECT name, LOWER(type) FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`, name)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var c column
				if err := rows.Scan(&c.name, &c.kind); err != nil {
					rows.Close()
					return nil, err
				}
				t.columns = append(t.columns, c)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return nil, err
			}
			if t.refs, err = queryStrings(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name); err != nil {
				return nil, err
			}
		}
		return tables, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name, LOWER(c.data_type), c.extra
		FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, extra string
		var c column
		if err := rows.Scan(&name, &c.name, &c.kind, &extra); err != nil {
			rows.Close()
			return nil, err
		}
		if migrationTables[name] || strings.Contains(strings.ToUpper(extra), "GENERATED") {
			continue
		}
		t := add(name)
		t.columns = append(t.columns, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT DISTINCT table_name, referenced_table_name FROM information_schema.key_column_usage
		WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, ref string
		if err := rows.Scan(&name, &ref); err != nil {
			return nil, err
		}
		if t := tables[name]; t != nil {
			t.refs = append(t.refs, ref)
		}
	}
	return tables, rows.Err()
}

// queryStrings returns the first column of every row of a query.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

// insertOrder returns the table names so that every table comes after the
// tables its foreign keys point to.
func insertOrder(tables map[string]*table) ([]string, error) {
	names := make([]string, 0, len(tables))
	for name := range tables {
		names = append(names, name)
	}
	sort.Strings(names)
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("copy: the foreign keys of tables %s form a cycle", strings.Join(append(path, name), " → "))
		}
		state[name] = visiting
		refs := slices.Clone(tables[name].refs)
		sort.Strings(refs)
		for _, ref := range refs {
			if ref == name || tables[ref] == nil {
				continue // a table that refers to itself, or the migration tool's
			}
			if err := visit(ref, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range names {
		if err := visit(name, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// sameTables checks that both sides have the same tables with the same
// columns, and names what differs.
func sameTables(source, target map[string]*table) error {
	var diffs []string
	for name, t := range source {
		other := target[name]
		if other == nil {
			diffs = append(diffs, "table "+name+" is missing from the target")
			continue
		}
		have := map[string]bool{}
		for _, c := range other.columns {
			have[c.name] = true
		}
		for _, c := range t.columns {
			if !have[c.name] {
				diffs = append(diffs, "column "+name+"."+c.name+" is missing from the target")
			}
			delete(have, c.name)
		}
		for c := range have {
			diffs = append(diffs, "column "+name+"."+c+" is missing from the source")
		}
	}
	for name := range target {
		if source[name] == nil {
			diffs = append(diffs, "table "+name+" is missing from the source")
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return freezer.Errorf(freezer.ECONFLICT, "The two databases do not have the same tables: %s. Both must be migrated by the same freezerd.", strings.Join(diffs, "; "))
	}
	return nil
}

// checkEmpty checks that the target holds no rows but those migrations write.
func checkEmpty(ctx context.Context, q querier, dialect Dialect, tables map[string]*table) error {
	var full []string
	for name := range tables {
		if seededTables[name] {
			continue
		}
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteName(dialect, name)).Scan(&n); err != nil {
			return fmt.Errorf("count rows of %s: %w", name, err)
		}
		if n > 0 {
			full = append(full, fmt.Sprintf("%s has %d rows", name, n))
		}
	}
	if len(full) > 0 {
		sort.Strings(full)
		return freezer.Errorf(freezer.ECONFLICT, "The target database is not empty (%s): copy only into a new database.", strings.Join(full, ", "))
	}
	return nil
}

// copyTable copies every row of one table and returns how many.
func copyTable(ctx context.Context, from querier, to *sql.Tx, src, dst *table, fromDialect, toDialect Dialect) (int64, error) {
	kinds := make(map[string]string, len(dst.columns))
	for _, c := range dst.columns {
		kinds[c.name] = c.kind
	}
	readCols, writeCols := make([]string, len(src.columns)), make([]string, len(src.columns))
	for i, c := range src.columns {
		readCols[i], writeCols[i] = quoteName(fromDialect, c.name), quoteName(toDialect, c.name)
	}
	rows, err := from.QueryContext(ctx, "SELECT "+strings.Join(readCols, ", ")+" FROM "+quoteName(fromDialect, src.name))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	insert := "INSERT INTO " + quoteName(toDialect, src.name) + " (" + strings.Join(writeCols, ", ") + ") VALUES "
	rowMarks := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(writeCols)), ", ") + ")"
	var args []any
	var pending, total int64
	flush := func() error {
		if pending == 0 {
			return nil
		}
		marks := strings.TrimSuffix(strings.Repeat(rowMarks+", ", int(pending)), ", ")
		if _, err := to.ExecContext(ctx, insert+marks, args...); err != nil {
			return err
		}
		total += pending
		args, pending = args[:0], 0
		return nil
	}
	values := make([]any, len(src.columns))
	ptrs := make([]any, len(values))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return total, err
		}
		for i, c := range src.columns {
			args = append(args, convertValue(values[i], kinds[c.name], toDialect))
		}
		if pending++; pending == copyBatchRows {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return total, err
	}
	return total, flush()
}

// convertValue turns a value read from one database into what the target
// column of the given declared type stores: text as text (MySQL's driver
// reads it as bytes), a MySQL DATE into SQLite's "YYYY-MM-DD" text, times
// in UTC, and cut to MySQL's microseconds.
func convertValue(v any, kind string, to Dialect) any {
	switch x := v.(type) {
	case []byte:
		if strings.Contains(kind, "blob") || strings.Contains(kind, "binary") {
			return x
		}
		return string(x)
	case time.Time:
		x = x.UTC()
		switch {
		case kind == "date":
			return x.Format(time.DateOnly)
		case to == SQLite && !strings.Contains(kind, "date") && !strings.Contains(kind, "time"):
			if x.Equal(x.Truncate(24 * time.Hour)) {
				return x.Format(time.DateOnly)
			}
			return x.Format(time.RFC3339Nano)
		case to == MySQL:
			return x.Truncate(time.Microsecond)
		}
		return x
	}
	return v
}

// quoteName quotes a table or column name, read from the database's own
// catalogue, for dialect.
func quoteName(dialect Dialect, name string) string {
	name = strings.NewReplacer(`"`, "", "`", "").Replace(name)
	if dialect == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
