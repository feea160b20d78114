package legacy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// The error texts of the contract (/work/shared/contracts/legacy-api.md),
// copied byte for byte: the tests must not trust the implementation's own
// constants.
const (
	textBadToken              = "Bad token given"
	textBadParameter          = "The parameter given is not correct"
	textBadFormat             = "The request does not follow the format rule. Please try again with the correct format"
	textBadRequest            = "Bad request"
	textBadContentType        = "The content-type sent is not an application/json. Please try again with this content type."
	textBadProductEmplacement = "The emplacement where you try to store your new product is not valid.Please check the box number, the freezer and the product identifier assigned to it.The emplacement is probably already taken."
	textBadProductType        = "The type given to the new product to store is not correct.It should be an integer present in the list referring to the different possible types"
	textBadProductDate        = "The date format is for the new product is not well formatted. It should follow the YYYY-MM-DD format. Please try again with this format"
	textBadProductPeriod      = "The period given for the product is not valid. It should be an integer.Please Try again with the correct setting"
	textBadProductQuantity    = "The quantity given for the product is not valid. It should be an integer.Please Try again with the correct setting"
	textServerError           = "An error occurred on the server"
	textDeleteFreezer         = "It is impossible to delete the freezer since some products are still linked to it"
)

// The key sets of the contract's JSON objects.
var (
	keysType    = []string{"type_id", "type_name_en", "type_name_fr"}
	keysFreezer = []string{"freezer_id", "freezer_name", "number_boxes"}
	keysProduct = []string{"box_num", "date_formatted_in", "date_formatted_out", "descr_id", "freezer_id", "freezer_name", "period", "prod_num", "product_name", "quantity", "text_descr", "type_id"}
	keysGeneral = []string{"freq", "type_id", "type_name_en", "type_name_fr"}
	keysCustom  = []string{"freq", "latest", "type_id", "type_name_en", "type_name_fr"}
	keysError   = []string{"details", "status"}
)

// harness is a store of one dialect served over HTTP, with the legacy
// API's own helpers.
type harness struct {
	*apitest.Env
}

// newHarness opens a migrated store at dsn and serves it with the store's
// fixed clock and no rate limit, unless configure says otherwise.
func newHarness(tb testing.TB, dsn string, configure ...func(*api.Config)) *harness {
	tb.Helper()
	return serveStore(tb, testdb.MustOpen(tb, dsn), configure...)
}

// serveStore serves an open store.
func serveStore(tb testing.TB, store *db.DB, configure ...func(*api.Config)) *harness {
	tb.Helper()
	var opts []apitest.Option
	for _, fn := range configure {
		opts = append(opts, apitest.Configure(fn))
	}
	return &harness{apitest.Serve(tb, store, opts...)}
}

// eachHarness runs fn with a fresh harness on each dialect.
func eachHarness(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) { fn(t, newHarness(t, dsn)) })
}

// freezer creates a freezer of u in u's own household, through the store.
func (h *harness) freezer(tb testing.TB, u *apitest.User, name string, boxes int) int64 {
	tb.Helper()
	f := &freezer.Freezer{HouseholdID: u.Household, Name: name, NumberBoxes: boxes}
	if err := h.Store.CreateFreezer(u.Ctx, f); err != nil {
		tb.Fatalf("create freezer %q: %v", name, err)
	}
	return f.ID
}

// product stores a product inside freezer f at (box, slot), put in
// apitest.DaysAgo(in) with typeID, through the store, and returns its id.
func (h *harness) product(tb testing.TB, u *apitest.User, f int64, box, slot int, typeID int64, in int) int64 {
	tb.Helper()
	p := &freezer.Product{FreezerID: f, Box: box, Slot: slot, Name: fmt.Sprintf("product %d.%d", box, slot),
		Description: "made in a test", TypeID: typeID, Quantity: 2, DateIn: apitest.Today.AddDays(-in), PeriodMonths: 3}
	if err := h.Store.CreateProduct(u.Ctx, p); err != nil {
		tb.Fatalf("create product %+v: %v", *p, err)
	}
	return p.ID
}

// takeOut takes a product out on apitest.DaysAgo(out), through the store.
func (h *harness) takeOut(tb testing.TB, u *apitest.User, id int64, out int) {
	tb.Helper()
	d := apitest.Today.AddDays(-out)
	if _, err := h.Store.UpdateProduct(u.Ctx, id, freezer.ProductUpdate{DateOut: &d}); err != nil {
		tb.Fatalf("take out product %d: %v", id, err)
	}
}

// response is an answer of the legacy API, with its own assertions.
type response struct {
	apitest.Response
}

// request sends a request with exactly the given headers (see apitest.Env.Do).
func (h *harness) request(tb testing.TB, method, path string, body any, headers ...string) response {
	tb.Helper()
	return response{h.Do(tb, method, path, body, headers...)}
}

// get sends a GET request.
func (h *harness) get(tb testing.TB, path string) response {
	tb.Helper()
	return h.request(tb, http.MethodGet, path, nil)
}

// send sends a body as application/json.
func (h *harness) send(tb testing.TB, method, path string, body any) response {
	tb.Helper()
	return response{h.Send(tb, method, path, body)}
}

// wantStatus fails the test unless the status is want.
func (r response) wantStatus(tb testing.TB, want int) response {
	tb.Helper()
	r.WantStatus(tb, want)
	return r
}

// wantEmpty fails the test unless the answer is 200 with an empty body.
func (r response) wantEmpty(tb testing.TB) {
	tb.Helper()
	r.wantStatus(tb, http.StatusOK)
	if len(r.Body) != 0 {
		tb.Fatalf("%v: body %q, want empty", r, r.Body)
	}
}

