package v1_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// Texts that must survive an export, CSV and an import unchanged.
const (
	accents   = "Soupe de Noël, « maison » — crème brûlée 日本 ☕"
	quotes    = `Tarte "tatin", façon 'mamie'`
	injection = `'; DROP TABLE products; -- \ %_ !`
	markup    = `<script>alert("x")</script>`
	multiline = "Tomates \"bio\"\nrecette de grand-mère, épicée\n"
)

// exportWorld fills u's household through the API: two freezers (one
// archived), products inside and taken out, one changed twice.
func exportWorld(t *testing.T, e *apitest.Env, u *apitest.User) {
	t.Helper()
	e.Request(t, u, http.MethodPatch, fmt.Sprintf("/households/%d", u.Household), map[string]any{"name": "Maison « Dupont »", "due_soon_days": 21}).
		WantStatus(t, http.StatusOK)
	kitchen := storeFreezer(t, e, u, "Cuisine, grand modèle", 3)
	garage := storeFreezer(t, e, u, injection, 1)
	add := func(f *freezer.Freezer, box int, name, description, barcode string, typeID int64, dateIn string) int64 {
		var p freezer.Product
		e.Request(t, u, http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": box, "name": name, "description": description,
			"barcode": barcode, "type_id": typeID, "quantity": 2, "date_in": dateIn, "period_months": 1}).
			WantStatus(t, http.StatusCreated).Decode(t, &productView{Product: &p})
		return p.ID
	}
	add(kitchen, 1, accents, multiline, "4006381333931", 3, "2026-03-01")
	quotes := add(kitchen, 1, quotes, markup, "", 12, "2026-01-31")
	e.Request(t, u, http.MethodPost, fmt.Sprintf("/products/%d/take-out", quotes), map[string]any{"date": "2026-03-01"}).WantStatus(t, http.StatusOK)
	injection := add(kitchen, 2, injection, "=HYPERLINK(\"http://x\")", "", 3, "2026-02-10")
	e.Request(t, u, http.MethodPatch, fmt.Sprintf("/products/%d", injection), map[string]any{"quantity": 5}).WantStatus(t, http.StatusOK)
	old := add(garage, 1, "+33 pain", "-", "", 1, "2025-11-30")
	e.Request(t, u, http.MethodPost, fmt.Sprintf("/products/%d/take-out", old), map[string]any{"date": "2025-12-30"}).WantStatus(t, http.StatusOK)
	if _, err := e.Store.ArchiveFreezer(u.Ctx, garage.ID); err != nil {
		t.Fatal(err)
	}
}

