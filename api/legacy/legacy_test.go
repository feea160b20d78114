package legacy_test

// Tests of the legacy REST API against its contract
// (/work/shared/contracts/legacy-api.md), over HTTP, on SQLite and MySQL.

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// legacyPaths are the contract's paths (%s: the token) with their methods.
var legacyPaths = []struct {
	path    string
	methods []string
}{
	{"/check_token/%s", []string{http.MethodGet}},
	{"/types/%s", []string{http.MethodGet}},
	{"/freezers/%s", []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}},
	{"/freezer_next_id/1/%s", []string{http.MethodGet}},
	{"/get_product/all/0/%s", []string{http.MethodGet}},
	{"/add_product/%s", []string{http.MethodPost}},
	{"/update_product/1/1/1/1/%s", []string{http.MethodPost}},
	{"/general_tendency/%s", []string{http.MethodGet}},
	{"/custom_tendency/%s", []string{http.MethodGet}},
}

// allMethods are the methods the routing tests try on each path.
var allMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodTrace}

// legacyRoute is one route of the contract: a method on a path.
type legacyRoute struct{ method, path string }

func legacyRoutes() []legacyRoute {
	var out []legacyRoute
	for _, p := range legacyPaths {
		for _, m := range p.methods {
			out = append(out, legacyRoute{m, p.path})
		}
	}
	return out
}

// validBody is a body of the right key set for a write route.
func validBody(r legacyRoute) any {
	switch {
	case r.path == "/freezers/%s" && r.method == http.MethodPost:
		return map[string]any{"num_boxes": 4, "name": "freezer"}
	case r.path == "/freezers/%s" && r.method == http.MethodPut:
		return map[string]any{"freezer_id": 1, "num_boxes": 4, "name": "freezer"}
	case r.path == "/freezers/%s" && r.method == http.MethodDelete:
		return map[string]any{"freezer_id": 1}
	case strings.HasPrefix(r.path, "/add_product/"):
		return addBody(1, 1, 1)
	case strings.HasPrefix(r.path, "/update_product/"):
		return updateBody()
	}
	return nil
}

func TestRouting(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)

		t.Run("index", func(t *testing.T) {
			h.get(t, "/").wantStatus(t, http.StatusOK)
		})

		t.Run("unknown path or missing segment is 404", func(t *testing.T) {
			for _, path := range []string{
				"/nope", "/nope/" + u.Token, "/check_token", "/check_token/", "/types/", "/freezers/",
				"/freezer_next_id/1/", "/get_product/all/0/", "/get_product/all/" + u.Token, "/add_product/",
				"/update_product/1/1/1/1/", "/update_product/1/1/1/" + u.Token, "/general_tendency/", "/custom_tendency/",
				"/check_token/" + u.Token + "/extra", "/types/" + u.Token + "/extra", "/freezers/" + u.Token + "/",
				"/get_product/all/0/" + u.Token + "/x", "/update_product/1/1/1/1/" + u.Token + "/x",
				"/add_product/" + u.Token + "/" + u.Token, "/custom_tendency/" + u.Token + "/",
			} {
				for _, method := range allMethods {
					h.request(t, method, path, nil).wantStatus(t, http.StatusNotFound)
				}
			}
		})

		t.Run("path parameter of the wrong type is 404", func(t *testing.T) {
			f := h.freezer(t, u, "f", 2)
			for _, token := range []string{u.Token, "bad-token"} {
				for _, path := range []string{
					"/freezer_next_id/15d/", "/freezer_next_id/-1/", "/freezer_next_id/1.5/", "/freezer_next_id/x/",
					"/freezer_next_id/99999999999/",
					"/get_product/all/x/", "/get_product/all/-1/", "/get_product/inside/1e3/", "/get_product/outside/+1/",
					"/update_product/1/a/1/1/", "/update_product/x/1/1/1/", "/update_product/1/1/b/1/", "/update_product/1/1/1/c/",
					"/update_product/-1/1/1/1/", "/update_product/1/-1/1/1/", "/update_product/1/1/-1/1/", "/update_product/1/1/1/-1/",
					fmt.Sprintf("/update_product/%d/1/1/0x1/", f),
				} {
					// 404 whatever the method: the path is not known.
					for _, method := range allMethods {
						h.send(t, method, path+token, updateBody()).wantStatus(t, http.StatusNotFound)
					}
				}
			}
		})

		t.Run("known path with a wrong method is 405", func(t *testing.T) {
			for _, p := range legacyPaths {
				for _, m := range allMethods {
					if slices.Contains(p.methods, m) || m == http.MethodHead {
						continue
					}
					for _, token := range []string{u.Token, "bad-token"} {
						r := h.request(t, m, fmt.Sprintf(p.path, token), `{}`, "Content-Type", "application/json").
							wantStatus(t, http.StatusMethodNotAllowed)
						for _, allowed := range p.methods {
							if !strings.Contains(r.Header.Get("Allow"), allowed) {
								t.Fatalf("%v: Allow %q, want %s in it", r, r.Header.Get("Allow"), allowed)
							}
						}
					}
				}
				// HEAD is not served (see docs/api/legacy.md).
				h.request(t, http.MethodHead, fmt.Sprintf(p.path, u.Token), nil).wantStatus(t, http.StatusMethodNotAllowed)
			}
		})
	})
}

func TestBadToken(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		f := h.freezer(t, u, "f", 2)
		h.product(t, u, f, 1, 1, 1, 3)
		for _, token := range []string{"no-such-token", strings.Repeat("x", 300), u.Token + "x", "%20", "null"} {
			for _, r := range legacyRoutes() {
				path := fmt.Sprintf(r.path, token)
				resp := h.request(t, r.method, path, validBody(r), "Content-Type", "application/json")
				resp.wantError(t, http.StatusBadRequest, textBadToken)
				if string(bytes.TrimSpace(resp.Body)) != `{"status":400,"details":"Bad token given"}` {
					t.Fatalf("%v: body %s, want exactly {\"status\":400,\"details\":\"Bad token given\"}", resp, resp.Body)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("%v: Content-Type %q, want application/json", resp, ct)
				}
				if r.method == http.MethodGet {
					continue
				}
				// The token comes before every body check: content type,
				// malformed JSON, wrong key set, invalid values.
				h.request(t, r.method, path, validBody(r)).wantError(t, http.StatusBadRequest, textBadToken)
				h.request(t, r.method, path, validBody(r), "Content-Type", "text/plain").wantError(t, http.StatusBadRequest, textBadToken)
				h.send(t, r.method, path, `{"bogus":`).wantError(t, http.StatusBadRequest, textBadToken)
				h.send(t, r.method, path, `[]`).wantError(t, http.StatusBadRequest, textBadToken)
				h.send(t, r.method, path, map[string]any{"bogus": 1}).wantError(t, http.StatusBadRequest, textBadToken)
				h.send(t, r.method, path, "\xff\xfe").wantError(t, http.StatusBadRequest, textBadToken)
			}
			// ... and before every path parameter check.
			h.get(t, fmt.Sprintf("/get_product/bogus/0/%s", token)).wantError(t, http.StatusBadRequest, textBadToken)
			h.get(t, fmt.Sprintf("/get_product/all/%d/%s", f+1000, token)).wantError(t, http.StatusBadRequest, textBadToken)
			h.get(t, fmt.Sprintf("/freezer_next_id/%d/%s", f+1000, token)).wantError(t, http.StatusBadRequest, textBadToken)
			h.send(t, http.MethodPost, updatePath(f, 2, 9, 1, token), updateBody()).wantError(t, http.StatusBadRequest, textBadToken)
			h.send(t, http.MethodPost, updatePath(f, 1, 1, 1, token), with(updateBody(), "quantity", "x")).
				wantError(t, http.StatusBadRequest, textBadToken)
		}
		// Nothing was stored by the bad-token writes.
		if got := h.freezers(t, u); len(got) != 1 {
			t.Fatalf("freezers after bad-token writes: %v", got)
		}
		if got := h.products(t, u, "all", 0); len(got) != 1 || apitest.Str(t, got[0], "product_name") != "product 1.1" {
			t.Fatalf("products after bad-token writes: %v", got)
		}
		// A revoked token is a bad token.
		tok, secret, err := h.Store.CreateToken(u.Ctx, "second")
		if err != nil {
			t.Fatal(err)
		}
		h.get(t, "/check_token/"+secret).wantEmpty(t)
		if err := h.Store.RevokeToken(u.Ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		h.get(t, "/check_token/"+secret).wantError(t, http.StatusBadRequest, textBadToken)
	})
}

