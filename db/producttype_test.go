package db_test

import (
	"context"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestFindProductTypes(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			// Anybody may read the list, even without signing in.
			types, err := store.FindProductTypes(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(types), 43; got != want {
				t.Fatalf("types = %d, want %d", got, want)
			}
			for i, typ := range types {
				if got, want := typ.ID, int64(i+1); got != want {
					t.Errorf("types[%d].ID = %d, want %d", i, got, want)
				}
			}
			typ, err := store.FindProductTypeByID(context.Background(), 3)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := typ.NameEN, "meal soup (vegetable)"; got != want {
				t.Errorf("English name = %q, want %q", got, want)
			}
			if got, want := typ.NameFR, "soupe repas (légume)"; got != want {
				t.Errorf("French name = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			for _, id := range []int64{0, -1, 44, 1 << 40} {
				_, err := store.FindProductTypeByID(context.Background(), id)
				if got, want := freezer.ErrorCode(err), freezer.ENOTFOUND; got != want {
					t.Errorf("FindProductTypeByID(%d) code = %q, want %q", id, got, want)
				}
			}
		})
	})
}

func TestCreateProductType(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			typ := &freezer.ProductType{NameEN: "dumplings", NameFR: "raviolis chinois"}
			if err := store.CreateProductType(regCtx(root), typ); err != nil {
				t.Fatal(err)
			}
			if got, want := typ.ID, int64(44); got != want {
				t.Errorf("id = %d, want %d", got, want)
			}
			found, err := store.FindProductTypeByID(context.Background(), typ.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := *found, *typ; got != want {
				t.Errorf("stored = %+v, want %+v", got, want)
			}
			// The system may keep an imported id.
			imported := &freezer.ProductType{ID: 500, NameEN: "imported", NameFR: "importé"}
			if err := store.CreateProductType(systemCtx(), imported); err != nil {
				t.Fatal(err)
			}
			if got, want := imported.ID, int64(500); got != want {
				t.Errorf("imported id = %d, want %d", got, want)
			}
			// A preset id that exists is a conflict.
			err = store.CreateProductType(systemCtx(), &freezer.ProductType{ID: 500, NameEN: "again", NameFR: "encore"})
			assertCode(t, err, freezer.ECONFLICT)
		})
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			err := store.CreateProductType(regCtx(alice), &freezer.ProductType{NameEN: "x", NameFR: "x"})
			assertCode(t, err, freezer.EFORBIDDEN)
			err = store.CreateProductType(context.Background(), &freezer.ProductType{NameEN: "x", NameFR: "x"})
			assertCode(t, err, freezer.EUNAUTHORIZED)
			types, err := store.FindProductTypes(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(types), 43; got != want {
				t.Errorf("types = %d, want %d", got, want)
			}
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			assertCode(t, store.CreateProductType(regCtx(root), &freezer.ProductType{NameEN: "", NameFR: "x"}), freezer.EINVALID)
			assertCode(t, store.CreateProductType(regCtx(root), &freezer.ProductType{NameEN: "x", NameFR: " "}), freezer.EINVALID)
		})
	})
}

func TestUpdateProductType(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			typ, err := store.UpdateProductType(regCtx(root), 1, freezer.ProductTypeUpdate{NameEN: ptr("clear soup")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := typ.NameEN, "clear soup"; got != want {
				t.Errorf("English name = %q, want %q", got, want)
			}
			found, err := store.FindProductTypeByID(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.NameEN, "clear soup"; got != want {
				t.Errorf("stored English name = %q, want %q", got, want)
			}
			if got, want := found.NameFR, "soupe"; got != want {
				t.Errorf("stored French name = %q, want %q (unchanged)", got, want)
			}
		})
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			alice := MustRegister(t, store, "alice@example.com")
			_, err := store.UpdateProductType(regCtx(alice), 1, freezer.ProductTypeUpdate{NameEN: ptr("mine")})
			assertCode(t, err, freezer.EFORBIDDEN)
			found, err := store.FindProductTypeByID(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := found.NameEN, "soup"; got != want {
				t.Errorf("English name = %q, want %q", got, want)
			}
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			_, err := store.UpdateProductType(regCtx(root), 999, freezer.ProductTypeUpdate{NameEN: ptr("x")})
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		testdb.EachDB(t, func(t *testing.T, store *db.DB) {
			root := MustRegisterAdmin(t, store, "root@example.com")
			_, err := store.UpdateProductType(regCtx(root), 1, freezer.ProductTypeUpdate{NameFR: ptr("")})
			assertCode(t, err, freezer.EINVALID)
		})
	})
}
