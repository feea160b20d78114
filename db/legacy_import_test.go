package db_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// legacySchema is the original system's MySQL schema, as its 2018 report
// describes it; LIST names the freezer list table (List_freezer or List_freezers).
var legacySchema = []string{
	"CREATE TABLE User (token VARCHAR(128) NOT NULL PRIMARY KEY, password VARCHAR(64), email VARCHAR(64) NOT NULL UNIQUE, language VARCHAR(32), learning LONGTEXT)",
	"CREATE TABLE Description_type (type_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, type_name_en VARCHAR(128), type_name_fr VARCHAR(128))",
	"CREATE TABLE Description_product (descr_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, product_name VARCHAR(256), text_descr MEDIUMTEXT)",
	"CREATE TABLE Description_freezer (freezer_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, number_boxes INT(32), freezer_name VARCHAR(256))",
	`CREATE TABLE Product_to_type (descr_id INT(32) NOT NULL, type_id INT(32) NOT NULL, PRIMARY KEY (descr_id, type_id),
		FOREIGN KEY (descr_id) REFERENCES Description_product (descr_id), FOREIGN KEY (type_id) REFERENCES Description_type (type_id))`,
	`CREATE TABLE LIST (freezer_id INT(32) NOT NULL, token VARCHAR(128) NOT NULL, PRIMARY KEY (freezer_id, token),
		FOREIGN KEY (freezer_id) REFERENCES Description_freezer (freezer_id), FOREIGN KEY (token) REFERENCES User (token))`,
	`CREATE TABLE Product (prod_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, token VARCHAR(128), descr_id INT(32), freezer_id INT(32),
		type_id INT(32), date_in DATE, date_out DATE NULL, period INT(32), box_num INT(32), prod_num INT(32), quantity INT(32),
		FOREIGN KEY (token) REFERENCES User (token), FOREIGN KEY (descr_id) REFERENCES Description_product (descr_id),
		FOREIGN KEY (freezer_id) REFERENCES Description_freezer (freezer_id), FOREIGN KEY (type_id) REFERENCES Description_type (type_id))`,
}

// legacyDB is a legacy-schema database in MariaDB, filled by its methods.
type legacyDB struct {
	t    *testing.T
	conn *sql.DB
	list string // the freezer list table
}

// mustCreateLegacyDB creates legacy_test_<random> with the legacy tables on
// the FREEZER_TEST_MYSQL_DSN server and drops it when the test ends. It
// skips the test without a server, or fails it when FREEZER_REQUIRE_MYSQL=1.
func mustCreateLegacyDB(t *testing.T, listTable string) *legacyDB {
	t.Helper()
	base := os.Getenv(testdb.EnvMySQLDSN)
	if base == "" {
		if os.Getenv(testdb.EnvRequireMySQL) == "1" {
			t.Fatalf("%s is not set but %s=1", testdb.EnvMySQLDSN, testdb.EnvRequireMySQL)
		}
		t.Skipf("legacy import tests skipped: set %s to a MySQL server", testdb.EnvMySQLDSN)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "legacy_test_" + hex.EncodeToString(suffix)
	u.Path = "/"
	admin := legacyOpenMySQL(t, u.String())
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create legacy database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
			t.Errorf("drop legacy database: %v", err)
		}
	})
	u.Path = "/" + name
	l := &legacyDB{t: t, conn: legacyOpenMySQL(t, u.String()), list: listTable}
	if listTable == "" {
		return l // an empty database, not a legacy one
	}
	for _, ddl := range legacySchema {
		l.exec(strings.Replace(ddl, "LIST", listTable, 1))
	}
	return l
}

func legacyOpenMySQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	_, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("mysql", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Ping(); err != nil {
		t.Fatalf("MySQL server does not answer: %v", err)
	}
	return conn
}

func (l *legacyDB) exec(query string, args ...any) {
	l.t.Helper()
	if _, err := l.conn.Exec(query, args...); err != nil {
		l.t.Fatalf("legacy %s: %v", query, err)
	}
}

func (l *legacyDB) user(token, password, email string, language any) {
	l.t.Helper()
	l.exec("INSERT INTO User (token, password, email, language, learning) VALUES (?, ?, ?, ?, '[0,0]')", token, password, email, language)
}