func TestContentType(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		f := h.freezer(t, u, "f", 3)
		h.product(t, u, f, 1, 1, 1, 3)
		writes := []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, "/freezers/" + u.Token, map[string]any{"num_boxes": 2, "name": "new"}},
			{http.MethodPut, "/freezers/" + u.Token, map[string]any{"freezer_id": f, "num_boxes": "", "name": "renamed"}},
			{http.MethodPost, "/add_product/" + u.Token, addBody(f, 2, 1)},
			{http.MethodPost, updatePath(f, 1, 1, 1, u.Token), with(updateBody(), "product_name", "changed")},
			{http.MethodPost, updatePath(f, 3, 9, 1, u.Token), updateBody()}, // no such product: 415 first
			{http.MethodDelete, "/freezers/" + u.Token, map[string]any{"freezer_id": f}},
		}
		for _, w := range writes {
			for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json", "application/jsonx", "json", ";;"} {
				var headers []string
				if ct != "" {
					headers = []string{"Content-Type", ct}
				}
				h.request(t, w.method, w.path, w.body, headers...).wantError(t, http.StatusUnsupportedMediaType, textBadContentType)
			}
		}
		// Nothing changed.
		if list := h.freezers(t, u); len(list) != 1 || apitest.Str(t, list[0], "freezer_name") != "f" {
			t.Fatalf("freezers after 415s: %v", list)
		}
		if list := h.products(t, u, "all", 0); len(list) != 1 || apitest.Str(t, list[0], "product_name") != "product 1.1" {
			t.Fatalf("products after 415s: %v", list)
		}
		// application/json with parameters, in any case, is accepted.
		for i, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"} {
			h.request(t, http.MethodPost, "/freezers/"+u.Token, map[string]any{"num_boxes": 2, "name": fmt.Sprint("ct", i)}, "Content-Type", ct).wantEmpty(t)
		}
		h.request(t, http.MethodPost, "/add_product/"+u.Token, addBody(f, 2, 1), "Content-Type", "application/json; charset=utf-8").wantEmpty(t)
		h.request(t, http.MethodPost, updatePath(f, 1, 1, 1, u.Token), with(updateBody(), "product_name", "changed"),
			"Content-Type", "application/json; charset=utf-8").wantEmpty(t)
		empty := h.freezer(t, u, "empty", 1)
		h.request(t, http.MethodDelete, "/freezers/"+u.Token, map[string]any{"freezer_id": empty}, "Content-Type", "application/json; charset=utf-8").wantEmpty(t)
		if list := h.freezers(t, u); len(list) != 4 {
			t.Fatalf("freezers: %v", list)
		}
		if p := productAt(t, h.products(t, u, "all", 0), f, 1, 1); apitest.Str(t, p, "product_name") != "changed" {
			t.Fatalf("product not updated: %v", p)
		}
	})
}

func TestCORS(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		f := h.freezer(t, u, "f", 2)
		h.product(t, u, f, 1, 1, 1, 3)
		origin := "https://app.example.org"
		for _, r := range legacyRoutes() {
			for _, token := range []string{u.Token, "bad-token"} {
				path := fmt.Sprintf(r.path, token)
				resp := h.request(t, r.method, path, validBody(r), "Content-Type", "application/json", "Origin", origin)
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Fatalf("%v: Access-Control-Allow-Origin %q, want *", resp, got)
				}
				// Preflight, answered on every route without checking the token.
				pre := h.request(t, http.MethodOptions, path, nil, "Origin", origin,
					"Access-Control-Request-Method", r.method, "Access-Control-Request-Headers", "Content-Type")
				pre.wantStatus(t, http.StatusNoContent)
				if got := pre.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Fatalf("%v: Access-Control-Allow-Origin %q, want *", pre, got)
				}
				if got := pre.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, r.method) {
					t.Fatalf("%v: Access-Control-Allow-Methods %q, want %s in it", pre, got, r.method)
				}
				if got := pre.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), "content-type") {
					t.Fatalf("%v: Access-Control-Allow-Headers %q, want Content-Type in it", pre, got)
				}
				// OPTIONS without Origin is answered too.
				h.request(t, http.MethodOptions, path, nil).wantStatus(t, http.StatusNoContent)
			}
		}
	})
}

func TestCheckToken(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		h.get(t, "/check_token/"+u.Token).wantEmpty(t)
		h.get(t, "/check_token/"+u.Token+"0").wantError(t, http.StatusBadRequest, textBadToken)
	})
}

func TestTypes(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		r := h.get(t, "/types/"+u.Token)
		list := r.list(t)
		want, err := h.Store.FindProductTypes(u.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(want) || len(list) < 40 {
			t.Fatalf("%d types, want %d (the seeded list)", len(list), len(want))
		}
		slices.SortFunc(want, func(a, b *freezer.ProductType) int { return int(a.ID - b.ID) })
		for i, item := range list {
			wantKeys(t, r, item, keysType...)
			if apitest.Int(t, item, "type_id") != want[i].ID || apitest.Str(t, item, "type_name_en") != want[i].NameEN || apitest.Str(t, item, "type_name_fr") != want[i].NameFR {
				t.Fatalf("type %d = %v, want %+v (ordered by type_id)", i, item, *want[i])
			}
		}
		if first := list[0]; apitest.Int(t, first, "type_id") != 1 || first["type_name_en"] != "soup" || first["type_name_fr"] != "soupe" {
			t.Fatalf("first type %v, want 1 soup/soupe", first)
		}
	})
}

