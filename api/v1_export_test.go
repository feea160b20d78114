package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
)

// Texts that must survive an export, CSV and an import unchanged.
const (
	mhAccents   = "Soupe de Noël, « maison » — crème brûlée 日本 ☕"
	mhQuotes    = `Tarte "tatin", façon 'mamie'`
	mhInjection = `'; DROP TABLE products; -- \ %_ !`
	mhMarkup    = `<script>alert("x")</script>`
	mhMultiline = "Tomates \"bio\"\nrecette de grand-mère, épicée\n"
)

// mhExportWorld fills u's household through the API: two freezers (one
// archived), products inside and taken out, one changed twice.
func mhExportWorld(t *testing.T, e *mhEnv, u *mhUser) {
	t.Helper()
	e.call(t, u, http.MethodPatch, fmt.Sprintf("/households/%d", u.Household.ID), map[string]any{"name": "Maison « Dupont »", "due_soon_days": 21}).
		want(t, http.StatusOK)
	kitchen := e.freezer(t, u, "Cuisine, grand modèle", 3)
	garage := e.freezer(t, u, mhInjection, 1)
	add := func(f *freezer.Freezer, box int, name, description, barcode string, typeID int64, dateIn string) int64 {
		var p freezer.Product
		e.call(t, u, http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": box, "name": name, "description": description,
			"barcode": barcode, "type_id": typeID, "quantity": 2, "date_in": dateIn, "period_months": 1}).
			want(t, http.StatusCreated).decode(t, &mhProductView{Product: &p})
		return p.ID
	}
	add(kitchen, 1, mhAccents, mhMultiline, "4006381333931", 3, "2026-03-01")
	quotes := add(kitchen, 1, mhQuotes, mhMarkup, "", 12, "2026-01-31")
	e.call(t, u, http.MethodPost, fmt.Sprintf("/products/%d/take-out", quotes), map[string]any{"date": "2026-03-01"}).want(t, http.StatusOK)
	injection := add(kitchen, 2, mhInjection, "=HYPERLINK(\"http://x\")", "", 3, "2026-02-10")
	e.call(t, u, http.MethodPatch, fmt.Sprintf("/products/%d", injection), map[string]any{"quantity": 5}).want(t, http.StatusOK)
	old := add(garage, 1, "+33 pain", "-", "", 1, "2025-11-30")
	e.call(t, u, http.MethodPost, fmt.Sprintf("/products/%d/take-out", old), map[string]any{"date": "2025-12-30"}).want(t, http.StatusOK)
	if _, err := e.store.ArchiveFreezer(u.ctx, garage.ID); err != nil {
		t.Fatal(err)
	}
}