// normalized is an export without ids and timestamps; freezers are
// referred to by their position.
func normalized(tb testing.TB, doc freezer.HouseholdExport) string {
	tb.Helper()
	doc.ExportedAt = time.Time{}
	position := map[int64]int64{}
	for i, f := range doc.Freezers {
		position[f.ID] = int64(i)
		archived := f.ArchivedAt != nil
		*f = freezer.ExportedFreezer{ID: int64(i), Name: f.Name, NumberBoxes: f.NumberBoxes}
		if archived {
			f.ArchivedAt = &time.Time{}
		}
	}
	for _, p := range doc.Products {
		// An import into a server where the ids are taken turns them into
		// labels (aliases); the db tests check those.
		p.ID, p.FreezerID, p.CreatedAt, p.UpdatedAt, p.Labels = 0, position[p.FreezerID], time.Time{}, time.Time{}, nil
	}
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

func TestExportImportRoundTrip(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		exportWorld(t, e, alice)

		r := e.Get(t, alice, fmt.Sprintf("/households/%d/export", alice.Household)).WantStatus(t, http.StatusOK)
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition = %q, want an attachment", cd)
		}
		var first freezer.HouseholdExport
		r.Decode(t, &first)
		if first.Format != "freezer-manager-export" || first.Version != 1 || first.Household.Name != "Maison « Dupont »" ||
			len(first.Freezers) != 2 || len(first.Products) != 4 || len(first.ProductTypes) != 3 {
			t.Fatalf("export = %s", r.Body)
		}
		if p := first.Products[2]; p.Name != injection || p.Version != 2 || p.Quantity != 5 {
			t.Fatalf("third product = %+v", p)
		}

		var result freezer.ImportResult
		e.Request(t, bob, http.MethodPost, fmt.Sprintf("/households/%d/import", bob.Household), r.Body).
			WantStatus(t, http.StatusCreated).Decode(t, &result)
		if result != (freezer.ImportResult{HouseholdID: bob.Household, Freezers: 2, Products: 4, Inside: 2, Aliases: 4}) {
			t.Fatalf("import = %+v", result)
		}

		var second freezer.HouseholdExport
		e.Get(t, bob, fmt.Sprintf("/households/%d/export", bob.Household)).WantStatus(t, http.StatusOK).Decode(t, &second)
		if got, want := normalized(t, second), normalized(t, first); got != want {
			t.Fatalf("bob's export:\n%s\nwant alice's:\n%s", got, want)
		}
		var products listPage[productView]
		e.Get(t, bob, "/products?state=all").WantStatus(t, http.StatusOK).Decode(t, &products)
		if len(products.Items) != 4 || products.Items[0].HouseholdID != bob.Household {
			t.Fatalf("bob's products = %+v", products.Items)
		}

		t.Run("ErrNotEmpty", func(t *testing.T) {
			e.Request(t, bob, http.MethodPost, fmt.Sprintf("/households/%d/import", bob.Household), r.Body).
				WantError(t, http.StatusConflict, freezer.ECONFLICT)
			e.Request(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", alice.Household), r.Body).
				WantError(t, http.StatusConflict, freezer.ECONFLICT)
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			carol := e.User(t)
			for _, path := range []string{"/export", "/export.csv"} {
				e.Get(t, carol, fmt.Sprintf("/households/%d%s", alice.Household, path)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			}
			// Even an empty household of someone else, even with a bad document.
			e.Request(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", carol.Household), r.Body).
				WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Request(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", carol.Household), "{").
				WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Get(t, alice, "/households/x/export").WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Get(t, nil, fmt.Sprintf("/households/%d/export", alice.Household)).WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

func TestExportCSV(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice := e.User(t)
		exportWorld(t, e, alice)
		var doc freezer.HouseholdExport
		e.Get(t, alice, fmt.Sprintf("/households/%d/export", alice.Household)).WantStatus(t, http.StatusOK).Decode(t, &doc)

		r := e.Get(t, alice, fmt.Sprintf("/households/%d/export.csv", alice.Household)).WantStatus(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.HasSuffix(string(r.Body), "\r\n") || !strings.HasPrefix(string(r.Body), "id,freezer_id,") {
			t.Errorf("body does not start with the header or end with CRLF: %q", r.Body)
		}
		records, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil {
			t.Fatalf("parse CSV: %v\n%s", err, r.Body)
		}
		header := strings.Join(records[0], ",")
		if header != "id,freezer_id,freezer_name,box,slot,name,description,type_id,type_name_en,type_name_fr,quantity,barcode,date_in,date_out,period_months,use_by,version" {
			t.Fatalf("header = %s", header)
		}
		if len(records) != 1+len(doc.Products) {
			t.Fatalf("rows = %d, want %d", len(records)-1, len(doc.Products))
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		freezers := map[int64]string{}
		for _, f := range doc.Freezers {
			freezers[f.ID] = f.Name
		}
		for i, p := range doc.Products {
			row := records[i+1]
			cell := func(name string) string { return row[col[name]] }
			want := map[string]string{
				"id": fmt.Sprint(p.ID), "freezer_id": fmt.Sprint(p.FreezerID), "freezer_name": freezers[p.FreezerID],
				"box": fmt.Sprint(p.Box), "slot": fmt.Sprint(p.Slot), "name": p.Name, "description": p.Description,
				"type_id": fmt.Sprint(p.TypeID), "quantity": fmt.Sprint(p.Quantity), "barcode": p.Barcode,
				"date_in": p.DateIn.String(), "date_out": p.DateOut.String(), "period_months": fmt.Sprint(p.PeriodMonths),
				"use_by": freezer.UseBy(p.DateIn, p.PeriodMonths).String(), "version": fmt.Sprint(p.Version),
			}
			// Cells a spreadsheet would run as a formula start with a quote.
			for _, k := range []string{"freezer_name", "name", "description"} {
				if strings.ContainsAny(want[k][:1], "=+-@") {
					want[k] = "'" + want[k]
				}
			}
			for k, v := range want {
				if got := cell(k); got != v {
					t.Errorf("row %d %s = %q, want %q", i+1, k, got, v)
				}
			}
			if cell("type_name_en") == "" || cell("type_name_fr") == "" {
				t.Errorf("row %d has no type names: %q", i+1, row)
			}
		}
		// The texts themselves, by value: commas, quotes, newlines and accents survive.
		if got := records[1][col["name"]]; got != accents {
			t.Errorf("name = %q, want %q", got, accents)
		}
		if got := records[1][col["description"]]; got != multiline {
			t.Errorf("description = %q, want %q", got, multiline)
		}
		if got := records[2][col["name"]]; got != quotes {
			t.Errorf("name = %q, want %q", got, quotes)
		}
		if got := records[4][col["freezer_name"]]; got != injection {
			t.Errorf("freezer name = %q, want %q", got, injection)
		}
		if got := records[3][col["description"]]; got != `'=HYPERLINK("http://x")` {
			t.Errorf("formula = %q, want it quoted", got)
		}
		if got := records[2][col["date_out"]] + " " + records[2][col["use_by"]]; got != "2026-03-01 2026-02-28" {
			t.Errorf("date_out, use_by = %s", got)
		}
	})
}

func TestImportErrInvalid(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"format": "freezer-manager-export", "version": 1, "exported_at": "2026-03-01T10:00:00Z",
			"household": map[string]any{"name": "Home", "due_soon_days": 14},
			"freezers":  []any{map[string]any{"id": 7, "name": "Kitchen", "number_boxes": 2, "archived_at": nil}},
			"products": []any{map[string]any{"id": 1, "freezer_id": 7, "box": 1, "slot": 1, "name": "Soup", "description": "",
				"type_id": 1, "quantity": 2, "barcode": "", "date_in": "2026-03-01", "date_out": nil, "period_months": 3, "version": 1}},
			"product_types": []any{map[string]any{"id": 1, "name_en": "x", "name_fr": "y"}},
		}
	}
	product := func(doc map[string]any) map[string]any { return doc["products"].([]any)[0].(map[string]any) }
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice := e.User(t)
		path := fmt.Sprintf("/households/%d/import", alice.Household)
		for _, tc := range []struct {
			desc   string
			body   any
			want   string // in the message
			status int
		}{
			{"NotJSON", "{", "not valid JSON", 0},
			{"Trailing", `{"format":"x"} {}`, "not valid JSON", 0},
			{"NotObject", "[]", "must be a JSON object", 0},
			{"Format", func() any { d := valid(); d["format"] = "csv"; return d }(), "format must be", 0},
			{"FormatType", func() any { d := valid(); d["format"] = 1; return d }(), "format must be a string", 0},
			{"Version", func() any { d := valid(); d["version"] = 2; return d }(), "version 2 is not supported", 0},
			{"UnknownTop", func() any { d := valid(); d["owner"] = "me"; return d }(), "owner is not a field", 0},
			{"NoHousehold", func() any { d := valid(); delete(d, "household"); return d }(), "household is required", 0},
			{"HouseholdType", func() any { d := valid(); d["household"] = "Home"; return d }(), "household must be an object", 0},
			{"HouseholdName", func() any { d := valid(); d["household"] = map[string]any{"name": ""}; return d }(), "household.name is required", 0},
			{"FreezersType", func() any { d := valid(); d["freezers"] = "x"; return d }(), "freezers must be a list", 0},
			{"FreezerBoxes", func() any { d := valid(); d["freezers"].([]any)[0].(map[string]any)["number_boxes"] = "2"; return d }(),
				"freezers[0].number_boxes must be a number", 0},
			{"ProductDate", func() any { d := valid(); product(d)["date_in"] = "2026-02-30"; return d }(), "products[0].date_in: Invalid date", 0},
			{"ProductUnknownField", func() any { d := valid(); product(d)["colour"] = "red"; return d }(), "products[0].colour is not a field", 0},
			{"ProductBox", func() any { d := valid(); product(d)["box"] = 3; return d }(), "products[0].box must be between 1 and 2", 0},
			{"ProductFreezer", func() any { d := valid(); product(d)["freezer_id"] = 8; return d }(), "products[0].freezer_id 8 is not one of freezers", 0},
			{"ProductType", func() any { d := valid(); product(d)["type_id"] = 999; return d }(), "products[0].type_id 999", 0},
			{"ProductCreatedAt", func() any { d := valid(); product(d)["created_at"] = "yesterday"; return d }(), "products[0].created_at is not valid", 0},
			{"ContentType", "{}", "", http.StatusUnsupportedMediaType},
		} {
			t.Run(tc.desc, func(t *testing.T) {
				var r apitest.Response
				if tc.status == http.StatusUnsupportedMediaType {
					r = e.Request(t, alice, http.MethodPost, path, tc.body, "Content-Type", "text/plain")
					r.WantStatus(t, tc.status)
					return
				}
				r = e.Request(t, alice, http.MethodPost, path, tc.body)
				if msg := r.WantError(t, http.StatusBadRequest, freezer.EINVALID); !strings.Contains(msg, tc.want) {
					t.Fatalf("message %q does not contain %q", msg, tc.want)
				}
			})
		}
		// None of them changed the household; the valid document still imports.
		var result freezer.ImportResult
		e.Request(t, alice, http.MethodPost, path, valid()).WantStatus(t, http.StatusCreated).Decode(t, &result)
		if result.Freezers != 1 || result.Products != 1 || result.Inside != 1 {
			t.Fatalf("import = %+v", result)
		}
	})
}
