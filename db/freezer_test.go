package db_test

import (
	"context"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestCreateFreezer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Garage chest", 6)
			if f.ID == 0 {
				t.Fatal("id = 0")
			}
			if got, want := f.CreatedAt.Equal(testdb.Now), true; got != want {
				t.Errorf("created_at = %v, want %v", f.CreatedAt, testdb.Now)
			}
			found, err := store.FindFreezerByID(regCtx(alice), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.Name, "Garage chest"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := found.NumberBoxes, 6; got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			if got, want := found.HouseholdID, alice.Household.ID; got != want {
				t.Errorf("household = %d, want %d", got, want)
			}
			if found.ArchivedAt != nil {
				t.Errorf("archived_at = %v, want nil", found.ArchivedAt)
			}
			if got, want := found.CreatedAt.Equal(testdb.Now), true; got != want {
				t.Errorf("stored created_at = %v, want %v", found.CreatedAt, testdb.Now)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			tests := []struct {
				desc string
				f    freezer.Freezer
			}{
				{desc: "no name", f: freezer.Freezer{HouseholdID: alice.Household.ID, NumberBoxes: 1}},
				{desc: "no boxes", f: freezer.Freezer{HouseholdID: alice.Household.ID, Name: "x", NumberBoxes: 0}},
				{desc: "too many boxes", f: freezer.Freezer{HouseholdID: alice.Household.ID, Name: "x", NumberBoxes: freezer.MaxBoxes + 1}},
				{desc: "no household", f: freezer.Freezer{Name: "x", NumberBoxes: 1}},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					assertCode(t, store.CreateFreezer(ctx, &tt.f), freezer.EINVALID)
				})
			}
		})
	})

	t.Run("ErrNotFoundOtherHousehold", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			err := store.CreateFreezer(regCtx(alice), &freezer.Freezer{HouseholdID: bob.Household.ID, Name: "Sneaky", NumberBoxes: 1})
			assertCode(t, err, freezer.ENOTFOUND)
			list, err := store.FindFreezers(regCtx(bob), freezer.FreezerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("bob's freezers = %d, want %d", got, want)
			}
		})
	})

	t.Run("PresetID", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := &freezer.Freezer{ID: 7001, HouseholdID: alice.Household.ID, Name: "Imported", NumberBoxes: 3}
			if err := store.CreateFreezer(systemCtx(), f); err != nil {
				t.Fatal(err)
			}
			if got, want := f.ID, int64(7001); got != want {
				t.Errorf("id = %d, want %d", got, want)
			}
			found, err := store.FindFreezerByID(regCtx(alice), 7001)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.Name, "Imported"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			// The same id again is a conflict.
			err = store.CreateFreezer(systemCtx(), &freezer.Freezer{ID: 7001, HouseholdID: alice.Household.ID, Name: "Twice", NumberBoxes: 1})
			assertCode(t, err, freezer.ECONFLICT)
		})
	})

	t.Run("ErrInvalidPresetIDForUser", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			err := store.CreateFreezer(regCtx(alice), &freezer.Freezer{ID: 7001, HouseholdID: alice.Household.ID, Name: "Chosen", NumberBoxes: 1})
			assertCode(t, err, freezer.EINVALID)
			_, err = store.FindFreezerByID(systemCtx(), 7001)
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestFindFreezers(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			a1 := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			MustCreateFreezer(t, store, bob, "Bob's", 3)
			a2 := MustCreateFreezer(t, store, alice, "Garage", 5)

			list, err := store.FindFreezers(regCtx(alice), freezer.FreezerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 2; got != want {
				t.Fatalf("freezers = %d, want %d", got, want)
			}
			if got, want := list[0].ID, a1.ID; got != want {
				t.Errorf("freezers[0] = %d, want %d", got, want)
			}
			if got, want := list[1].ID, a2.ID; got != want {
				t.Errorf("freezers[1] = %d, want %d", got, want)
			}

			list, err = store.FindFreezers(regCtx(alice), freezer.FreezerFilter{Offset: 1, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 1; got != want {
				t.Fatalf("page = %d, want %d", got, want)
			}
			if got, want := list[0].ID, a2.ID; got != want {
				t.Errorf("page[0] = %d, want %d", got, want)
			}

			// Asking for bob's household by id gives nothing, not bob's freezer.
			list, err = store.FindFreezers(regCtx(alice), freezer.FreezerFilter{HouseholdID: &bob.Household.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 0; got != want {
				t.Errorf("freezers of bob's household seen by alice = %d, want %d", got, want)
			}

			all, err := store.FindFreezers(systemCtx(), freezer.FreezerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(all), 3; got != want {
				t.Errorf("freezers seen by the system = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			_, err := store.FindFreezers(context.Background(), freezer.FreezerFilter{})
			assertCode(t, err, freezer.EUNAUTHORIZED)
		})
	})
}

// TestFreezerOtherHousehold checks that every method answers ENOTFOUND for
// another household's freezer, as for one that does not exist, and changes
// nothing.
func TestFreezerOtherHousehold(t *testing.T) {
	t.Run("ErrNotFound", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			bob := MustRegister(t, store, "bob@example.com")
			f := MustCreateFreezer(t, store, bob, "Bob's", 3)
			ctx := regCtx(alice)
			for _, id := range []int64{f.ID, f.ID + 1000} {
				_, err := store.FindFreezerByID(ctx, id)
				assertCode(t, err, freezer.ENOTFOUND)
				_, err = store.UpdateFreezer(ctx, id, freezer.FreezerUpdate{Name: ptr("Mine")})
				assertCode(t, err, freezer.ENOTFOUND)
				_, err = store.UpdateFreezer(ctx, id, freezer.FreezerUpdate{NumberBoxes: ptr(1)})
				assertCode(t, err, freezer.ENOTFOUND)
				_, err = store.ArchiveFreezer(ctx, id)
				assertCode(t, err, freezer.ENOTFOUND)
				_, err = store.NextFreeSlots(ctx, id)
				assertCode(t, err, freezer.ENOTFOUND)
				assertCode(t, store.DeleteFreezer(ctx, id), freezer.ENOTFOUND)
				list, err := store.FindFreezers(ctx, freezer.FreezerFilter{ID: &id, IncludeArchived: true})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := len(list), 0; got != want {
					t.Errorf("FindFreezers by id = %d freezers, want %d", got, want)
				}
			}
			found, err := store.FindFreezerByID(regCtx(bob), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.Name, "Bob's"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := found.NumberBoxes, 3; got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			if found.ArchivedAt != nil {
				t.Errorf("archived_at = %v, want nil", found.ArchivedAt)
			}
		})
	})
}

func TestUpdateFreezer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			got, err := store.UpdateFreezer(regCtx(alice), f.ID, freezer.FreezerUpdate{Name: ptr("Kitchen top"), NumberBoxes: ptr(8)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.Name, "Kitchen top"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			found, err := store.FindFreezerByID(regCtx(alice), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.Name, "Kitchen top"; got != want {
				t.Errorf("stored name = %q, want %q", got, want)
			}
			if got, want := found.NumberBoxes, 8; got != want {
				t.Errorf("stored number_boxes = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			_, err := store.UpdateFreezer(regCtx(alice), f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(0)})
			assertCode(t, err, freezer.EINVALID)
			_, err = store.UpdateFreezer(regCtx(alice), f.ID, freezer.FreezerUpdate{Name: ptr("")})
			assertCode(t, err, freezer.EINVALID)
		})
	})

	t.Run("ErrConflictShrinkBelowProduct", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 5)
			MustCreateProduct(t, ctx, store, newProduct(f, 2, 0))
			p := MustCreateProduct(t, ctx, store, newProduct(f, 4, 0))

			_, err := store.UpdateFreezer(ctx, f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(3), Name: ptr("Renamed")})
			assertCode(t, err, freezer.ECONFLICT)
			found, err := store.FindFreezerByID(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.NumberBoxes, 5; got != want {
				t.Errorf("number_boxes after a refused resize = %d, want %d", got, want)
			}
			if got, want := found.Name, "Kitchen"; got != want {
				t.Errorf("name after a refused resize = %q, want %q", got, want)
			}
			// Down to the box that holds it is fine.
			if _, err := store.UpdateFreezer(ctx, f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(4)}); err != nil {
				t.Fatalf("resize to the highest occupied box: %v", err)
			}

			// Once the product is taken out, the box may go.
			MustTakeOut(t, ctx, store, p.ID, today)
			updated, err := store.UpdateFreezer(ctx, f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(2)})
			if err != nil {
				t.Fatalf("resize after taking the product out: %v", err)
			}
			if got, want := updated.NumberBoxes, 2; got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			// Box 2 still holds a product.
			_, err = store.UpdateFreezer(ctx, f.ID, freezer.FreezerUpdate{NumberBoxes: ptr(1)})
			assertCode(t, err, freezer.ECONFLICT)
		})
	})
}

