package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
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

// testPassword is the password of every user the harness registers.
const testPassword = "correct horse battery"

// today is the calendar day of the fixed test clock (2026-03-15).
var today = freezer.DateOf(testdb.Now)

// emailSeq numbers the e-mail addresses of registered users.
var emailSeq atomic.Int64

// daysAgo is the YYYY-MM-DD text of the day n days before the fixed today.
func daysAgo(n int) string { return today.AddDays(-n).String() }

// harness is a store of one dialect served over HTTP by api.Server.
type harness struct {
	store *db.DB
	srv   *httptest.Server
	url   string
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
	cfg := api.Config{
		Now:             func() time.Time { return testdb.Now },
		LegacyRateLimit: &api.RateLimit{}, // 0 disables both windows: the functional tests make many requests
	}
	for _, fn := range configure {
		fn(&cfg)
	}
	srv := httptest.NewServer(api.NewServer(cfg, api.NewServices(store), nil).Handler())
	tb.Cleanup(srv.Close)
	return &harness{store: store, srv: srv, url: srv.URL}
}

// eachHarness runs fn with a fresh harness on each dialect.
func eachHarness(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) { fn(t, newHarness(t, dsn)) })
}

// user is a registered user with their legacy token.
type user struct {
	*freezer.RegisteredUser
	token string
	ctx   context.Context // acts as the user on the store
}

// register creates a user with a fresh e-mail address.
func (h *harness) register(tb testing.TB) *user {
	tb.Helper()
	email := fmt.Sprintf("user%d@example.com", emailSeq.Add(1))
	r, err := h.store.RegisterUser(freezer.SystemContext(context.Background()), freezer.Registration{Email: email, Password: testPassword})
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return &user{RegisteredUser: r, token: r.Token, ctx: freezer.NewContextWithUser(context.Background(), r.User)}
}

// freezer creates a freezer of u in u's own household, through the store.
func (h *harness) freezer(tb testing.TB, u *user, name string, boxes int) int64 {
	tb.Helper()
	f := &freezer.Freezer{HouseholdID: u.Household.ID, Name: name, NumberBoxes: boxes}
	if err := h.store.CreateFreezer(u.ctx, f); err != nil {
		tb.Fatalf("create freezer %q: %v", name, err)
	}
	return f.ID
}

// product stores a product inside freezer f at (box, slot), put in
// daysAgo(in) with typeID, through the store, and returns its id.
func (h *harness) product(tb testing.TB, u *user, f int64, box, slot int, typeID int64, in int) int64 {
	tb.Helper()
	p := &freezer.Product{FreezerID: f, Box: box, Slot: slot, Name: fmt.Sprintf("product %d.%d", box, slot),
		Description: "made in a test", TypeID: typeID, Quantity: 2, DateIn: today.AddDays(-in), PeriodMonths: 3}
	if err := h.store.CreateProduct(u.ctx, p); err != nil {
		tb.Fatalf("create product %+v: %v", *p, err)
	}
	return p.ID
}

// takeOut takes a product out on daysAgo(out), through the store.
func (h *harness) takeOut(tb testing.TB, u *user, id int64, out int) {
	tb.Helper()
	d := today.AddDays(-out)
	if _, err := h.store.UpdateProduct(u.ctx, id, freezer.ProductUpdate{DateOut: &d}); err != nil {
		tb.Fatalf("take out product %d: %v", id, err)
	}
}

// response is an HTTP answer read in full.
type response struct {
	method, path string
	sent         string // the request body, for failure messages
	status       int
	header       http.Header
	body         []byte
}

