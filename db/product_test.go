package db_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// Valid retail barcodes (correct check digits).
const (
	ean13 = "4006381333931"
	ean8  = "96385074"
)

// productIDs returns the ids of list, for comparing lists in one line.
func productIDs(list []*freezer.Product) []int64 {
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	return ids
}

// sameProduct reports whether a and b hold the same values; times are
// compared as instants, since drivers return them in different locations.
func sameProduct(a, b *freezer.Product) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) {
		return false
	}
	x, y := *a, *b
	x.CreatedAt, x.UpdatedAt = y.CreatedAt, y.UpdatedAt
	return x == y
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCreateProduct(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			p := &freezer.Product{
				FreezerID: f.ID, Box: 2, Name: "Chili con carne", Description: "Spicy\nfor four",
				TypeID: 12, Quantity: 4, Barcode: ean13, DateIn: daysAgo(3), PeriodMonths: 6,
			}
			if err := store.CreateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
			if p.ID == 0 {
				t.Fatal("id = 0")
			}
			if got, want := p.Slot, 1; got != want {
				t.Errorf("slot 0 became %d, want %d", got, want)
			}
			if got, want := p.HouseholdID, alice.Household.ID; got != want {
				t.Errorf("household = %d, want %d (the freezer's)", got, want)
			}
			if got, want := p.Version, int64(1); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}

			found := MustFindProduct(t, ctx, store, p.ID)
			if !found.CreatedAt.Equal(testdb.Now) || !found.UpdatedAt.Equal(testdb.Now) {
				t.Errorf("created_at, updated_at = %v, %v, want %v", found.CreatedAt, found.UpdatedAt, testdb.Now)
			}
			if !sameProduct(found, p) {
				t.Errorf("stored = %+v\nwant     %+v", *found, *p)
			}
			if got, want := found.Inside(), true; got != want {
				t.Errorf("inside = %v, want %v", got, want)
			}

			// An explicit slot is kept, holes and all.
			q := MustCreateProduct(t, ctx, store, newProduct(f, 2, 7))
			if got, want := q.Slot, 7; got != want {
				t.Errorf("explicit slot = %d, want %d", got, want)
			}
			// The next slot 0 fills the lowest hole.
			r := MustCreateProduct(t, ctx, store, newProduct(f, 2, 0))
			if got, want := r.Slot, 2; got != want {
				t.Errorf("next slot 0 = %d, want %d", got, want)
			}
			// Another box starts at 1.
			s := MustCreateProduct(t, ctx, store, newProduct(f, 3, 0))
			if got, want := s.Slot, 1; got != want {
				t.Errorf("slot 0 in an empty box = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrConflictSlotTaken", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			first := MustCreateProduct(t, ctx, store, newProduct(f, 1, 5))
			second := newProduct(f, 1, 5)
			second.Name = "Second"
			err := store.CreateProduct(ctx, second)
			assertCode(t, err, freezer.ECONFLICT)
			if got, want := freezer.ErrorMessage(err), "Slot 5 of this box is taken."; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := productIDs(list), []int64{first.ID}; !equalIDs(got, want) {
				t.Errorf("products = %v, want %v", got, want)
			}
			// The same slot of another box or freezer is free.
			MustCreateProduct(t, ctx, store, newProduct(f, 2, 5))
			g := MustCreateFreezer(t, store, alice, "Garage", 1)
			MustCreateProduct(t, ctx, store, newProduct(g, 1, 5))
		})
	})

	t.Run("SlotFreeAfterTakeOut", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			first := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
			MustTakeOut(t, ctx, store, first.ID, today)
			second := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
			// And once more: history may pile up in a slot.
			MustTakeOut(t, ctx, store, second.ID, today)
			third := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			if got, want := third.Slot, 1; got != want {
				t.Errorf("slot 0 after two take-outs = %d, want %d", got, want)
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{FreezerID: &f.ID, Slot: ptr(1)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 3; got != want {
				t.Errorf("products in slot 1 = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			tests := []struct {
				desc   string
				change func(p *freezer.Product)
			}{
				{desc: "box 0", change: func(p *freezer.Product) { p.Box = 0 }},
				{desc: "box beyond number_boxes", change: func(p *freezer.Product) { p.Box = 4 }},
				{desc: "negative slot", change: func(p *freezer.Product) { p.Slot = -1 }},
				{desc: "unknown type", change: func(p *freezer.Product) { p.TypeID = 999 }},
				{desc: "no type", change: func(p *freezer.Product) { p.TypeID = 0 }},
				{desc: "no name", change: func(p *freezer.Product) { p.Name = " " }},
				{desc: "name on two lines", change: func(p *freezer.Product) { p.Name = "a\nb" }},
				{desc: "name too long", change: func(p *freezer.Product) { p.Name = strings.Repeat("é", freezer.MaxNameLength+1) }},
				{desc: "invalid UTF-8", change: func(p *freezer.Product) { p.Description = "caf\xe9" }},
				{desc: "negative quantity", change: func(p *freezer.Product) { p.Quantity = -1 }},
				{desc: "negative period", change: func(p *freezer.Product) { p.PeriodMonths = -1 }},
				{desc: "bad barcode check digit", change: func(p *freezer.Product) { p.Barcode = "4006381333932" }},
				{desc: "no date_in", change: func(p *freezer.Product) { p.DateIn = freezer.Date{} }},
				{desc: "date_in tomorrow", change: func(p *freezer.Product) { p.DateIn = today.AddDays(1) }},
				{desc: "date_out before date_in", change: func(p *freezer.Product) { p.DateOut = p.DateIn.AddDays(-1) }},
				{desc: "date_out tomorrow", change: func(p *freezer.Product) { p.DateOut = today.AddDays(1) }},
				{desc: "no freezer", change: func(p *freezer.Product) { p.FreezerID = 0 }},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					p := newProduct(f, 1, 0)
					tt.change(p)
					assertCode(t, store.CreateProduct(ctx, p), freezer.EINVALID)
				})
			}
			list, err := store.FindProducts(ctx, freezer.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("products after invalid creations = %d, want %d", got, want)
			}
		})
	})

	t.Run("TakenOutOnCreate", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			inside := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
			// A record of something already eaten may share the slot.
			past := newProduct(f, 1, 1)
			past.DateIn, past.DateOut = daysAgo(60), daysAgo(30)
			MustCreateProduct(t, ctx, store, past)
			if got, want := MustFindProduct(t, ctx, store, past.ID).DateOut, daysAgo(30); got != want {
				t.Errorf("date_out = %v, want %v", got, want)
			}
			if got, want := MustFindProduct(t, ctx, store, inside.ID).Inside(), true; got != want {
				t.Errorf("first product inside = %v, want %v", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			f := MustCreateFreezer(t, store, bob, "Bob's", 2)
			assertCode(t, store.CreateProduct(regCtx(alice), newProduct(f, 1, 0)), freezer.ENOTFOUND)
			missing := &freezer.Freezer{ID: f.ID + 1000}
			assertCode(t, store.CreateProduct(regCtx(alice), newProduct(missing, 1, 0)), freezer.ENOTFOUND)
			assertCode(t, store.CreateProduct(context.Background(), newProduct(f, 1, 0)), freezer.EUNAUTHORIZED)
			list, err := store.FindProducts(regCtx(bob), freezer.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("bob's products = %d, want %d", got, want)
			}
		})
	})

	t.Run("PresetID", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			p := newProduct(f, 1, 3)
			p.ID = 90001
			if err := store.CreateProduct(systemCtx(), p); err != nil {
				t.Fatal(err)
			}
			if got, want := p.ID, int64(90001); got != want {
				t.Errorf("id = %d, want %d", got, want)
			}
			found := MustFindProduct(t, regCtx(alice), store, 90001)
			if got, want := found.HouseholdID, alice.Household.ID; got != want {
				t.Errorf("household = %d, want %d", got, want)
			}
			// Later products get ids after it.
			q := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
			if got, want := q.ID > 90001, true; got != want {
				t.Errorf("next id = %d, want more than 90001", q.ID)
			}
			dup := newProduct(f, 2, 0)
			dup.ID = 90001
			assertCode(t, store.CreateProduct(systemCtx(), dup), freezer.ECONFLICT)
		})
	})

	t.Run("ErrInvalidPresetIDForUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			p := newProduct(f, 1, 0)
			p.ID = 90001
			assertCode(t, store.CreateProduct(regCtx(alice), p), freezer.EINVALID)
			_, err := store.FindProductByID(systemCtx(), 90001)
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})

	t.Run("TextVerbatim", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Robert'); DROP TABLE freezers;--", 2)
			tests := []struct{ name, description string }{
				{name: "Robert'); DROP TABLE products;--", description: "'; DELETE FROM users; --"},
				{name: "<img src=x onerror=alert(1)>", description: "<script>alert(\"x\")</script>"},
				{name: "Crème brûlée 🍮", description: "Gâteau « maison » — 2 parts\n日本語 🍣🧊"},
				{name: `back\slash "double" 'single' %_`, description: "tab\tinside"},
			}
			var ids []int64
			for _, tt := range tests {
				p := newProduct(f, 1, 0)
				p.Name, p.Description = tt.name, tt.description
				MustCreateProduct(t, ctx, store, p)
				ids = append(ids, p.ID)
			}
			for i, tt := range tests {
				found := MustFindProduct(t, ctx, store, ids[i])
				if got, want := found.Name, tt.name; got != want {
					t.Errorf("name = %q, want %q", got, want)
				}
				if got, want := found.Description, tt.description; got != want {
					t.Errorf("description = %q, want %q", got, want)
				}
			}
			found, err := store.FindFreezerByID(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.Name, "Robert'); DROP TABLE freezers;--"; got != want {
				t.Errorf("freezer name = %q, want %q", got, want)
			}
			// A filter value is a value, not SQL.
			list, err := store.FindProducts(ctx, freezer.ProductFilter{Barcode: ptr("' OR '1'='1")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("products matching an injected barcode = %d, want %d", got, want)
			}
			list, err = store.FindProducts(ctx, freezer.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), len(tests); got != want {
				t.Errorf("products = %d, want %d", got, want)
			}
			// Renaming with the same kind of text works too.
			p, err := store.UpdateProduct(ctx, ids[0], freezer.ProductUpdate{Name: ptr("Ça marche ✓ '--")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := MustFindProduct(t, ctx, store, p.ID).Name, "Ça marche ✓ '--"; got != want {
				t.Errorf("renamed = %q, want %q", got, want)
			}
		})
	})
}

