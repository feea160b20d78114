package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/broker"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/hub"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// Every identifier of the v1 tests starts with v1 so that it never collides
// with the legacy tests of the same package.

// v1Base is where the v1 API lives.
const v1Base = "/api/v1"

// v1Today is the day of the fixed test clock (2026-03-15).
var v1Today = freezer.DateOf(testdb.Now)

// v1DaysAgo is the YYYY-MM-DD text of the day n days before v1Today.
func v1DaysAgo(n int) string { return v1Today.AddDays(-n).String() }

// v1MonthsAgo is the YYYY-MM-DD text of the day n months before v1Today.
func v1MonthsAgo(n int) string { return v1Today.AddMonths(-n).String() }

// The JSON keys of each v1 object, exactly.
var (
	v1KeysHousehold   = []string{"id", "name", "due_soon_days", "created_at", "updated_at"}
	v1KeysMember      = []string{"user_id", "email", "role", "joined_at"}
	v1KeysInvitation  = []string{"id", "household_id", "household_name", "email", "invited_by", "created_at"}
	v1KeysFreezer     = []string{"id", "household_id", "name", "number_boxes", "archived_at", "created_at", "updated_at"}
	v1KeysBox         = []string{"box", "next_free_slot"}
	v1KeysProductType = []string{"id", "name_en", "name_fr"}
	v1KeysToken       = []string{"id", "user_id", "name", "legacy", "created_at", "last_used_at"}
	v1KeysUser        = []string{"id", "email", "language", "admin", "disabled", "created_at", "updated_at"}
	v1KeysProduct     = []string{"id", "household_id", "freezer_id", "box", "slot", "name", "description", "type_id",
		"quantity", "barcode", "date_in", "date_out", "outcome", "period_months", "version", "created_at", "updated_at", "use_by", "stage"}
)

// v1Env is a migrated store of one dialect served over HTTP.
type v1Env struct {
	store *db.DB
	srv   *httptest.Server

	mu        sync.Mutex
	named     map[string]*v1User // see shared
	printSink *httptest.Server   // see printerBody
}

// newV1Env opens a store at dsn and serves it with the fixed clock, with
// the scan pipeline of an embedded broker that listens nowhere.
func newV1Env(tb testing.TB, dsn string) *v1Env {
	tb.Helper()
	store := testdb.MustOpen(tb, dsn)
	services := api.NewServices(store)
	services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
	b, err := broker.New(broker.Config{}, store, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	scans := hub.New(hub.Config{Now: func() time.Time { return testdb.Now }}, store, b, nil)
	if err := scans.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(scans.Close)
	services.Scanner = scans
	s := api.NewServer(api.Config{Now: func() time.Time { return testdb.Now }}, services, nil)
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return &v1Env{store: store, srv: srv}
}

// v1Dialects runs fn with a fresh environment on SQLite and MySQL.
func v1Dialects(t *testing.T, fn func(t *testing.T, e *v1Env)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel() // mostly waiting on the databases
		fn(t, newV1Env(t, dsn))
	})
}

// v1SQLite returns an environment on SQLite only, for the long walks.
func v1SQLite(tb testing.TB) *v1Env {
	tb.Helper()
	return newV1Env(tb, testdb.SQLiteDSN(tb))
}

// v1Seq numbers the e-mail addresses of registered users.
var v1Seq atomic.Int64

// v1User is a registered user, with the household and token registration made.
type v1User struct {
	ID        int64
	Email     string
	Household int64
	Token     string
	ctx       context.Context // acts as the user on the store
}

// user registers a user with a fresh e-mail address.
func (e *v1Env) user(tb testing.TB) *v1User { tb.Helper(); return e.register(tb, false) }

// admin registers an administrator.
func (e *v1Env) admin(tb testing.TB) *v1User { tb.Helper(); return e.register(tb, true) }

// shared returns the user registered under name in this environment,
// registering them the first time: registration hashes a password, which
// is slow under the race detector.
func (e *v1Env) shared(tb testing.TB, name string) *v1User {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.named[name]; ok {
		return u
	}
	if e.named == nil {
		e.named = map[string]*v1User{}
	}
	u := e.register(tb, false)
	e.named[name] = u
	return u
}

