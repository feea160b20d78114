package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	freezer "github.com/freezer-manager/freezer"
)

// The legacy database, as read.
type legacyData struct {
	freezerTable string
	users        []legacyUser
	types        []legacyType
	freezers     []legacyFreezer
	products     []legacyProduct
}

type legacyUser struct{ token, password, email, language string }

type legacyType struct {
	id             int64
	nameEN, nameFR string
}

type legacyFreezer struct {
	id          int64
	name        string
	numberBoxes int64
	owners      []string // tokens of the listed users that exist, sorted
	unknown     int      // listed tokens that match no user
}

type legacyProduct struct {
	id, freezerID, typeID  int64
	descrID                sql.NullInt64 // the description found, if any
	name, descr            string
	dateIn, dateOut        sql.NullString
	period, box, slot, qty int64
}

// readLegacy reads the whole legacy database in one read-only transaction,
// so that a live legacy server gives a consistent snapshot.
func readLegacy(ctx context.Context, source *sql.DB) (*legacyData, error) {
	tx, err := source.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read legacy database: %w", err)
	}
	defer tx.Rollback()
	src, err := readLegacyTx(ctx, tx)
	if err != nil && freezer.ErrorCode(err) == freezer.EINTERNAL {
		return nil, fmt.Errorf("read legacy database: %w", err)
	}
	return src, err
}

func readLegacyTx(ctx context.Context, tx *sql.Tx) (*legacyData, error) {
	tables, err := legacyTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	src := &legacyData{}
	var lists []string
	for _, name := range []string{"List_freezer", "List_freezers"} {
		if t, ok := tables[strings.ToLower(name)]; ok {
			lists = append(lists, t)
		}
	}
	src.freezerTable = strings.Join(lists, "+")
	for _, name := range []string{"User", "Description_type", "Description_product", "Description_freezer", "Product"} {
		if _, ok := tables[strings.ToLower(name)]; !ok {
			return nil, freezer.Errorf(freezer.EINVALID, "Not a legacy database: table %s is missing.", name)
		}
	}
	if len(lists) == 0 {
		return nil, freezer.Errorf(freezer.EINVALID, "Not a legacy database: table List_freezer (or List_freezers) is missing.")
	}
	t := func(name string) string { return "`" + tables[strings.ToLower(name)] + "`" }
	err = scanAll(ctx, tx, "SELECT token, password, email, language FROM "+t("User")+" ORDER BY token", func(r *sql.Rows) error {
		var token, password, email, language sql.NullString
		err := r.Scan(&token, &password, &email, &language)
		src.users = append(src.users, legacyUser{token.String, password.String, email.String, language.String})
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scanAll(ctx, tx, "SELECT type_id, type_name_en, type_name_fr FROM "+t("Description_type")+" ORDER BY type_id", func(r *sql.Rows) error {
		var lt legacyType
		var en, fr sql.NullString
		err := r.Scan(&lt.id, &en, &fr)
		lt.nameEN, lt.nameFR = en.String, fr.String
		src.types = append(src.types, lt)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = scanAll(ctx, tx, "SELECT freezer_id, number_boxes, freezer_name FROM "+t("Description_freezer")+" ORDER BY freezer_id", func(r *sql.Rows) error {
		var lf legacyFreezer
		var boxes sql.NullInt64
		var name sql.NullString
		err := r.Scan(&lf.id, &boxes, &name)
		lf.numberBoxes, lf.name = boxes.Int64, name.String
		src.freezers = append(src.freezers, lf)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := readOwners(ctx, tx, src, lists, t("User")); err != nil {
		return nil, err
	}
	typeOf := "p.type_id"
	if _, ok := tables["product_to_type"]; ok { // the redundant table fills in a missing type
		typeOf = "COALESCE(p.type_id, (SELECT MIN(pt.type_id) FROM " + t("Product_to_type") + " pt WHERE pt.descr_id = p.descr_id))"
	}
	query := `SELECT p.prod_id, p.freezer_id, ` + typeOf + `, d.descr_id, d.product_name, d.text_descr,
		DATE_FORMAT(p.date_in, '%Y-%m-%d'), DATE_FORMAT(p.date_out, '%Y-%m-%d'), p.period, p.box_num, p.prod_num, p.quantity
		FROM ` + t("Product") + ` p LEFT JOIN ` + t("Description_product") + ` d ON d.descr_id = p.descr_id ORDER BY p.prod_id`
	err = scanAll(ctx, tx, query, func(r *sql.Rows) error {
		var p legacyProduct
		var fid, typ, period, box, slot, qty sql.NullInt64
		var name, descr sql.NullString
		err := r.Scan(&p.id, &fid, &typ, &p.descrID, &name, &descr, &p.dateIn, &p.dateOut, &period, &box, &slot, &qty)
		p.freezerID, p.typeID, p.name, p.descr = fid.Int64, typ.Int64, name.String, descr.String
		p.period, p.box, p.slot, p.qty = period.Int64, box.Int64, slot.Int64, qty.Int64
		src.products = append(src.products, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// legacyTables maps the lower-case name of every table of the source's
// database to its real name: servers with lower_case_table_names store
// "User" as "user".
func legacyTables(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	var name sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		return nil, err
	}
	if !name.Valid || name.String == "" {
		return nil, freezer.Errorf(freezer.EINVALID, "The legacy database URL names no database.")
	}
	tables := map[string]string{}
	err := scanAll(ctx, tx, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()", func(r *sql.Rows) error {
		var t string
		err := r.Scan(&t)
		tables[strings.ToLower(t)] = t
		return err
	})
	return tables, err
}

// readOwners reads which users each freezer is listed for.
func readOwners(ctx context.Context, tx *sql.Tx, src *legacyData, lists []string, userTable string) error {
	var parts []string
	for _, l := range lists {
		parts = append(parts, "SELECT l.freezer_id, l.token, u.token FROM `"+l+"` l LEFT JOIN "+userTable+" u ON u.token = l.token")
	}
	byID := make(map[int64]*legacyFreezer, len(src.freezers))
	for i := range src.freezers {
		byID[src.freezers[i].id] = &src.freezers[i]
	}
	seen := map[string]bool{}
	err := scanAll(ctx, tx, strings.Join(parts, " UNION "), func(r *sql.Rows) error {
		var id sql.NullInt64
		var listed, user sql.NullString
		if err := r.Scan(&id, &listed, &user); err != nil {
			return err
		}
		f := byID[id.Int64]
		key := fmt.Sprint(id.Int64, "\x00", listed.String)
		if f == nil || seen[key] {
			return nil
		}
		seen[key] = true
		if user.Valid {
			f.owners = append(f.owners, user.String)
		} else {
			f.unknown++
		}
		return nil
	})
	for i := range src.freezers {
		slices.Sort(src.freezers[i].owners)
		src.freezers[i].owners = slices.Compact(src.freezers[i].owners)
	}
	return err
}

// scanAll runs query and calls fn for each row.
func scanAll(ctx context.Context, q querier, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// importer plans an import inside a target transaction (reading only), then