// TestMaxLengths checks that the schema holds every text at the longest
// length validation allows, in four-byte characters.
func TestMaxLengths(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			name := strings.Repeat("🍮", freezer.MaxNameLength)
			description := strings.Repeat("🧊", freezer.MaxDescriptionLength)

			h, err := store.UpdateHousehold(ctx, alice.Household.ID, freezer.HouseholdUpdate{Name: &name})
			if err != nil {
				t.Fatalf("household: %v", err)
			}
			f := MustCreateFreezer(t, store, alice, name, 1)
			p := newProduct(f, 1, 0)
			p.Name, p.Description = name, description
			MustCreateProduct(t, ctx, store, p)
			tok, _, err := store.CreateToken(ctx, name)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			typ := &freezer.ProductType{NameEN: name, NameFR: name}
			if err := store.CreateProductType(systemCtx(), typ); err != nil {
				t.Fatalf("product type: %v", err)
			}

			if h, err = store.FindHouseholdByID(ctx, h.ID); err != nil {
				t.Fatal(err)
			} else if h.Name != name {
				t.Errorf("household name: %d characters stored, want %d", len([]rune(h.Name)), freezer.MaxNameLength)
			}
			if found, err := store.FindFreezerByID(ctx, f.ID); err != nil {
				t.Fatal(err)
			} else if found.Name != name {
				t.Errorf("freezer name: %d characters stored, want %d", len([]rune(found.Name)), freezer.MaxNameLength)
			}
			found := MustFindProduct(t, ctx, store, p.ID)
			if found.Name != name {
				t.Errorf("product name: %d characters stored, want %d", len([]rune(found.Name)), freezer.MaxNameLength)
			}
			if found.Description != description {
				t.Errorf("description: %d characters stored, want %d", len([]rune(found.Description)), freezer.MaxDescriptionLength)
			}
			if tokens, err := store.FindTokens(ctx); err != nil {
				t.Fatal(err)
			} else if tokens[0].ID != tok.ID || tokens[0].Name != name {
				t.Errorf("token name: %d characters stored, want %d", len([]rune(tokens[0].Name)), freezer.MaxNameLength)
			}
			if got, err := store.FindProductTypeByID(ctx, typ.ID); err != nil {
				t.Fatal(err)
			} else if got.NameEN != name || got.NameFR != name {
				t.Errorf("product type names not stored whole")
			}
		})
	})
}