func (e *v1Env) register(tb testing.TB, admin bool) *v1User {
	tb.Helper()
	email := fmt.Sprintf("v1-user%d@example.com", v1Seq.Add(1))
	r, err := e.store.RegisterUser(freezer.SystemContext(context.Background()),
		freezer.Registration{Email: email, Password: "correct horse battery", Admin: admin})
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return &v1User{ID: r.User.ID, Email: r.User.Email, Household: r.Household.ID, Token: r.Token,
		ctx: freezer.NewContextWithUser(context.Background(), r.User)}
}

// v1Resp is an HTTP answer read in full.
type v1Resp struct {
	method, path, sent string
	status             int
	header             http.Header
	body               []byte
}

func (r v1Resp) String() string {
	return fmt.Sprintf("%s %s %s → %d %s", r.method, r.path, truncate(r.sent, 200), r.status, truncate(string(r.body), 400))
}

// do sends a request to a full path. token "" sends no Authorization header.
// body: nil for none, a string or []byte as is, anything else as JSON; a
// body is sent as application/json unless headers (name, value pairs) set
// another Content-Type ("" removes it). Every answer of the v1 API is
// checked against the OpenAPI document.
func (e *v1Env) do(tb testing.TB, token, method, path string, body any, headers ...string) v1Resp {
	tb.Helper()
	var reader io.Reader
	var sent string
	switch b := body.(type) {
	case nil:
	case string:
		sent = b
	case []byte:
		sent = string(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		sent = string(data)
	}
	if body != nil {
		reader = strings.NewReader(sent)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, reader)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := v1Resp{method: method, path: path, sent: sent, status: resp.StatusCode, header: resp.Header, body: data}
	if err := v1CheckAgainstDoc(tb, r); err != nil {
		tb.Errorf("%v\n  does not match the OpenAPI document: %v", r, err)
	}
	return r
}

// get, post, patch and del call the v1 API with the user's token (path below /api/v1).
func (e *v1Env) get(tb testing.TB, u *v1User, path string) v1Resp {
	tb.Helper()
	return e.do(tb, u.Token, http.MethodGet, v1Base+path, nil)
}

func (e *v1Env) post(tb testing.TB, u *v1User, path string, body any) v1Resp {
	tb.Helper()
	return e.do(tb, u.Token, http.MethodPost, v1Base+path, body)
}

func (e *v1Env) patch(tb testing.TB, u *v1User, path string, body any) v1Resp {
	tb.Helper()
	return e.do(tb, u.Token, http.MethodPatch, v1Base+path, body)
}

func (e *v1Env) del(tb testing.TB, u *v1User, path string) v1Resp {
	tb.Helper()
	return e.do(tb, u.Token, http.MethodDelete, v1Base+path, nil)
}

// want fails the test unless the status is want.
func (r v1Resp) want(tb testing.TB, want int) v1Resp {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%v: status %d, want %d", r, r.status, want)
	}
	return r
}

// wantJSON fails the test unless Content-Type is application/json.
func (r v1Resp) wantJSON(tb testing.TB) {
	tb.Helper()
	ct := r.header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		tb.Fatalf("%v: Content-Type %q, want application/json", r, ct)
	}
}

// obj decodes the body as one JSON object.
func (r v1Resp) obj(tb testing.TB) map[string]any {
	tb.Helper()
	r.wantJSON(tb)
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil || obj == nil {
		tb.Fatalf("%v: not a JSON object: %v", r, err)
	}
	return obj
}

// page decodes a 200 list: exactly {"items": [...], "next_cursor": string|null}.
// next is "" when next_cursor is null.
func (r v1Resp) page(tb testing.TB) (items []map[string]any, next string) {
	tb.Helper()
	r.want(tb, http.StatusOK)
	obj := r.obj(tb)
	v1Keys(tb, r.String(), obj, "items", "next_cursor")
	raw, ok := obj["items"].([]any)
	if !ok {
		tb.Fatalf("%v: items is %#v, want a JSON array", r, obj["items"])
	}
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			tb.Fatalf("%v: item %#v is not an object", r, it)
		}
		items = append(items, m)
	}
	switch c := obj["next_cursor"].(type) {
	case nil:
	case string:
		if c == "" {
			tb.Fatalf("%v: next_cursor is \"\", want null or a cursor", r)
		}
		next = c
	default:
		tb.Fatalf("%v: next_cursor is %#v, want a string or null", r, c)
	}
	return items, next
}

