package api_test

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
)

func TestV1EatNext(t *testing.T) {
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u, other := e.user(t), e.user(t)
		f := e.mkFreezerID(t, u, "Chest", 2)
		mk := func(name, dateIn string, months int) int64 {
			return e.mkProductID(t, u, v1ProductBody(f, 1, name, "date_in", dateIn, "period_months", months))
		}
		fresh := mk("Fresh", v1DaysAgo(1), 6)
		old := mk("Old", v1DaysAgo(60), 6)
		late := mk("Late", v1MonthsAgo(3), 1)
		soon := mk("Soon", v1DaysAgo(25), 1)
		later := mk("Later", v1MonthsAgo(2), 1) // overdue for less long than Late
		eaten := mk("Eaten", v1MonthsAgo(5), 1)
		e.post(t, u, v1Path("/products/%d/take-out", eaten), nil).want(t, http.StatusOK)
		e.mkProductID(t, other, v1ProductBody(e.mkFreezerID(t, other, "Theirs", 1), 1, "Theirs", "date_in", v1MonthsAgo(9), "period_months", 1))

		items := e.get(t, u, "/products/eat-next?limit=10").want(t, http.StatusOK).items(t)
		if got, want := v1IDs(t, items), []int64{late, later, soon, old, fresh}; !slices.Equal(got, want) {
			t.Errorf("eat next = %v, want overdue by use-by, due soon, then the oldest: %v", got, want)
		}
		if v1Str(t, items[0], "stage") != freezer.StageOverdue || v1Str(t, items[2], "stage") != freezer.StageDueSoon {
			t.Errorf("stages = %v, %v", items[0]["stage"], items[2]["stage"])
		}
		if got := v1IDs(t, e.get(t, u, "/products/eat-next").want(t, http.StatusOK).items(t)); len(got) != 5 {
			t.Errorf("default limit: %d items, want 5", len(got))
		}
		if got := v1IDs(t, e.get(t, u, "/products/eat-next?limit=2").want(t, http.StatusOK).items(t)); !slices.Equal(got, []int64{late, later}) {
			t.Errorf("limit 2: %v", got)
		}
		if got := v1IDs(t, e.get(t, u, "/products?sort=eat_next").want(t, http.StatusOK).items(t)); len(got) != 5 || got[0] != late {
			t.Errorf("sort=eat_next: %v", got)
		}
		e.get(t, u, "/products/eat-next?limit=51").wantErr(t, http.StatusBadRequest, freezer.EINVALID, "limit")
		if got := e.get(t, u, v1Path("/products/eat-next?household_id=%d", other.Household)).want(t, http.StatusOK).items(t); len(got) != 0 {
			t.Errorf("another household's eat-next list: %v, want none", v1IDs(t, got))
		}
	})
}

func TestV1WasteStats(t *testing.T) {
	e := v1SQLite(t)
	u := e.user(t)
	f := e.mkFreezerID(t, u, "Chest", 1)
	thrown := e.mkProductID(t, u, v1ProductBody(f, 1, "Thrown", "date_in", v1DaysAgo(3)))
	e.post(t, u, v1Path("/products/%d/take-out", thrown), map[string]any{"outcome": freezer.OutcomeDiscarded}).want(t, http.StatusOK)
	got := e.get(t, u, "/stats/waste?months=3").want(t, http.StatusOK).obj(t)
	overall := v1Obj(t, got, "overall")
	if v1Int(t, overall, "taken_out") != 1 || v1Int(t, overall, "discarded") != 1 || overall["share"] != 1.0 {
		t.Errorf("overall = %v, want one product taken out, thrown away", overall)
	}
	if months, _ := got["months"].([]any); len(months) != 3 {
		t.Errorf("months = %v, want 3", got["months"])
	}
	e.get(t, u, "/stats/waste?months=0").wantErr(t, http.StatusBadRequest, freezer.EINVALID, "months")
}

// Unbounded input is a 400 with a clear message on both databases, never a 500.
func TestV1BoundedInput(t *testing.T) {
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		f := e.mkFreezerID(t, u, "Chest", 2)
		e.get(t, u, "/products?q="+strings.Repeat("A", 100000)).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "q is longer than 200")
		e.post(t, u, "/products", v1ProductBody(f, 1, "Huge slot", "slot", int64(math.MaxInt64))).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "slot")
		e.post(t, u, "/products", v1ProductBody(f, 1, "Huge box", "box", int64(math.MaxInt64))).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "box")
		e.post(t, u, "/products", v1ProductBody(f, 1, "Huge quantity", "quantity", int64(math.MaxInt64))).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "quantity")
		if got := e.get(t, u, "/products?q="+strings.Repeat("A", 200)).want(t, http.StatusOK).items(t); len(got) != 0 {
			t.Errorf("a 200-character search found %d products", len(got))
		}
	})
}