func TestFindProducts(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			g := MustCreateFreezer(t, store, alice, "Garage", 2)
			bf := MustCreateFreezer(t, store, bob, "Bob's", 2)

			mk := func(fr *freezer.Freezer, box, slot int, typeID int64, barcode string, in, out int) *freezer.Product {
				p := newProduct(fr, box, slot)
				p.TypeID, p.Barcode, p.DateIn = typeID, barcode, daysAgo(in)
				if out >= 0 {
					p.DateOut = daysAgo(out)
				}
				return p
			}
			p1 := MustCreateProduct(t, ctx, store, mk(f, 1, 1, 1, ean13, 30, 5))
			p2 := MustCreateProduct(t, ctx, store, mk(f, 1, 2, 2, "", 20, -1))
			p3 := MustCreateProduct(t, ctx, store, mk(f, 2, 1, 1, ean13, 40, -1))
			p4 := MustCreateProduct(t, ctx, store, mk(g, 1, 1, 3, ean8, 50, 2))
			p5 := MustCreateProduct(t, ctx, store, mk(f, 1, 1, 1, "", 1, -1))
			MustCreateProduct(t, regCtx(bob), store, mk(bf, 1, 1, 1, ean13, 10, -1))

			tests := []struct {
				desc   string
				filter freezer.ProductFilter
				want   []*freezer.Product
			}{
				{desc: "everything of alice", filter: freezer.ProductFilter{}, want: []*freezer.Product{p1, p2, p3, p4, p5}},
				{desc: "by id", filter: freezer.ProductFilter{ID: &p3.ID}, want: []*freezer.Product{p3}},
				{desc: "by freezer", filter: freezer.ProductFilter{FreezerID: &f.ID}, want: []*freezer.Product{p1, p2, p3, p5}},
				{desc: "by freezer and box", filter: freezer.ProductFilter{FreezerID: &f.ID, Box: ptr(1)}, want: []*freezer.Product{p1, p2, p5}},
				{desc: "by slot", filter: freezer.ProductFilter{FreezerID: &f.ID, Box: ptr(1), Slot: ptr(1)}, want: []*freezer.Product{p1, p5}},
				{desc: "by slot, inside", filter: freezer.ProductFilter{FreezerID: &f.ID, Box: ptr(1), Slot: ptr(1), Inside: ptr(true)}, want: []*freezer.Product{p5}},
				{desc: "inside", filter: freezer.ProductFilter{Inside: ptr(true)}, want: []*freezer.Product{p2, p3, p5}},
				{desc: "taken out", filter: freezer.ProductFilter{Inside: ptr(false)}, want: []*freezer.Product{p1, p4}},
				{desc: "by type", filter: freezer.ProductFilter{TypeID: ptr(int64(1))}, want: []*freezer.Product{p1, p3, p5}},
				{desc: "by barcode", filter: freezer.ProductFilter{Barcode: ptr(ean13)}, want: []*freezer.Product{p1, p3}},
				{desc: "by barcode, inside", filter: freezer.ProductFilter{Barcode: ptr(ean13), Inside: ptr(true)}, want: []*freezer.Product{p3}},
				{desc: "by household", filter: freezer.ProductFilter{HouseholdID: &alice.Household.ID}, want: []*freezer.Product{p1, p2, p3, p4, p5}},
				{desc: "another household", filter: freezer.ProductFilter{HouseholdID: &bob.Household.ID}, want: nil},
				{desc: "another household's freezer", filter: freezer.ProductFilter{FreezerID: &bf.ID}, want: nil},
				{desc: "sort by id", filter: freezer.ProductFilter{Sort: freezer.SortByID}, want: []*freezer.Product{p1, p2, p3, p4, p5}},
				{desc: "sort by date_in", filter: freezer.ProductFilter{Sort: freezer.SortByDateIn}, want: []*freezer.Product{p4, p3, p1, p2, p5}},
				{desc: "sort by -date_out, inside last", filter: freezer.ProductFilter{Sort: freezer.SortByDateOutNew}, want: []*freezer.Product{p4, p1, p5, p3, p2}},
				{desc: "sort by -date_out, taken out", filter: freezer.ProductFilter{Sort: freezer.SortByDateOutNew, Inside: ptr(false)}, want: []*freezer.Product{p4, p1}},
				{desc: "limit", filter: freezer.ProductFilter{Limit: 2}, want: []*freezer.Product{p1, p2}},
				{desc: "limit and offset", filter: freezer.ProductFilter{Limit: 2, Offset: 1}, want: []*freezer.Product{p2, p3}},
				{desc: "offset without limit", filter: freezer.ProductFilter{Offset: 3}, want: []*freezer.Product{p4, p5}},
				{desc: "offset past the end", filter: freezer.ProductFilter{Offset: 10, Limit: 5}, want: nil},
				{desc: "sorted page", filter: freezer.ProductFilter{Sort: freezer.SortByDateOutNew, Limit: 2, Offset: 1}, want: []*freezer.Product{p1, p5}},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					list, err := store.FindProducts(ctx, tt.filter)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := productIDs(list), productIDs(tt.want); !equalIDs(got, want) {
						t.Errorf("ids = %v, want %v", got, want)
					}
				})
			}

			// The whole record comes back, barcode included.
			found := MustFindProduct(t, ctx, store, p4.ID)
			if got, want := found.Barcode, ean8; got != want {
				t.Errorf("barcode = %q, want %q", got, want)
			}
			if got, want := found.DateOut, daysAgo(2); got != want {
				t.Errorf("date_out = %v, want %v", got, want)
			}
			if got, want := MustFindProduct(t, ctx, store, p2.ID).Barcode, ""; got != want {
				t.Errorf("empty barcode = %q, want %q", got, want)
			}
		})
	})

	t.Run("SortByUseBy", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			mk := func(dateIn string, period int) *freezer.Product {
				p := newProduct(f, 1, 0)
				p.DateIn, p.PeriodMonths = freezer.MustParseDate(dateIn), period
				return MustCreateProduct(t, ctx, store, p)
			}
			a := mk("2026-01-31", 1)   // use-by 2026-02-28: clamped, not 3 March
			b := mk("2026-03-01", 0)   // use-by 2026-03-01
			c := mk("2025-12-01", 3)   // use-by 2026-03-01 too, put in earlier
			d := mk("2026-02-27", 1)   // use-by 2026-03-27
			e := mk("2025-06-15", 12)  // use-by 2026-06-15
			old := mk("2025-01-10", 1) // use-by 2025-02-10, taken out
			MustTakeOut(t, ctx, store, old.ID, daysAgo(1))

			tests := []struct {
				desc   string
				filter freezer.ProductFilter
				want   []*freezer.Product
			}{
				{desc: "all", filter: freezer.ProductFilter{Sort: freezer.SortByUseBy}, want: []*freezer.Product{old, a, c, b, d, e}},
				{desc: "inside", filter: freezer.ProductFilter{Sort: freezer.SortByUseBy, Inside: ptr(true)}, want: []*freezer.Product{a, c, b, d, e}},
				{desc: "page", filter: freezer.ProductFilter{Sort: freezer.SortByUseBy, Inside: ptr(true), Offset: 1, Limit: 2}, want: []*freezer.Product{c, b}},
				{desc: "offset only", filter: freezer.ProductFilter{Sort: freezer.SortByUseBy, Offset: 4}, want: []*freezer.Product{d, e}},
				{desc: "offset past the end", filter: freezer.ProductFilter{Sort: freezer.SortByUseBy, Offset: 9}, want: nil},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					list, err := store.FindProducts(ctx, tt.filter)
					if err != nil {
						t.Fatal(err)
					}
					if got, want := productIDs(list), productIDs(tt.want); !equalIDs(got, want) {
						t.Errorf("ids = %v, want %v", got, want)
					}
				})
			}
		})
	})

	t.Run("ErrInvalidSort", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.FindProducts(regCtx(alice), freezer.ProductFilter{Sort: "name; DROP TABLE products"})
			assertCode(t, err, freezer.EINVALID)
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			f := MustCreateFreezer(t, store, bob, "Bob's", 2)
			p := MustCreateProduct(t, regCtx(bob), store, newProduct(f, 1, 0))
			_, err := store.FindProductByID(regCtx(alice), p.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindProductByID(regCtx(alice), p.ID+1000)
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.FindProducts(context.Background(), freezer.ProductFilter{})
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

// TestFindProductsEatNext checks that a list of what to eat next, read a
// limit at a time per household, is the start of the whole list ordered by
// EatNextOrder, across two households with their own due-soon windows.
func TestFindProductsEatNext(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		wide := &freezer.Household{Name: "Cottage", DueSoonDays: 40}
		if err := store.CreateHousehold(ctx, wide); err != nil {
			t.Fatal(err)
		}
		home := MustCreateFreezer(t, store, alice, "Kitchen", 1)
		cottage := &freezer.Freezer{HouseholdID: wide.ID, Name: "Chest", NumberBoxes: 1}
		if err := store.CreateFreezer(ctx, cottage); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			dateIn string
			period int
		}{
			{"2026-01-31", 1}, {"2026-02-28", 0}, {"2026-03-01", 1}, {"2026-03-10", 1}, {"2025-03-20", 12},
			{"2026-01-01", 3}, {"2026-01-01", 3}, {"2025-10-01", 6}, {"2026-03-15", 0}, {"2026-02-01", 12},
		} {
			for _, f := range []*freezer.Freezer{home, cottage} {
				p := newProduct(f, 1, 0)
				p.DateIn, p.PeriodMonths = freezer.MustParseDate(c.dateIn), c.period
				MustCreateProduct(t, ctx, store, p)
				if i == 2 {
					MustTakeOut(t, ctx, store, p.ID, today)
				}
			}
		}
		for _, household := range []*int64{nil, &wide.ID} {
			whole, err := store.FindProducts(ctx, freezer.ProductFilter{Inside: ptr(true), HouseholdID: household, Sort: freezer.SortByEatNext})
			if err != nil {
				t.Fatal(err)
			}
			for limit := 1; limit <= len(whole)+1; limit++ {
				list, err := store.FindProducts(ctx, freezer.ProductFilter{Inside: ptr(true), HouseholdID: household, Sort: freezer.SortByEatNext, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := productIDs(list), productIDs(whole[:min(limit, len(whole))]); !equalIDs(got, want) {
					t.Errorf("household %v, limit %d: ids = %v, want %v", household, limit, got, want)
				}
			}
		}
	})
}

func TestUpdateProduct(t *testing.T) {
	// setup returns alice, a freezer of hers with 3 boxes and a product in box 1, slot 1.
	setup := func(t *testing.T, store *db.DB) (*freezer.RegisteredUser, *freezer.Freezer, *freezer.Product) {
		t.Helper()
		alice := MustRegister(t, store, "alice@example.com")
		f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
		p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 1))
		return alice, f, p
	}

	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, _, p := setup(t, store)
			ctx := regCtx(alice)
			got, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{
				Name: ptr("Lasagne verdi"), Description: ptr(""), TypeID: ptr(int64(5)), Quantity: ptr(3),
				Barcode: ptr(ean8), DateIn: ptr(daysAgo(12)), PeriodMonths: ptr(4),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.Version, int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			found := MustFindProduct(t, ctx, store, p.ID)
			if !sameProduct(found, got) {
				t.Errorf("stored = %+v\nreturned %+v", *found, *got)
			}
			if found.Name != "Lasagne verdi" || found.Description != "" || found.TypeID != 5 || found.Quantity != 3 ||
				found.Barcode != ean8 || found.DateIn != daysAgo(12) || found.PeriodMonths != 4 {
				t.Errorf("stored = %+v: not every change applied", *found)
			}
			if got, want := found.Box*100+found.Slot, 101; got != want {
				t.Errorf("place = %d, want %d (unchanged)", got, want)
			}
			// Clearing the barcode.
			got, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Barcode: ptr("")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := MustFindProduct(t, ctx, store, p.ID).Barcode, ""; got != want {
				t.Errorf("barcode = %q, want %q", got, want)
			}
			if got, want := got.Version, int64(3); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
		})
	})

	t.Run("TakeOutAndPutBack", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, f, p := setup(t, store)
			ctx := regCtx(alice)
			out := MustTakeOut(t, ctx, store, p.ID, today)
			if got, want := out.DateOut, today; got != want {
				t.Errorf("date_out = %v, want %v", got, want)
			}
			if got, want := out.Version, int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			found := MustFindProduct(t, ctx, store, p.ID)
			if got, want := found.Inside(), false; got != want {
				t.Errorf("inside = %v, want %v", got, want)
			}
			if got, want := found.DateOut, today; got != want {
				t.Errorf("stored date_out = %v, want %v", got, want)
			}
			next, err := store.NextFreeSlots(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := next[1], 1; got != want {
				t.Errorf("next free slot after take-out = %d, want %d", got, want)
			}

			back, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{DateOut: &freezer.Date{}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := back.Inside(), true; got != want {
				t.Errorf("inside after put-back = %v, want %v", got, want)
			}
			found = MustFindProduct(t, ctx, store, p.ID)
			if got, want := found.DateOut.IsZero(), true; got != want {
				t.Errorf("stored date_out = %v, want none", found.DateOut)
			}
			if got, want := found.Slot, 1; got != want {
				t.Errorf("slot = %d, want %d", got, want)
			}
			if got, want := found.Version, int64(3); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrConflictPutBackSlotTaken", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, f, p := setup(t, store)
			ctx := regCtx(alice)
			MustTakeOut(t, ctx, store, p.ID, today)
			other := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			if got, want := other.Slot, 1; got != want {
				t.Fatalf("new product slot = %d, want %d", got, want)
			}
			_, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{DateOut: &freezer.Date{}, Slot: ptr(1)})
			assertCode(t, err, freezer.ECONFLICT)
			if got, want := freezer.ErrorMessage(err), "Slot 1 of this box is taken."; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			found := MustFindProduct(t, ctx, store, p.ID)
			if got, want := found.DateOut, today; got != want {
				t.Errorf("date_out after a refused put-back = %v, want %v", got, want)
			}
			if got, want := found.Version, int64(2); got != want {
				t.Errorf("version after a refused put-back = %d, want %d", got, want)
			}
			// Back into the next free slot instead.
			back, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{DateOut: &freezer.Date{}, Slot: ptr(0)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := back.Slot, 2; got != want {
				t.Errorf("slot = %d, want %d", got, want)
			}
		})
	})

	t.Run("Move", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, f, p := setup(t, store)
			ctx := regCtx(alice)
			// Within the freezer, keeping the slot number.
			moved, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Box: ptr(3)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := moved.Box, 3; got != want {
				t.Errorf("box = %d, want %d", got, want)
			}
			// Its old slot is free again.
			MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))

			// To another freezer, next free slot of the target box.
			g := MustCreateFreezer(t, store, alice, "Garage", 2)
			MustCreateProduct(t, ctx, store, newProduct(g, 2, 1))
			moved, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{FreezerID: &g.ID, Box: ptr(2), Slot: ptr(0)})
			if err != nil {
				t.Fatal(err)
			}
			found := MustFindProduct(t, ctx, store, p.ID)
			if got, want := [3]int64{found.FreezerID, int64(found.Box), int64(found.Slot)}, [3]int64{g.ID, 2, 2}; got != want {
				t.Errorf("place = %v, want %v", got, want)
			}
			if got, want := found.Version, int64(3); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			if got, want := moved.Slot, 2; got != want {
				t.Errorf("returned slot = %d, want %d", got, want)
			}

			// Into an occupied slot: refused.
			_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Slot: ptr(1)})
			assertCode(t, err, freezer.ECONFLICT)
			// Into a box the target freezer does not have: refused.
			_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{FreezerID: &f.ID, Box: ptr(4)})
			assertCode(t, err, freezer.EINVALID)

			// To a freezer of another of alice's households: the product follows.
			cottage := &freezer.Household{Name: "Cottage"}
			if err := store.CreateHousehold(ctx, cottage); err != nil {
				t.Fatal(err)
			}
			c := &freezer.Freezer{HouseholdID: cottage.ID, Name: "Cottage chest", NumberBoxes: 1}
			if err := store.CreateFreezer(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{FreezerID: &c.ID, Box: ptr(1)}); err != nil {
				t.Fatal(err)
			}
			if got, want := MustFindProduct(t, ctx, store, p.ID).HouseholdID, cottage.ID; got != want {
				t.Errorf("household after moving = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrNotFoundMoveToOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, f, p := setup(t, store)
			bob := MustRegister(t, store, "bob@example.com")
			bf := MustCreateFreezer(t, store, bob, "Bob's", 3)
			_, err := store.UpdateProduct(regCtx(alice), p.ID, freezer.ProductUpdate{FreezerID: &bf.ID})
			assertCode(t, err, freezer.ENOTFOUND)
			found := MustFindProduct(t, regCtx(alice), store, p.ID)
			if got, want := found.FreezerID, f.ID; got != want {
				t.Errorf("freezer = %d, want %d", got, want)
			}
			list, err := store.FindProducts(regCtx(bob), freezer.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("bob's products = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, _, p := setup(t, store)
			bob := MustRegister(t, store, "bob@example.com")
			_, err := store.UpdateProduct(regCtx(bob), p.ID, freezer.ProductUpdate{DateOut: &today})
			assertCode(t, err, freezer.ENOTFOUND)
			_, err = store.UpdateProduct(regCtx(bob), p.ID+1000, freezer.ProductUpdate{DateOut: &today})
			assertCode(t, err, freezer.ENOTFOUND)
			if got, want := MustFindProduct(t, regCtx(alice), store, p.ID).Inside(), true; got != want {
				t.Errorf("inside = %v, want %v", got, want)
			}
		})
	})

	t.Run("Version", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, _, p := setup(t, store)
			ctx := regCtx(alice)
			got, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("First"), Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.Version, int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			// A client still holding version 1 is refused.
			_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("Stale"), Version: 1})
			assertCode(t, err, freezer.ECONFLICT)
			_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("Future"), Version: 9})
			assertCode(t, err, freezer.ECONFLICT)
			found := MustFindProduct(t, ctx, store, p.ID)
			if got, want := found.Name, "First"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := found.Version, int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			// The current version, or none, is accepted.
			if _, err := store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("Second"), Version: 2}); err != nil {
				t.Fatal(err)
			}
			got, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{Name: ptr("Third")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.Version, int64(4); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrAtomic", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice, f, p := setup(t, store)
			ctx := regCtx(alice)
			MustCreateProduct(t, ctx, store, newProduct(f, 2, 1))
			before := MustFindProduct(t, ctx, store, p.ID)
			tests := []struct {
				desc string
				upd  freezer.ProductUpdate
				code string
			}{
				{desc: "rename and move into a taken slot", upd: freezer.ProductUpdate{Name: ptr("Changed"), Quantity: ptr(9), Box: ptr(2)}, code: freezer.ECONFLICT},
				{desc: "rename and move past the last box", upd: freezer.ProductUpdate{Name: ptr("Changed"), Box: ptr(4)}, code: freezer.EINVALID},
				{desc: "rename and an unknown type", upd: freezer.ProductUpdate{Name: ptr("Changed"), TypeID: ptr(int64(999))}, code: freezer.EINVALID},
				{desc: "take out before date_in", upd: freezer.ProductUpdate{Name: ptr("Changed"), DateOut: ptr(before.DateIn.AddDays(-1))}, code: freezer.EINVALID},
				{desc: "take out tomorrow", upd: freezer.ProductUpdate{DateOut: ptr(today.AddDays(1))}, code: freezer.EINVALID},
				{desc: "date_in in the future", upd: freezer.ProductUpdate{Name: ptr("Changed"), DateIn: ptr(today.AddDays(1))}, code: freezer.EINVALID},
				{desc: "bad barcode", upd: freezer.ProductUpdate{Name: ptr("Changed"), Barcode: ptr("123")}, code: freezer.EINVALID},
				{desc: "stale version", upd: freezer.ProductUpdate{Name: ptr("Changed"), Version: 7}, code: freezer.ECONFLICT},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					_, err := store.UpdateProduct(ctx, p.ID, tt.upd)
					assertCode(t, err, tt.code)
					if after := MustFindProduct(t, ctx, store, p.ID); !sameProduct(after, before) {
						t.Errorf("after a failed update = %+v\nwant unchanged %+v", *after, *before)
					}
				})
			}
		})
	})
}