// items is page for lists that must fit in one page.
func (r v1Resp) items(tb testing.TB) []map[string]any {
	tb.Helper()
	items, next := r.page(tb)
	if next != "" {
		tb.Fatalf("%v: next_cursor %q, want null", r, next)
	}
	return items
}

// wantErr fails the test unless the answer is status with exactly the error
// object {"error":{"code","message"}}, the code code and a message that
// contains each of words.
func (r v1Resp) wantErr(tb testing.TB, status int, code string, words ...string) string {
	tb.Helper()
	r.want(tb, status)
	obj := r.obj(tb)
	v1Keys(tb, r.String(), obj, "error")
	e, ok := obj["error"].(map[string]any)
	if !ok {
		tb.Fatalf("%v: error is %#v, want an object", r, obj["error"])
	}
	v1Keys(tb, r.String(), e, "code", "message")
	if got := v1Str(tb, e, "code"); got != code {
		tb.Fatalf("%v: code %q, want %q", r, got, code)
	}
	msg := v1Str(tb, e, "message")
	if msg == "" {
		tb.Fatalf("%v: empty message", r)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			tb.Fatalf("%v: message %q does not contain %q", r, msg, w)
		}
	}
	return msg
}

// v1Keys fails the test unless obj has exactly the keys keys.
func v1Keys(tb testing.TB, what string, obj map[string]any, keys ...string) {
	tb.Helper()
	got := slices.Sorted(v1MapKeys(obj))
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		tb.Fatalf("%s: keys %v, want %v", what, got, want)
	}
}

func v1MapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// v1Int returns obj[key] as an integer, failing unless it is an integral JSON number.
func v1Int(tb testing.TB, obj map[string]any, key string) int64 {
	tb.Helper()
	v, ok := obj[key].(float64)
	if !ok || v != math.Trunc(v) {
		tb.Fatalf("%q = %#v, want an integer (in %v)", key, obj[key], obj)
	}
	return int64(v)
}

// v1Str returns obj[key] as a string, failing unless it is a JSON string.
func v1Str(tb testing.TB, obj map[string]any, key string) string {
	tb.Helper()
	v, ok := obj[key].(string)
	if !ok {
		tb.Fatalf("%q = %#v, want a string (in %v)", key, obj[key], obj)
	}
	return v
}

// v1Obj returns obj[key] as a JSON object.
func v1Obj(tb testing.TB, obj map[string]any, key string) map[string]any {
	tb.Helper()
	v, ok := obj[key].(map[string]any)
	if !ok {
		tb.Fatalf("%q = %#v, want an object (in %v)", key, obj[key], obj)
	}
	return v
}

// v1IDs returns the id of each item, in order.
func v1IDs(tb testing.TB, items []map[string]any) []int64 {
	tb.Helper()
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		ids = append(ids, v1Int(tb, it, "id"))
	}
	return ids
}

// v1Path formats a path below /api/v1.
func v1Path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// mkFreezer creates a freezer through the API in the user's first household,
// or in household when given.
func (e *v1Env) mkFreezer(tb testing.TB, u *v1User, name string, boxes int, household ...int64) map[string]any {
	tb.Helper()
	body := map[string]any{"name": name, "number_boxes": boxes}
	if len(household) > 0 {
		body["household_id"] = household[0]
	}
	return e.post(tb, u, "/freezers", body).want(tb, http.StatusCreated).obj(tb)
}

// mkFreezerID is mkFreezer's id.
func (e *v1Env) mkFreezerID(tb testing.TB, u *v1User, name string, boxes int) int64 {
	tb.Helper()
	return v1Int(tb, e.mkFreezer(tb, u, name, boxes), "id")
}

// v1ProductBody is a valid POST /products body in box of freezerID, put in
// ten days ago for six months, with the given key/value pairs changed
// (a nil value removes the key).
func v1ProductBody(freezerID int64, box int, name string, kv ...any) map[string]any {
	b := map[string]any{"freezer_id": freezerID, "box": box, "name": name, "description": "made in a test",
		"type_id": 1, "quantity": 2, "date_in": v1DaysAgo(10), "period_months": 6}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(b, kv[i].(string))
		} else {
			b[kv[i].(string)] = kv[i+1]
		}
	}
	return b
}

// mkProduct creates a product through the API and returns its view.
func (e *v1Env) mkProduct(tb testing.TB, u *v1User, body map[string]any) map[string]any {
	tb.Helper()
	return e.post(tb, u, "/products", body).want(tb, http.StatusCreated).obj(tb)
}

