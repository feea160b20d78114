package db_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// statsProduct describes a product of the statistics fixture.
type statsProduct struct {
	typeID  int64
	in, out string // out "" while inside
	period  int
}

// statsFixture is alice's household with products whose numbers are
// computed by hand in the tests, and bob's with one product that alice
// must never count. Today is 2026-03-15; the twelve-month window starts
// on 2025-04-01.
var statsFixture = []statsProduct{
	{1, "2026-01-31", "2026-03-01", 1},  // A: use-by 2026-02-28 (clamped), late; 29 days
	{1, "2026-01-31", "2026-02-28", 1},  // B: out on its use-by day, not late; 28 days
	{2, "2025-12-10", "2026-01-05", 3},  // C: not late; 26 days
	{2, "2026-03-01", "", 6},            // D: inside
	{1, "2024-01-15", "2025-03-20", 12}, // E: before the window, late; 430 days (2024 is a leap year)
	{2, "2025-04-01", "2025-06-02", 2},  // F: use-by 2025-06-01, late; 62 days
}

// mustStatsWorld registers alice and bob and stores the fixture.
func mustStatsWorld(t *testing.T, store *db.DB) (alice, bob *freezer.RegisteredUser) {
	t.Helper()
	alice = MustRegister(t, store, "alice@example.com")
	bob = MustRegister(t, store, "bob@example.com")
	f := MustCreateFreezer(t, store, alice, "Kitchen", 2)
	for i, sp := range statsFixture {
		p := newProduct(f, 1, 0)
		p.Name, p.TypeID, p.PeriodMonths, p.DateIn = fmt.Sprintf("product %c", 'A'+i), sp.typeID, sp.period, freezer.MustParseDate(sp.in)
		if sp.out != "" {
			p.DateOut = freezer.MustParseDate(sp.out)
		}
		MustCreateProduct(t, regCtx(alice), store, p)
	}
	g := MustCreateFreezer(t, store, bob, "Cellar", 1)
	p := newProduct(g, 1, 0)
	p.DateIn, p.DateOut = freezer.MustParseDate("2026-03-01"), freezer.MustParseDate("2026-03-10")
	MustCreateProduct(t, regCtx(bob), store, p)
	return alice, bob
}

