package v1_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// The JSON keys of each v1 object, exactly.
var (
	keysHousehold   = []string{"id", "name", "due_soon_days", "created_at", "updated_at"}
	keysMember      = []string{"user_id", "email", "role", "joined_at"}
	keysInvitation  = []string{"id", "household_id", "household_name", "email", "invited_by", "created_at"}
	keysFreezer     = []string{"id", "household_id", "name", "number_boxes", "archived_at", "created_at", "updated_at"}
	keysBox         = []string{"box", "next_free_slot"}
	keysProductType = []string{"id", "name_en", "name_fr"}
	keysToken       = []string{"id", "user_id", "name", "legacy", "created_at", "last_used_at"}
	keysUser        = []string{"id", "email", "language", "admin", "disabled", "created_at", "updated_at"}
	keysProduct     = []string{"id", "household_id", "freezer_id", "box", "slot", "name", "description", "type_id",
		"quantity", "barcode", "date_in", "date_out", "outcome", "period_months", "version", "created_at", "updated_at", "use_by", "stage"}
)

// newEnv serves a store at dsn with the scan pipeline; every answer of
// the v1 API is checked against the OpenAPI document.
func newEnv(tb testing.TB, dsn string, opts ...apitest.Option) *apitest.Env {
	tb.Helper()
	return apitest.New(tb, dsn, append([]apitest.Option{apitest.Scanner(), apitest.Check(matchesDoc)}, opts...)...)
}

// matchesDoc is the check of every answer: it must match the OpenAPI document.
func matchesDoc(tb testing.TB, r apitest.Response) error {
	if err := checkAgainstDoc(tb, r); err != nil {
		return fmt.Errorf("does not match the OpenAPI document: %w", err)
	}
	return nil
}

// dialects runs fn with a fresh environment on SQLite and MySQL, in parallel.
func dialects(t *testing.T, fn func(t *testing.T, e *apitest.Env), opts ...apitest.Option) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) {
		t.Parallel() // mostly waiting on the databases
		fn(t, newEnv(t, dsn, opts...))
	})
}

// sqliteEnv returns an environment on SQLite only, for the long walks.
func sqliteEnv(tb testing.TB) *apitest.Env {
	tb.Helper()
	return newEnv(tb, testdb.SQLiteDSN(tb))
}

// mkFreezer creates a freezer through the API in the user's first household,
// or in household when given.
func mkFreezer(tb testing.TB, e *apitest.Env, u *apitest.User, name string, boxes int, household ...int64) map[string]any {
	tb.Helper()
	body := map[string]any{"name": name, "number_boxes": boxes}
	if len(household) > 0 {
		body["household_id"] = household[0]
	}
	return e.Post(tb, u, "/freezers", body).WantStatus(tb, http.StatusCreated).Object(tb)
}

// mkFreezerID is mkFreezer's id.
func mkFreezerID(tb testing.TB, e *apitest.Env, u *apitest.User, name string, boxes int) int64 {
	tb.Helper()
	return apitest.Int(tb, mkFreezer(tb, e, u, name, boxes), "id")
}

// productBody is a valid POST /products body in box of freezerID, put in
// ten days ago for six months, with the given key/value pairs changed
// (a nil value removes the key).
func productBody(freezerID int64, box int, name string, kv ...any) map[string]any {
	b := map[string]any{"freezer_id": freezerID, "box": box, "name": name, "description": "made in a test",
		"type_id": 1, "quantity": 2, "date_in": apitest.DaysAgo(10), "period_months": 6}
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
func mkProduct(tb testing.TB, e *apitest.Env, u *apitest.User, body map[string]any) map[string]any {
	tb.Helper()
	return e.Post(tb, u, "/products", body).WantStatus(tb, http.StatusCreated).Object(tb)
}

// mkProductID is mkProduct's id.
func mkProductID(tb testing.TB, e *apitest.Env, u *apitest.User, body map[string]any) int64 {
	tb.Helper()
	return apitest.Int(tb, mkProduct(tb, e, u, body), "id")
}

// getProduct reads one product through the API.
func getProduct(tb testing.TB, e *apitest.Env, u *apitest.User, id int64) map[string]any {
	tb.Helper()
	return e.Get(tb, u, fmt.Sprintf("/products/%d", id)).WantStatus(tb, http.StatusOK).Object(tb)
}

// productIDs lists the ids of GET /products?query (one page of up to 500).
func productIDs(tb testing.TB, e *apitest.Env, u *apitest.User, query string) []int64 {
	tb.Helper()
	path := "/products?limit=500"
	if query != "" {
		path += "&" + query
	}
	return apitest.IDs(tb, e.Get(tb, u, path).Items(tb))
}