func TestFreezers(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		t.Run("GET lists the caller's freezers only", func(t *testing.T) {
			u, other := h.User(t), h.User(t)
			if r := h.get(t, "/freezers/"+u.Token); len(r.list(t)) != 0 || string(bytes.TrimSpace(r.Body)) != "[]" {
				t.Fatalf("new user's freezers: %s", r.Body)
			}
			a := h.freezer(t, u, "freezer 1", 4)
			b := h.freezer(t, u, "freezer cave", 6)
			h.freezer(t, other, "not mine", 2)
			list := h.freezers(t, u)
			if len(list) != 2 {
				t.Fatalf("freezers %v, want 2", list)
			}
			want := map[int64][2]any{a: {"freezer 1", int64(4)}, b: {"freezer cave", int64(6)}}
			for _, f := range list {
				w, ok := want[apitest.Int(t, f, "freezer_id")]
				if !ok || apitest.Str(t, f, "freezer_name") != w[0] || apitest.Int(t, f, "number_boxes") != w[1] {
					t.Fatalf("freezer %v, want one of %v", f, want)
				}
			}
		})

		t.Run("POST", func(t *testing.T) {
			u := h.User(t)
			path := "/freezers/" + u.Token
			h.send(t, http.MethodPost, path, map[string]any{"num_boxes": "4", "name": "freezer 1"}).wantEmpty(t)
			h.send(t, http.MethodPost, path, map[string]any{"num_boxes": 6, "name": "freezer cave"}).wantEmpty(t)
			h.send(t, http.MethodPost, path, `{"name": "spaced", "num_boxes": "0012"}`).wantEmpty(t)
			bad := []any{
				map[string]any{},
				map[string]any{"name": "x"},
				map[string]any{"num_boxes": 4},
				map[string]any{"num_boxes": 4, "name": "x", "extra": 1},
				map[string]any{"num_boxes": 4, "Name": "x"},
				map[string]any{"freezer_id": 1, "num_boxes": 4, "name": "x"},
				map[string]any{"num_boxes": "4a", "name": "x"},
				map[string]any{"num_boxes": -1, "name": "x"},
				map[string]any{"num_boxes": "-1", "name": "x"},
				map[string]any{"num_boxes": 4.5, "name": "x"},
				map[string]any{"num_boxes": "4.5", "name": "x"},
				map[string]any{"num_boxes": true, "name": "x"},
				map[string]any{"num_boxes": nil, "name": "x"},
				map[string]any{"num_boxes": "", "name": "x"},
				map[string]any{"num_boxes": " 4", "name": "x"},
				map[string]any{"num_boxes": []int{4}, "name": "x"},
				map[string]any{"num_boxes": 0, "name": "x"},
				map[string]any{"num_boxes": 4, "name": ""},
				map[string]any{"num_boxes": 4, "name": 5},
				map[string]any{"num_boxes": 4, "name": nil},
				`{"num_boxes": 4e0, "name": "x"}`,
			}
			for _, body := range bad {
				h.send(t, http.MethodPost, path, body).wantError(t, http.StatusBadRequest, textBadFormat)
			}
			list := h.freezers(t, u)
			got := map[string]int64{}
			for _, f := range list {
				got[apitest.Str(t, f, "freezer_name")] = apitest.Int(t, f, "number_boxes")
			}
			if want := map[string]int64{"freezer 1": 4, "freezer cave": 6, "spaced": 12}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("freezers %v, want %v", got, want)
			}
		})

		t.Run("PUT", func(t *testing.T) {
			u, other := h.User(t), h.User(t)
			path := "/freezers/" + u.Token
			f := h.freezer(t, u, "freezer 1", 4)
			foreign := h.freezer(t, other, "theirs", 3)
			check := func(name string, boxes int64) {
				t.Helper()
				got := h.freezerByID(t, u, f)
				if apitest.Str(t, got, "freezer_name") != name || apitest.Int(t, got, "number_boxes") != boxes {
					t.Fatalf("freezer %v, want %q with %d boxes", got, name, boxes)
				}
			}
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": "", "name": "renamed"}).wantEmpty(t)
			check("renamed", 4)
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": fmt.Sprint(f), "num_boxes": 8, "name": ""}).wantEmpty(t)
			check("renamed", 8)
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": "", "name": ""}).wantEmpty(t)
			check("renamed", 8)
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": "5", "name": "both"}).wantEmpty(t)
			check("both", 5)

			for _, body := range []any{
				map[string]any{"freezer_id": foreign, "num_boxes": 2, "name": "stolen"},
				map[string]any{"freezer_id": foreign + 1000, "num_boxes": 2, "name": "nobody's"},
				map[string]any{"freezer_id": 0, "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": "x", "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": -1, "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": float64(f) + 0.5, "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": "", "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": nil, "num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": true, "num_boxes": 2, "name": "x"},
				map[string]any{"num_boxes": 2, "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": 2},
				map[string]any{"freezer_id": f, "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": 2, "name": "x", "extra": ""},
				map[string]any{"freezer_id": f},
				map[string]any{"freezer_id": f, "num_boxes": "4a", "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": -2, "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": 0, "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": 2.5, "name": "x"},
				map[string]any{"freezer_id": f, "num_boxes": 2, "name": 7},
				map[string]any{"freezer_id": f, "num_boxes": 2, "name": "   "},
			} {
				h.send(t, http.MethodPut, path, body).wantError(t, http.StatusBadRequest, textBadFormat)
			}
			check("both", 5)
			if got, err := h.Store.FindFreezerByID(other.Ctx, foreign); err != nil || got.Name != "theirs" || got.NumberBoxes != 3 {
				t.Fatalf("foreign freezer %+v, %v", got, err)
			}

			// Lowering num_boxes below a box that holds a product inside is refused.
			p := h.product(t, u, f, 4, 1, 1, 3)
			resp := h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": 3, "name": "lowered"})
			resp.wantError(t, http.StatusBadRequest, textBadFormat)
			check("both", 5) // the name did not change either
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": 4, "name": ""}).wantEmpty(t)
			check("both", 4)
			// Once taken out, the box may go.
			h.takeOut(t, u, p, 1)
			h.send(t, http.MethodPut, path, map[string]any{"freezer_id": f, "num_boxes": 3, "name": ""}).wantEmpty(t)
			check("both", 3)
		})

		t.Run("DELETE", func(t *testing.T) {
			u, other := h.User(t), h.User(t)
			path := "/freezers/" + u.Token
			empty := h.freezer(t, u, "empty", 2)
			emptyToo := h.freezer(t, u, "empty too", 2)
			inside := h.freezer(t, u, "holds a product", 2)
			history := h.freezer(t, u, "held a product", 2)
			foreign := h.freezer(t, other, "theirs", 2)
			h.product(t, u, inside, 1, 1, 1, 3)
			h.takeOut(t, u, h.product(t, u, history, 1, 1, 1, 3), 1)

			for _, body := range []any{
				map[string]any{"freezer_id": foreign},
				map[string]any{"freezer_id": foreign + 1000},
				map[string]any{"freezer_id": "x"},
				map[string]any{"freezer_id": ""},
				map[string]any{"freezer_id": -1},
				map[string]any{"freezer_id": nil},
				map[string]any{"freezer_id": 1.5},
				map[string]any{},
				map[string]any{"freezer_id": empty, "name": "empty"},
				map[string]any{"id": empty},
			} {
				h.send(t, http.MethodDelete, path, body).wantError(t, http.StatusBadRequest, textBadFormat)
			}
			h.send(t, http.MethodDelete, path, map[string]any{"freezer_id": inside}).wantError(t, http.StatusBadRequest, textDeleteFreezer)
			h.send(t, http.MethodDelete, path, map[string]any{"freezer_id": history}).wantError(t, http.StatusBadRequest, textDeleteFreezer)
			if len(h.freezers(t, u)) != 4 || len(h.freezers(t, other)) != 1 {
				t.Fatalf("a refused DELETE removed a freezer")
			}
			h.send(t, http.MethodDelete, path, map[string]any{"freezer_id": empty}).wantEmpty(t)
			h.send(t, http.MethodDelete, path, map[string]any{"freezer_id": fmt.Sprint(emptyToo)}).wantEmpty(t)
			if h.freezerByID(t, u, empty) != nil || h.freezerByID(t, u, emptyToo) != nil || len(h.freezers(t, u)) != 2 {
				t.Fatalf("freezers after DELETE: %v", h.freezers(t, u))
			}
			// Deleting it again: no longer the caller's.
			h.send(t, http.MethodDelete, path, map[string]any{"freezer_id": empty}).wantError(t, http.StatusBadRequest, textBadFormat)
		})
	})
}

func TestFreezerNextID(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u, other := h.User(t), h.User(t)
		f := h.freezer(t, u, "f", 3)
		foreign := h.freezer(t, other, "theirs", 2)
		want := func(w map[string]int64) {
			t.Helper()
			if got := h.nextIDs(t, u, f); fmt.Sprint(got) != fmt.Sprint(w) {
				t.Fatalf("freezer_next_id = %v, want %v", got, w)
			}
		}
		want(map[string]int64{"1": 1, "2": 1, "3": 1})
		for _, slot := range []int{1, 2, 4} {
			h.send(t, http.MethodPost, "/add_product/"+u.Token, addBody(f, 1, slot)).wantEmpty(t)
		}
		h.product(t, u, f, 2, 1, 1, 3)
		want(map[string]int64{"1": 3, "2": 2, "3": 1})
		h.send(t, http.MethodPost, "/add_product/"+u.Token, addBody(f, 1, 3)).wantEmpty(t) // fills the hole
		want(map[string]int64{"1": 5, "2": 2, "3": 1})
		// A product taken out frees its slot.
		h.send(t, http.MethodPost, updatePath(f, 1, 2, 1, u.Token), with(updateBody(), "date_out", apitest.DaysAgo(0))).wantEmpty(t)
		want(map[string]int64{"1": 2, "2": 2, "3": 1})
		// One key per box, after a resize.
		h.send(t, http.MethodPut, "/freezers/"+u.Token, map[string]any{"freezer_id": f, "num_boxes": 5, "name": ""}).wantEmpty(t)
		want(map[string]int64{"1": 2, "2": 2, "3": 1, "4": 1, "5": 1})
		// Another user's product in their own freezer changes nothing here.
		h.product(t, other, foreign, 1, 1, 1, 3)
		want(map[string]int64{"1": 2, "2": 2, "3": 1, "4": 1, "5": 1})

		for _, id := range []int64{foreign, foreign + 1000, 0} {
			h.get(t, fmt.Sprintf("/freezer_next_id/%d/%s", id, u.Token)).wantError(t, http.StatusBadRequest, textBadFormat)
		}
	})
}

