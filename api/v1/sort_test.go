package v1_test

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// TestProductSort lists products in every order, both ways, a few at a
// time through next_cursor, and compares with the order computed here:
// the dashboard's own order (names ignoring case, the place as freezer
// name, box, slot; products inside first by date out), ties broken by the
// id, in the same direction; on one use-by day the oldest put in first.
func TestProductSort(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		beta, alpha := mkFreezerID(t, e, u, "beta", 3), mkFreezerID(t, e, u, "Alpha", 3)
		for _, p := range []struct {
			freezer    int64
			box        int
			name       string
			typeID     int
			quantity   int
			dateIn     string
			period     int
			takenOutOn string
		}{
			{beta, 1, "soup", 5, 2, "2026-01-31", 1, ""},
			{alpha, 2, "Soup", 1, 4, "2026-02-28", 0, ""}, // the same use-by day as the first, put in later
			{alpha, 1, "apple pie", 12, 1, "2025-12-01", 3, "2026-03-01"},
			{beta, 3, "Zucchini", 5, 2, "2026-03-01", 2, ""},
			{alpha, 1, "beef", 30, 0, "2026-03-10", 6, ""},
			{beta, 1, "Apple pie", 1, 3, "2026-03-01", 12, "2026-03-05"},
			{alpha, 3, "leek", 12, 2, "2025-11-30", 3, ""}, // 29 February does not exist: 28
			{beta, 2, "bread", 30, 1, "2026-01-15", 2, "2026-03-01"},
			{alpha, 1, "Cod", 2, 1, "2026-03-10", 6, ""},
		} {
			view := mkProduct(t, e, u, productBody(p.freezer, p.box, p.name, "type_id", p.typeID, "quantity", p.quantity,
				"date_in", p.dateIn, "period_months", p.period))
			if p.takenOutOn != "" {
				e.Post(t, u, fmt.Sprintf("/products/%d/take-out", apitest.Int(t, view, "id")), map[string]any{"date": p.takenOutOn}).
					WantStatus(t, http.StatusOK)
			}
		}
		types := map[string]map[int64]string{"en": {}, "fr": {}}
		for _, ty := range e.Get(t, u, "/product-types?limit=500").Items(t) {
			types["en"][apitest.Int(t, ty, "id")] = apitest.Str(t, ty, "name_en")
			types["fr"][apitest.Int(t, ty, "id")] = apitest.Str(t, ty, "name_fr")
		}
		freezerNames := map[int64]string{beta: "beta", alpha: "Alpha"}
		all := e.Get(t, u, "/products?state=all&limit=500").Items(t)

		for _, key := range freezer.ProductSortKeys {
			for _, desc := range []bool{false, true} {
				for _, state := range []string{"inside", "out", "all"} {
					for _, lang := range []string{"en", "fr"} {
						sort := key
						if desc {
							sort = "-" + key
						}
						query := fmt.Sprintf("sort=%s&state=%s&lang=%s&limit=2", sort, state, lang)
						t.Run(query, func(t *testing.T) {
							value := func(p map[string]any) []string {
								switch key {
								case freezer.SortByName:
									return []string{strings.ToLower(apitest.Str(t, p, "name"))}
								case freezer.SortByType:
									return []string{strings.ToLower(types[lang][apitest.Int(t, p, "type_id")])}
								case freezer.SortByPlace:
									return []string{strings.ToLower(freezerNames[apitest.Int(t, p, "freezer_id")]),
										fmt.Sprintf("%05d%07d", apitest.Int(t, p, "box"), apitest.Int(t, p, "slot"))}
								case freezer.SortByQuantity:
									return []string{fmt.Sprintf("%05d", apitest.Int(t, p, "quantity"))}
								case freezer.SortByUseBy:
									return []string{apitest.Str(t, p, "use_by"), apitest.Str(t, p, "date_in")}
								case freezer.SortByDateIn:
									return []string{apitest.Str(t, p, "date_in")}
								case freezer.SortByDateOut:
									out, _ := p["date_out"].(string) // null inside: first
									return []string{out}
								}
								return nil
							}
							var want []map[string]any
							for _, p := range all {
								if inside := p["date_out"] == nil; state == "all" || inside == (state == "inside") {
									want = append(want, p)
								}
							}
							slices.SortFunc(want, func(a, b map[string]any) int {
								c := slices.Compare(value(a), value(b))
								if c == 0 {
									c = cmp.Compare(apitest.Int(t, a, "id"), apitest.Int(t, b, "id"))
								}
								if desc {
									return -c
								}
								return c
							})
							got, pages := walk(t, e, u, query)
							if !slices.Equal(got, apitest.IDs(t, want)) {
								t.Errorf("ids = %v, want %v", got, apitest.IDs(t, want))
							}
							if wantPages := max(1, (len(want)+1)/2); pages != wantPages {
								t.Errorf("%d pages, want %d", pages, wantPages)
							}
						})
					}
				}
			}
		}
	})
}
