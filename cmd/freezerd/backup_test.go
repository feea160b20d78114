package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestBackupWhileScanning backs a serving installation up while a scanner
// takes products out, checks that each backup is one consistent moment
// (every product out has its scan, every scan its product out), and
// serves a backup as is.
func TestBackupWhileScanning(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		ctx := freezer.SystemContext(context.Background())
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
			AlertSchedule: "off", TZ: "UTC"})
		reg, f := mustHousehold(t, m.DB, freezer.Registration{Email: "owner@example.com", Password: "a long password"}, "Chest", 4)
		const products = 400
		ids := make([]int64, 0, products)
		for i := range products {
			p := &freezer.Product{FreezerID: f.ID, Box: 1 + i%4, Name: fmt.Sprint("Meal ", i), TypeID: 1, DateIn: m.DB.Today(), PeriodMonths: 6}
			if err := m.DB.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		scanner := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door", Mode: freezer.ModeOut}
		password, err := m.DB.CreateDevice(ctx, scanner)
		if err != nil {
			t.Fatal(err)
		}
		d := connectDevice(t, m, scanner.ID, password)
		d.listen(t)

		// The scanner takes products out, one after the other, until told to stop.
		var acked atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
		defer halt() // also when the test fails: the scanner must not outlive it
		wg.Add(1)
		go func() {
			defer wg.Done()
			topic := devices.Topics{Root: devices.DefaultRoot}.Scan(scanner.ID)
			for i, id := range ids {
				select {
				case <-stop:
					return
				default:
				}
				payload, _ := json.Marshal(devices.ScanMessage{ID: fmt.Sprint("b-", i), Code: freezer.ProductCode(id), Mode: freezer.ModeOut})
				d.c.Publish(topic, 1, false, payload).WaitTimeout(5 * time.Second)
				select {
				case a := <-d.acks:
					if a.Status != freezer.ScanOK {
						t.Errorf("scan %d: %+v", i, a)
						return
					}
					acked.Add(1)
				case <-time.After(10 * time.Second):
					t.Errorf("no ack for scan %d", i)
					return
				}
			}
		}()
		for acked.Load() < 5 {
			time.Sleep(5 * time.Millisecond)
		}

		dir := t.TempDir()
		var file string
		during := false
		for try := 0; try < 5 && !during; try++ {
			file = filepath.Join(dir, fmt.Sprintf("backup-%d.db", try))
			start := acked.Load()
			code, out, stderr := runCmd(t, nil, "", "backup", "--db", dsn, "--to", file)
			if code != 0 {
				t.Fatalf("backup: exit %d: %s", code, stderr)
			}
			during = acked.Load() > start
			var report db.BackupReport
			if err := json.Unmarshal([]byte(out), &report); err != nil || report.File != file || report.Tables["products"] != products {
				t.Fatalf("backup printed %q (%v)", out, err)
			}
			checkConsistent(t, file, report.Tables["scan_events"])
		}
		halt()
		if !during {
			t.Fatal("no scan was acknowledged while a backup ran")
		}
		if _, err := os.Stat(file + ".partial"); err == nil {
			t.Error("the backup left its .partial file")
		}

		// A backup never overwrites a file.
		if code, _, stderr := runCmd(t, nil, "", "backup", "--db", dsn, "--to", file); code != 1 || !strings.Contains(stderr, "exists") {
			t.Errorf("backup onto an existing file: exit %d, %q", code, stderr)
		}
		if code, _, stderr := runCmd(t, nil, "", "backup", "--db", dsn); code != 2 || !strings.Contains(stderr, "--to is required") {
			t.Errorf("backup without --to: exit %d, %q", code, stderr)
		}

		// serve opens the backup as is, and the same token works on it.
		restored, _ := startServing(t, ServeConfig{Config: Config{DB: "sqlite:" + file}, AlertSchedule: "off", TZ: "UTC"})
		var list struct {
			Items []freezer.Product `json:"items"`
		}
		if status := apiCall(t, restored, reg.Token, http.MethodGet, "/products?state=all&limit=500", nil, &list); status != http.StatusOK || len(list.Items) != products {
			t.Errorf("the backup served: %d, %d products", status, len(list.Items))
		}
	})
}

// checkConsistent checks that a backup holds one moment of the scans: as
// many products out as scans that took one out, each of them out.
func checkConsistent(t *testing.T, file string, scans int64) {
	t.Helper()
	_, driverDSN, err := db.ParseDSN("sqlite:" + file)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", driverDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var out, ok, okOut int64
	if err := raw.QueryRow(`SELECT
		(SELECT COUNT(*) FROM products WHERE date_out IS NOT NULL),
		(SELECT COUNT(*) FROM scan_events WHERE status = 'ok'),
		(SELECT COUNT(*) FROM scan_events e JOIN products p ON p.id = e.product_id WHERE e.status = 'ok' AND p.date_out IS NOT NULL)`).Scan(&out, &ok, &okOut); err != nil {
		t.Fatal(err)
	}
	if out != scans || ok != scans || okOut != scans || scans == 0 {
		t.Errorf("backup %s: %d products out, %d scans (%d of them ok, %d of those out)", filepath.Base(file), out, scans, ok, okOut)
	}
}
