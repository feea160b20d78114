package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestCopyInstallationEndToEnd fills an SQLite installation, copies it to
// MySQL with freezerd copy, serves the copy and checks through the HTTP API
// and real MQTT devices that everything answers as before, then copies it
// back into SQLite and compares every row.
func TestCopyInstallationEndToEnd(t *testing.T) {
	ctx := freezer.SystemContext(context.Background())
	sqliteDSN, mysqlDSN := testdb.SQLiteDSN(t), testdb.MySQLDSN(t)
	serve := func(dsn string) (*Server, func() error) {
		return startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
			AlertSchedule: "@yearly", TZ: "UTC"})
	}
	m, stop := serve(sqliteDSN)
	in := fill(t, m)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	before := dumpOf(t, sqliteDSN)

	code, out, stderr := runCmd(t, nil, "", "copy", "--from", sqliteDSN, "--to", mysqlDSN)
	if code != 0 {
		t.Fatalf("copy: exit %d: %s", code, stderr)
	}
	var report db.CopyReport
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Tables["products"] != 4 || report.Tables["devices"] != 2 || report.To != db.MySQL {
		t.Fatalf("copy printed %q (%v)", out, err)
	}
	sameRows(t, "MySQL after the copy", dumpOf(t, mysqlDSN), before)

	// A second copy into the same database is refused and changes nothing.
	if code, _, stderr := runCmd(t, nil, "", "copy", "--from", sqliteDSN, "--to", mysqlDSN); code != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("copy into a full database: exit %d, %q", code, stderr)
	}

	m, stop = serve(mysqlDSN)
	waitCaughtUp(t, m)
	var products struct {
		Items []freezer.Product `json:"items"`
	}
	if status := apiCall(t, m, in.token, http.MethodGet, "/products?state=all", nil, &products); status != http.StatusOK || len(products.Items) != len(in.products) {
		t.Fatalf("the same token on the copy: %d, %d products", status, len(products.Items))
	}
	for _, p := range products.Items {
		if in.products[p.ID] != p.Name {
			t.Errorf("product %d is %q on the copy, want %q", p.ID, p.Name, in.products[p.ID])
		}
	}
	ha := connectDevice(t, m, in.integration, in.integrationPwd)
	alerts := devices.Topics{Root: devices.DefaultRoot}.Alerts(in.household)
	ha.subscribe(t, alerts)
	d := connectDevice(t, m, in.scanner, in.scannerPass) // the same password
	d.listen(t)
	for id, name := range in.products {
		want := freezer.ScanOK
		if id == in.takenOut {
			want = freezer.ScanAlready
		}
		if a := d.scan(t, fmt.Sprintf("FZ-I-%06d", id), freezer.ModeOut); a.Status != want || a.Product != name {
			t.Errorf("label of %s on the copy: %+v, want %s", name, a, want)
		}
	}
	run, err := m.Alerts.Run(ctx)
	if err != nil || run.Overdue != 0 || run.DueSoon != 0 || run.Sent["mqtt"] != 0 {
		t.Errorf("alert run on the copy: %+v, %v; want nothing new", run, err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := ha.received(alerts); len(got) != 0 {
		t.Errorf("the copy sent an alert again: %q", got)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	back := testdb.SQLiteDSN(t)
	if code, _, stderr := runCmd(t, nil, "", "copy", "--from", mysqlDSN, "--to", back); code != 0 {
		t.Fatalf("copy back: exit %d: %s", code, stderr)
	}
	sameRows(t, "SQLite after the copy back", dumpOf(t, back), dumpOf(t, mysqlDSN))
}

func TestCopyCommandErrors(t *testing.T) {
	missing := "sqlite:" + t.TempDir() + "/missing.db"
	target := testdb.SQLiteDSN(t)
	source := testdb.SQLiteDSN(t)
	if code, _, stderr := runCmd(t, nil, "", "migrate", "--db", source); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		desc string
		args []string
		code int
		want string
	}{
		{"ErrNoFlags", []string{"copy"}, 2, "--from and --to are required"},
		{"ErrSame", []string{"copy", "--from", target, "--to", target}, 2, "same database"},
		{"ErrSourceMissing", []string{"copy", "--from", missing, "--to", target}, 1, "no database at"},
		{"ErrBadDSN", []string{"copy", "--from", source, "--to", "postgres://x"}, 1, "unknown database"},
		{"ErrBackupSourceMissing", []string{"backup", "--db", missing, "--to", t.TempDir() + "/b.db"}, 1, "no database at"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if _, err := os.Stat(strings.TrimPrefix(missing, "sqlite:")); err == nil {
		t.Error("a missing source was created")
	}
}
