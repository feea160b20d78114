package v1_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// listEvents lists events through the API, following next_cursor to the end.
func listEvents(tb testing.TB, e *apitest.Env, u *apitest.User, query url.Values) []freezer.HistoryEvent {
	tb.Helper()
	var all []freezer.HistoryEvent
	for {
		var page listPage[freezer.HistoryEvent]
		e.Get(tb, u, "/events?"+query.Encode()).WantStatus(tb, http.StatusOK).Decode(tb, &page)
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		query.Set("cursor", *page.NextCursor)
	}
}

func TestEvents(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		f := storeFreezer(t, e, alice, "Kitchen", 3)
		actor := fmt.Sprintf("user:%d", alice.ID)

		var p freezer.Product
		e.Request(t, alice, http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": 1, "name": "Soupe", "type_id": 3,
			"quantity": 2, "period_months": 3}).WantStatus(t, http.StatusCreated).Decode(t, &productView{Product: &p})
		e.Request(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/move", p.ID), map[string]any{"box": 2, "slot": 7}).WantStatus(t, http.StatusOK)
		e.Request(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/take-out", p.ID), nil).WantStatus(t, http.StatusOK)
		e.Request(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/put-back", p.ID), nil).WantStatus(t, http.StatusOK)
		e.Request(t, alice, http.MethodPatch, fmt.Sprintf("/products/%d", p.ID), map[string]any{"name": "Soupe de Noël"}).WantStatus(t, http.StatusOK)
		e.Request(t, alice, http.MethodDelete, fmt.Sprintf("/products/%d", p.ID), nil).WantStatus(t, http.StatusNoContent)
		bobs := storeProduct(t, e, bob, &freezer.Product{FreezerID: storeFreezer(t, e, bob, "Cellar", 1).ID, Box: 1, Name: "Pain", DateIn: apitest.Today})

		loc := func(box, slot int) string { return fmt.Sprintf("F%d B%d S%d", f.ID, box, slot) }
		want := []struct{ action, summary string }{
			{freezer.ActionDelete, "deleted Soupe de Noël from " + loc(2, 7)},
			{freezer.ActionUpdate, "updated Soupe de Noël: name"},
			{freezer.ActionPutBack, "put back Soupe in " + loc(2, 7)},
			{freezer.ActionTakeOut, "took out Soupe from " + loc(2, 7)},
			{freezer.ActionMove, "moved Soupe from " + loc(1, 1) + " to " + loc(2, 7)},
			{freezer.ActionCreate, "created Soupe in " + loc(1, 1)},
		}
		check := func(t *testing.T, got []freezer.HistoryEvent) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("events = %+v, want %d", got, len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.Action != w.action || g.Summary != w.summary || g.Actor != actor || g.HouseholdID != alice.Household ||
					g.ProductID == nil || *g.ProductID != p.ID || !g.CreatedAt.Equal(testdb.Now) {
					t.Errorf("event %d = %+v %v, want %s %q by %s", i, g, g.ProductID, w.action, w.summary, actor)
				}
			}
		}

		t.Run("OwnEvents", func(t *testing.T) {
			check(t, listEvents(t, e, alice, url.Values{}))
			check(t, listEvents(t, e, alice, url.Values{"household_id": {fmt.Sprint(alice.Household)}}))
			check(t, listEvents(t, e, alice, url.Values{"product_id": {fmt.Sprint(p.ID)}, "limit": {"1"}}))
			if got := listEvents(t, e, alice, url.Values{"product_id": {fmt.Sprint(bobs.ID)}}); len(got) != 0 {
				t.Fatalf("alice sees bob's events: %+v", got)
			}
			got := listEvents(t, e, bob, url.Values{})
			if len(got) != 1 || got[0].Action != freezer.ActionCreate || *got[0].ProductID != bobs.ID {
				t.Fatalf("bob's events = %+v", got)
			}
		})
		t.Run("Pages", func(t *testing.T) {
			var page listPage[freezer.HistoryEvent]
			e.Get(t, alice, "/events?limit=4").WantStatus(t, http.StatusOK).Decode(t, &page)
			if len(page.Items) != 4 || page.NextCursor == nil {
				t.Fatalf("first page = %d items, cursor %v", len(page.Items), page.NextCursor)
			}
			e.Get(t, alice, "/events?limit=4&cursor="+*page.NextCursor).WantStatus(t, http.StatusOK).Decode(t, &page)
			if len(page.Items) != 2 || page.NextCursor != nil || page.Items[1].Action != freezer.ActionCreate {
				t.Fatalf("second page = %+v, cursor %v", page.Items, page.NextCursor)
			}
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			e.Get(t, bob, fmt.Sprintf("/events?household_id=%d", alice.Household)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			offset := base64.RawURLEncoding.EncodeToString([]byte("o:5"))
			for _, q := range []string{"household_id=x", "product_id=1.5", "limit=0", "limit=501", "cursor=zz", "cursor=" + offset} {
				e.Get(t, alice, "/events?"+q).WantError(t, http.StatusBadRequest, freezer.EINVALID)
			}
			e.Get(t, nil, "/events").WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

// productView decodes the product view of the v1 API.
type productView struct {
	*freezer.Product
	UseBy freezer.Date `json:"use_by"`
	Stage string       `json:"stage"`
}

func TestEventsScan(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice := e.User(t)
		f := storeFreezer(t, e, alice, "Kitchen", 3)
		p := storeProduct(t, e, alice, &freezer.Product{FreezerID: f.ID, Box: 3, Slot: 2, Name: "Gratin", DateIn: apitest.Today, PeriodMonths: 2})
		dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household, Name: "door"}
		if _, err := e.Store.CreateDevice(alice.Ctx, dev); err != nil {
			t.Fatal(err)
		}
		// What the hub does for a product label in out mode.
		errs, err := e.Store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
			q, err := tx.FindProduct(ctx, p.ID)
			if err != nil {
				return err
			}
			if q, err = tx.TakeOut(ctx, q.ID, ""); err != nil {
				return err
			}
			return tx.InsertScanEvent(ctx, &freezer.ScanEvent{DeviceID: dev.ID, MsgID: "1", Code: fmt.Sprintf("FZ-I-%d", p.ID),
				Mode: freezer.ModeOut, Op: freezer.OpOut, Status: freezer.ScanOK, ProductID: &q.ID, Product: q.Name})
		})
		if err != nil || errs[0] != nil {
			t.Fatalf("RunScans = %v, %v", errs, err)
		}
		got := listEvents(t, e, alice, url.Values{"product_id": {fmt.Sprint(p.ID)}})
		if len(got) != 2 || got[0].Action != freezer.ActionScan || got[0].Actor != "device:"+dev.ID ||
			got[0].Summary != fmt.Sprintf("scan out: took out Gratin from F%d B3 S2", f.ID) {
			t.Fatalf("events = %+v", got)
		}
	})
}
