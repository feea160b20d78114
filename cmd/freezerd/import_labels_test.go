package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestImportKeepsPrintedLabelsEndToEnd exports a household through the
// API, imports it into a server whose product ids are taken by another
// household's products and blank labels, and scans every label printed
// before the export with a real scanner: each names the same product, and
// no label of either household comes to name another product.
func TestImportKeepsPrintedLabelsEndToEnd(t *testing.T) {
	ctx := freezer.SystemContext(context.Background())
	serve := func(dsn string) *Server {
		m, _ := startServing(t, ServeConfig{Config: Config{DB: dsn}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
			AlertSchedule: "off", TZ: "UTC"})
		return m
	}
	register := func(m *Server, email string) *freezer.RegisteredUser {
		reg, err := m.DB.RegisterUser(ctx, freezer.Registration{Email: email, Password: "a long password"})
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	stock := func(m *Server, reg *freezer.RegisteredUser, names ...string) map[int64]string {
		f := &freezer.Freezer{HouseholdID: reg.Household.ID, Name: "Chest", NumberBoxes: 2}
		if err := m.DB.CreateFreezer(ctx, f); err != nil {
			t.Fatal(err)
		}
		made := map[int64]string{}
		for _, name := range names {
			p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: name, TypeID: 1, DateIn: m.DB.Today(), PeriodMonths: 6}
			if err := m.DB.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
			made[p.ID] = name
		}
		return made
	}
	scanner := func(m *Server, reg *freezer.RegisteredUser) *mqttDevice {
		dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: reg.Household.ID, Name: "door", Mode: freezer.ModeOut}
		password, err := m.DB.CreateDevice(ctx, dev)
		if err != nil {
			t.Fatal(err)
		}
		d := connectDevice(t, m, dev.ID, password)
		d.listen(t)
		return d
	}

	// The first server: alice prints two blank labels (ids 1 and 2), uses
	// the first for a Blanquette, and has three more products (3 to 5).
	first := serve(testdb.SQLiteDSN(t))
	alice := register(first, "alice@example.com")
	blank, err := first.DB.ReserveLabels(ctx, alice.Household.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	printed := stock(first, alice) // its freezer, no product yet
	freezers, err := first.DB.FindFreezers(ctx, freezer.FreezerFilter{HouseholdID: &alice.Household.ID})
	if err != nil || len(freezers) != 1 {
		t.Fatalf("alice's freezers: %d, %v", len(freezers), err)
	}
	chest := freezers[0].ID
	blanquette := &freezer.Product{HouseholdID: alice.Household.ID, FreezerID: chest, Box: 1, Name: "Blanquette", TypeID: 1, DateIn: first.DB.Today(), PeriodMonths: 6}
	if err := first.DB.CreateProductWithLabel(ctx, blanquette, blank[0].ID); err != nil {
		t.Fatal(err)
	}
	printed[blanquette.ID] = "Blanquette"
	for _, name := range []string{"Soup", "Pesto", "Ratatouille"} {
		p := &freezer.Product{FreezerID: chest, Box: 2, Name: name, TypeID: 1, DateIn: first.DB.Today(), PeriodMonths: 6}
		if err := first.DB.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		printed[p.ID] = name
	}
	if a := scanner(first, alice).scan(t, freezer.ProductCode(4), freezer.ModeOut); a.Status != freezer.ScanOK || a.Product != "Pesto" {
		t.Fatalf("ids on the first server are not as the test expects: %+v", a)
	}
	doc := exportHousehold(t, first, alice)

	testdb.Dialects(t, func(t *testing.T, dsn string) {
		// The second server: carol's products take ids 1 to 3 and her blank
		// label id 4; only 5 is free.
		second := serve(dsn)
		carol := register(second, "carol@example.com")
		theirs := stock(second, carol, "Lasagne", "Chili", "Curry")
		carolBlank, err := second.DB.ReserveLabels(ctx, carol.Household.ID, 1)
		if err != nil || carolBlank[0].ID != 4 {
			t.Fatalf("carol's blank label: %+v %v", carolBlank, err)
		}
		bob := register(second, "bob@example.com")
		var result freezer.ImportResult
		if status := apiCall(t, second, bob.Token, http.MethodPost, fmt.Sprintf("/households/%d/import", bob.Household.ID), rawJSON(doc), &result); status != http.StatusCreated {
			t.Fatalf("import: %d", status)
		}
		if result.Products != 4 || result.KeptIDs != 1 || result.Aliases != 3 {
			t.Errorf("import result %+v, want 4 products, 1 id kept, 3 aliases", result)
		}

		bobs, carols := scanner(second, bob), scanner(second, carol)
		for id, name := range printed {
			want := freezer.ScanOK
			if name == "Pesto" {
				want = freezer.ScanAlready // taken out before the export
			}
			if a := bobs.scan(t, fmt.Sprintf("FZ-I-%06d", id), freezer.ModeOut); a.Status != want || a.Product != name {
				t.Errorf("label FZ-I-%06d printed on the first server (%s): %+v, want %s", id, name, a, want)
			}
		}
		// Alice's unused blank label 2 is carol's Chili here: for bob it
		// names nothing, never carol's product.
		if a := bobs.scan(t, freezer.ProductCode(blank[1].ID), freezer.ModeOut); a.Status != freezer.ScanDenied || a.Product != "" {
			t.Errorf("alice's blank label on the second server: %+v", a)
		}
		for id, name := range theirs {
			if a := carols.scan(t, freezer.ProductCode(id), freezer.ModeOut); a.Status != freezer.ScanOK || a.Product != name {
				t.Errorf("carol's label FZ-I-%06d: %+v, want %s", id, a, name)
			}
		}
		if a := carols.scan(t, freezer.ProductCode(carolBlank[0].ID), freezer.ModeOut); a.Status != freezer.ScanUnknown || a.Msg != "blank label not used yet" {
			t.Errorf("carol's blank label after the import: %+v", a)
		}
	})
}

// exportHousehold returns a household's export document as the API sends it.
func exportHousehold(t *testing.T, m *Server, reg *freezer.RegisteredUser) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/api/v1/households/%d/export", m.HTTP.Addr(), reg.Household.ID), nil)
	req.Header.Set("Authorization", "Bearer "+reg.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, data)
	}
	return data
}

// rawJSON is a body that apiCall sends as it is.
type rawJSON []byte

// MarshalJSON returns the bytes themselves.
func (r rawJSON) MarshalJSON() ([]byte, error) { return bytes.TrimSpace(r), nil }
