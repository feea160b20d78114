package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// legacyTables is the original system's schema, without its foreign keys.
var legacyTables = []string{
	"CREATE TABLE User (token VARCHAR(128) NOT NULL PRIMARY KEY, password VARCHAR(64), email VARCHAR(64) NOT NULL UNIQUE, language VARCHAR(32), learning LONGTEXT)",
	"CREATE TABLE Description_type (type_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, type_name_en VARCHAR(128), type_name_fr VARCHAR(128))",
	"CREATE TABLE Description_product (descr_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, product_name VARCHAR(256), text_descr MEDIUMTEXT)",
	"CREATE TABLE Description_freezer (freezer_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, number_boxes INT(32), freezer_name VARCHAR(256))",
	"CREATE TABLE Product_to_type (descr_id INT(32) NOT NULL, type_id INT(32) NOT NULL, PRIMARY KEY (descr_id, type_id))",
	"CREATE TABLE List_freezer (freezer_id INT(32) NOT NULL, token VARCHAR(128) NOT NULL, PRIMARY KEY (freezer_id, token))",
	`CREATE TABLE Product (prod_id INT(32) NOT NULL AUTO_INCREMENT PRIMARY KEY, token VARCHAR(128), descr_id INT(32), freezer_id INT(32),
		type_id INT(32), date_in DATE, date_out DATE NULL, period INT(32), box_num INT(32), prod_num INT(32), quantity INT(32))`,
}

// mustLegacyDatabase creates a MySQL test database with the legacy tables
// and one user's data (token repeated from tokenByte), and returns its URL.
func mustLegacyDatabase(t *testing.T, tokenByte, email string) (string, string) {
	t.Helper()
	url := testdb.MySQLDSN(t)
	_, driverDSN, err := db.ParseDSN(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("mysql", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	token := strings.Repeat(tokenByte, 32)
	stmts := append(append([]string{}, legacyTables...),
		"INSERT INTO User VALUES ('"+token+"', 'abJnggxhB/yWI', '"+email+"', 'french', '[0,0]')",
		"INSERT INTO Description_type VALUES (44, 'game', 'gibier')",
		"INSERT INTO Description_freezer VALUES (7, 3, 'Congélateur')",
		"INSERT INTO List_freezer VALUES (7, '"+token+"')",
		"INSERT INTO Description_product VALUES (1, 'Soupe de Noël', 'potiron'), (2, 'Trop loin', '')",
		"INSERT INTO Product VALUES (10, '"+token+"', 1, 7, 44, '2026-01-10', NULL, 6, 1, 1, 4)",
		"INSERT INTO Product VALUES (11, '"+token+"', 2, 7, 44, '2026-01-10', NULL, 6, 9, 1, 4)", // box 9 of 3
	)
	for _, stmt := range stmts {
		if _, err := conn.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return url, token
}

// runImport runs import-legacy and decodes its one-line JSON report.
func runImport(t *testing.T, wantCode int, args ...string) (*db.ImportReport, string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, nil, "", append([]string{"import-legacy"}, args...)...)
	if code != wantCode {
		t.Fatalf("exit %d, want %d; stderr %q", code, wantCode, stderr)
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout = %q, want one line of JSON", stdout)
	}
	var r db.ImportReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	return &r, stderr
}

func TestImportLegacyCommand(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		from, token := mustLegacyDatabase(t, "ab", "ann@example.com")

		r, _ := runImport(t, 0, "--db", dsn, "--from", from, "--dry-run")
		if !r.DryRun || r.Imported != (db.ImportCounts{Users: 1, Types: 1, Freezers: 1, Products: 1}) {
			t.Errorf("dry run report = %+v", r)
		}
		store := testdb.MustOpen(t, dsn)
		if _, _, err := store.AuthenticateToken(context.Background(), token); freezer.ErrorCode(err) != freezer.EUNAUTHORIZED {
			t.Errorf("the legacy token works after a dry run: %v", err)
		}

		r, _ = runImport(t, 0, "--db", dsn, "--from", from)
		if r.DryRun || r.Imported != (db.ImportCounts{Users: 1, Types: 1, Freezers: 1, Products: 1}) {
			t.Errorf("report = %+v", r)
		}
		if len(r.Skipped) != 1 || r.Skipped[0].Kind != "product" || r.Skipped[0].LegacyID != 11 || !strings.Contains(r.Skipped[0].Reason, "outside") {
			t.Errorf("skipped = %+v, want product 11 (box outside the freezer)", r.Skipped)
		}
		u, _, err := store.AuthenticateToken(context.Background(), token)
		if err != nil {
			t.Fatalf("the legacy token does not work after the import: %v", err)
		}
		p, err := store.FindProductByID(freezer.NewContextWithUser(context.Background(), u), 10)
		if err != nil || p.Name != "Soupe de Noël" || p.FreezerID != 7 || u.Language != "fr" {
			t.Errorf("product 10 = %+v (%v), user %+v", p, err, u)
		}

		r, _ = runImport(t, 0, "--db", dsn, "--from", from)
		if (r.Imported != db.ImportCounts{}) || r.AlreadyPresent != (db.ImportCounts{Users: 1, Types: 1, Freezers: 1, Products: 1}) {
			t.Errorf("second import report = %+v, want everything already present", r)
		}

		t.Run("ErrConflict", func(t *testing.T) {
			other, _ := mustLegacyDatabase(t, "cd", "bob@example.com") // another system with the same freezer id
			r, stderr := runImport(t, 1, "--db", dsn, "--from", other)
			if len(r.Conflicts) != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "nothing imported") {
				t.Errorf("conflicts = %+v, stderr %q; want freezer 7 and product 10, and one line", r.Conflicts, stderr)
			}
		})
	})
}

func TestImportLegacyCommandErrors(t *testing.T) {
	dsn := testdb.SQLiteDSN(t)
	for _, c := range []struct {
		desc     string
		args     []string
		code     int
		contains string
	}{
		{"MissingFrom", []string{"--db", dsn}, 2, "--from is required"},
		{"UnknownFlag", []string{"--db", dsn, "--from", "mysql://x/y", "--bogus"}, 2, "bogus"},
		{"NotMySQL", []string{"--db", dsn, "--from", "sqlite:/tmp/x.db"}, 1, "want a legacy MySQL database"},
		{"BadPort", []string{"--db", dsn, "--from", "mysql://root:s3cret@127.0.0.1:port/legacy"}, 1, "--from: parse dsn"},
		{"Unreachable", []string{"--db", dsn, "--from", "mysql://root:s3cret@127.0.0.1:1/legacy"}, 1, "open legacy database mysql://root:xxxxx@127.0.0.1:1/legacy"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, "", append([]string{"import-legacy"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.contains) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.contains)
			}
			if c.code == 1 && (stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0) {
				t.Errorf("stdout %q, stderr %q; want nothing and one line", stdout, stderr)
			}
			if strings.Contains(stderr, "s3cret") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}

	t.Run("NotLegacy", func(t *testing.T) {
		empty := testdb.MySQLDSN(t)
		code, stdout, stderr := runCmd(t, nil, "", "import-legacy", "--db", dsn, "--from", empty)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "table User is missing") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q; want 1 and one line naming the missing table", code, stdout, stderr)
		}
	})
}