func TestGetProduct(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u, other := h.User(t), h.User(t)
		a := h.freezer(t, u, "frigo 1", 2)
		b := h.freezer(t, u, "cave", 1)
		foreign := h.freezer(t, other, "theirs", 1)
		h.product(t, other, foreign, 1, 1, 1, 3)

		// One product added through the API, to check every field.
		h.send(t, http.MethodPost, "/add_product/"+u.Token, map[string]any{
			"product_name": "Soupe de Noël", "text_descr": "Soupe à base de tomate, brocolli et poisson",
			"freezer_id": a, "type_id": "24", "date_in": "2017-12-26", "period": 6, "box_num": 1, "prod_num": "4", "quantity": 4,
		}).wantEmpty(t)
		out := h.product(t, u, a, 2, 1, 2, 30)
		h.takeOut(t, u, out, 5)
		inB := h.product(t, u, b, 1, 1, 3, 1)

		list := h.products(t, u, "all", 0)
		if len(list) != 3 {
			t.Fatalf("all/0: %v", list)
		}
		soup := productAt(t, list, a, 1, 4)
		if soup == nil {
			t.Fatalf("no product at %d/1/4 in %v", a, list)
		}
		if soup["date_formatted_out"] != nil {
			t.Fatalf("date_formatted_out %v while inside, want null", soup["date_formatted_out"])
		}
		for key, want := range map[string]any{
			"box_num": 1.0, "date_formatted_in": "2017-12-26", "freezer_id": float64(a), "freezer_name": "frigo 1",
			"period": 6.0, "prod_num": 4.0, "product_name": "Soupe de Noël", "quantity": 4.0,
			"text_descr": "Soupe à base de tomate, brocolli et poisson", "type_id": 24.0,
		} {
			if soup[key] != want {
				t.Fatalf("%s = %#v, want %#v (product %v)", key, soup[key], want, soup)
			}
		}
		apitest.Int(t, soup, "descr_id")
		taken := productAt(t, list, a, 2, 1)
		if taken == nil || apitest.Str(t, taken, "date_formatted_out") != apitest.DaysAgo(5) || apitest.Str(t, taken, "date_formatted_in") != apitest.DaysAgo(30) ||
			apitest.Int(t, taken, "descr_id") != out || apitest.Int(t, taken, "type_id") != 2 {
			t.Fatalf("taken-out product %v", taken)
		}
		if p := productAt(t, list, b, 1, 1); p == nil || apitest.Str(t, p, "freezer_name") != "cave" || apitest.Int(t, p, "descr_id") != inB {
			t.Fatalf("product in b: %v", p)
		}
		ids := map[int64]bool{}
		for _, p := range list {
			ids[apitest.Int(t, p, "descr_id")] = true
		}
		if len(ids) != 3 {
			t.Fatalf("descr_id not distinct: %v", list)
		}

		places := func(list []map[string]any) []string {
			var out []string
			for _, p := range list {
				out = append(out, fmt.Sprintf("%d/%d/%d", apitest.Int(t, p, "freezer_id"), apitest.Int(t, p, "box_num"), apitest.Int(t, p, "prod_num")))
			}
			slices.Sort(out)
			return out
		}
		pa1, pa2, pb := fmt.Sprintf("%d/1/4", a), fmt.Sprintf("%d/2/1", a), fmt.Sprintf("%d/1/1", b)
		for _, c := range []struct {
			param   string
			freezer int64
			want    []string
		}{
			{"all", 0, []string{pa1, pa2, pb}},
			{"inside", 0, []string{pa1, pb}},
			{"outside", 0, []string{pa2}},
			{"all", a, []string{pa1, pa2}},
			{"inside", a, []string{pa1}},
			{"outside", a, []string{pa2}},
			{"all", b, []string{pb}},
			{"inside", b, []string{pb}},
			{"outside", b, nil},
		} {
			got := places(h.products(t, u, c.param, c.freezer))
			slices.Sort(c.want)
			if !slices.Equal(got, c.want) {
				t.Fatalf("%s/%d: %v, want %v", c.param, c.freezer, got, c.want)
			}
		}
		if r := h.get(t, fmt.Sprintf("/get_product/outside/%d/%s", b, u.Token)); string(bytes.TrimSpace(r.Body)) != "[]" {
			t.Fatalf("empty list: %s, want []", r.Body)
		}

		for _, param := range []string{"ALL", "Inside", "bogus", "in", "0", "all ", "insides"} {
			for _, f := range []int64{0, a, foreign} {
				h.get(t, fmt.Sprintf("/get_product/%s/%d/%s", strings.ReplaceAll(param, " ", "%20"), f, u.Token)).
					wantError(t, http.StatusBadRequest, textBadParameter)
			}
		}
		// A freezer that is not the caller's (see docs/api/legacy.md).
		for _, f := range []int64{foreign, foreign + 1000} {
			h.get(t, fmt.Sprintf("/get_product/all/%d/%s", f, u.Token)).wantError(t, http.StatusBadRequest, textBadFormat)
		}
		// The other user sees only their own product.
		if got := h.products(t, other, "all", 0); len(got) != 1 || apitest.Int(t, got[0], "freezer_id") != foreign {
			t.Fatalf("other user's products: %v", got)
		}
	})
}

func TestAddProduct(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u, other := h.User(t), h.User(t)
		f := h.freezer(t, u, "f", 3)
		foreign := h.freezer(t, other, "theirs", 3)
		path := "/add_product/" + u.Token
		h.send(t, http.MethodPost, path, addBody(f, 1, 1)).wantEmpty(t)
		// Numbers as digit strings; date apitest.Today.
		h.send(t, http.MethodPost, path, with(addBody(f, 1, 2), "freezer_id", fmt.Sprint(f), "type_id", "3", "box_num", "1",
			"prod_num", "02", "period", "0", "quantity", "10", "date_in", apitest.DaysAgo(0))).wantEmpty(t)
		// A slot whose product was taken out is free again.
		h.takeOut(t, u, h.product(t, u, f, 2, 1, 1, 10), 2)
		h.send(t, http.MethodPost, path, addBody(f, 2, 1)).wantEmpty(t)
		stored := 4

		// The failing parts of a body, in the order of the contract.
		emplacements := [][]any{
			{"freezer_id", foreign}, {"freezer_id", foreign + 1000}, {"freezer_id", 0}, {"freezer_id", "x"}, {"freezer_id", -1},
			{"box_num", 0}, {"box_num", 4}, {"box_num", -1}, {"box_num", "1a"}, {"box_num", ""},
			{"box_num", 1, "prod_num", 1}, {"prod_num", 0}, {"prod_num", -2}, {"prod_num", 1.5}, {"prod_num", nil},
		}
		types := [][]any{{"type_id", 9999}, {"type_id", 0}, {"type_id", "x"}, {"type_id", -1}, {"type_id", 4.5}, {"type_id", true}, {"type_id", ""}}
		dates := [][]any{
			{"date_in", "2026-13-01"}, {"date_in", "15/03/2026"}, {"date_in", "2026-3-5"}, {"date_in", "2026-02-30"},
			{"date_in", ""}, {"date_in", nil}, {"date_in", 20260301}, {"date_in", apitest.Today.AddDays(1).String()},
			{"date_in", "2027-01-01"}, {"date_in", "2026-03-14T00:00:00Z"},
		}
		periods := [][]any{{"period", -1}, {"period", "6a"}, {"period", 4.5}, {"period", true}, {"period", nil}, {"period", ""}, {"period", "-6"}}
		quantities := [][]any{{"quantity", -1}, {"quantity", "4a"}, {"quantity", 4.5}, {"quantity", true}, {"quantity", nil}, {"quantity", ""}, {"quantity", "1e2"}}
		stages := []struct {
			text  string
			cases [][]any
		}{
			{textBadProductEmplacement, emplacements},
			{textBadProductType, types},
			{textBadProductDate, dates},
			{textBadProductPeriod, periods},
			{textBadProductQuantity, quantities},
		}
		valid := addBody(f, 3, 1)
		for i, stage := range stages {
			for _, c := range stage.cases {
				body := with(valid, c...)
				h.send(t, http.MethodPost, path, body).wantError(t, http.StatusBadRequest, stage.text)
				// Every later check fails too: the earliest one wins.
				for _, later := range stages[i+1:] {
					body = with(body, later.cases[0]...)
				}
				h.send(t, http.MethodPost, path, body).wantError(t, http.StatusBadRequest, stage.text)
				// The key set comes first of all.
				h.send(t, http.MethodPost, path, without(body, "quantity")).wantError(t, http.StatusBadRequest, textBadFormat)
			}
		}
		for _, body := range []map[string]any{
			{},
			without(valid, "product_name"), without(valid, "text_descr"), without(valid, "freezer_id"), without(valid, "type_id"),
			without(valid, "date_in"), without(valid, "period"), without(valid, "box_num"), without(valid, "prod_num"),
			without(valid, "quantity"),
			with(valid, "date_out", ""), with(valid, "descr_id", 1),
			with(without(valid, "product_name"), "name", "x"),
			// An all-bad body with a wrong key set.
			with(without(valid, "period"), "freezer_id", foreign, "type_id", 0, "date_in", "x", "quantity", -1),
		} {
			h.send(t, http.MethodPost, path, body).wantError(t, http.StatusBadRequest, textBadFormat)
		}

		if got := len(h.products(t, u, "all", 0)); got != stored {
			t.Fatalf("%d products stored, want %d", got, stored)
		}
		if got := len(h.products(t, other, "all", 0)); got != 0 {
			t.Fatalf("%d products in the other user's freezer", got)
		}
		h.send(t, http.MethodPost, path, valid).wantEmpty(t)
	})
}