func (r response) String() string {
	return fmt.Sprintf("%s %s %s → %d %q", r.method, r.path, truncate(r.sent, 300), r.status, truncate(string(r.body), 300))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// request sends a request with optional headers (pairs of name, value).
// body: nil for none, a string or []byte as is, anything else as JSON.
func (h *harness) request(tb testing.TB, method, path string, body any, headers ...string) response {
	tb.Helper()
	var reader io.Reader
	var sent string
	switch b := body.(type) {
	case nil:
	case string:
		reader, sent = strings.NewReader(b), b
	case []byte:
		reader, sent = bytes.NewReader(b), string(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		reader, sent = bytes.NewReader(data), string(data)
	}
	req, err := http.NewRequest(method, h.url+path, reader)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{method: method, path: path, sent: sent, status: resp.StatusCode, header: resp.Header, body: data}
}

// get sends a GET request.
func (h *harness) get(tb testing.TB, path string) response {
	tb.Helper()
	return h.request(tb, http.MethodGet, path, nil)
}

// send sends a body as application/json.
func (h *harness) send(tb testing.TB, method, path string, body any) response {
	tb.Helper()
	return h.request(tb, method, path, body, "Content-Type", "application/json")
}

// wantStatus fails the test unless the status is want.
func (r response) wantStatus(tb testing.TB, want int) response {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%v: status %d, want %d", r, r.status, want)
	}
	return r
}

// wantEmpty fails the test unless the answer is 200 with an empty body.
func (r response) wantEmpty(tb testing.TB) {
	tb.Helper()
	r.wantStatus(tb, http.StatusOK)
	if len(r.body) != 0 {
		tb.Fatalf("%v: body %q, want empty", r, r.body)
	}
}

// wantJSONType fails the test unless Content-Type is application/json.
func (r response) wantJSONType(tb testing.TB) {
	tb.Helper()
	ct := r.header.Get("Content-Type")
	mediaType, _, err := mime.ParseMediaType(ct)
	if err != nil || mediaType != "application/json" {
		tb.Fatalf("%v: Content-Type %q, want application/json", r, ct)
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
	if err := json.Unmarshal(r.body, &e); err != nil {
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
	r.wantJSONType(tb)
	obj := r.object(tb)
	wantKeys(tb, r, obj, keysError...)
	if s, ok := obj["status"].(float64); !ok || int(s) != r.status {
		tb.Fatalf("%v: \"status\" %v, want the number %d", r, obj["status"], r.status)
	}
	if _, ok := obj["details"].(string); !ok {
		tb.Fatalf("%v: \"details\" %v is not a string", r, obj["details"])
	}
}

// object decodes the body as one JSON object.
func (r response) object(tb testing.TB) map[string]any {
	tb.Helper()
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil || obj == nil {
		tb.Fatalf("%v: not a JSON object: %v", r, err)
	}
	return obj
}

// list decodes a 200 body as a JSON array of objects (never null).
func (r response) list(tb testing.TB) []map[string]any {
	tb.Helper()
	r.wantStatus(tb, http.StatusOK)
	r.wantJSONType(tb)
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); err != nil || list == nil {
		tb.Fatalf("%v: not a JSON array of objects: %v", r, err)
	}
	return list
}

// wantKeys fails the test unless obj has exactly the keys keys.
func wantKeys(tb testing.TB, r response, obj map[string]any, keys ...string) {
	tb.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		tb.Fatalf("%v: keys %v, want %v", r, got, want)
	}
}

// num returns obj[key] as an integer, failing unless it is a JSON number.
func num(tb testing.TB, obj map[string]any, key string) int64 {
	tb.Helper()
	v, ok := obj[key].(float64)
	if !ok || v != float64(int64(v)) {
		tb.Fatalf("%q = %#v, want an integer JSON number (in %v)", key, obj[key], obj)
	}
	return int64(v)
}

// str returns obj[key] as a string, failing unless it is a JSON string.
func str(tb testing.TB, obj map[string]any, key string) string {
	tb.Helper()
	v, ok := obj[key].(string)
	if !ok {
		tb.Fatalf("%q = %#v, want a JSON string (in %v)", key, obj[key], obj)
	}
	return v
}

// freezers lists the caller's freezers through GET /freezers.
func (h *harness) freezers(tb testing.TB, u *user) []map[string]any {
	tb.Helper()
	list := h.get(tb, "/freezers/"+u.token).list(tb)
	for _, f := range list {
		wantKeys(tb, response{path: "/freezers"}, f, keysFreezer...)
	}
	return list
}

// freezerByID returns the caller's freezer id from GET /freezers, or nil.
func (h *harness) freezerByID(tb testing.TB, u *user, id int64) map[string]any {
	tb.Helper()
	for _, f := range h.freezers(tb, u) {
		if num(tb, f, "freezer_id") == id {
			return f
		}
	}
	return nil
}

// products lists the caller's products through GET /get_product.
func (h *harness) products(tb testing.TB, u *user, param string, freezerID int64) []map[string]any {
	tb.Helper()
	r := h.get(tb, fmt.Sprintf("/get_product/%s/%d/%s", param, freezerID, u.token))
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
		if num(tb, p, "freezer_id") == freezerID && num(tb, p, "box_num") == int64(box) && num(tb, p, "prod_num") == int64(slot) {
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
		"date_in":      daysAgo(3),
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
func (h *harness) nextIDs(tb testing.TB, u *user, freezerID int64) map[string]int64 {
	tb.Helper()
	r := h.get(tb, fmt.Sprintf("/freezer_next_id/%d/%s", freezerID, u.token)).wantStatus(tb, http.StatusOK)
	r.wantJSONType(tb)
	obj := r.object(tb)
	out := make(map[string]int64, len(obj))
	for k := range obj {
		out[k] = num(tb, obj, k)
	}
	return out
}

// sysCtx acts as the server itself, for set-ups no user may do.
var sysCtx = freezer.SystemContext(context.Background())