func TestDeleteProduct(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			if err := store.DeleteProduct(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			_, err := store.FindProductByID(ctx, p.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			assertCode(t, store.DeleteProduct(ctx, p.ID), freezer.ENOTFOUND)
			// The slot is free and the freezer has no history left.
			if got, want := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0)).Slot, 1; got != want {
				t.Errorf("slot after deletion = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 1)
			p := MustCreateProduct(t, regCtx(alice), store, newProduct(f, 1, 0))
			assertCode(t, store.DeleteProduct(regCtx(bob), p.ID), freezer.ENOTFOUND)
			assertCode(t, store.DeleteProduct(context.Background(), p.ID), freezer.EUNAUTHORIZED)
			MustFindProduct(t, regCtx(alice), store, p.ID)
		})
	})
}

// rawProduct inserts a product with raw SQL, around the store's checks.
func rawProduct(raw *sql.DB, p *freezer.Product) error {
	_, err := raw.Exec(`INSERT INTO products (household_id, freezer_id, box, slot, name, description, type_id, quantity,
		date_in, date_out, period_months, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, 1, ?, ?)`,
		p.HouseholdID, p.FreezerID, p.Box, p.Slot, p.Name, p.TypeID, p.Quantity, p.DateIn, p.DateOut, p.PeriodMonths, testdb.Now, testdb.Now)
	return err
}

