package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// mhEvents lists events through the API, following next_cursor to the end.
func (e *mhEnv) events(tb testing.TB, u *mhUser, query url.Values) []freezer.HistoryEvent {
	tb.Helper()
	var all []freezer.HistoryEvent
	for {
		var page mhList[freezer.HistoryEvent]
		e.get(tb, u, "/events?"+query.Encode()).want(tb, http.StatusOK).decode(tb, &page)
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		query.Set("cursor", *page.NextCursor)
	}
}

func TestV1Events(t *testing.T) {
	mhDialects(t, func(t *testing.T, e *mhEnv) {
		alice, bob := e.user(t), e.user(t)
		f := e.freezer(t, alice, "Kitchen", 3)
		actor := fmt.Sprintf("user:%d", alice.User.ID)

		var p freezer.Product
		e.call(t, alice, http.MethodPost, "/products", map[string]any{"freezer_id": f.ID, "box": 1, "name": "Soupe", "type_id": 3,
			"quantity": 2, "period_months": 3}).want(t, http.StatusCreated).decode(t, &mhProductView{Product: &p})
		e.call(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/move", p.ID), map[string]any{"box": 2, "slot": 7}).want(t, http.StatusOK)
		e.call(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/take-out", p.ID), nil).want(t, http.StatusOK)
		e.call(t, alice, http.MethodPost, fmt.Sprintf("/products/%d/put-back", p.ID), nil).want(t, http.StatusOK)
		e.call(t, alice, http.MethodPatch, fmt.Sprintf("/products/%d", p.ID), map[string]any{"name": "Soupe de Noël"}).want(t, http.StatusOK)
		e.call(t, alice, http.MethodDelete, fmt.Sprintf("/products/%d", p.ID), nil).want(t, http.StatusNoContent)
		bobs := e.product(t, bob, &freezer.Product{FreezerID: e.freezer(t, bob, "Cellar", 1).ID, Box: 1, Name: "Pain", DateIn: mhToday})

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
				if g.Action != w.action || g.Summary != w.summary || g.Actor != actor || g.HouseholdID != alice.Household.ID ||
					g.ProductID == nil || *g.ProductID != p.ID || !g.CreatedAt.Equal(testdb.Now) {
					t.Errorf("event %d = %+v %v, want %s %q by %s", i, g, g.ProductID, w.action, w.summary, actor)
				}
			}
		}

		t.Run("OwnEvents", func(t *testing.T) {
			check(t, e.events(t, alice, url.Values{}))
			check(t, e.events(t, alice, url.Values{"household_id": {fmt.Sprint(alice.Household.ID)}}))
			check(t, e.events(t, alice, url.Values{"product_id": {fmt.Sprint(p.ID)}, "limit": {"1"}}))
			if got := e.events(t, alice, url.Values{"product_id": {fmt.Sprint(bobs.ID)}}); len(got) != 0 {
				t.Fatalf("alice sees bob's events: %+v", got)
			}
			got := e.events(t, bob, url.Values{})
			if len(got) != 1 || got[0].Action != freezer.ActionCreate || *got[0].ProductID != bobs.ID {
				t.Fatalf("bob's events = %+v", got)
			}
		})
		t.Run("Pages", func(t *testing.T) {
			var page mhList[freezer.HistoryEvent]
			e.get(t, alice, "/events?limit=4").want(t, http.StatusOK).decode(t, &page)
			if len(page.Items) != 4 || page.NextCursor == nil {
				t.Fatalf("first page = %d items, cursor %v", len(page.Items), page.NextCursor)
			}
			e.get(t, alice, "/events?limit=4&cursor="+*page.NextCursor).want(t, http.StatusOK).decode(t, &page)
			if len(page.Items) != 2 || page.NextCursor != nil || page.Items[1].Action != freezer.ActionCreate {
				t.Fatalf("second page = %+v, cursor %v", page.Items, page.NextCursor)
			}
		})
		t.Run("ErrOtherHousehold", func(t *testing.T) {
			e.get(t, bob, fmt.Sprintf("/events?household_id=%d", alice.Household.ID)).wantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			offset := base64.RawURLEncoding.EncodeToString([]byte("o:5"))
			for _, q := range []string{"household_id=x", "product_id=1.5", "limit=0", "limit=501", "cursor=zz", "cursor=" + offset} {
				e.get(t, alice, "/events?"+q).wantError(t, http.StatusBadRequest, freezer.EINVALID)
			}
			e.get(t, nil, "/events").wantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		})
	})
}

// mhProductView decodes the product view of the v1 API.
type mhProductView struct {
	*freezer.Product
	UseBy freezer.Date `json:"use_by"`
	Stage string       `json:"stage"`
}

func TestV1EventsScan(t *testing.T) {
	mhDialects(t, func(t *testing.T, e *mhEnv) {
		alice := e.user(t)
		f := e.freezer(t, alice, "Kitchen", 3)
		p := e.product(t, alice, &freezer.Product{FreezerID: f.ID, Box: 3, Slot: 2, Name: "Gratin", DateIn: mhToday, PeriodMonths: 2})
		dev := &freezer.Device{Kind: freezer.DeviceScanner, HouseholdID: alice.Household.ID, Name: "door"}
		if _, err := e.store.CreateDevice(alice.ctx, dev); err != nil {
			t.Fatal(err)
		}
		// What the hub does for a product label in out mode.
		errs, err := e.store.RunScans(context.Background(), make([]freezer.ScanKey, 1), func(ctx context.Context, tx freezer.ScanTx, _ int) error {
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
		got := e.events(t, alice, url.Values{"product_id": {fmt.Sprint(p.ID)}})
		if len(got) != 2 || got[0].Action != freezer.ActionScan || got[0].Actor != "device:"+dev.ID ||
			got[0].Summary != fmt.Sprintf("scan out: took out Gratin from F%d B3 S2", f.ID) {
			t.Fatalf("events = %+v", got)
		}
	})
}
