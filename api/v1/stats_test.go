package v1_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// statsWorld gives u a household whose statistics are computed by hand
// below (today is 2026-03-15), and other a product u must never count.
func statsWorld(t *testing.T, e *apitest.Env, u, other *apitest.User) {
	t.Helper()
	f := storeFreezer(t, e, u, "Kitchen", 2)
	for i, sp := range []struct {
		typeID  int64
		in, out string
		period  int
	}{
		{typeID: 1, in: "2026-01-31", out: "2026-03-01", period: 1}, // use-by 2026-02-28: late, 29 days
		{typeID: 1, in: "2026-01-31", out: "2026-02-28", period: 1}, // out on its use-by day: not late, 28 days
		{typeID: 2, in: "2025-12-10", out: "2026-01-05", period: 3}, // not late, 26 days
		{typeID: 2, in: "2026-03-01", period: 6},                    // inside
	} {
		p := &freezer.Product{FreezerID: f.ID, Box: 1, Name: fmt.Sprintf("product %d", i), TypeID: sp.typeID,
			DateIn: freezer.MustParseDate(sp.in), PeriodMonths: sp.period}
		if sp.out != "" {
			p.DateOut = freezer.MustParseDate(sp.out)
		}
		storeProduct(t, e, u, p)
	}
	g := storeFreezer(t, e, other, "Cellar", 1)
	storeProduct(t, e, other, &freezer.Product{FreezerID: g.ID, Box: 1, Name: "other", TypeID: 1,
		DateIn: freezer.MustParseDate("2026-01-01"), DateOut: freezer.MustParseDate("2026-03-14"), PeriodMonths: 1})
}

func TestStatsTendency(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		statsWorld(t, e, alice, bob)

		var general listPage[freezer.TypeTendency]
		e.Get(t, alice, "/stats/tendency/general").WantStatus(t, http.StatusOK).Decode(t, &general)
		// Over all households: type 1 three times (two of alice's, bob's), type 2 twice.
		if len(general.Items) != 2 || general.Items[0].Type.ID != 1 || general.Items[0].Count != 3 || general.Items[1].Count != 2 {
			t.Fatalf("general = %+v", general.Items)
		}
		var personal listPage[freezer.TypeTendency]
		e.Get(t, alice, "/stats/tendency/personal").WantStatus(t, http.StatusOK).Decode(t, &personal)
		// Alice's own: type 1 was taken out last (2026-03-01), type 2 on 2026-01-05.
		if len(personal.Items) != 2 || personal.Items[0].Type.ID != 1 || personal.Items[0].Count != 2 ||
			personal.Items[0].Latest != freezer.MustParseDate("2026-03-01") || personal.Items[1].Latest != freezer.MustParseDate("2026-01-05") {
			t.Fatalf("personal = %+v", personal.Items)
		}
		e.Get(t, nil, "/stats/tendency/personal").WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
	})
}

func TestStatsMonthly(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		statsWorld(t, e, alice, bob)

		for _, path := range []string{"/stats/monthly?months=4", fmt.Sprintf("/stats/monthly?months=4&household_id=%d", alice.Household)} {
			var got listPage[freezer.MonthFlow]
			e.Get(t, alice, path).WantStatus(t, http.StatusOK).Decode(t, &got)
			var lines []string
			for _, m := range got.Items {
				line := fmt.Sprintf("%s %d/%d", m.Month, m.In, m.Out)
				for _, tf := range m.Types {
					line += fmt.Sprintf(" %d:%d/%d", tf.Type.ID, tf.In, tf.Out)
				}
				lines = append(lines, line)
			}
			want := "[2025-12 1/0 2:1/0 2026-01 2/1 1:2/0 2:0/1 2026-02 0/1 1:0/1 2026-03 1/1 1:0/1 2:1/0]"
			if fmt.Sprint(lines) != want {
				t.Fatalf("%s = %v, want %s", path, lines, want)
			}
		}
		var year listPage[freezer.MonthFlow]
		e.Get(t, alice, "/stats/monthly").WantStatus(t, http.StatusOK).Decode(t, &year)
		if len(year.Items) != 12 || year.Items[0].Month != "2025-04" || year.Items[0].Types == nil {
			t.Fatalf("default window = %d months from %+v, want 12 from 2025-04", len(year.Items), year.Items[0])
		}

		e.Get(t, alice, fmt.Sprintf("/stats/monthly?household_id=%d", bob.Household)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		for _, q := range []string{"months=0", "months=121", "months=x", "household_id=x"} {
			e.Get(t, alice, "/stats/monthly?"+q).WantError(t, http.StatusBadRequest, freezer.EINVALID)
		}
	})
}

func TestStatsTimeInFreezer(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		statsWorld(t, e, alice, bob)

		var got freezer.TimeInFreezer
		e.Get(t, alice, "/stats/time-in-freezer").WantStatus(t, http.StatusOK).Decode(t, &got)
		// (29 + 28 + 26) / 3 = 27.67; type 1: (29 + 28) / 2 = 28.5; type 2: 26.
		if got.Overall != (freezer.Duration{Count: 3, AverageDays: 27.67}) {
			t.Errorf("overall = %+v", got.Overall)
		}
		if len(got.Types) != 2 || got.Types[0].Type.ID != 1 || got.Types[0].Duration != (freezer.Duration{Count: 2, AverageDays: 28.5}) ||
			got.Types[1].Type.ID != 2 || got.Types[1].Duration != (freezer.Duration{Count: 1, AverageDays: 26}) {
			t.Errorf("types = %+v, %+v", got.Types[0], got.Types[1])
		}

		var bobs freezer.TimeInFreezer
		e.Get(t, bob, fmt.Sprintf("/stats/time-in-freezer?household_id=%d", bob.Household)).WantStatus(t, http.StatusOK).Decode(t, &bobs)
		if bobs.Overall != (freezer.Duration{Count: 1, AverageDays: 72}) { // 2026-01-01 to 2026-03-14
			t.Errorf("bob's overall = %+v", bobs.Overall)
		}
		e.Get(t, bob, fmt.Sprintf("/stats/time-in-freezer?household_id=%d", alice.Household)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

func TestStatsLateShare(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		statsWorld(t, e, alice, bob)

		var got freezer.LateShare
		e.Get(t, alice, "/stats/late-share").WantStatus(t, http.StatusOK).Decode(t, &got)
		// Late: only the product taken out on 2026-03-01, the day after its clamped use-by day 2026-02-28.
		wantLateness(t, "overall", got.Overall, 3, 1)
		if len(got.Types) != 2 || got.Types[0].Type.ID != 1 || got.Types[1].Type.ID != 2 {
			t.Fatalf("types = %+v", got.Types)
		}
		wantLateness(t, "type 1", got.Types[0].Lateness, 2, 1)
		wantLateness(t, "type 2", got.Types[1].Lateness, 1, 0)

		var bobs freezer.LateShare
		e.Get(t, bob, "/stats/late-share").WantStatus(t, http.StatusOK).Decode(t, &bobs)
		wantLateness(t, "bob", bobs.Overall, 1, 1) // use-by 2026-02-01, out 2026-03-14
		e.Get(t, bob, fmt.Sprintf("/stats/late-share?household_id=%d", alice.Household)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

func wantLateness(tb testing.TB, what string, got freezer.Lateness, takenOut, late int) {
	tb.Helper()
	if got.TakenOut != takenOut || got.Late != late || math.Abs(got.Share-float64(late)/float64(takenOut)) > 1e-9 {
		tb.Errorf("%s = %+v, want %d taken out, %d late", what, got, takenOut, late)
	}
}