func TestStatsMonthly(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice, bob := mustStatsWorld(t, store)
		ctx := regCtx(alice)

		t.Run("OK", func(t *testing.T) {
			for _, filter := range []freezer.StatsFilter{{}, {HouseholdID: &alice.Household.ID, Months: 12}} {
				list, err := store.MonthlyStats(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				// month: "in/out type:in/out …"
				want := map[string]string{
					"2025-04": "1/0 2:1/0",
					"2025-06": "0/1 2:0/1",
					"2025-12": "1/0 2:1/0",
					"2026-01": "2/1 1:2/0 2:0/1",
					"2026-02": "0/1 1:0/1",
					"2026-03": "1/1 1:0/1 2:1/0",
				}
				if len(list) != 12 || list[0].Month != "2025-04" || list[11].Month != "2026-03" {
					t.Fatalf("months = %d from %s, want 12 from 2025-04 to 2026-03", len(list), list[0].Month)
				}
				for _, m := range list {
					got := fmt.Sprintf("%d/%d", m.In, m.Out)
					for _, tf := range m.Types {
						got += fmt.Sprintf(" %d:%d/%d", tf.Type.ID, tf.In, tf.Out)
					}
					w, ok := want[m.Month]
					if !ok {
						w = "0/0"
					}
					if got != w {
						t.Errorf("%s = %q, want %q", m.Month, got, w)
					}
				}
				if name := list[9].Types[0].Type.NameEN; name == "" {
					t.Errorf("type 1 has no name")
				}
			}
		})
		t.Run("OneMonth", func(t *testing.T) {
			list, err := store.MonthlyStats(ctx, freezer.StatsFilter{Months: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Month != "2026-03" || list[0].In != 1 || list[0].Out != 1 {
				t.Fatalf("one month = %+v, want 2026-03 with 1 in, 1 out", list)
			}
		})
		t.Run("Bob", func(t *testing.T) {
			list, err := store.MonthlyStats(regCtx(bob), freezer.StatsFilter{Months: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].In+list[0].Out != 0 || list[1].In != 1 || list[1].Out != 1 {
				t.Fatalf("bob's months = %+v, %+v", list[0], list[1])
			}
		})
		t.Run("ErrMonths", func(t *testing.T) {
			for _, months := range []int{-1, freezer.MaxStatsMonths + 1} {
				_, err := store.MonthlyStats(ctx, freezer.StatsFilter{Months: months})
				assertCode(t, err, freezer.EINVALID)
			}
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			_, err := store.MonthlyStats(ctx, freezer.StatsFilter{HouseholdID: &bob.Household.ID})
			assertCode(t, err, freezer.ENOTFOUND)
		})
	})
}

func TestStatsTimeInFreezer(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice, bob := mustStatsWorld(t, store)
		got, err := store.TimeInFreezer(regCtx(alice), freezer.StatsFilter{HouseholdID: &alice.Household.ID})
		if err != nil {
			t.Fatal(err)
		}
		// (29 + 28 + 26 + 430 + 62) / 5 = 115; type 1: (29 + 28 + 430) / 3; type 2: (26 + 62) / 2.
		if got.Overall != (freezer.Duration{Count: 5, AverageDays: 115}) {
			t.Errorf("overall = %+v, want 5 products, 115 days", got.Overall)
		}
		if len(got.Types) != 2 {
			t.Fatalf("types = %d, want 2", len(got.Types))
		}
		if tt := got.Types[0]; tt.Type.ID != 1 || tt.Count != 3 || tt.AverageDays != 162.33 {
			t.Errorf("first type = %d: %+v, want type 1: 3 products, 162.33 days", tt.Type.ID, tt.Duration)
		}
		if tt := got.Types[1]; tt.Type.ID != 2 || tt.Count != 2 || tt.AverageDays != 44 {
			t.Errorf("second type = %d: %+v, want type 2: 2 products, 44 days", tt.Type.ID, tt.Duration)
		}

		bobs, err := store.TimeInFreezer(regCtx(bob), freezer.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if bobs.Overall != (freezer.Duration{Count: 1, AverageDays: 9}) {
			t.Errorf("bob's overall = %+v, want 1 product, 9 days", bobs.Overall)
		}

		_, err = store.TimeInFreezer(regCtx(alice), freezer.StatsFilter{HouseholdID: &bob.Household.ID})
		assertCode(t, err, freezer.ENOTFOUND)
		_, err = store.TimeInFreezer(context.Background(), freezer.StatsFilter{})
		assertCode(t, err, freezer.EUNAUTHORIZED)
	})
}

func TestStatsLateShare(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice, bob := mustStatsWorld(t, store)
		got, err := store.LateShare(regCtx(alice), freezer.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// Late: A (2026-03-01 > 2026-02-28), E and F; not B (on its use-by day) nor C.
		wantLateness(t, "overall", got.Overall, 5, 3)
		if len(got.Types) != 2 || got.Types[0].Type.ID != 1 || got.Types[1].Type.ID != 2 {
			t.Fatalf("types = %+v, want 1 then 2", got.Types)
		}
		wantLateness(t, "type 1", got.Types[0].Lateness, 3, 2)
		wantLateness(t, "type 2", got.Types[1].Lateness, 2, 1)

		bobs, err := store.LateShare(regCtx(bob), freezer.StatsFilter{HouseholdID: &bob.Household.ID})
		if err != nil {
			t.Fatal(err)
		}
		wantLateness(t, "bob", bobs.Overall, 1, 0)

		_, err = store.LateShare(regCtx(alice), freezer.StatsFilter{HouseholdID: &bob.Household.ID})
		assertCode(t, err, freezer.ENOTFOUND)
	})
}