func TestDeleteFreezer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			f := MustCreateFreezer(t, store, alice, "Spare", 2)
			if err := store.DeleteFreezer(regCtx(alice), f.ID); err != nil {
				t.Fatal(err)
			}
			_, err := store.FindFreezerByID(regCtx(alice), f.ID)
			assertCode(t, err, freezer.ENOTFOUND)
			assertCode(t, store.DeleteFreezer(regCtx(alice), f.ID), freezer.ENOTFOUND)
		})
	})

	t.Run("ErrConflictHistory", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			assertCode(t, store.DeleteFreezer(ctx, f.ID), freezer.ECONFLICT)
			// Taken out, it is history: still no deletion.
			MustTakeOut(t, ctx, store, p.ID, today)
			assertCode(t, store.DeleteFreezer(ctx, f.ID), freezer.ECONFLICT)
			if _, err := store.FindFreezerByID(ctx, f.ID); err != nil {
				t.Errorf("freezer after a refused deletion: %v", err)
			}
			if got, want := MustFindProduct(t, ctx, store, p.ID).FreezerID, f.ID; got != want {
				t.Errorf("product freezer = %d, want %d", got, want)
			}
		})
	})
}

func TestArchiveFreezer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			kept := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			f := MustCreateFreezer(t, store, alice, "Old one", 2)
			p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			MustTakeOut(t, ctx, store, p.ID, today)

			archived, err := store.ArchiveFreezer(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if archived.ArchivedAt == nil || !archived.ArchivedAt.Equal(testdb.Now) {
				t.Errorf("archived_at = %v, want %v", archived.ArchivedAt, testdb.Now)
			}

			list, err := store.FindFreezers(ctx, freezer.FreezerFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 1; got != want {
				t.Fatalf("freezers = %d, want %d", got, want)
			}
			if got, want := list[0].ID, kept.ID; got != want {
				t.Errorf("freezer = %d, want %d", got, want)
			}
			list, err = store.FindFreezers(ctx, freezer.FreezerFilter{IncludeArchived: true})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(list), 2; got != want {
				t.Fatalf("freezers with archived = %d, want %d", got, want)
			}
			if list[1].ArchivedAt == nil {
				t.Errorf("archived freezer has no archived_at")
			}
			// It stays readable by id, with its history.
			found, err := store.FindFreezerByID(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if found.ArchivedAt == nil || !found.ArchivedAt.Equal(testdb.Now) {
				t.Errorf("stored archived_at = %v, want %v", found.ArchivedAt, testdb.Now)
			}
			if got, want := MustFindProduct(t, ctx, store, p.ID).Inside(), false; got != want {
				t.Errorf("history product inside = %v, want %v", got, want)
			}
			// Nothing goes into an archived freezer, and nothing comes back.
			assertCode(t, store.CreateProduct(ctx, newProduct(f, 1, 0)), freezer.ECONFLICT)
			_, err = store.UpdateProduct(ctx, p.ID, freezer.ProductUpdate{DateOut: &freezer.Date{}})
			assertCode(t, err, freezer.ECONFLICT)
		})
	})

	t.Run("ErrConflictProductInside", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
			MustCreateProduct(t, ctx, store, newProduct(f, 2, 0))
			_, err := store.ArchiveFreezer(ctx, f.ID)
			assertCode(t, err, freezer.ECONFLICT)
			found, err := store.FindFreezerByID(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if found.ArchivedAt != nil {
				t.Errorf("archived_at after a refused archive = %v, want nil", found.ArchivedAt)
			}
		})
	})
}

