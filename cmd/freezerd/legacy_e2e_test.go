package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/freezer-manager/freezer/internal/testdb"
)

// TestImportThenLegacyAPI imports an original database, then an app written
// for the original system reads it back through the legacy API with the
// user's old token, and the user signs in with the old password.
func TestImportThenLegacyAPI(t *testing.T) {
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		from, token := mustLegacyDatabase(t, "ef", "eve@example.com")
		runImport(t, 0, "--db", dsn, "--from", from)
		base, _ := startServer(t, ServeConfig{Config: Config{DB: dsn}})

		get := func(path string) (int, any) {
			t.Helper()
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var v any
			if len(body) > 0 {
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("GET %s: %s is not JSON", path, body)
				}
			}
			return resp.StatusCode, v
		}
		if code, _ := get("/check_token/" + token); code != http.StatusOK {
			t.Fatalf("check_token with the imported token = %d, want 200", code)
		}
		_, freezers := get("/freezers/" + token)
		wantFreezers := []any{map[string]any{"freezer_id": 7.0, "freezer_name": "Congélateur", "number_boxes": 3.0}}
		if !reflect.DeepEqual(freezers, wantFreezers) {
			t.Errorf("freezers = %v, want %v", freezers, wantFreezers)
		}
		_, products := get("/get_product/all/0/" + token)
		wantProducts := []any{map[string]any{
			"box_num": 1.0, "date_formatted_in": "2026-01-10", "date_formatted_out": nil, "descr_id": 10.0,
			"freezer_id": 7.0, "freezer_name": "Congélateur", "period": 6.0, "prod_num": 1.0,
			"product_name": "Soupe de Noël", "quantity": 4.0, "text_descr": "potiron", "type_id": 44.0,
		}}
		if !reflect.DeepEqual(products, wantProducts) {
			t.Errorf("products = %v, want %v", products, wantProducts)
		}
		_, types := get("/types/" + token)
		list, _ := types.([]any)
		if len(list) != 44 || !reflect.DeepEqual(list[43], map[string]any{"type_id": 44.0, "type_name_en": "game", "type_name_fr": "gibier"}) {
			t.Errorf("types: %d, last %v; want 44 with the imported type last", len(list), list[len(list)-1])
		}
		_, next := get("/freezer_next_id/7/" + token)
		if !reflect.DeepEqual(next, map[string]any{"1": 2.0, "2": 1.0, "3": 1.0}) {
			t.Errorf("freezer_next_id = %v", next)
		}

		// The old DES-crypt password works once, and is then stored as argon2id.
		store := testdb.MustOpen(t, dsn)
		if _, err := store.Authenticate(context.Background(), "eve@example.com", "password"); err != nil {
			t.Fatalf("sign in with the legacy password: %v", err)
		}
		if _, err := store.Authenticate(context.Background(), "eve@example.com", "password"); err != nil {
			t.Fatalf("sign in again after the hash upgrade: %v", err)
		}
		if _, err := store.Authenticate(context.Background(), "eve@example.com", "wrong"); err == nil {
			t.Error("a wrong password was accepted")
		}
	})
}
