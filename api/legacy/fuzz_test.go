package legacy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// contractTexts are every error text a body of the legacy API may earn.
var contractTexts = []string{
	textBadParameter, textBadFormat, textBadRequest, textBadContentType, textBadProductEmplacement,
	textBadProductType, textBadProductDate, textBadProductPeriod, textBadProductQuantity, textDeleteFreezer,
}

// fuzzTarget is one SQLite store, shared by a whole fuzz run, served by
// the handler directly (no network) for speed.
type fuzzTarget struct {
	handler http.Handler
	h       *harness // for the store and registration helpers
	u       *apitest.User
	freezer int64
}

func newFuzzTarget(f *testing.F) *fuzzTarget {
	f.Helper()
	h := newHarness(f, testdb.SQLiteDSN(f))
	u := h.User(f)
	return &fuzzTarget{handler: h.Server.Config.Handler, h: h, u: u, freezer: h.freezer(f, u, "fuzz", 3)}
}

// serve sends body as application/json through the handler and checks the
// answer: never a 5xx (a panic is recovered as a 500), and either 200 with
// an empty body or an error object of the contract with a 4xx status.
func (ft *fuzzTarget) serve(t *testing.T, method, path string, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	ft.handler.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q → %d %s", method, path, body, rec.Code, rec.Body.Bytes())
	}
	if rec.Code == http.StatusOK {
		if rec.Body.Len() != 0 {
			t.Fatalf("%s %s %q → 200 with body %q", method, path, body, rec.Body.Bytes())
		}
		return rec.Code
	}
	if mt, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type")); err != nil || mt != "application/json" {
		t.Fatalf("%s %s %q → %d with Content-Type %q", method, path, body, rec.Code, rec.Header().Get("Content-Type"))
	}
	var e map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e) != 2 {
		t.Fatalf("%s %s %q → %d %q: not an error object", method, path, body, rec.Code, rec.Body.Bytes())
	}
	status, ok := e["status"].(float64)
	details, ok2 := e["details"].(string)
	if !ok || !ok2 || int(status) != rec.Code || rec.Code < 400 || !slices.Contains(contractTexts, details) {
		t.Fatalf("%s %s %q → %d %q: not an error object of the contract", method, path, body, rec.Code, rec.Body.Bytes())
	}
	return rec.Code
}

// fuzzSeeds are bodies, valid and invalid, common to the fuzz targets.
func fuzzSeeds(freezerID int64) []string {
	return []string{
		fmt.Sprintf(`{"product_name":"Soupe","text_descr":"tomate","freezer_id":%d,"type_id":1,"date_in":"2026-03-01","period":6,"box_num":1,"prod_num":1,"quantity":4}`, freezerID),
		fmt.Sprintf(`{"product_name":"Soupe","text_descr":"","freezer_id":"%d","type_id":"1","date_in":"2026-03-15","period":"6","box_num":"2","prod_num":"1","quantity":"4"}`, freezerID),
		fmt.Sprintf(`{"product_name":"x","text_descr":"y","freezer_id":%d,"type_id":9999,"date_in":"2026-13-01","period":-1,"box_num":4,"prod_num":0,"quantity":"4a"}`, freezerID),
		fmt.Sprintf(`{"product_name":"x","text_descr":"y","freezer_id":%d,"type_id":1,"date_in":"2026-03-01","date_out":"null","period":1,"box_num":1,"prod_num":1,"quantity":1}`, freezerID),
		`{"product_name":"","text_descr":"","freezer_id":"","type_id":"","date_in":"","date_out":"","period":"","box_num":"","prod_num":"","quantity":""}`,
		fmt.Sprintf(`{"product_name":"x","text_descr":"y","freezer_id":%d,"type_id":1,"date_in":"2026-03-01","date_out":null,"period":1,"box_num":3,"prod_num":9,"quantity":1}`, freezerID),
		fmt.Sprintf(`{"product_name":"x","text_descr":"y","freezer_id":%d,"type_id":1,"date_in":"2026-03-01","date_out":"2026-03-10","period":1,"box_num":1,"prod_num":1,"quantity":1}`, freezerID),
		fmt.Sprintf(`{"freezer_id":%d,"num_boxes":"","name":"renamed"}`, freezerID),
		fmt.Sprintf(`{"freezer_id":%d}`, freezerID),
		`{"num_boxes":"4","name":"freezer 1"}`,
		`{"num_boxes":4.5,"name":null}`,
		`{"product_name":"\u0000","text_descr":"\ud800","freezer_id":1e2,"type_id":true,"date_in":null,"period":[],"box_num":{},"prod_num":-0,"quantity":99999999999999999999}`,
		`{"product_name":"a","product_name":"b"}`,
		`{}`, `[]`, `null`, `"x"`, `4`, ``, ` `, `{`, `{"a":1}{"b":2}`, "\xef\xbb\xbf{}", "{\"name\":\"\xff\"}",
		`'); DROP TABLE products;--`, `<script>alert(1)</script>`,
	}
}

func FuzzAddProduct(f *testing.F) {
	ft := newFuzzTarget(f)
	for _, s := range fuzzSeeds(ft.freezer) {
		f.Add([]byte(s))
	}
	path := "/add_product/" + ft.u.Token
	f.Fuzz(func(t *testing.T, body []byte) {
		ft.serve(t, http.MethodPost, path, body)
	})
}

func FuzzUpdateProduct(f *testing.F) {
	ft := newFuzzTarget(f)
	id := ft.h.product(f, ft.u, ft.freezer, 1, 1, 1, 10)
	for _, s := range fuzzSeeds(ft.freezer) {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, inside bool) {
		// Outside: the product, taken out, is selected with inside = 0.
		box, slot, in := 1, 1, 1
		if !inside {
			ft.h.takeOut(t, ft.u, id, 1)
			in = 0
		}
		if ft.serve(t, http.MethodPost, updatePath(ft.freezer, 1, 1, in, ft.u.Token), body) == http.StatusOK || !inside {
			// Put it back in its place, inside, for the next input.
			zero := freezer.Date{}
			if _, err := ft.h.Store.UpdateProduct(ft.u.Ctx, id, freezer.ProductUpdate{FreezerID: &ft.freezer, Box: &box, Slot: &slot, DateOut: &zero}); err != nil {
				t.Fatalf("restore product: %v", err)
			}
		}
	})
}

func FuzzFreezers(f *testing.F) {
	ft := newFuzzTarget(f)
	ft.h.product(f, ft.u, ft.freezer, 1, 1, 1, 10)
	for _, s := range fuzzSeeds(ft.freezer) {
		for m := range 3 {
			f.Add([]byte(s), uint8(m))
		}
	}
	methods := []string{http.MethodPost, http.MethodPut, http.MethodDelete}
	path := "/freezers/" + ft.u.Token
	f.Fuzz(func(t *testing.T, body []byte, method uint8) {
		ft.serve(t, methods[int(method)%len(methods)], path, body)
	})
}

// TestFuzzSeedsAreMixed keeps the seeds honest: some succeed, some fail.
func TestFuzzSeedsAreMixed(t *testing.T) {
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	h := serveStore(t, store)
	u := h.User(t)
	f := h.freezer(t, u, "fuzz", 3)
	statuses := map[int]int{}
	for _, s := range fuzzSeeds(f) {
		statuses[h.send(t, http.MethodPost, "/add_product/"+u.Token, s).Status]++
	}
	if statuses[http.StatusOK] < 2 || statuses[http.StatusBadRequest] < 10 || len(statuses) != 2 {
		t.Fatalf("add_product seed statuses %v, want some 200 and many 400 only", statuses)
	}
}