func TestNextFreeSlots(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			ctx := regCtx(alice)
			f := MustCreateFreezer(t, store, alice, "Kitchen", 3)
			other := MustCreateFreezer(t, store, alice, "Garage", 3)

			next, err := store.NextFreeSlots(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(next), 3; got != want {
				t.Fatalf("boxes = %d, want %d", got, want)
			}
			for box := 1; box <= 3; box++ {
				if got, want := next[box], 1; got != want {
					t.Errorf("empty freezer box %d: next = %d, want %d", box, got, want)
				}
			}

			// Box 1: slots 1, 2 and 4 taken: the hole at 3 comes first.
			for _, slot := range []int{1, 2, 4} {
				MustCreateProduct(t, ctx, store, newProduct(f, 1, slot))
			}
			// Box 2: slot 1 taken, slot 2 taken then taken out.
			MustCreateProduct(t, ctx, store, newProduct(f, 2, 1))
			out := MustCreateProduct(t, ctx, store, newProduct(f, 2, 2))
			MustTakeOut(t, ctx, store, out.ID, today)
			// The other freezer's products do not count.
			MustCreateProduct(t, ctx, store, newProduct(other, 3, 1))

			next, err = store.NextFreeSlots(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			for box, want := range map[int]int{1: 3, 2: 2, 3: 1} {
				if got := next[box]; got != want {
					t.Errorf("box %d: next = %d, want %d", box, got, want)
				}
			}

			// Creating with slot 0 takes exactly that slot.
			p := MustCreateProduct(t, ctx, store, newProduct(f, 1, 0))
			if got, want := p.Slot, 3; got != want {
				t.Errorf("slot 0 in box 1 = %d, want %d", got, want)
			}
			next, err = store.NextFreeSlots(ctx, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := next[1], 5; got != want {
				t.Errorf("box 1 after filling the hole: next = %d, want %d", got, want)
			}
		})
	})
}