// mkProductID is mkProduct's id.
func (e *v1Env) mkProductID(tb testing.TB, u *v1User, body map[string]any) int64 {
	tb.Helper()
	return v1Int(tb, e.mkProduct(tb, u, body), "id")
}

// product reads one product through the API.
func (e *v1Env) product(tb testing.TB, u *v1User, id int64) map[string]any {
	tb.Helper()
	return e.get(tb, u, v1Path("/products/%d", id)).want(tb, http.StatusOK).obj(tb)
}

// productIDs lists the ids of GET /products?query (one page of up to 500).
func (e *v1Env) productIDs(tb testing.TB, u *v1User, query string) []int64 {
	tb.Helper()
	path := "/products?limit=500"
	if query != "" {
		path += "&" + query
	}
	return v1IDs(tb, e.get(tb, u, path).items(tb))
}

// ---- The OpenAPI document, as the tests read it ----

var (
	v1DocOnce sync.Once
	v1DocData []byte
	v1DocErr  error
)

// v1DocBytes serves GET /api/v1/openapi.json once, from a server without a
// store: the document is built from the route table alone.
func v1DocBytes(tb testing.TB) []byte {
	tb.Helper()
	v1DocOnce.Do(func() {
		rec := httptest.NewRecorder()
		api.NewServer(api.Config{}, api.Services{}, nil).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, v1Base+"/openapi.json", nil))
		if rec.Code != http.StatusOK {
			v1DocErr = fmt.Errorf("GET %s/openapi.json: status %d: %s", v1Base, rec.Code, rec.Body)
			return
		}
		v1DocData = rec.Body.Bytes()
	})
	if v1DocErr != nil {
		tb.Fatal(v1DocErr)
	}
	return v1DocData
}

// v1Doc returns a fresh decoding of the document.
func v1Doc(tb testing.TB) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(v1DocBytes(tb), &doc); err != nil {
		tb.Fatalf("openapi.json is not a JSON object: %v", err)
	}
	return doc
}

// v1Op is one operation of the document.
type v1Op struct {
	Method string // upper case
	Path   string // OpenAPI syntax, below /api/v1
	Op     map[string]any
}

func (o v1Op) String() string { return o.Method + " " + o.Path }

// Params returns the path parameters in the order of the path.
func (o v1Op) Params() []string {
	var names []string
	for _, seg := range strings.Split(o.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, seg[1:len(seg)-1])
		}
	}
	return names
}

// Public reports whether the operation needs no token.
func (o v1Op) Public() bool {
	sec, ok := o.Op["security"].([]any)
	return !ok || len(sec) == 0
}

// HasBody reports whether the operation documents a request body.
func (o v1Op) HasBody() bool { _, ok := o.Op["requestBody"]; return ok }

// Fill replaces each {param} of the path with values[param].
func (o v1Op) Fill(values map[string]string) string {
	segs := strings.Split(o.Path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			segs[i] = url.PathEscape(values[seg[1:len(seg)-1]])
		}
	}
	return strings.Join(segs, "/")
}

