package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// resolveLabel returns the product a label id names for a household, as
// the hub resolves it: the household's own product, else its alias.
func resolveLabel(t *testing.T, store *db.DB, householdID, label int64) *freezer.Product {
	t.Helper()
	var found *freezer.Product
	_, err := store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
		p, err := tx.FindProduct(ctx, label)
		if err != nil && freezer.ErrorCode(err) != freezer.ENOTFOUND {
			return err
		}
		if p != nil && p.HouseholdID == householdID {
			found = p
			return nil
		}
		found, err = tx.FindAliasedProduct(ctx, householdID, label)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestImportKeepsLabels imports a household into a server where some of
// its ids are taken by another household's products and blank labels.
func TestImportKeepsLabels(t *testing.T) {
	source := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	alice := MustRegister(t, source, "alice@example.com")
	f := MustCreateFreezer(t, source, alice, "Chest", 2)
	var printed []*freezer.Product // ids 1 to 4
	for i := range 4 {
		p := newProduct(f, 1, 0)
		p.Name = []string{"Blanquette", "Soup", "Ratatouille", "Pesto"}[i]
		printed = append(printed, MustCreateProduct(t, regCtx(alice), source, p))
	}
	MustTakeOut(t, regCtx(alice), source, printed[1].ID, today)
	blank := MustReserve(t, source, alice, 2) // ids 5 and 6
	doc := mustExport(t, source, alice)
	if got := doc.BlankLabels; len(got) != 2 || got[0] != blank[0].ID {
		t.Fatalf("exported blank labels %v", got)
	}

	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		carol := MustRegister(t, store, "carol@example.com")
		g := MustCreateFreezer(t, store, carol, "Upright", 1)
		theirs := []*freezer.Product{MustCreateProduct(t, regCtx(carol), store, newProduct(g, 1, 0)), MustCreateProduct(t, regCtx(carol), store, newProduct(g, 1, 0))}
		carolBlank := MustReserve(t, store, carol, 1) // ids 1 and 2 are carol's products, 3 her blank label
		if theirs[1].ID != 2 || carolBlank[0].ID != 3 {
			t.Fatalf("carol's ids %d %d %d, want 1 2 3", theirs[0].ID, theirs[1].ID, carolBlank[0].ID)
		}
		bob := MustRegister(t, store, "bob@example.com")
		result, err := store.ImportHousehold(regCtx(bob), bob.Household.ID, doc)
		if err != nil {
			t.Fatal(err)
		}
		if result.KeptIDs != 1 || result.Aliases != 3 || result.BlankLabels != 2 {
			t.Errorf("result = %+v, want 1 id kept, 3 aliases, 2 blank labels", *result)
		}
		for _, p := range printed {
			if got := resolveLabel(t, store, bob.Household.ID, p.ID); got == nil || got.Name != p.Name || got.HouseholdID != bob.Household.ID {
				t.Errorf("label %d names %+v for bob, want %s", p.ID, got, p.Name)
			}
		}
		for _, p := range theirs {
			if got := resolveLabel(t, store, carol.Household.ID, p.ID); got == nil || got.ID != p.ID {
				t.Errorf("carol's label %d names %+v", p.ID, got)
			}
		}
		if r, err := store.FindLabelReservation(regCtx(carol), carolBlank[0].ID); err != nil || r.ClaimedAt != nil {
			t.Errorf("carol's blank label: %+v %v", r, err)
		}
		for _, r := range blank {
			if got, err := store.FindLabelReservation(regCtx(bob), r.ID); err != nil || got.HouseholdID != bob.Household.ID {
				t.Errorf("bob's blank label %d: %+v %v", r.ID, got, err)
			}
		}
		// No new id ever reaches a label of the document.
		if p := MustCreateProduct(t, regCtx(carol), store, newProduct(g, 1, 0)); p.ID <= blank[1].ID {
			t.Errorf("a new product took id %d, at or below the imported labels", p.ID)
		}
		// Exported again, every label goes along.
		again := mustExport(t, store, bob)
		var labels []int64
		for _, p := range again.Products {
			labels = append(labels, p.ID)
			labels = append(labels, p.Labels...)
		}
		labels = append(labels, again.BlankLabels...)
		slices.Sort(labels)
		if len(labels) != 9 || !slices.Equal(labels[:6], []int64{1, 2, 3, 4, 5, 6}) {
			t.Errorf("labels exported again %v, want 1 to 6 and the 3 new ids", labels)
		}

		t.Run("ErrOwnBlankLabel", func(t *testing.T) {
			dave := MustRegister(t, store, "dave@example.com")
			own := MustReserve(t, store, dave, 1)
			clash := *doc
			clash.Products = slices.Clone(doc.Products)
			first := *doc.Products[0]
			first.Labels = []int64{own[0].ID}
			clash.Products[0] = &first
			_, err := store.ImportHousehold(regCtx(dave), dave.Household.ID, &clash)
			assertCode(t, err, freezer.ECONFLICT)
			if list, err := store.FindProducts(regCtx(dave), freezer.ProductFilter{HouseholdID: &dave.Household.ID}); err != nil || len(list) != 0 {
				t.Errorf("a refused import stored %d products (%v)", len(list), err)
			}
		})
		t.Run("ErrLabelTwice", func(t *testing.T) {
			erin := MustRegister(t, store, "erin@example.com")
			twice := *doc
			twice.Products = slices.Clone(doc.Products)
			second := *doc.Products[1]
			second.Labels = []int64{doc.Products[0].ID}
			twice.Products[1] = &second
			_, err := store.ImportHousehold(regCtx(erin), erin.Household.ID, &twice)
			assertCode(t, err, freezer.EINVALID)
		})
	})
}