// TestProductConstraints checks that the database itself, not only the
// store, refuses a second product inside one slot and a date_out before date_in.
func TestProductConstraints(t *testing.T) {
	eachDBWithRaw(t, func(t *testing.T, store *db.DB, raw *sql.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ctx := regCtx(alice)
		f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
		first := MustCreateProduct(t, ctx, store, newProduct(f, 1, 1))
		count := func(t *testing.T) int {
			t.Helper()
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM products WHERE freezer_id = ?`, f.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		uniqueText, checkText := "UNIQUE constraint failed", "CHECK constraint failed"
		if store.Dialect() == db.MySQL {
			uniqueText, checkText = "Duplicate entry", "products_dates"
		}

		t.Run("ErrSecondInside", func(t *testing.T) {
			dup := newProduct(f, 1, 1)
			dup.HouseholdID, dup.Name = alice.Household.ID, "Raw duplicate"
			err := rawProduct(raw, dup)
			if err == nil {
				t.Fatal("raw insert of a second product inside the same slot succeeded")
			}
			if got, want := strings.Contains(err.Error(), uniqueText), true; got != want {
				t.Errorf("error %q does not contain %q", err, uniqueText)
			}
			if got, want := count(t), 1; got != want {
				t.Errorf("products = %d, want %d", got, want)
			}
		})

		t.Run("HistoryAllowed", func(t *testing.T) {
			past := newProduct(f, 1, 1)
			past.HouseholdID, past.Name, past.DateIn, past.DateOut = alice.Household.ID, "Raw history", daysAgo(40), daysAgo(20)
			if err := rawProduct(raw, past); err != nil {
				t.Fatalf("raw insert of a taken-out product in an occupied slot: %v", err)
			}
			if got, want := count(t), 2; got != want {
				t.Errorf("products = %d, want %d", got, want)
			}
			// Making it inside again with raw SQL is refused too.
			_, err := raw.Exec(`UPDATE products SET date_out = NULL WHERE freezer_id = ? AND name = ?`, f.ID, "Raw history")
			if err == nil {
				t.Fatal("raw put-back into an occupied slot succeeded")
			}
			if got, want := strings.Contains(err.Error(), uniqueText), true; got != want {
				t.Errorf("error %q does not contain %q", err, uniqueText)
			}
		})

		t.Run("ErrDateOutBeforeDateIn", func(t *testing.T) {
			bad := newProduct(f, 2, 1)
			bad.HouseholdID, bad.Name, bad.DateIn, bad.DateOut = alice.Household.ID, "Raw dates", daysAgo(5), daysAgo(6)
			err := rawProduct(raw, bad)
			if err == nil {
				t.Fatal("raw insert with date_out before date_in succeeded")
			}
			if got, want := strings.Contains(err.Error(), checkText), true; got != want {
				t.Errorf("error %q does not contain %q", err, checkText)
			}
			_, err = raw.Exec(`UPDATE products SET date_out = ? WHERE id = ?`, first.DateIn.AddDays(-1), first.ID)
			if err == nil {
				t.Fatal("raw update with date_out before date_in succeeded")
			}
			if got, want := MustFindProduct(t, ctx, store, first.ID).Inside(), true; got != want {
				t.Errorf("first product inside = %v, want %v", got, want)
			}
			if got, want := count(t), 2; got != want {
				t.Errorf("products = %d, want %d", got, want)
			}
		})
	})
}