func TestUpdateProduct(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u, other := h.User(t), h.User(t)
		f := h.freezer(t, u, "f", 3)
		f2 := h.freezer(t, u, "f2", 2)
		foreign := h.freezer(t, other, "theirs", 3)
		h.product(t, other, foreign, 1, 1, 1, 3)
		add := func(freezerID int64, box, slot int, kv ...any) {
			t.Helper()
			h.send(t, http.MethodPost, "/add_product/"+u.Token, with(addBody(freezerID, box, slot), kv...)).wantEmpty(t)
		}
		update := func(freezerID int64, box, slot, inside int, kv ...any) response {
			t.Helper()
			return h.send(t, http.MethodPost, updatePath(freezerID, box, slot, inside, u.Token), with(updateBody(), kv...))
		}
		get := func(freezerID int64, box, slot int) map[string]any {
			t.Helper()
			return productAt(t, h.products(t, u, "all", 0), freezerID, box, slot)
		}
		add(f, 1, 1, "date_in", apitest.DaysAgo(20))
		add(f, 1, 2)
		snapshot := func() string {
			t.Helper()
			return fmt.Sprint(h.products(t, u, "all", 0))
		}

		t.Run("no such product", func(t *testing.T) {
			before := snapshot()
			for _, p := range []string{
				updatePath(f, 1, 9, 1, u.Token),       // empty slot
				updatePath(f, 1, 1, 0, u.Token),       // nothing taken out there
				updatePath(f, 3, 1, 1, u.Token),       // empty box
				updatePath(f, 9, 1, 1, u.Token),       // no such box
				updatePath(0, 1, 1, 1, u.Token),       // freezer 0
				updatePath(foreign, 1, 1, 1, u.Token), // another user's product
				updatePath(foreign+1000, 1, 1, 1, u.Token),
			} {
				h.send(t, http.MethodPost, p, updateBody()).wantError(t, http.StatusBadRequest, textBadParameter)
				// The product is checked before the body (see docs/api/legacy.md).
				h.send(t, http.MethodPost, p, `{"bogus"`).wantError(t, http.StatusBadRequest, textBadParameter)
			}
			if snapshot() != before {
				t.Fatal("a failed update changed something")
			}
		})

		t.Run("key set", func(t *testing.T) {
			before := snapshot()
			for _, body := range []map[string]any{
				{}, without(updateBody(), "date_out"), addBody(f, 1, 1), with(updateBody(), "extra", ""),
				without(updateBody(), "quantity"), with(without(updateBody(), "type_id"), "type", ""),
				// A wrong key set wins over every other error.
				with(without(updateBody(), "product_name"), "box_num", 1, "prod_num", 2, "type_id", 0, "quantity", "x"),
			} {
				h.send(t, http.MethodPost, updatePath(f, 1, 1, 1, u.Token), body).wantError(t, http.StatusBadRequest, textBadFormat)
			}
			if snapshot() != before {
				t.Fatal("a failed update changed something")
			}
		})

		t.Run(`"" keeps every value`, func(t *testing.T) {
			before := snapshot()
			update(f, 1, 1, 1).wantEmpty(t)
			update(f, 1, 1, 7).wantEmpty(t) // any inside > 0
			if after := snapshot(); after != before {
				t.Fatalf("an all-\"\" update changed the product:\n%s\n%s", before, after)
			}
		})

		t.Run("edit fields", func(t *testing.T) {
			update(f, 1, 1, 1, "product_name", "Glace vanille", "text_descr", "maison", "type_id", "24", "date_in", apitest.DaysAgo(15),
				"period", 12, "quantity", "3").wantEmpty(t)
			p := get(f, 1, 1)
			for key, want := range map[string]any{
				"product_name": "Glace vanille", "text_descr": "maison", "type_id": 24.0, "date_formatted_in": apitest.DaysAgo(15),
				"period": 12.0, "quantity": 3.0, "date_formatted_out": nil, "box_num": 1.0, "prod_num": 1.0, "freezer_id": float64(f),
			} {
				if p[key] != want {
					t.Fatalf("%s = %#v, want %#v (%v)", key, p[key], want, p)
				}
			}
			// Partial: only the quantity.
			update(f, 1, 1, 1, "quantity", 5).wantEmpty(t)
			if p := get(f, 1, 1); p["quantity"] != 5.0 || p["product_name"] != "Glace vanille" || p["period"] != 12.0 {
				t.Fatalf("after a partial update: %v", p)
			}
		})

		t.Run("errors of each field", func(t *testing.T) {
			before := snapshot()
			for _, c := range []struct {
				kv   []any
				want string
			}{
				{[]any{"product_name", 5}, textBadFormat},
				{[]any{"product_name", "   "}, textBadFormat},
				{[]any{"text_descr", nil}, textBadFormat},
				{[]any{"prod_num", 2}, textBadProductEmplacement}, // held by the other product
				{[]any{"box_num", 4}, textBadProductEmplacement},
				{[]any{"box_num", 0}, textBadProductEmplacement},
				{[]any{"prod_num", 0}, textBadProductEmplacement},
				{[]any{"prod_num", "x"}, textBadProductEmplacement},
				{[]any{"freezer_id", foreign}, textBadProductEmplacement},
				{[]any{"freezer_id", foreign + 1000}, textBadProductEmplacement},
				{[]any{"freezer_id", -1}, textBadProductEmplacement},
				{[]any{"type_id", 9999}, textBadProductType},
				{[]any{"type_id", 0}, textBadProductType},
				{[]any{"type_id", "x"}, textBadProductType},
				{[]any{"date_in", "2026-13-01"}, textBadProductDate},
				{[]any{"date_in", apitest.Today.AddDays(1).String()}, textBadProductDate},
				{[]any{"date_in", nil}, textBadProductDate},
				{[]any{"date_out", "yesterday"}, textBadProductDate},
				{[]any{"date_out", apitest.Today.AddDays(1).String()}, textBadProductDate},
				{[]any{"date_out", apitest.DaysAgo(21)}, textBadProductDate}, // before date_in
				{[]any{"date_in", apitest.DaysAgo(2), "date_out", apitest.DaysAgo(3)}, textBadProductDate},
				{[]any{"date_out", 5}, textBadProductDate},
				{[]any{"period", -1}, textBadProductPeriod},
				{[]any{"period", "x"}, textBadProductPeriod},
				{[]any{"period", nil}, textBadProductPeriod},
				{[]any{"quantity", -1}, textBadProductQuantity},
				{[]any{"quantity", 1.5}, textBadProductQuantity},
				{[]any{"quantity", false}, textBadProductQuantity},
			} {
				kv := c.kv
				update(f, 1, 1, 1, kv...).wantError(t, http.StatusBadRequest, c.want)
				// Combined with a bad quantity, the field's own error still wins.
				if c.want != textBadProductQuantity {
					update(f, 1, 1, 1, append(slices.Clone(kv), "quantity", "bad")...).wantError(t, http.StatusBadRequest, c.want)
				}
			}
			if after := snapshot(); after != before {
				t.Fatalf("a failed update changed something:\n%s\n%s", before, after)
			}
		})

		t.Run("atomic", func(t *testing.T) {
			before := snapshot()
			// Every field but the last one valid: nothing of it applies.
			update(f, 1, 1, 1, "product_name", "half", "text_descr", "half", "type_id", 2, "date_in", apitest.DaysAgo(1),
				"date_out", apitest.DaysAgo(0), "freezer_id", f2, "box_num", 2, "prod_num", 1, "period", 1, "quantity", "x").
				wantError(t, http.StatusBadRequest, textBadProductQuantity)
			update(f, 1, 1, 1, "product_name", "half", "box_num", 3, "period", "x").
				wantError(t, http.StatusBadRequest, textBadProductPeriod)
			if after := snapshot(); after != before {
				t.Fatalf("a failed update changed something:\n%s\n%s", before, after)
			}
		})

		t.Run("move", func(t *testing.T) {
			// To a free place in another freezer, with digit strings.
			update(f, 1, 1, 1, "freezer_id", fmt.Sprint(f2), "box_num", "2", "prod_num", "3").wantEmpty(t)
			if get(f, 1, 1) != nil {
				t.Fatal("still at the old place")
			}
			if p := get(f2, 2, 3); p == nil || p["product_name"] != "Glace vanille" || p["freezer_name"] != "f2" {
				t.Fatalf("moved product: %v", p)
			}
			// Onto itself: not a move.
			update(f2, 2, 3, 1, "freezer_id", f2, "box_num", 2, "prod_num", 3).wantEmpty(t)
			// Back, onto the occupied place of the other product: refused.
			update(f2, 2, 3, 1, "freezer_id", f, "box_num", 1, "prod_num", 2).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			update(f2, 2, 3, 1, "freezer_id", f, "box_num", 1, "prod_num", 1).wantEmpty(t)
			if p := get(f, 1, 1); p == nil || p["product_name"] != "Glace vanille" {
				t.Fatalf("moved back: %v", p)
			}
		})

		t.Run("take out and put back", func(t *testing.T) {
			// date_out equal to date_in is allowed.
			update(f, 1, 1, 1, "date_out", apitest.DaysAgo(15)).wantEmpty(t)
			p := get(f, 1, 1)
			if p == nil || p["date_formatted_out"] != apitest.DaysAgo(15) {
				t.Fatalf("taken out: %v", p)
			}
			if len(h.products(t, u, "outside", f)) != 1 {
				t.Fatal("not listed outside")
			}
			update(f, 1, 1, 1).wantError(t, http.StatusBadRequest, textBadParameter) // no longer inside
			// Edit it while outside, selected with inside = 0.
			update(f, 1, 1, 0, "quantity", 1, "date_out", apitest.DaysAgo(1)).wantEmpty(t)
			if p := get(f, 1, 1); p["quantity"] != 1.0 || p["date_formatted_out"] != apitest.DaysAgo(1) {
				t.Fatalf("edited outside: %v", p)
			}
			// "null" puts it back.
			update(f, 1, 1, 0, "date_out", "null").wantEmpty(t)
			if p := get(f, 1, 1); p == nil || p["date_formatted_out"] != nil {
				t.Fatalf(`after "null": %v`, p)
			}
			// JSON null too.
			update(f, 1, 1, 1, "date_out", apitest.DaysAgo(0)).wantEmpty(t)
			update(f, 1, 1, 0, "date_out", nil).wantEmpty(t)
			if p := get(f, 1, 1); p == nil || p["date_formatted_out"] != nil {
				t.Fatalf("after null: %v", p)
			}
		})

		t.Run("put back into a slot taken meanwhile", func(t *testing.T) {
			add(f, 2, 1, "product_name", "first")
			update(f, 2, 1, 1, "date_out", apitest.DaysAgo(1)).wantEmpty(t)
			add(f, 2, 1, "product_name", "second")
			before := snapshot()
			update(f, 2, 1, 0, "date_out", "null").wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			update(f, 2, 1, 0, "date_out", nil).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			if snapshot() != before {
				t.Fatal("a refused put-back changed something")
			}
			// Put back elsewhere in the same request: allowed.
			update(f, 2, 1, 0, "date_out", nil, "prod_num", 2).wantEmpty(t)
			if p := get(f, 2, 2); p == nil || p["product_name"] != "first" || p["date_formatted_out"] != nil {
				t.Fatalf("put back at 2/2: %v", p)
			}
		})

		t.Run("inside 0 selects the most recently taken out", func(t *testing.T) {
			// Older product taken out last: the most recent date_out wins, not the highest id.
			add(f, 3, 1, "product_name", "older", "date_in", apitest.DaysAgo(30))
			update(f, 3, 1, 1, "date_out", apitest.DaysAgo(2)).wantEmpty(t)
			add(f, 3, 1, "product_name", "newer", "date_in", apitest.DaysAgo(20))
			update(f, 3, 1, 1, "date_out", apitest.DaysAgo(10)).wantEmpty(t)
			update(f, 3, 1, 0, "text_descr", "picked").wantEmpty(t)
			for _, p := range h.products(t, u, "outside", f) {
				if apitest.Int(t, p, "box_num") != 3 {
					continue
				}
				if picked := p["text_descr"] == "picked"; picked != (p["product_name"] == "older") {
					t.Fatalf("wrong product selected: %v", p)
				}
			}
		})

		t.Run("move a taken-out product", func(t *testing.T) {
			// Onto a place held by a product inside: refused, inside or not.
			update(f, 3, 1, 0, "box_num", 1, "prod_num", 2).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			update(f, 1, 1, 1, "prod_num", 2, "date_out", apitest.DaysAgo(0)).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			update(f, 3, 1, 0, "box_num", 4).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
			// Onto a free place: moved, still outside.
			update(f, 3, 1, 0, "prod_num", 5).wantEmpty(t)
			if p := get(f, 3, 5); p == nil || p["product_name"] != "older" || p["date_formatted_out"] != apitest.DaysAgo(2) {
				t.Fatalf("moved taken-out product: %v", p)
			}
		})

		// Nothing of the other user's changed.
		if got := h.products(t, other, "all", 0); len(got) != 1 || got[0]["product_name"] != "product 1.1" {
			t.Fatalf("other user's products: %v", got)
		}
	})
}