// mhNormalized is an export without ids and timestamps; freezers are
// referred to by their position.
func mhNormalized(tb testing.TB, doc freezer.HouseholdExport) string {
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

func TestV1ExportImportRoundTrip(t *testing.T) {
	mhDialects(t, func(t *testing.T, e *mhEnv) {
		alice, bob := e.user(t), e.user(t)
		mhExportWorld(t, e, alice)

		r := e.get(t, alice, fmt.Sprintf("/households/%d/export", alice.Household.ID)).want(t, http.StatusOK)
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition = %q, want an attachment", cd)
		}
		var first freezer.HouseholdExport
		r.decode(t, &first)
		if first.Format != "freezer-manager-export" || first.Version != 1 || first.Household.Name != "Maison « Dupont »" ||
			len(first.Freezers) != 2 || len(first.Products) != 4 || len(first.ProductTypes) != 3 {
			t.Fatalf("export = %s", r.body)
		}
		if p := first.Products[2]; p.Name != mhInjection || p.Version != 2 || p.Quantity != 5 {
			t.Fatalf("third product = %+v", p)
		}

		var result freezer.ImportResult
		e.call(t, bob, http.MethodPost, fmt.Sprintf("/households/%d/import", bob.Household.ID), r.body).
			want(t, http.StatusCreated).decode(t, &result)
		if result != (freezer.ImportResult{HouseholdID: bob.Household.ID, Freezers: 2, Products: 4, Inside: 2, Aliases: 4}) {
			t.Fatalf("import = %+v", result)
		}

		var second freezer.HouseholdExport
		e.get(t, bob, fmt.Sprintf("/households/%d/export", bob.Household.ID)).want(t, http.StatusOK).decode(t, &second)
		if got, want := mhNormalized(t, second), mhNormalized(t, first); got != want {
			t.Fatalf("bob's export:\n%s\nwant alice's:\n%s", got, want)
		}
		var products mhList[mhProductView]
		e.get(t, bob, "/products?state=all").want(t, http.StatusOK).decode(t, &products)
		if len(products.Items) != 4 || products.Items[0].HouseholdID != bob.Household.ID {
			t.Fatalf("bob's products = %+v", products.Items)
		}

		t.Run("ErrNotEmpty", func(t *testing.T) {
			e.call(t, bob, http.MethodPost, fmt.Sprintf("/households/%d/import", bob.Household.ID), r.body).
				wantError(t, http.StatusConflict, freezer.ECONFLICT)
			e.call(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", alice.Household.ID), r.body).
				wantError(t, http.StatusConflict, freezer.ECONFLICT)
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			carol := e.user(t)
			for _, path := range []string{"/export", "/export.csv"} {
				e.get(t, carol, fmt.Sprintf("/households/%d%s", alice.Household.ID, path)).wantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			}
			// Even an empty household of someone else, even with a bad document.
			e.call(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", carol.Household.ID), r.body).
				wantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.call(t, alice, http.MethodPost, fmt.Sprintf("/households/%d/import", carol.Household.ID), "{").
				wantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.get(t, alice, "/households/x/export").wantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.get(t, nil, fmt.Sprintf("/households/%d/export", alice.Household.ID)).wantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

func TestV1ExportCSV(t *testing.T) {
	mhDialects(t, func(t *testing.T, e *mhEnv) {
		alice := e.user(t)
		mhExportWorld(t, e, alice)
		var doc freezer.HouseholdExport
		e.get(t, alice, fmt.Sprintf("/households/%d/export", alice.Household.ID)).want(t, http.StatusOK).decode(t, &doc)

		r := e.get(t, alice, fmt.Sprintf("/households/%d/export.csv", alice.Household.ID)).want(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.HasSuffix(string(r.body), "\r\n") || !strings.HasPrefix(string(r.body), "id,freezer_id,") {
			t.Errorf("body does not start with the header or end with CRLF: %q", r.body)
		}
		records, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("parse CSV: %v\n%s", err, r.body)
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
		if got := records[1][col["name"]]; got != mhAccents {
			t.Errorf("name = %q, want %q", got, mhAccents)
		}
		if got := records[1][col["description"]]; got != mhMultiline {
			t.Errorf("description = %q, want %q", got, mhMultiline)
		}
		if got := records[2][col["name"]]; got != mhQuotes {
			t.Errorf("name = %q, want %q", got, mhQuotes)
		}
		if got := records[4][col["freezer_name"]]; got != mhInjection {
			t.Errorf("freezer name = %q, want %q", got, mhInjection)
		}
		if got := records[3][col["description"]]; got != `'=HYPERLINK("http://x")` {
			t.Errorf("formula = %q, want it quoted", got)
		}
		if got := records[2][col["date_out"]] + " " + records[2][col["use_by"]]; got != "2026-03-01 2026-02-28" {
			t.Errorf("date_out, use_by = %s", got)
		}
	})
}

func TestV1ImportErrInvalid(t *testing.T) {
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
	mhDialects(t, func(t *testing.T, e *mhEnv) {
		alice := e.user(t)
		path := fmt.Sprintf("/households/%d/import", alice.Household.ID)
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
				var r mhResp
				if tc.status == http.StatusUnsupportedMediaType {
					r = e.call(t, alice, http.MethodPost, path, tc.body, "text/plain")
					r.want(t, tc.status)
					return
				}
				r = e.call(t, alice, http.MethodPost, path, tc.body)
				if msg := r.wantError(t, http.StatusBadRequest, freezer.EINVALID); !strings.Contains(msg, tc.want) {
					t.Fatalf("message %q does not contain %q", msg, tc.want)
				}
			})
		}
		// None of them changed the household; the valid document still imports.
		var result freezer.ImportResult
		e.call(t, alice, http.MethodPost, path, valid()).want(t, http.StatusCreated).decode(t, &result)
		if result.Freezers != 1 || result.Products != 1 || result.Inside != 1 {
			t.Fatalf("import = %+v", result)
		}
	})
}
