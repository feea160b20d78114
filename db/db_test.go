package db_test

import (
	"context"
	"testing"

	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

func TestMigrate(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		ctx := context.Background()
		v, err := store.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v < 2 {
			t.Errorf("schema version = %d, want at least 2", v)
		}
		if err := store.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		types, err := store.FindProductTypes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.DefaultProductTypes()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(types), len(want); got != want || got != 43 {
			t.Fatalf("product types = %d, want %d (43)", got, want)
		}
		for i, typ := range types {
			if *typ != *want[i] {
				t.Errorf("type %d = %+v, want %+v", i, *typ, *want[i])
			}
		}
		if got, want := types[2].NameFR, "soupe repas (légume)"; got != want {
			t.Errorf("type 3 French name = %q, want %q", got, want)
		}
	})
}