func TestStatsEmpty(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice := MustRegister(t, store, "alice@example.com")
		ls, err := store.LateShare(regCtx(alice), freezer.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		tif, err := store.TimeInFreezer(regCtx(alice), freezer.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if ls.Overall != (freezer.Lateness{}) || len(ls.Types) != 0 || tif.Overall != (freezer.Duration{}) || tif.Types == nil {
			t.Fatalf("empty household: %+v, %+v", ls, tif)
		}
	})
}

func wantLateness(tb testing.TB, what string, got freezer.Lateness, takenOut, late int) {
	tb.Helper()
	share := 0.0
	if takenOut > 0 {
		share = float64(late) / float64(takenOut)
	}
	if got.TakenOut != takenOut || got.Late != late || math.Abs(got.Share-share) > 1e-9 {
		tb.Errorf("%s = %+v, want %d taken out, %d late, share %.4f", what, got, takenOut, late, share)
	}
}

func TestStatsWaste(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice, _ := mustStatsWorld(t, store)
		ctx := regCtx(alice)
		// B and C were thrown away after all.
		for _, name := range []string{"product B", "product C"} {
			list, err := store.FindProducts(ctx, freezer.ProductFilter{Query: name})
			if err != nil || len(list) != 1 {
				t.Fatalf("find %s: %v %v", name, list, err)
			}
			discarded := freezer.OutcomeDiscarded
			if _, err := store.UpdateProduct(ctx, list[0].ID, freezer.ProductUpdate{Outcome: &discarded}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := store.WasteStats(ctx, freezer.StatsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// In the window (from 2025-04-01), taken out: A (late), B (discarded),
		// C (discarded), F (late); E left before it.
		if want := (freezer.WasteCount{TakenOut: 4, Discarded: 2, Late: 2, Wasted: 4, Share: 1}); got.Overall != want {
			t.Errorf("overall = %+v, want %+v", got.Overall, want)
		}
		months := map[string]freezer.WasteCount{}
		for _, m := range got.Months {
			months[m.Month] = m.WasteCount
		}
		if len(got.Months) != 12 || got.Months[0].Month != "2025-04" || got.Months[11].Month != "2026-03" {
			t.Fatalf("months = %d from %s", len(got.Months), got.Months[0].Month)
		}
		if m := months["2026-02"]; m.TakenOut != 1 || m.Discarded != 1 || m.Late != 0 {
			t.Errorf("2026-02 = %+v, want B discarded", m)
		}
		if m := months["2026-03"]; m.TakenOut != 1 || m.Late != 1 || m.Discarded != 0 {
			t.Errorf("2026-03 = %+v, want A late", m)
		}
		if len(got.Types) != 2 {
			t.Fatalf("types = %+v", got.Types)
		}
		one, err := store.WasteStats(ctx, freezer.StatsFilter{Months: 1})
		if err != nil || len(one.Months) != 1 || one.Overall.TakenOut != 1 {
			t.Errorf("one month = %+v, %v", one, err)
		}
		_, err = store.WasteStats(ctx, freezer.StatsFilter{Months: 121})
		assertCode(t, err, freezer.EINVALID)
	})
}

func TestCountDiscarded(t *testing.T) {
	testdb.EachDB(t, func(t *testing.T, store *db.DB) {
		alice, bob := mustStatsWorld(t, store)
		ctx := regCtx(alice)
		list, err := store.FindProducts(ctx, freezer.ProductFilter{Query: "product D"})
		if err != nil || len(list) != 1 {
			t.Fatalf("find product D: %v %v", list, err)
		}
		if _, err := store.TakeOutProduct(ctx, list[0].ID, freezer.TakeOutRequest{Outcome: freezer.OutcomeDiscarded}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			since string
			want  int
		}{{"2026-03-01", 1}, {"2026-03-16", 0}} {
			if n, err := store.CountDiscarded(ctx, alice.Household.ID, freezer.MustParseDate(c.since)); err != nil || n != c.want {
				t.Errorf("thrown away since %s = %d (%v), want %d", c.since, n, err, c.want)
			}
		}
		if n, err := store.CountDiscarded(ctx, bob.Household.ID, freezer.MustParseDate("2026-01-01")); err != nil || n != 0 {
			t.Errorf("another household's count = %d (%v), want 0", n, err)
		}
	})
}
