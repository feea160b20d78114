package db_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// Names that must cross an export and an import unchanged.
const (
	exportAccents   = "Soupe de Noël, « maison » — crème brûlée 日本 ☕"
	exportInjection = `'; DROP TABLE products; -- "x" \ %_ !`
	exportMarkup    = `<script>alert("x")</script>`
)

// mustExportWorld fills alice's household: a freezer with products inside
// and taken out (one left in a box the freezer no longer has), products
// changed a few times, and an archived freezer that keeps its history.
func mustExportWorld(t *testing.T, store *db.DB, alice *freezer.RegisteredUser) {
	t.Helper()
	ctx := regCtx(alice)
	if _, err := store.UpdateHousehold(ctx, alice.Household.ID, freezer.HouseholdUpdate{Name: ptr("Maison « Dupont »"), DueSoonDays: ptr(21)}); err != nil {
		t.Fatal(err)
	}
	kitchen := MustCreateFreezer(t, store, alice, "Cuisine, grand modèle", 3)
	garage := MustCreateFreezer(t, store, alice, exportInjection, 1)

	soup := newProduct(kitchen, 1, 1)
	soup.Name, soup.Description, soup.Barcode, soup.TypeID = exportAccents, "Tomates \"bio\"\nrecette de grand-mère,\tépicée", ean13, 3
	MustCreateProduct(t, ctx, store, soup)
	injection := newProduct(kitchen, 2, 4)
	injection.Name, injection.Description, injection.Quantity, injection.PeriodMonths, injection.TypeID = exportInjection, exportMarkup, 0, 0, 12
	MustCreateProduct(t, ctx, store, injection)
	if _, err := store.UpdateProduct(ctx, injection.ID, freezer.ProductUpdate{Quantity: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	eaten := newProduct(kitchen, 1, 2)
	eaten.Name, eaten.DateIn = exportMarkup, freezer.MustParseDate("2026-01-31")
	MustCreateProduct(t, ctx, store, eaten)
	MustTakeOut(t, ctx, store, eaten.ID, daysAgo(2))
	// Thrown away from box 3, which the freezer then loses.
	lost := newProduct(kitchen, 3, 7)
	MustCreateProduct(t, ctx, store, lost)
	if _, err := store.TakeOutProduct(ctx, lost.ID, freezer.TakeOutRequest{Date: daysAgo(1), Outcome: freezer.OutcomeDiscarded}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateFreezer(ctx, kitchen.ID, freezer.FreezerUpdate{NumberBoxes: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	old := newProduct(garage, 1, 0)
	old.Name = "Vieux pain"
	MustCreateProduct(t, ctx, store, old)
	MustTakeOut(t, ctx, store, old.ID, daysAgo(5))
	if _, err := store.ArchiveFreezer(ctx, garage.ID); err != nil {
		t.Fatal(err)
	}
}

// normalized returns doc without its ids and timestamps: freezers are
// referred to by their position.
func normalized(tb testing.TB, doc *freezer.HouseholdExport) string {
	tb.Helper()
	d := *doc
	d.ExportedAt = time.Time{}
	position := map[int64]int64{}
	d.Freezers = nil
	for i, f := range doc.Freezers {
		position[f.ID] = int64(i)
		g := *f
		g.ID, g.CreatedAt, g.UpdatedAt = int64(i), time.Time{}, time.Time{}
		if g.ArchivedAt != nil {
			g.ArchivedAt = &time.Time{}
		}
		d.Freezers = append(d.Freezers, &g)
	}
	d.Products = nil
	for _, p := range doc.Products {
		q := *p
		q.ID, q.FreezerID, q.CreatedAt, q.UpdatedAt = 0, position[p.FreezerID], time.Time{}, time.Time{}
		d.Products = append(d.Products, &q)
	}
	data, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

func mustExport(tb testing.TB, store *db.DB, r *freezer.RegisteredUser) *freezer.HouseholdExport {
	tb.Helper()
	doc, err := store.ExportHousehold(regCtx(r), r.Household.ID)
	if err != nil {
		tb.Fatalf("export household %d: %v", r.Household.ID, err)
	}
	return doc
}

func TestExportImportRoundTrip(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		mustExportWorld(t, store, alice)

		first := mustExport(t, store, alice)
		if first.Format != freezer.ExportFormat || first.Version != 1 || !first.ExportedAt.Equal(testdb.Now) {
			t.Fatalf("header = %q %d %v", first.Format, first.Version, first.ExportedAt)
		}
		if len(first.Freezers) != 2 || len(first.Products) != 5 || len(first.ProductTypes) != 3 {
			t.Fatalf("exported %d freezers, %d products, %d types; want 2, 5, 3", len(first.Freezers), len(first.Products), len(first.ProductTypes))
		}
		if p := first.Products[1]; p.Name != exportInjection || p.Version != 2 || p.Description != exportMarkup {
			t.Fatalf("second product = %+v", p)
		}
		if p := first.Products[3]; p.Box != 3 || p.DateOut.IsZero() || p.Outcome != freezer.OutcomeDiscarded {
			t.Fatalf("fourth product = %+v, want thrown away from box 3", p)
		}
		if p := first.Products[2]; p.Outcome != freezer.OutcomeEaten {
			t.Fatalf("third product = %+v, want eaten", p)
		}

		// Through JSON, as the API carries it.
		data, err := json.Marshal(first)
		if err != nil {
			t.Fatal(err)
		}
		var doc freezer.HouseholdExport
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		result, err := store.ImportHousehold(regCtx(bob), bob.Household.ID, &doc)
		if err != nil {
			t.Fatal(err)
		}
		// Alice's ids are taken on this server: every product gets a new id
		// and its old one becomes an alias, a label bob's household keeps.
		if *result != (freezer.ImportResult{HouseholdID: bob.Household.ID, Freezers: 2, Products: 5, Inside: 2, Aliases: 5}) {
			t.Fatalf("result = %+v", *result)
		}

		second := mustExport(t, store, bob)
		for i, p := range second.Products {
			if p.ID == first.Products[i].ID || p.FreezerID == first.Products[i].FreezerID {
				t.Fatalf("product %d kept its id %d or freezer %d", i, p.ID, p.FreezerID)
			}
			if len(p.Labels) != 1 || p.Labels[0] != first.Products[i].ID {
				t.Fatalf("product %d carries labels %v, want its old id %d", i, p.Labels, first.Products[i].ID)
			}
			p.Labels = []int64{}
		}
		if got, want := normalized(t, second), normalized(t, first); got != want {
			t.Fatalf("export after import:\n%s\nwant:\n%s", got, want)
		}
		// Alice's household is untouched, and bob's products are his.
		if got := mustExport(t, store, alice); normalized(t, got) != normalized(t, first) {
			t.Fatal("alice's household changed")
		}
		list, err := store.FindProducts(regCtx(bob), freezer.ProductFilter{})
		if err != nil || len(list) != 5 {
			t.Fatalf("bob's products = %d, %v", len(list), err)
		}
		events := mustFindEvents(t, regCtx(bob), store, freezer.EventFilter{HouseholdID: &bob.Household.ID})
		if len(events) != 5 || events[0].Action != freezer.ActionCreate || !strings.HasPrefix(events[0].Summary, "imported Vieux pain (taken out on ") {
			t.Fatalf("bob's events = %d, newest %+v", len(events), events[0])
		}

		t.Run("ErrNotEmpty", func(t *testing.T) {
			_, err := store.ImportHousehold(regCtx(bob), bob.Household.ID, &doc)
			assertCode(t, err, freezer.ECONFLICT)
			if got := mustExport(t, store, bob); len(got.Products) != 5 {
				t.Fatalf("bob has %d products after a refused import", len(got.Products))
			}
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			carol := MustRegister(t, store, "carol@example.com")
			_, err := store.ImportHousehold(regCtx(alice), carol.Household.ID, &doc)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.ExportHousehold(regCtx(carol), alice.Household.ID)
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestImportTypes(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		five, err := store.FindProductTypeByID(regCtx(alice), 5)
		if err != nil {
			t.Fatal(err)
		}
		doc := validExport()
		// Type 900 of another server is this server's type 5, by its English name.
		doc.Products[0].TypeID = 900
		doc.ProductTypes = []*freezer.ProductType{{ID: 900, NameEN: five.NameEN, NameFR: "autre nom"}}
		if _, err := store.ImportHousehold(regCtx(alice), alice.Household.ID, doc); err != nil {
			t.Fatal(err)
		}
		if got := mustExport(t, store, alice).Products[0].TypeID; got != 5 {
			t.Fatalf("type = %d, want 5", got)
		}
	})
}

// validExport is a small document that imports.
func validExport() *freezer.HouseholdExport {
	return &freezer.HouseholdExport{
		Format: freezer.ExportFormat, Version: freezer.ExportVersion,
		Household: freezer.ExportedHousehold{Name: "Home", DueSoonDays: 14},
		Freezers:  []*freezer.ExportedFreezer{{ID: 7, Name: "Kitchen", NumberBoxes: 2}},
		Products: []*freezer.ExportedProduct{
			{ID: 1, FreezerID: 7, Box: 1, Slot: 1, Name: "Soup", TypeID: 1, Quantity: 2, DateIn: daysAgo(3), PeriodMonths: 3, Version: 1},
			{ID: 2, FreezerID: 7, Box: 2, Slot: 1, Name: "Bread", TypeID: 2, Quantity: 1, DateIn: daysAgo(9), DateOut: daysAgo(1), PeriodMonths: 1, Version: 4},
		},
	}
}

func TestImportErrInvalid(t *testing.T) {
	archived := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		desc   string
		change func(doc *freezer.HouseholdExport)
		want   string // the start of the message: the field at fault
	}{
		{"Format", func(d *freezer.HouseholdExport) { d.Format = "other" }, "format must be"},
		{"Version", func(d *freezer.HouseholdExport) { d.Version = 2 }, "version 2 is not supported"},
		{"HouseholdName", func(d *freezer.HouseholdExport) { d.Household.Name = " " }, "household.name is required"},
		{"DueSoonDays", func(d *freezer.HouseholdExport) { d.Household.DueSoonDays = -1 }, "household.due_soon_days must be"},
		{"FreezerID", func(d *freezer.HouseholdExport) { d.Freezers[0].ID = 0 }, "freezers[0].id must be between 1 and 999999999999"},
		{"FreezerIDTooLarge", func(d *freezer.HouseholdExport) { d.Freezers[0].ID = freezer.MaxImportedID + 1 }, "freezers[0].id must be between 1 and"},
		{"ProductIDTooLarge", func(d *freezer.HouseholdExport) { d.Products[1].ID = freezer.MaxImportedID + 1 }, "products[1].id must be a product id between 1 and"},
		{"ProductIDTwice", func(d *freezer.HouseholdExport) { d.Products[1].ID = d.Products[0].ID }, "products[1].id: label id"},
		{"LabelNotPositive", func(d *freezer.HouseholdExport) { d.Products[0].Labels = []int64{0} }, "products[0].labels[0] must be a product id"},
		{"BlankLabelIsProduct", func(d *freezer.HouseholdExport) { d.BlankLabels = []int64{d.Products[0].ID} }, "blank_labels[0]: label id"},
		{"FreezerTwice", func(d *freezer.HouseholdExport) { d.Freezers = append(d.Freezers, d.Freezers[0]) }, "freezers[1].id 7 appears twice"},
		{"FreezerBoxes", func(d *freezer.HouseholdExport) { d.Freezers[0].NumberBoxes = 0 }, "freezers[0].number_boxes must be"},
		{"ProductName", func(d *freezer.HouseholdExport) { d.Products[1].Name = "" }, "products[1].name is required"},
		{"ProductFreezer", func(d *freezer.HouseholdExport) { d.Products[0].FreezerID = 8 }, "products[0].freezer_id 8 is not one of freezers"},
		{"ProductBox", func(d *freezer.HouseholdExport) { d.Products[0].Box = 3 }, "products[0].box must be between 1 and 2"},
		{"ProductSlot", func(d *freezer.HouseholdExport) { d.Products[0].Slot = 0 }, "products[0].slot must be 1 or more"},
		{"ProductDateIn", func(d *freezer.HouseholdExport) { d.Products[0].DateIn = today.AddDays(1) }, "products[0].date_in cannot be in the future"},
		{"ProductDateOut", func(d *freezer.HouseholdExport) { d.Products[1].DateOut = daysAgo(10) }, "products[1].date_out cannot be before date_in"},
		{"ProductBarcode", func(d *freezer.HouseholdExport) { d.Products[0].Barcode = "123" }, "products[0].barcode must have"},
		{"SameSlot", func(d *freezer.HouseholdExport) { d.Products[1].Box, d.Products[1].DateOut = 1, freezer.Date{} }, "products[1].slot: products[0] is inside"},
		{"InsideArchived", func(d *freezer.HouseholdExport) { d.Freezers[0].ArchivedAt = &archived }, "products[0].date_out is required: freezer 7 is archived"},
		{"UnknownType", func(d *freezer.HouseholdExport) { d.Products[1].TypeID = 999 }, "products[1].type_id 999 is not a product type"},
		{"UnknownNamedType", func(d *freezer.HouseholdExport) {
			d.Products[1].TypeID = 999
			d.ProductTypes = []*freezer.ProductType{{ID: 999, NameEN: "Moon cheese", NameFR: "Fromage lunaire"}}
		}, "products[1].type_id 999 is not a product type"},
	}
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		for _, tc := range cases {
			t.Run(tc.desc, func(t *testing.T) {
				doc := validExport()
				tc.change(doc)
				_, err := store.ImportHousehold(regCtx(alice), alice.Household.ID, doc)
				assertCode(t, err, freezer.EINVALID)
				if msg := freezer.ErrorMessage(err); !strings.HasPrefix(msg, tc.want) {
					t.Fatalf("message = %q, want it to start with %q", msg, tc.want)
				}
				if got := mustExport(t, store, alice); len(got.Freezers) != 0 || got.Household.Name != "Home" {
					t.Fatalf("a refused import left %d freezers, household %q", len(got.Freezers), got.Household.Name)
				}
			})
		}
	})
}

func TestImportEmptyDocument(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		doc := validExport()
		doc.Freezers, doc.Products, doc.Household.Name = nil, nil, "Résidence secondaire"
		result, err := store.ImportHousehold(regCtx(alice), alice.Household.ID, doc)
		if err != nil {
			t.Fatal(err)
		}
		if result.Freezers != 0 || result.Products != 0 {
			t.Fatalf("result = %+v", result)
		}
		h, err := store.FindHouseholdByID(regCtx(alice), alice.Household.ID)
		if err != nil || h.Name != "Résidence secondaire" {
			t.Fatalf("household = %+v, %v", h, err)
		}
		if !reflect.DeepEqual(mustExport(t, store, alice).Freezers, []*freezer.ExportedFreezer{}) {
			t.Fatal("freezers is not an empty list")
		}
	})
}

// TestImportSkipsReservedIDs: imported products never take an id that a
// printed blank label is waiting for.
func TestImportSkipsReservedIDs(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		bob := MustRegister(t, store, "bob@example.com")
		mustExportWorld(t, store, alice)
		doc := mustExport(t, store, alice)
		reserved, err := store.ReserveLabels(regCtx(bob), bob.Household.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ImportHousehold(regCtx(bob), bob.Household.ID, doc); err != nil {
			t.Fatal(err)
		}
		imported, err := store.FindProducts(regCtx(bob), freezer.ProductFilter{HouseholdID: &bob.Household.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reserved {
			for _, p := range imported {
				if p.ID == r.ID {
					t.Errorf("imported product %q took the reserved id %d", p.Name, r.ID)
				}
			}
		}
		if len(imported) != len(doc.Products) {
			t.Errorf("imported %d products, want %d", len(imported), len(doc.Products))
		}
	})
}