func TestTendency(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		a, b, c := h.User(t), h.User(t), h.User(t)
		fa := h.freezer(t, a, "a", 3)
		fb := h.freezer(t, b, "b", 3)
		// a: type 1 ×1 (out 10 days ago), type 2 ×2 (one out 5 days ago),
		// type 3 ×3 (none out), type 4 ×1 (none out), type 6 ×2 (one out 10 days ago).
		h.takeOut(t, a, h.product(t, a, fa, 1, 1, 1, 20), 10)
		h.takeOut(t, a, h.product(t, a, fa, 1, 2, 2, 20), 5)
		h.product(t, a, fa, 1, 3, 2, 20)
		h.product(t, a, fa, 2, 1, 3, 20)
		h.product(t, a, fa, 2, 2, 3, 20)
		h.product(t, a, fa, 2, 3, 3, 20)
		h.product(t, a, fa, 3, 1, 4, 20)
		h.takeOut(t, a, h.product(t, a, fa, 3, 2, 6, 20), 10)
		h.product(t, a, fa, 3, 3, 6, 20)
		// b: type 3 ×2 (one out yesterday), type 7 ×5.
		h.takeOut(t, b, h.product(t, b, fb, 1, 1, 3, 20), 1)
		h.product(t, b, fb, 1, 2, 3, 20)
		for slot := 1; slot <= 5; slot++ {
			h.product(t, b, fb, 2, slot, 7, 20)
		}
		types, err := h.Store.FindProductTypes(a.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[int64]*freezer.ProductType{}
		for _, ty := range types {
			names[ty.ID] = ty
		}

		t.Run("general", func(t *testing.T) {
			// All users together, highest first; unused types left out.
			want := [][2]int64{{7, 5}, {3, 5}, {2, 2}, {6, 2}, {1, 1}, {4, 1}}
			for _, u := range []*apitest.User{a, b, c} {
				r := h.get(t, "/general_tendency/"+u.Token)
				list := r.list(t)
				if len(list) != len(want) {
					t.Fatalf("general tendency %v, want %d types", list, len(want))
				}
				freq := map[int64]int64{}
				last := int64(1 << 40)
				for _, item := range list {
					wantKeys(t, r, item, keysGeneral...)
					id, n := apitest.Int(t, item, "type_id"), apitest.Int(t, item, "freq")
					if n > last {
						t.Fatalf("not ordered by freq desc: %v", list)
					}
					last = n
					freq[id] = n
					if item["type_name_en"] != names[id].NameEN || item["type_name_fr"] != names[id].NameFR {
						t.Fatalf("names of type %d: %v", id, item)
					}
				}
				for _, w := range want {
					if freq[w[0]] != w[1] {
						t.Fatalf("type %d freq %d, want %d (%v)", w[0], freq[w[0]], w[1], list)
					}
				}
			}
		})

		t.Run("custom", func(t *testing.T) {
			type row struct {
				typeID, freq int64
				latest       any
			}
			check := func(u *apitest.User, want []row) {
				t.Helper()
				// A 500 here on MariaDB: db/stats.go orders by "latest IS NULL",
				// an expression on an aggregate's alias that MariaDB refuses
				// (error 1247); "MAX(p.date_out) IS NULL" works on every engine.
				r := h.get(t, "/custom_tendency/"+u.Token)
				list := r.list(t)
				var got []row
				for _, item := range list {
					wantKeys(t, r, item, keysCustom...)
					id := apitest.Int(t, item, "type_id")
					if item["type_name_en"] != names[id].NameEN || item["type_name_fr"] != names[id].NameFR {
						t.Fatalf("names of type %d: %v", id, item)
					}
					got = append(got, row{id, apitest.Int(t, item, "freq"), item["latest"]})
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("custom tendency\n got %v\nwant %v", got, want)
				}
			}
			// latest desc (nulls last), then freq desc.
			check(a, []row{{2, 2, apitest.DaysAgo(5)}, {6, 2, apitest.DaysAgo(10)}, {1, 1, apitest.DaysAgo(10)}, {3, 3, nil}, {4, 1, nil}})
			check(b, []row{{3, 2, apitest.DaysAgo(1)}, {7, 5, nil}})
			check(c, nil)
			if r := h.get(t, "/custom_tendency/"+c.Token); string(bytes.TrimSpace(r.Body)) != "[]" {
				t.Fatalf("empty custom tendency: %s, want []", r.Body)
			}
		})
	})
}