var v1Methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// v1Ops lists every operation of the document, sorted by path then method.
func v1Ops(tb testing.TB, doc map[string]any) []v1Op {
	tb.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		tb.Fatalf("the document has no paths")
	}
	var ops []v1Op
	for path, item := range paths {
		for _, m := range v1Methods {
			if op, ok := item.(map[string]any)[m].(map[string]any); ok {
				ops = append(ops, v1Op{Method: strings.ToUpper(m), Path: path, Op: op})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

// v1FindOp finds the operation that serves method on a concrete path (with
// or without /api/v1 and a query): the template with the most literal
// segments wins, as in the router.
func v1FindOp(ops []v1Op, method, path string) (v1Op, bool) {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, v1Base)
	segs := strings.Split(path, "/")
	best, bestScore := v1Op{}, -1
	for _, o := range ops {
		if o.Method != method {
			continue
		}
		tsegs := strings.Split(o.Path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		score := 0
		for i, t := range tsegs {
			if strings.HasPrefix(t, "{") {
				continue
			}
			if t != segs[i] {
				score = -1
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = o, score
		}
	}
	return best, bestScore >= 0
}

var (
	v1OpsOnce sync.Once
	v1OpsList []v1Op
	v1DocRoot map[string]any
)

// v1CheckAgainstDoc checks an answer of the v1 API against the document: a
// success must have a documented status and match its schema (every key,
// no other), a 204 has no body, an error matches the Error schema; then a
// real JSON Schema validator checks the exchange (v1ValidateExchange).
func v1CheckAgainstDoc(tb testing.TB, r v1Resp) error {
	if err := v1CheckKeys(tb, r); err != nil {
		return err
	}
	if !strings.HasPrefix(r.path, v1Base+"/") || r.method == http.MethodOptions || r.method == http.MethodHead {
		return nil
	}
	op, ok := v1FindOp(v1OpsList, r.method, r.path)
	if !ok {
		return nil // an unknown route's 404 or 405, checked against the Error schema
	}
	return v1ValidateExchange(op, r)
}

// v1CheckKeys checks an answer against the document with v1CheckSchema.
func v1CheckKeys(tb testing.TB, r v1Resp) error {
	tb.Helper()
	if !strings.HasPrefix(r.path, v1Base+"/") || r.method == http.MethodOptions || r.method == http.MethodHead {
		return nil
	}
	v1OpsOnce.Do(func() {
		v1DocRoot = v1Doc(tb)
		v1OpsList = v1Ops(tb, v1DocRoot)
	})
	if v1DocRoot == nil {
		return fmt.Errorf("the document could not be read")
	}
	if r.status >= 400 {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			return fmt.Errorf("the error body is not JSON: %v", err)
		}
		return v1CheckSchema(v1DocRoot, map[string]any{"$ref": "#/components/schemas/Error"}, v, "body")
	}
	op, ok := v1FindOp(v1OpsList, r.method, r.path)
	if !ok {
		return fmt.Errorf("no operation for %s %s", r.method, r.path)
	}
	responses, _ := op.Op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		return fmt.Errorf("status %d is not documented for %v (documented: %v)", r.status, op, slices.Sorted(v1MapKeys(responses)))
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(r.body) != 0 {
			return fmt.Errorf("a body where the document has none")
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media, _ := content[mt].(map[string]any)
	if media == nil {
		return fmt.Errorf("Content-Type %q is not documented (documented: %v)", mt, slices.Sorted(v1MapKeys(content)))
	}
	if mt != "application/json" {
		return nil
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	return v1CheckSchema(v1DocRoot, media["schema"], v, "body")
}

// v1Resolve follows a local $ref to its schema in components.
func v1Resolve(doc map[string]any, ref string) (map[string]any, error) {
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a schema of components", ref)
	}
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	s, ok := schemas[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q names no schema of components", ref)
	}
	return s, nil
}

// v1CheckSchema checks value v against a subset of JSON Schema: $ref,
// oneOf, type (one or a list), properties (exactly: no missing and no extra
// key) and items.
func v1CheckSchema(doc map[string]any, schema any, v any, at string) error {
	s, ok := schema.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema %#v is not an object", at, schema)
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := v1Resolve(doc, ref)
		if err != nil {
			return fmt.Errorf("%s: %v", at, err)
		}
		return v1CheckSchema(doc, target, v, at)
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		var errs []string
		for _, alt := range oneOf {
			err := v1CheckSchema(doc, alt, v, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no oneOf alternative: %s", at, strings.Join(errs, "; "))
	}
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			name, _ := x.(string)
			types = append(types, name)
		}
	}
	if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return v1IsType(t, v) }) {
		return fmt.Errorf("%s: %s is not of type %v", at, truncate(fmt.Sprint(v), 80), types)
	}
	switch val := v.(type) {
	case map[string]any:
		props, ok := s["properties"].(map[string]any)
		if !ok {
			return nil
		}
		got, want := slices.Sorted(v1MapKeys(val)), slices.Sorted(v1MapKeys(props))
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: keys %v, documented %v", at, got, want)
		}
		for _, k := range want {
			if err := v1CheckSchema(doc, props[k], val[k], at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		items, ok := s["items"]
		if !ok {
			return nil
		}
		for i, it := range val {
			if err := v1CheckSchema(doc, items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func v1IsType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

// withSpooler gives services a label spooler on store, as freezerd does.
func withSpooler(services api.Services, store *db.DB) api.Services {
	services.Printing = labels.NewSpooler(store, store, labels.SpoolerConfig{})
	return services
}
