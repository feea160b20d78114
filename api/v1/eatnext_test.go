package v1_test

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

func TestEatNext(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u, other := e.User(t), e.User(t)
		f := mkFreezerID(t, e, u, "Chest", 2)
		mk := func(name, dateIn string, months int) int64 {
			return mkProductID(t, e, u, productBody(f, 1, name, "date_in", dateIn, "period_months", months))
		}
		fresh := mk("Fresh", apitest.DaysAgo(1), 6)
		old := mk("Old", apitest.DaysAgo(60), 6)
		late := mk("Late", apitest.MonthsAgo(3), 1)
		soon := mk("Soon", apitest.DaysAgo(25), 1)
		later := mk("Later", apitest.MonthsAgo(2), 1) // overdue for less long than Late
		eaten := mk("Eaten", apitest.MonthsAgo(5), 1)
		e.Post(t, u, fmt.Sprintf("/products/%d/take-out", eaten), nil).WantStatus(t, http.StatusOK)
		mkProductID(t, e, other, productBody(mkFreezerID(t, e, other, "Theirs", 1), 1, "Theirs", "date_in", apitest.MonthsAgo(9), "period_months", 1))

		items := e.Get(t, u, "/products/eat-next?limit=10").WantStatus(t, http.StatusOK).Items(t)
		if got, want := apitest.IDs(t, items), []int64{late, later, soon, old, fresh}; !slices.Equal(got, want) {
			t.Errorf("eat next = %v, want overdue by use-by, due soon, then the oldest: %v", got, want)
		}
		if apitest.Str(t, items[0], "stage") != freezer.StageOverdue || apitest.Str(t, items[2], "stage") != freezer.StageDueSoon {
			t.Errorf("stages = %v, %v", items[0]["stage"], items[2]["stage"])
		}
		if got := apitest.IDs(t, e.Get(t, u, "/products/eat-next").WantStatus(t, http.StatusOK).Items(t)); len(got) != 5 {
			t.Errorf("default limit: %d items, want 5", len(got))
		}
		if got := apitest.IDs(t, e.Get(t, u, "/products/eat-next?limit=2").WantStatus(t, http.StatusOK).Items(t)); !slices.Equal(got, []int64{late, later}) {
			t.Errorf("limit 2: %v", got)
		}
		if got := apitest.IDs(t, e.Get(t, u, "/products?sort=eat_next").WantStatus(t, http.StatusOK).Items(t)); len(got) != 5 || got[0] != late {
			t.Errorf("sort=eat_next: %v", got)
		}
		e.Get(t, u, "/products/eat-next?limit=51").WantError(t, http.StatusBadRequest, freezer.EINVALID, "limit")
		if got := e.Get(t, u, fmt.Sprintf("/products/eat-next?household_id=%d", other.Household)).WantStatus(t, http.StatusOK).Items(t); len(got) != 0 {
			t.Errorf("another household's eat-next list: %v, want none", apitest.IDs(t, got))
		}
	})
}

func TestWasteStats(t *testing.T) {
	e := sqliteEnv(t)
	u := e.User(t)
	f := mkFreezerID(t, e, u, "Chest", 1)
	thrown := mkProductID(t, e, u, productBody(f, 1, "Thrown", "date_in", apitest.DaysAgo(3)))
	e.Post(t, u, fmt.Sprintf("/products/%d/take-out", thrown), map[string]any{"outcome": freezer.OutcomeDiscarded}).WantStatus(t, http.StatusOK)
	got := e.Get(t, u, "/stats/waste?months=3").WantStatus(t, http.StatusOK).Object(t)
	overall := apitest.Obj(t, got, "overall")
	if apitest.Int(t, overall, "taken_out") != 1 || apitest.Int(t, overall, "discarded") != 1 || overall["share"] != 1.0 {
		t.Errorf("overall = %v, want one product taken out, thrown away", overall)
	}
	if months, _ := got["months"].([]any); len(months) != 3 {
		t.Errorf("months = %v, want 3", got["months"])
	}
	e.Get(t, u, "/stats/waste?months=0").WantError(t, http.StatusBadRequest, freezer.EINVALID, "months")
}

// Unbounded input is a 400 with a clear message on both databases, never a 500.
func TestBoundedInput(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		f := mkFreezerID(t, e, u, "Chest", 2)
		e.Get(t, u, "/products?q="+strings.Repeat("A", 100000)).WantError(t, http.StatusBadRequest, freezer.EINVALID, "q is longer than 200")
		e.Post(t, u, "/products", productBody(f, 1, "Huge slot", "slot", int64(math.MaxInt64))).WantError(t, http.StatusBadRequest, freezer.EINVALID, "slot")
		e.Post(t, u, "/products", productBody(f, 1, "Huge box", "box", int64(math.MaxInt64))).WantError(t, http.StatusBadRequest, freezer.EINVALID, "box")
		e.Post(t, u, "/products", productBody(f, 1, "Huge quantity", "quantity", int64(math.MaxInt64))).WantError(t, http.StatusBadRequest, freezer.EINVALID, "quantity")
		if got := e.Get(t, u, "/products?q="+strings.Repeat("A", 200)).WantStatus(t, http.StatusOK).Items(t); len(got) != 0 {
			t.Errorf("a 200-character search found %d products", len(got))
		}
	})
}