func TestBodies(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		f := h.freezer(t, u, "f", 2)
		h.product(t, u, f, 1, 1, 1, 3)
		before := fmt.Sprint(h.freezers(t, u), h.products(t, u, "all", 0))
		big := `{"num_boxes": 4, "name": "` + strings.Repeat("a", 1<<20) + `"}`
		bodies := []struct {
			name, body string
			status     int
			details    string // "" when any text will do
		}{
			{"malformed", `{"num_boxes": 4,`, http.StatusBadRequest, textBadRequest},
			{"not JSON", `num_boxes=4&name=x`, http.StatusBadRequest, textBadRequest},
			{"empty", ``, http.StatusBadRequest, textBadRequest},
			{"two values", `{"freezer_id": 1} {"freezer_id": 1}`, http.StatusBadRequest, textBadRequest},
			{"invalid UTF-8", "{\"num_boxes\": 4, \"name\": \"\xff\xfe\"}", http.StatusBadRequest, textBadRequest},
			{"array", `[{"num_boxes": 4, "name": "x"}]`, http.StatusBadRequest, ""},
			{"empty array", `[]`, http.StatusBadRequest, ""},
			{"null", `null`, http.StatusBadRequest, ""},
			{"string", `"x"`, http.StatusBadRequest, ""},
			{"number", `4`, http.StatusBadRequest, ""},
			{"over 1 MiB", big, http.StatusRequestEntityTooLarge, textBadRequest},
		}
		paths := []struct{ method, path string }{
			{http.MethodPost, "/freezers/" + u.Token},
			{http.MethodPut, "/freezers/" + u.Token},
			{http.MethodDelete, "/freezers/" + u.Token},
			{http.MethodPost, "/add_product/" + u.Token},
			{http.MethodPost, updatePath(f, 1, 1, 1, u.Token)},
		}
		for _, b := range bodies {
			for _, p := range paths {
				r := h.send(t, p.method, p.path, b.body)
				if r.Status < 400 || r.Status >= 500 {
					t.Fatalf("%s: %v, want a 4xx", b.name, r)
				}
				if b.details != "" {
					r.wantError(t, b.status, b.details)
				} else {
					r.wantStatus(t, b.status)
					r.wantErrorObject(t)
				}
			}
		}
		if after := fmt.Sprint(h.freezers(t, u), h.products(t, u, "all", 0)); after != before {
			t.Fatalf("a rejected body changed something:\n%s\n%s", before, after)
		}
		// Just under the limit is read (and then refused for its long name).
		name := strings.Repeat("a", 1<<20-100)
		h.send(t, http.MethodPost, "/freezers/"+u.Token, `{"num_boxes": 4, "name": "`+name+`"}`).
			wantError(t, http.StatusBadRequest, textBadFormat)
	})
}

func TestInjection(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		hostile := []string{
			`'); DROP TABLE products;--`,
			`<script>alert("x")</script>`,
			`Robert'); DROP TABLE freezers;-- & "quotes" \ backslash`,
			`1 OR 1=1; --`,
			`%s %d {{.}} ${x}`,
			`Soupe de Noël 🎄 — 冷凍庫`,
		}
		for i, s := range hostile {
			h.send(t, http.MethodPost, "/freezers/"+u.Token, map[string]any{"num_boxes": 2, "name": s}).wantEmpty(t)
			var id int64
			for _, f := range h.freezers(t, u) {
				if f["freezer_name"] == s {
					id = apitest.Int(t, f, "freezer_id")
				}
			}
			if id == 0 {
				t.Fatalf("freezer named %q not listed verbatim: %v", s, h.freezers(t, u))
			}
			h.send(t, http.MethodPost, "/add_product/"+u.Token, with(addBody(id, 1, 1), "product_name", s, "text_descr", s+" (descr)")).wantEmpty(t)
			p := productAt(t, h.products(t, u, "all", id), id, 1, 1)
			if p == nil || p["product_name"] != s || p["text_descr"] != s+" (descr)" || p["freezer_name"] != s {
				t.Fatalf("product %d not returned verbatim: %v", i, p)
			}
			renamed := s + " (2)"
			h.send(t, http.MethodPut, "/freezers/"+u.Token, map[string]any{"freezer_id": id, "num_boxes": "", "name": renamed}).wantEmpty(t)
			h.send(t, http.MethodPost, updatePath(id, 1, 1, 1, u.Token), with(updateBody(), "product_name", renamed)).wantEmpty(t)
			if p := productAt(t, h.products(t, u, "all", id), id, 1, 1); p["product_name"] != renamed || p["freezer_name"] != renamed {
				t.Fatalf("product %d after update: %v", i, p)
			}
		}
		if got := len(h.products(t, u, "all", 0)); got != len(hostile) {
			t.Fatalf("%d products, want %d: the tables are still there", got, len(hostile))
		}
		h.get(t, "/types/"+u.Token).list(t)
	})
}