func (l *legacyDB) typ(id int, en, fr string) {
	l.t.Helper()
	l.exec("INSERT INTO Description_type (type_id, type_name_en, type_name_fr) VALUES (?, ?, ?)", id, en, fr)
}

func (l *legacyDB) freezer(id, boxes int, name string, owners ...string) {
	l.t.Helper()
	l.exec("INSERT INTO Description_freezer (freezer_id, number_boxes, freezer_name) VALUES (?, ?, ?)", id, boxes, name)
	for _, token := range owners {
		l.exec("INSERT INTO "+l.list+" (freezer_id, token) VALUES (?, ?)", id, token)
	}
}

// legacyProductRow is one row of Product with its description.
type legacyProductRow struct {
	id, freezer, typ       int
	token, name, descr     string
	dateIn                 string
	dateOut                any // nil: inside
	period, box, slot, qty int
}

// product stores p with a description whose id differs from the product's,
// as in the original database.
func (l *legacyDB) product(p legacyProductRow) {
	l.t.Helper()
	descrID := p.id + 5000
	l.exec("INSERT INTO Description_product (descr_id, product_name, text_descr) VALUES (?, ?, ?)", descrID, p.name, p.descr)
	l.exec("INSERT INTO Product_to_type (descr_id, type_id) VALUES (?, ?)", descrID, p.typ)
	l.exec(`INSERT INTO Product (prod_id, token, descr_id, freezer_id, type_id, date_in, date_out, period, box_num, prod_num, quantity)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.id, p.token, descrID, p.freezer, p.typ, p.dateIn, p.dateOut, p.period, p.box, p.slot, p.qty)
}

// Legacy tokens: 64 hex characters, as the original site made them.
var (
	tokAlice = strings.Repeat("a1", 32)
	tokBob   = strings.Repeat("b2", 32)
	tokCarol = strings.Repeat("c3", 32)
	tokDave  = strings.Repeat("d4", 32)
	tokEve   = strings.Repeat("e5", 32)
	tokFrank = strings.Repeat("f6", 32)
	tokGrace = strings.Repeat("f7", 32)
)

// aliceHash is a traditional DES crypt(3) hash, as the legacy site stored.
const aliceHash = "abJnggxhB/yWI"

// fillLegacy writes the main fixture: good users and rows, and one of each
// kind of broken row.
func fillLegacy(l *legacyDB) {
	l.user(tokAlice, aliceHash, " Alice@Example.COM ", "français")
	l.user(tokBob, "zz8Xq0/9bJQxE", "bob@example.com", "English")
	l.user(tokCarol, "cc8Xq0/9bJQxE", "not-an-email", "fr")
	l.user(tokDave, "dd8Xq0/9bJQxE", "Taken@example.com", "en") // registered in freezerd already
	l.user(tokEve, "ee8Xq0/9bJQxE", "eve@example.com", "de")
	l.user(tokFrank, "ff8Xq0/9bJQxE", "frank@example.com", "FRENCH")
	l.user(tokGrace, "gg8Xq0/9bJQxE", "grace@example.com", nil)

	l.typ(1, "soup", "soupe")
	l.typ(3, "meal soup (vegetable)", "soupe repas (légume)")
	l.typ(5, "fish soup", "soupe de poisson") // ours is "meal soup (fish)"
	l.typ(24, "ice-cream", "glace")
	l.typ(44, "game", "gibier") // legacy only

	l.freezer(7, 4, "Congélateur cuisine", tokAlice)
	l.freezer(12, 2, "Garage", tokBob)
	l.freezer(3, 1, "Cave", tokCarol)
	l.freezer(9, 1, "Orphan")
	l.freezer(15, 2, "Shared", tokEve, tokBob)

	for _, p := range []legacyProductRow{
		{id: 101, token: tokAlice, freezer: 7, typ: 3, name: "Soupe de Noël", descr: "Potiron et châtaignes\nrecette de mamie", dateIn: "2026-01-10", period: 6, box: 1, slot: 1, qty: 4},
		{id: 102, token: tokAlice, freezer: 7, typ: 24, name: "glace à la vanille", descr: "", dateIn: "2025-07-01", dateOut: "2025-08-15", period: 3, box: 2, slot: 1, qty: 2},
		{id: 103, token: tokAlice, freezer: 7, typ: 44, name: "Civet de chevreuil", descr: "maison", dateIn: "2025-12-01", period: 12, box: 2, slot: 1, qty: 6},
		{id: 104, token: tokAlice, freezer: 7, typ: 1, name: "Doublon", descr: "", dateIn: "2025-12-02", period: 1, box: 2, slot: 1, qty: 1},
		{id: 105, token: tokAlice, freezer: 7, typ: 1, name: "Box five", descr: "", dateIn: "2025-12-02", period: 1, box: 5, slot: 1, qty: 1},
		{id: 106, token: tokBob, freezer: 12, typ: 1, name: "Back in time", descr: "", dateIn: "2026-02-01", dateOut: "2026-01-01", period: 1, box: 1, slot: 3, qty: 1},
		{id: 107, token: tokBob, freezer: 12, typ: 1, name: "Future", descr: "", dateIn: "2026-04-01", period: 1, box: 2, slot: 1, qty: 1},
		{id: 108, token: tokBob, freezer: 12, typ: 5, name: "Fish soup", descr: "cod", dateIn: "2026-03-15", period: 2, box: 1, slot: 1, qty: 1},
		{id: 200, token: tokCarol, freezer: 3, typ: 1, name: "Carol's", descr: "", dateIn: "2025-01-01", period: 1, box: 1, slot: 1, qty: 1},
		{id: 300, token: tokBob, freezer: 9, typ: 1, name: "Orphan's", descr: "", dateIn: "2025-01-01", period: 1, box: 1, slot: 1, qty: 1},
	} {
		l.product(p)
	}
}

// skippedReasons maps "kind id-or-email" to the reason of each skipped record.
func skippedReasons(r *db.ImportReport) map[string]string {
	m := map[string]string{}
	for _, s := range r.Skipped {
		key := fmt.Sprintf("%s %d", s.Kind, s.LegacyID)
		if s.Kind == db.ImportKindUser {
			key = "user " + s.Email
		}
		m[key] = s.Reason
	}
	return m
}

// legacyTarget opens a migrated target of dsn with a taken e-mail, and a
// raw connection to it.
func legacyTarget(t *testing.T, dsn string) (*db.DB, *sql.DB) {
	t.Helper()
	store := testdb.MustOpen(t, dsn)
	if _, err := store.RegisterUser(context.Background(), freezer.Registration{Email: "taken@example.com", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	return store, testdb.Raw(t, dsn)
}

// rowCounts counts the rows of every table an import writes.
func rowCounts(t *testing.T, raw *sql.DB) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, table := range []string{"users", "households", "memberships", "tokens", "product_types", "freezers", "products"} {
		var n int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

// mustImport imports l into store and checks that the report accounts for
// every legacy record once.
func mustImport(t *testing.T, store *db.DB, l *legacyDB, dryRun bool) *db.ImportReport {
	t.Helper()
	r, err := store.ImportLegacy(freezer.SystemContext(context.Background()), l.conn, dryRun)
	if err != nil {
		t.Fatalf("import (dry run %v): %v", dryRun, err)
	}
	listed := map[string]int{}
	for _, i := range append(append([]db.ImportIssue{}, r.Skipped...), r.Conflicts...) {
		listed[i.Kind]++
	}
	for kind, n := range map[string][3]int{
		"user":    {r.Found.Users, r.Imported.Users, r.AlreadyPresent.Users},
		"type":    {r.Found.Types, r.Imported.Types, r.AlreadyPresent.Types},
		"freezer": {r.Found.Freezers, r.Imported.Freezers, r.AlreadyPresent.Freezers},
		"product": {r.Found.Products, r.Imported.Products, r.AlreadyPresent.Products},
	} {
		if n[0] != n[1]+n[2]+listed[kind] {
			t.Errorf("%ss: found %d ≠ imported %d + already present %d + listed %d", kind, n[0], n[1], n[2], listed[kind])
		}
	}
	return r
}

// mustLegacyUser signs in with a legacy token and returns the user and their context.
func mustLegacyUser(t *testing.T, store *db.DB, token string) (*freezer.User, context.Context) {
	t.Helper()
	u, tok, err := store.AuthenticateToken(context.Background(), token)
	if err != nil {
		t.Fatalf("the legacy token %s… does not authenticate: %v", token[:8], err)
	}
	if !tok.Legacy || tok.Name != db.LegacyTokenName {
		t.Errorf("token = %+v, want a legacy token named %q", tok, db.LegacyTokenName)
	}
	return u, freezer.NewContextWithUser(context.Background(), u)
}

func TestImportLegacy(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		l := mustCreateLegacyDB(t, "List_freezer")
		fillLegacy(l)
		store, raw := legacyTarget(t, dsn)
		sys := freezer.SystemContext(context.Background())

		r := mustImport(t, store, l, false)
		if r.DryRun || r.FreezerTable != "List_freezer" {
			t.Errorf("dry_run = %v, freezer_table = %q", r.DryRun, r.FreezerTable)
		}
		for _, c := range []struct {
			desc      string
			got, want db.ImportCounts
		}{
			{"found", r.Found, db.ImportCounts{Users: 7, Types: 5, Freezers: 5, Products: 10}},
			{"imported", r.Imported, db.ImportCounts{Users: 5, Types: 1, Freezers: 3, Products: 4}},
			{"already present", r.AlreadyPresent, db.ImportCounts{Types: 4}},
		} {
			if c.got != c.want {
				t.Errorf("%s = %+v, want %+v", c.desc, c.got, c.want)
			}
		}
		if len(r.Conflicts) != 0 {
			t.Errorf("conflicts = %+v, want none", r.Conflicts)
		}
		reasons := skippedReasons(r)
		for key, want := range map[string]string{
			"user not-an-email":      "not valid",
			"user Taken@example.com": "already registered",
			"freezer 3":              "owner was skipped",
			"freezer 9":              "no user owns it",
			"product 104":            "already holds product 103",
			"product 105":            "outside boxes 1..4",
			"product 106":            "date_out cannot be before date_in",
			"product 107":            "date_in cannot be in the future",
			"product 200":            "freezer 3 is not imported",
			"product 300":            "freezer 9 is not imported",
		} {
			if got, ok := reasons[key]; !ok || !strings.Contains(got, want) {
				t.Errorf("skipped %s: reason %q, want one containing %q", key, got, want)
			}
		}
		if got, want := len(r.Skipped), 10; got != want {
			t.Errorf("skipped %d records, want %d: %+v", got, want, r.Skipped)
		}
		out, _ := json.Marshal(r)
		if strings.Contains(string(out), tokCarol) || strings.Contains(string(out), tokDave) {
			t.Errorf("the report shows a whole legacy token: %s", out)
		}
		if got := len(r.Warnings); got != 2 || r.Warnings[0].Kind != "type" || r.Warnings[0].LegacyID != 5 || r.Warnings[1].LegacyID != 15 {
			t.Errorf("warnings = %+v, want type 5 (other names) and freezer 15 (two owners)", r.Warnings)
		}

		t.Run("Users", func(t *testing.T) {
			for token, want := range map[string]struct{ email, lang string }{
				tokAlice: {"alice@example.com", "fr"}, tokBob: {"bob@example.com", "en"}, tokEve: {"eve@example.com", "en"},
				tokFrank: {"frank@example.com", "fr"}, tokGrace: {"grace@example.com", "en"},
			} {
				u, ctx := mustLegacyUser(t, store, token)
				if u.Email != want.email || u.Language != want.lang || u.Admin || u.Disabled {
					t.Errorf("user = %+v, want %s speaking %s", u, want.email, want.lang)
				}
				hs, err := store.FindHouseholds(ctx)
				if err != nil || len(hs) != 1 {
					t.Errorf("%s: households = %v (%v), want one of their own", u.Email, hs, err)
				}
			}
			var hash string
			if err := raw.QueryRow("SELECT password_hash FROM users WHERE email = ?", "alice@example.com").Scan(&hash); err != nil {
				t.Fatal(err)
			}
			if hash != aliceHash {
				t.Errorf("password hash = %q, want the legacy DES hash %q unchanged", hash, aliceHash)
			}
			for _, token := range []string{tokCarol, tokDave} {
				if _, _, err := store.AuthenticateToken(context.Background(), token); freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
					t.Errorf("a skipped user's token authenticates: %v", err)
				}
			}
		})

		t.Run("Freezers", func(t *testing.T) {
			_, aliceCtx := mustLegacyUser(t, store, tokAlice)
			_, bobCtx := mustLegacyUser(t, store, tokBob)
			hs, _ := store.FindHouseholds(aliceCtx)
			f, err := store.FindFreezerByID(aliceCtx, 7)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name != "Congélateur cuisine" || f.NumberBoxes != 4 || f.HouseholdID != hs[0].ID {
				t.Errorf("freezer 7 = %+v, want Congélateur cuisine, 4 boxes, in household %d", f, hs[0].ID)
			}
			list, err := store.FindFreezers(bobCtx, freezer.FreezerFilter{})
			if err != nil || len(list) != 2 || list[0].ID != 12 || list[1].ID != 15 {
				t.Errorf("bob's freezers = %v (%v), want 12 and the shared 15", list, err)
			}
			for _, id := range []int64{3, 9} {
				if _, err := store.FindFreezerByID(sys, id); freezer.ErrorCode(err) != freezer.ENOTFOUND {
					t.Errorf("skipped freezer %d: %v, want ENOTFOUND", id, err)
				}
			}
		})

		t.Run("Products", func(t *testing.T) {
			_, aliceCtx := mustLegacyUser(t, store, tokAlice)
			bob, bobCtx := mustLegacyUser(t, store, tokBob)
			aliceHH, _ := store.FindHouseholds(aliceCtx)
			bobHH, _ := store.FindHouseholds(bobCtx)
			d := freezer.MustParseDate
			for _, c := range []struct {
				ctx  context.Context
				want freezer.Product
			}{
				{aliceCtx, freezer.Product{ID: 101, HouseholdID: aliceHH[0].ID, FreezerID: 7, Box: 1, Slot: 1, Name: "Soupe de Noël",
					Description: "Potiron et châtaignes\nrecette de mamie", TypeID: 3, Quantity: 4, DateIn: d("2026-01-10"), PeriodMonths: 6, Version: 1}},
				{aliceCtx, freezer.Product{ID: 102, HouseholdID: aliceHH[0].ID, FreezerID: 7, Box: 2, Slot: 1, Name: "glace à la vanille",
					TypeID: 24, Quantity: 2, DateIn: d("2025-07-01"), DateOut: d("2025-08-15"), Outcome: freezer.OutcomeEaten, PeriodMonths: 3, Version: 1}},
				{aliceCtx, freezer.Product{ID: 103, HouseholdID: aliceHH[0].ID, FreezerID: 7, Box: 2, Slot: 1, Name: "Civet de chevreuil",
					Description: "maison", TypeID: 44, Quantity: 6, DateIn: d("2025-12-01"), PeriodMonths: 12, Version: 1}},
				{bobCtx, freezer.Product{ID: 108, HouseholdID: bobHH[0].ID, FreezerID: 12, Box: 1, Slot: 1, Name: "Fish soup",
					Description: "cod", TypeID: 5, Quantity: 1, DateIn: d("2026-03-15"), PeriodMonths: 2, Version: 1}},
			} {
				for _, ctx := range []context.Context{sys, c.ctx} {
					got, err := store.FindProductByID(ctx, c.want.ID)
					if err != nil {
						t.Fatalf("product %d: %v", c.want.ID, err)
					}
					if !got.CreatedAt.Equal(testdb.Now) || !got.UpdatedAt.Equal(testdb.Now) {
						t.Errorf("product %d created %v, updated %v, want %v", got.ID, got.CreatedAt, got.UpdatedAt, testdb.Now)
					}
					got.CreatedAt, got.UpdatedAt = c.want.CreatedAt, c.want.UpdatedAt
					if *got != c.want {
						t.Errorf("product %d =\n %+v, want\n %+v", c.want.ID, *got, c.want)
					}
				}
			}
			if _, err := store.FindProductByID(freezer.NewContextWithUser(context.Background(), bob), 101); freezer.ErrorCode(err) != freezer.ENOTFOUND {
				t.Errorf("bob sees alice's product: %v", err)
			}
			for _, id := range []int64{104, 105, 106, 107, 200, 300} {
				if _, err := store.FindProductByID(sys, id); freezer.ErrorCode(err) != freezer.ENOTFOUND {
					t.Errorf("skipped product %d: %v, want ENOTFOUND", id, err)
				}
			}
		})

		t.Run("Types", func(t *testing.T) {
			for id, want := range map[int64]freezer.ProductType{
				44: {ID: 44, NameEN: "game", NameFR: "gibier"},
				5:  {ID: 5, NameEN: "meal soup (fish)", NameFR: "soupe repas (poisson)"},
			} {
				got, err := store.FindProductTypeByID(context.Background(), id)
				if err != nil || *got != want {
					t.Errorf("type %d = %+v (%v), want %+v", id, got, err, want)
				}
			}
		})

		t.Run("NewIDsFollowImported", func(t *testing.T) {
			_, aliceCtx := mustLegacyUser(t, store, tokAlice)
			p := &freezer.Product{FreezerID: 7, Box: 3, Name: "New", TypeID: 1, Quantity: 1, DateIn: freezer.DateOf(testdb.Now), PeriodMonths: 1}
			if err := store.CreateProduct(aliceCtx, p); err != nil {
				t.Fatal(err)
			}
			if p.ID <= 108 {
				t.Errorf("new product id = %d, want more than the imported maximum 108", p.ID)
			}
			hs, _ := store.FindHouseholds(aliceCtx)
			f := &freezer.Freezer{HouseholdID: hs[0].ID, Name: "New", NumberBoxes: 1}
			if err := store.CreateFreezer(aliceCtx, f); err != nil {
				t.Fatal(err)
			}
			if f.ID <= 15 {
				t.Errorf("new freezer id = %d, want more than the imported maximum 15", f.ID)
			}
		})

		t.Run("Idempotent", func(t *testing.T) {
			before := rowCounts(t, raw)
			again := mustImport(t, store, l, false)
			if got := rowCounts(t, raw); !reflect.DeepEqual(got, before) {
				t.Errorf("rows after a second import = %v, want %v", got, before)
			}
			if (again.Imported != db.ImportCounts{}) {
				t.Errorf("second import imported %+v, want nothing", again.Imported)
			}
			if got, want := again.AlreadyPresent, (db.ImportCounts{Users: 5, Types: 5, Freezers: 3, Products: 4}); got != want {
				t.Errorf("already present = %+v, want %+v", got, want)
			}
			if !reflect.DeepEqual(again.Skipped, r.Skipped) {
				t.Errorf("second import skipped\n %+v, want as the first\n %+v", again.Skipped, r.Skipped)
			}
			mustLegacyUser(t, store, tokAlice)
		})

		t.Run("Incremental", func(t *testing.T) {
			l.freezer(20, 1, "Nouveau", tokAlice)
			l.product(legacyProductRow{id: 120, token: tokAlice, freezer: 20, typ: 1, name: "Pot-au-feu", dateIn: "2026-03-01", period: 4, box: 1, slot: 1, qty: 3})
			l.product(legacyProductRow{id: 121, token: tokAlice, freezer: 7, typ: 1, name: "Gratin", dateIn: "2026-03-01", period: 4, box: 4, slot: 2, qty: 3})
			r := mustImport(t, store, l, false)
			if got, want := r.Imported, (db.ImportCounts{Freezers: 1, Products: 2}); got != want {
				t.Errorf("imported %+v, want %+v", got, want)
			}
			_, aliceCtx := mustLegacyUser(t, store, tokAlice)
			hs, _ := store.FindHouseholds(aliceCtx)
			for _, id := range []int64{120, 121} {
				if p, err := store.FindProductByID(aliceCtx, id); err != nil || p.HouseholdID != hs[0].ID {
					t.Errorf("product %d = %+v (%v), want it in alice's household %d", id, p, err, hs[0].ID)
				}
			}
		})
	})
}

func TestImportLegacy_DryRun(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		l := mustCreateLegacyDB(t, "List_freezer")
		fillLegacy(l)
		store, raw := legacyTarget(t, dsn)
		before := rowCounts(t, raw)
		dry := mustImport(t, store, l, true)
		if got := rowCounts(t, raw); !reflect.DeepEqual(got, before) {
			t.Errorf("rows after a dry run = %v, want %v", got, before)
		}
		if !dry.DryRun {
			t.Errorf("dry_run = false")
		}
		if _, _, err := store.AuthenticateToken(context.Background(), tokAlice); freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
			t.Errorf("a legacy token works after a dry run: %v", err)
		}
		real := mustImport(t, store, l, false)
		dry.DryRun = false
		if !reflect.DeepEqual(dry, real) {
			t.Errorf("dry run reported\n %+v\nthe import\n %+v", dry, real)
		}
	})
}

func TestImportLegacy_ListFreezers(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		l := mustCreateLegacyDB(t, "List_freezers")
		l.user(tokAlice, aliceHash, "alice@example.com", "fr")
		l.typ(24, "ice-cream", "glace")
		l.freezer(4, 2, "Cuisine", tokAlice)
		l.product(legacyProductRow{id: 17, token: tokAlice, freezer: 4, typ: 24, name: "glace à la vanille", dateIn: "2026-02-01", period: 3, box: 2, slot: 5, qty: 2})
		r := mustImport(t, store, l, false)
		if r.FreezerTable != "List_freezers" || r.Imported != (db.ImportCounts{Users: 1, Freezers: 1, Products: 1}) || len(r.Skipped) != 0 {
			t.Fatalf("report = %+v", r)
		}
		_, ctx := mustLegacyUser(t, store, tokAlice)
		p, err := store.FindProductByID(ctx, 17)
		if err != nil {
			t.Fatal(err)
		}
		if p.FreezerID != 4 || p.Box != 2 || p.Slot != 5 || p.Name != "glace à la vanille" {
			t.Errorf("product = %+v", p)
		}
	})
}

func TestImportLegacy_ErrConflict(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		l := mustCreateLegacyDB(t, "List_freezer")
		fillLegacy(l)
		store, raw := legacyTarget(t, dsn)
		other, err := store.RegisterUser(context.Background(), freezer.Registration{Email: "other@example.com", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		sys := freezer.SystemContext(context.Background())
		if err := store.CreateFreezer(sys, &freezer.Freezer{ID: 7, HouseholdID: other.Household.ID, Name: "Theirs", NumberBoxes: 1}); err != nil {
			t.Fatal(err)
		}
		before := rowCounts(t, raw)
		for _, dryRun := range []bool{true, false} {
			r, err := store.ImportLegacy(sys, l.conn, dryRun)
			if freezer.ErrorCode(err) != freezer.ECONFLICT || r == nil {
				t.Fatalf("dry run %v: report %v, error %v; want a report and ECONFLICT", dryRun, r, err)
			}
			if len(r.Conflicts) != 1 || r.Conflicts[0].Kind != "freezer" || r.Conflicts[0].LegacyID != 7 {
				t.Errorf("conflicts = %+v, want freezer 7", r.Conflicts)
			}
			if reason := skippedReasons(r)["product 101"]; !strings.Contains(reason, "another household") {
				t.Errorf("product 101 skipped because %q, want its freezer's conflict", reason)
			}
		}
		if got := rowCounts(t, raw); !reflect.DeepEqual(got, before) {
			t.Errorf("rows after a conflicting import = %v, want %v (nothing written)", got, before)
		}
	})
}

func TestImportLegacy_ErrNotLegacy(t *testing.T) {
	l := mustCreateLegacyDB(t, "")
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	_, err := store.ImportLegacy(freezer.SystemContext(context.Background()), l.conn, false)
	if freezer.ErrorCode(err) != freezer.EINVALID || !strings.Contains(freezer.ErrorMessage(err), "table User is missing") {
		t.Errorf("import of an empty database: %v, want EINVALID naming the missing table", err)
	}
}

func TestImportLegacy_ErrForbidden(t *testing.T) {
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	reg, err := store.RegisterUser(context.Background(), freezer.Registration{Email: "plain@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.ImportLegacy(freezer.NewContextWithUser(context.Background(), reg.User), nil, false)
	if freezer.ErrorCode(err) != freezer.EFORBIDDEN {
		t.Errorf("import by a plain user: %v, want EFORBIDDEN", err)
	}
}

func TestImportLegacy_Cleanup(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		l := mustCreateLegacyDB(t, "List_freezer")
		l.user(tokAlice, aliceHash, "alice@example.com", "Français")
		l.user(tokBob, "zz8Xq0/9bJQxE", " twin@example.com", "fr")
		l.user(tokEve, "ee8Xq0/9bJQxE", "TWIN@example.com", "fr") // the same address once normalised
		l.typ(24, "ice-cream", "glace")
		l.freezer(1, 2, "", tokAlice)
		l.freezer(2, 0, "No boxes", tokAlice)
		l.freezer(3, 1, "Twins'", tokBob)
		l.product(legacyProductRow{id: 400, token: tokAlice, freezer: 1, typ: 24, name: "Tarte\taux pommes", descr: "ligne 1\nligne 2\a", dateIn: "2026-01-01", period: 1, box: 1, slot: 1, qty: 1})
		l.product(legacyProductRow{id: 401, token: tokAlice, freezer: 1, typ: 24, name: "No type", dateIn: "2026-01-01", period: 1, box: 1, slot: 2, qty: 1})
		l.exec("UPDATE Product SET type_id = NULL WHERE prod_id = 401") // Product_to_type still says 24
		l.product(legacyProductRow{id: 402, token: tokAlice, freezer: 1, typ: 24, name: "", dateIn: "2026-01-01", period: 1, box: 2, slot: 1, qty: 1})
		l.product(legacyProductRow{id: 403, token: tokAlice, freezer: 1, typ: 24, name: "No date", dateIn: "2026-01-01", period: 1, box: 2, slot: 2, qty: 1})
		l.exec("UPDATE Product SET date_in = NULL WHERE prod_id = 403")
		l.product(legacyProductRow{id: 404, token: tokAlice, freezer: 1, typ: 24, name: "Slot zero", dateIn: "2026-01-01", period: 1, box: 2, slot: 0, qty: 1})

		r := mustImport(t, store, l, false)
		if got, want := r.Imported, (db.ImportCounts{Users: 1, Freezers: 1, Products: 3}); got != want {
			t.Errorf("imported %+v, want %+v", got, want)
		}
		reasons := skippedReasons(r)
		for key, want := range map[string]string{
			"user  twin@example.com": "belongs to 2 legacy users",
			"user TWIN@example.com":  "belongs to 2 legacy users",
			"freezer 2":              "number_boxes must be between 1",
			"freezer 3":              "owner was skipped",
			"product 403":            "date_in is missing",
			"product 404":            "slot 0 is not 1 or more",
		} {
			if got := reasons[key]; !strings.Contains(got, want) {
				t.Errorf("skipped %s: reason %q, want one containing %q", key, got, want)
			}
		}
		warned := map[string]string{}
		for _, w := range r.Warnings {
			warned[fmt.Sprintf("%s %d", w.Kind, w.LegacyID)] += w.Reason + "; "
		}
		for key, want := range map[string]string{
			"freezer 1":   `changed to "Freezer 1"`,
			"product 400": "control characters were removed",
			"product 402": `changed to "Product 402"`,
		} {
			if !strings.Contains(warned[key], want) {
				t.Errorf("warnings for %s = %q, want one containing %q", key, warned[key], want)
			}
		}
		sys := freezer.SystemContext(context.Background())
		for id, want := range map[int64]struct{ name, descr string }{
			400: {"Tarte aux pommes", "ligne 1\nligne 2"}, 401: {"No type", ""}, 402: {"Product 402", ""},
		} {
			p, err := store.FindProductByID(sys, id)
			if err != nil || p.Name != want.name || p.Description != want.descr || p.TypeID != 24 {
				t.Errorf("product %d = %+v (%v), want %q / %q of type 24", id, p, err, want.name, want.descr)
			}
		}
		if u, _ := mustLegacyUser(t, store, tokAlice); u.Language != "fr" {
			t.Errorf("language of \"Français\" = %q, want fr", u.Language)
		}
	})
}