// wantError fails the test unless the answer is the error object
// {"status": status, "details": details}, exactly, as application/json.
func (r response) wantError(tb testing.TB, status int, details string) {
	tb.Helper()
	r.wantStatus(tb, status)
	r.wantErrorObject(tb)
	var e struct {
		Status  json.Number `json:"status"`
		Details string      `json:"details"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	if e.Status.String() != fmt.Sprint(status) {
		tb.Fatalf("%v: \"status\" %s, want %d", r, e.Status, status)
	}
	if e.Details != details {
		tb.Fatalf("%v:\n details %q\n want    %q", r, e.Details, details)
	}
}

// wantErrorObject fails the test unless the body is an error object of the
// legacy API: application/json with exactly the keys status and details,
// the status an integer equal to the HTTP status.
func (r response) wantErrorObject(tb testing.TB) {
	tb.Helper()
	r.WantJSONType(tb)
	obj := r.Object(tb)
	wantKeys(tb, r, obj, keysError...)
	if s, ok := obj["status"].(float64); !ok || int(s) != r.Status {
		tb.Fatalf("%v: \"status\" %v, want the number %d", r, obj["status"], r.Status)
	}
	if _, ok := obj["details"].(string); !ok {
		tb.Fatalf("%v: \"details\" %v is not a string", r, obj["details"])
	}
}

// list decodes a 200 body as a JSON array of objects (never null).
func (r response) list(tb testing.TB) []map[string]any {
	tb.Helper()
	r.wantStatus(tb, http.StatusOK)
	r.WantJSONType(tb)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil || list == nil {
		tb.Fatalf("%v: not a JSON array of objects: %v", r, err)
	}
	return list
}

// wantKeys fails the test unless obj, read from r, has exactly the keys keys.
func wantKeys(tb testing.TB, r response, obj map[string]any, keys ...string) {
	tb.Helper()
	apitest.WantKeys(tb, r.String(), obj, keys...)
}

// freezers lists the caller's freezers through GET /freezers.
func (h *harness) freezers(tb testing.TB, u *apitest.User) []map[string]any {
	tb.Helper()
	list := h.get(tb, "/freezers/"+u.Token).list(tb)
	for _, f := range list {
		wantKeys(tb, response{apitest.Response{Path: "/freezers"}}, f, keysFreezer...)
	}
	return list
}

// freezerByID returns the caller's freezer id from GET /freezers, or nil.
func (h *harness) freezerByID(tb testing.TB, u *apitest.User, id int64) map[string]any {
	tb.Helper()
	for _, f := range h.freezers(tb, u) {
		if apitest.Int(tb, f, "freezer_id") == id {
			return f
		}
	}
	return nil
}

// products lists the caller's products through GET /get_product.
func (h *harness) products(tb testing.TB, u *apitest.User, param string, freezerID int64) []map[string]any {
	tb.Helper()
	r := h.get(tb, fmt.Sprintf("/get_product/%s/%d/%s", param, freezerID, u.Token))
	list := r.list(tb)
	for _, p := range list {
		wantKeys(tb, r, p, keysProduct...)
	}
	return list
}

// productAt returns the product at (freezer, box, prod_num) in a listing,
// preferring one inside, or nil.
func productAt(tb testing.TB, list []map[string]any, freezerID int64, box, slot int) map[string]any {
	tb.Helper()
	var found map[string]any
	for _, p := range list {
		if apitest.Int(tb, p, "freezer_id") == freezerID && apitest.Int(tb, p, "box_num") == int64(box) && apitest.Int(tb, p, "prod_num") == int64(slot) {
			if p["date_formatted_out"] == nil {
				return p
			}
			found = p
		}
	}
	return found
}

// addBody is a valid add_product body for (freezer, box, slot).
func addBody(freezerID int64, box, slot int) map[string]any {
	return map[string]any{
		"product_name": "Soupe de Noël",
		"text_descr":   "Soupe à base de tomate",
		"freezer_id":   freezerID,
		"type_id":      1,
		"date_in":      apitest.DaysAgo(3),
		"period":       6,
		"box_num":      box,
		"prod_num":     slot,
		"quantity":     4,
	}
}

// updateBody is an update_product body that keeps every value.
func updateBody() map[string]any {
	b := map[string]any{"date_out": ""}
	for k := range addBody(0, 0, 0) {
		b[k] = ""
	}
	return b
}

// with returns a copy of body with the given key/value pairs set.
func with(body map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(body)+len(kv)/2)
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// without returns a copy of body without the given keys.
func without(body map[string]any, keys ...string) map[string]any {
	out := with(body)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// updatePath is the path of update_product for a place.
func updatePath(freezerID int64, box, slot, inside int, token string) string {
	return fmt.Sprintf("/update_product/%d/%d/%d/%d/%s", freezerID, box, slot, inside, token)
}

// nextIDs returns GET /freezer_next_id as box → slot.
func (h *harness) nextIDs(tb testing.TB, u *apitest.User, freezerID int64) map[string]int64 {
	tb.Helper()
	r := h.get(tb, fmt.Sprintf("/freezer_next_id/%d/%s", freezerID, u.Token)).wantStatus(tb, http.StatusOK)
	r.WantJSONType(tb)
	obj := r.Object(tb)
	out := make(map[string]int64, len(obj))
	for k := range obj {
		out[k] = apitest.Int(tb, obj, k)
	}
	return out
}