func TestSharedHousehold(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		owner, member, stranger := h.User(t), h.User(t), h.User(t)
		shared := h.freezer(t, owner, "shared", 2)
		h.product(t, owner, shared, 1, 1, 1, 3)
		if _, err := h.Store.AddMember(apitest.SysCtx, owner.Household, member.Email); err != nil {
			t.Fatalf("add member: %v", err)
		}
		own := h.freezer(t, member, "member's own", 1)

		ids := func(u *apitest.User) []int64 {
			var out []int64
			for _, f := range h.freezers(t, u) {
				out = append(out, apitest.Int(t, f, "freezer_id"))
			}
			slices.Sort(out)
			return out
		}
		if got := ids(member); !slices.Equal(got, []int64{shared, own}) {
			t.Fatalf("member's freezers %v, want %v", got, []int64{shared, own})
		}
		if got := ids(owner); !slices.Equal(got, []int64{shared}) {
			t.Fatalf("owner's freezers %v, want only the shared one", got)
		}
		if got := h.products(t, member, "all", shared); len(got) != 1 {
			t.Fatalf("member's view of the shared freezer: %v", got)
		}
		if got := h.nextIDs(t, member, shared); got["1"] != 2 || got["2"] != 1 {
			t.Fatalf("member's next ids: %v", got)
		}
		// The member stores into the shared freezer and the owner sees it.
		h.send(t, http.MethodPost, "/add_product/"+member.Token, addBody(shared, 1, 2)).wantEmpty(t)
		h.send(t, http.MethodPost, updatePath(shared, 1, 1, 1, member.Token), with(updateBody(), "quantity", 9)).wantEmpty(t)
		list := h.products(t, owner, "inside", shared)
		if len(list) != 2 || productAt(t, list, shared, 1, 1)["quantity"] != 9.0 {
			t.Fatalf("owner's view after the member's changes: %v", list)
		}
		// A stranger sees none of it.
		if got := ids(stranger); len(got) != 0 {
			t.Fatalf("stranger's freezers: %v", got)
		}
		h.get(t, fmt.Sprintf("/get_product/all/%d/%s", shared, stranger.Token)).wantError(t, http.StatusBadRequest, textBadFormat)
		h.get(t, fmt.Sprintf("/freezer_next_id/%d/%s", shared, stranger.Token)).wantError(t, http.StatusBadRequest, textBadFormat)
		h.send(t, http.MethodPost, "/add_product/"+stranger.Token, addBody(shared, 2, 1)).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
		h.send(t, http.MethodPost, updatePath(shared, 1, 1, 1, stranger.Token), updateBody()).wantError(t, http.StatusBadRequest, textBadParameter)
	})
}

// TestLimits pins the bounds the contract leaves open (see docs/api/legacy.md).
func TestLimits(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		path := "/freezers/" + u.Token
		h.send(t, http.MethodPost, path, map[string]any{"num_boxes": 1000, "name": strings.Repeat("é", 256)}).wantEmpty(t)
		h.send(t, http.MethodPost, path, map[string]any{"num_boxes": 1001, "name": "x"}).wantError(t, http.StatusBadRequest, textBadFormat)
		h.send(t, http.MethodPost, path, map[string]any{"num_boxes": 2, "name": strings.Repeat("é", 257)}).wantError(t, http.StatusBadRequest, textBadFormat)
		h.send(t, http.MethodPost, path, map[string]any{"num_boxes": 2, "name": "two\nlines"}).wantError(t, http.StatusBadRequest, textBadFormat)
		f := apitest.Int(t, h.freezers(t, u)[0], "freezer_id")
		add := "/add_product/" + u.Token
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 1), "period", 1200, "quantity", 10000, "text_descr", strings.Repeat("d", 16000))).wantEmpty(t)
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 2), "period", 1201)).wantError(t, http.StatusBadRequest, textBadProductPeriod)
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 2), "quantity", 10001)).wantError(t, http.StatusBadRequest, textBadProductQuantity)
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 2), "text_descr", strings.Repeat("d", 16001))).wantError(t, http.StatusBadRequest, textBadFormat)
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 2), "product_name", "two\nlines")).wantError(t, http.StatusBadRequest, textBadFormat)
		h.send(t, http.MethodPost, add, with(addBody(f, 1, 2), "prod_num", 2147483648)).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
		h.send(t, http.MethodPost, add, with(addBody(f, 1000, 2147483647))).wantEmpty(t)
		if ids := h.nextIDs(t, u, f); len(ids) != 1000 || ids["1"] != 2 || ids["1000"] != 1 {
			t.Fatalf("next ids of a 1000-box freezer: %d keys, 1→%d, 1000→%d", len(ids), ids["1"], ids["1000"])
		}
	})
}

// TestArchivedFreezer pins what the API does with a freezer archived
// through the v1 API (see docs/api/legacy.md).
func TestArchivedFreezer(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		kept := h.freezer(t, u, "kept", 2)
		old := h.freezer(t, u, "old", 2)
		h.takeOut(t, u, h.product(t, u, old, 1, 1, 1, 10), 5)
		if _, err := h.Store.ArchiveFreezer(u.Ctx, old); err != nil {
			t.Fatal(err)
		}
		if list := h.freezers(t, u); len(list) != 1 || apitest.Int(t, list[0], "freezer_id") != kept {
			t.Fatalf("GET /freezers lists an archived freezer: %v", list)
		}
		for _, id := range []int64{0, old} {
			list := h.products(t, u, "all", id)
			if len(list) != 1 || list[0]["freezer_name"] != "old" {
				t.Fatalf("products of the archived freezer (get_product/all/%d): %v", id, list)
			}
		}
		h.send(t, http.MethodPost, "/add_product/"+u.Token, addBody(old, 1, 1)).wantError(t, http.StatusBadRequest, textBadProductEmplacement)
		h.send(t, http.MethodDelete, "/freezers/"+u.Token, map[string]any{"freezer_id": old}).wantError(t, http.StatusBadRequest, textDeleteFreezer)
	})
}

// TestConcurrentAdd: clients racing for one slot get one success and
// BAD_PRODUCT_EMPLACEMENT for the others, never a server error.
func TestConcurrentAdd(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		u := h.User(t)
		f := h.freezer(t, u, "f", 2)
		const n = 8
		results := make(chan response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results <- h.send(t, http.MethodPost, "/add_product/"+u.Token, with(addBody(f, 1, 1), "product_name", fmt.Sprint("racer ", i)))
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for r := range results {
			if r.Status == http.StatusOK {
				ok++
				continue
			}
			r.wantError(t, http.StatusBadRequest, textBadProductEmplacement)
		}
		if ok != 1 {
			t.Fatalf("%d of %d racing adds succeeded, want 1", ok, n)
		}
		if list := h.products(t, u, "inside", f); len(list) != 1 {
			t.Fatalf("products after the race: %v", list)
		}
	})
}

// TestCreateFreezerInOwnHousehold: a user who also belongs to an older,
// shared household creates freezers in the household they own.
func TestCreateFreezerInOwnHousehold(t *testing.T) {
	eachHarness(t, func(t *testing.T, h *harness) {
		owner, member := h.User(t), h.User(t)
		if _, err := h.Store.AddMember(apitest.SysCtx, owner.Household, member.Email); err != nil {
			t.Fatal(err)
		}
		h.send(t, http.MethodPost, "/freezers/"+member.Token, map[string]any{"num_boxes": 2, "name": "mine"}).wantEmpty(t)
		list, err := h.Store.FindFreezers(member.Ctx, freezer.FreezerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].HouseholdID != member.Household {
			t.Fatalf("freezers = %+v, want one in household %d", list, member.Household)
		}
	})
}
