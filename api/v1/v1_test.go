package v1_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

func TestMe(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		me := e.Get(t, u, "/me").WantStatus(t, http.StatusOK).Object(t)
		apitest.WantKeys(t, "GET /me", me, "user", "households", "today")
		if got, want := apitest.Str(t, me, "today"), apitest.Today.String(); got != want {
			t.Errorf("GET /me today = %q, want the store's day %q", got, want)
		}
		user := apitest.Obj(t, me, "user")
		apitest.WantKeys(t, "GET /me user", user, keysUser...)
		if got, want := apitest.Int(t, user, "id"), u.ID; got != want {
			t.Errorf("user.id = %d, want %d", got, want)
		}
		if got, want := apitest.Str(t, user, "email"), u.Email; got != want {
			t.Errorf("user.email = %q, want %q", got, want)
		}
		if got, want := user["admin"], false; got != want {
			t.Errorf("user.admin = %v, want %v", got, want)
		}
		households, ok := me["households"].([]any)
		if !ok || len(households) != 1 {
			t.Fatalf("households = %#v, want one", me["households"])
		}
		h := households[0].(map[string]any)
		apitest.WantKeys(t, "GET /me household", h, keysHousehold...)
		if got, want := apitest.Int(t, h, "id"), u.Household; got != want {
			t.Errorf("household id = %d, want %d", got, want)
		}
	})
}

func TestHouseholds(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		owner, friend := e.User(t), e.User(t)
		hPath := fmt.Sprintf("/households/%d", owner.Household)

		t.Run("list and get", func(t *testing.T) {
			items := e.Get(t, owner, "/households").Items(t)
			if got, want := len(items), 1; got != want {
				t.Fatalf("%d households, want %d", got, want)
			}
			apitest.WantKeys(t, "household", items[0], keysHousehold...)
			if got, want := apitest.Int(t, items[0], "id"), owner.Household; got != want {
				t.Errorf("id = %d, want %d", got, want)
			}
			h := e.Get(t, owner, hPath).WantStatus(t, http.StatusOK).Object(t)
			apitest.WantKeys(t, "GET household", h, keysHousehold...)
			if got, want := apitest.Int(t, h, "due_soon_days"), int64(freezer.DefaultDueSoonDays); got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
		})

		t.Run("patch", func(t *testing.T) {
			h := e.Patch(t, owner, hPath, map[string]any{"name": "Chalet"}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Str(t, h, "name"), "Chalet"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := apitest.Int(t, h, "due_soon_days"), int64(freezer.DefaultDueSoonDays); got != want {
				t.Errorf("due_soon_days = %d, want %d (unchanged)", got, want)
			}
			if got, want := apitest.Str(t, e.Get(t, owner, hPath).WantStatus(t, http.StatusOK).Object(t), "name"), "Chalet"; got != want {
				t.Errorf("GET after PATCH: name = %q, want %q", got, want)
			}
			e.Patch(t, owner, hPath, map[string]any{"name": ""}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.Patch(t, owner, hPath, map[string]any{"due_soon_days": 400}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "due_soon_days")
			e.Patch(t, owner, hPath, map[string]any{"due_soon_days": "3"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "due_soon_days")
		})

		t.Run("due_soon_days changes stages", func(t *testing.T) {
			f := mkFreezerID(t, e, owner, "Stages", 2)
			// use-by 2026-03-23, in 8 days; and 2026-04-01, in 17 days.
			near := mkProductID(t, e, owner, productBody(f, 1, "Near", "date_in", "2026-02-23", "period_months", 1))
			far := mkProductID(t, e, owner, productBody(f, 1, "Far", "date_in", "2026-03-01", "period_months", 1))
			stages := func() (string, string) {
				return apitest.Str(t, getProduct(t, e, owner, near), "stage"), apitest.Str(t, getProduct(t, e, owner, far), "stage")
			}
			if n, fa := stages(); n != freezer.StageDueSoon || fa != freezer.StageInside {
				t.Errorf("window 14: stages %s, %s; want due_soon, inside", n, fa)
			}
			e.Patch(t, owner, hPath, map[string]any{"due_soon_days": 30}).WantStatus(t, http.StatusOK)
			if n, fa := stages(); n != freezer.StageDueSoon || fa != freezer.StageDueSoon {
				t.Errorf("window 30: stages %s, %s; want due_soon, due_soon", n, fa)
			}
			if got, want := productIDs(t, e, owner, "stage=due_soon"), []int64{near, far}; !slices.Equal(got, want) {
				t.Errorf("stage=due_soon with window 30: %v, want %v", got, want)
			}
			e.Patch(t, owner, hPath, map[string]any{"due_soon_days": 5}).WantStatus(t, http.StatusOK)
			if n, fa := stages(); n != freezer.StageInside || fa != freezer.StageInside {
				t.Errorf("window 5: stages %s, %s; want inside, inside", n, fa)
			}
			if got := productIDs(t, e, owner, "stage=due_soon"); len(got) != 0 {
				t.Errorf("stage=due_soon with window 5: %v, want none", got)
			}
		})

		t.Run("members", func(t *testing.T) {
			members := e.Get(t, owner, hPath+"/members").Items(t)
			if got, want := len(members), 1; got != want {
				t.Fatalf("%d members, want %d", got, want)
			}
			apitest.WantKeys(t, "member", members[0], keysMember...)
			if got, want := apitest.Str(t, members[0], "role"), freezer.RoleOwner; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}

			// An invitation: the friend joins only on accepting it.
			inv := e.Post(t, owner, hPath+"/members", map[string]any{"email": friend.Email}).WantStatus(t, http.StatusCreated).Object(t)
			apitest.WantKeys(t, "invitation", inv, keysInvitation...)
			e.Get(t, friend, hPath).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			if got, want := len(e.Get(t, owner, hPath+"/invitations").Items(t)), 1; got != want {
				t.Errorf("%d pending invitations, want %d", got, want)
			}
			mine := e.Get(t, friend, "/invitations").Items(t)
			if len(mine) != 1 || apitest.Int(t, mine[0], "id") != apitest.Int(t, inv, "id") {
				t.Fatalf("the friend's invitations = %v", mine)
			}
			e.Post(t, owner, fmt.Sprintf("/invitations/%d/accept", apitest.Int(t, inv, "id")), nil).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			m := e.Post(t, friend, fmt.Sprintf("/invitations/%d/accept", apitest.Int(t, inv, "id")), nil).WantStatus(t, http.StatusOK).Object(t)
			apitest.WantKeys(t, "new member", m, keysMember...)
			if got, want := apitest.Int(t, m, "user_id"), friend.ID; got != want {
				t.Errorf("user_id = %d, want %d", got, want)
			}
			if got, want := apitest.Str(t, m, "role"), freezer.RoleMember; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}
			if got, want := len(e.Get(t, owner, hPath+"/members").Items(t)), 2; got != want {
				t.Errorf("%d members after adding, want %d", got, want)
			}
			if got, want := len(e.Get(t, friend, "/households").Items(t)), 2; got != want {
				t.Errorf("the friend has %d households, want %d", got, want)
			}
			e.Get(t, friend, hPath).WantStatus(t, http.StatusOK)

			e.Post(t, owner, hPath+"/members", map[string]any{"email": friend.Email}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			// An address without an account gets the same answer: no enumeration.
			ghost := e.Post(t, owner, hPath+"/members", map[string]any{"email": "nobody@example.com"}).WantStatus(t, http.StatusCreated).Object(t)
			apitest.WantKeys(t, "invitation of an unknown address", ghost, keysInvitation...)
			e.Delete(t, owner, fmt.Sprintf("/invitations/%d", apitest.Int(t, ghost, "id"))).WantStatus(t, http.StatusNoContent)
			e.Post(t, owner, hPath+"/members", map[string]any{"mail": friend.Email}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "mail")

			// The friend leaves: the household is then unknown to them.
			e.Delete(t, friend, fmt.Sprintf("%s/members/%d", hPath, friend.ID)).WantStatus(t, http.StatusNoContent)
			e.Get(t, friend, hPath).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Get(t, friend, hPath+"/members").WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			if got, want := apitest.IDs(t, e.Get(t, friend, "/households").Items(t)), []int64{friend.Household}; !slices.Equal(got, want) {
				t.Errorf("the friend's households after leaving: %v, want %v", got, want)
			}
			if got, want := len(e.Get(t, owner, hPath+"/members").Items(t)), 1; got != want {
				t.Errorf("%d members after leaving, want %d", got, want)
			}
			// The last member cannot leave.
			e.Delete(t, owner, fmt.Sprintf("%s/members/%d", hPath, owner.ID)).WantError(t, http.StatusConflict, freezer.ECONFLICT)
		})
	})
}

func TestFreezers(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u, other := e.User(t), e.User(t)

		t.Run("create in the first household", func(t *testing.T) {
			f := e.Post(t, u, "/freezers", map[string]any{"name": "Garage", "number_boxes": 4}).WantStatus(t, http.StatusCreated).Object(t)
			apitest.WantKeys(t, "freezer", f, keysFreezer...)
			if got, want := apitest.Int(t, f, "household_id"), u.Household; got != want {
				t.Errorf("household_id = %d, want %d", got, want)
			}
			if got, want := apitest.Int(t, f, "number_boxes"), int64(4); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			if f["archived_at"] != nil {
				t.Errorf("archived_at = %v, want null", f["archived_at"])
			}
			got := e.Get(t, u, fmt.Sprintf("/freezers/%d", apitest.Int(t, f, "id"))).WantStatus(t, http.StatusOK).Object(t)
			if apitest.Str(t, got, "name") != "Garage" || apitest.Int(t, got, "id") != apitest.Int(t, f, "id") {
				t.Errorf("GET = %v, want %v", got, f)
			}
		})

		t.Run("create in a named household", func(t *testing.T) {
			// other shares their household with u; u puts a freezer there.
			inv := e.Post(t, other, fmt.Sprintf("/households/%d/members", other.Household), map[string]any{"email": u.Email}).WantStatus(t, http.StatusCreated).Object(t)
			e.Post(t, u, fmt.Sprintf("/invitations/%d/accept", apitest.Int(t, inv, "id")), nil).WantStatus(t, http.StatusOK)
			f := mkFreezer(t, e, u, "Shared", 2, other.Household)
			if got, want := apitest.Int(t, f, "household_id"), other.Household; got != want {
				t.Errorf("household_id = %d, want %d", got, want)
			}
			e.Get(t, other, fmt.Sprintf("/freezers/%d", apitest.Int(t, f, "id"))).WantStatus(t, http.StatusOK)
			// Without household_id, still the household u owns.
			if got, want := apitest.Int(t, mkFreezer(t, e, u, "Mine", 1), "household_id"), u.Household; got != want {
				t.Errorf("default household after joining another: %d, want %d", got, want)
			}
			// A household u is not a member of is unknown.
			stranger := e.User(t)
			e.Post(t, u, "/freezers", map[string]any{"name": "X", "number_boxes": 1, "household_id": stranger.Household}).
				WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			// household_id filters the list.
			items := e.Get(t, u, fmt.Sprintf("/freezers?household_id=%d", other.Household)).Items(t)
			if got, want := apitest.IDs(t, items), []int64{apitest.Int(t, f, "id")}; !slices.Equal(got, want) {
				t.Errorf("freezers of household %d: %v, want %v", other.Household, got, want)
			}
			e.Get(t, u, "/freezers?household_id=x").WantError(t, http.StatusBadRequest, freezer.EINVALID, "household_id")
		})

		t.Run("validation", func(t *testing.T) {
			e.Post(t, u, "/freezers", map[string]any{"number_boxes": 3}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.Post(t, u, "/freezers", map[string]any{"name": "A", "number_boxes": 0}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
			e.Post(t, u, "/freezers", map[string]any{"name": "A", "number_boxes": freezer.MaxBoxes + 1}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
			e.Post(t, u, "/freezers", map[string]any{"name": "A\nB", "number_boxes": 3}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
		})

		t.Run("patch and resize", func(t *testing.T) {
			id := mkFreezerID(t, e, u, "Cellar", 3)
			path := fmt.Sprintf("/freezers/%d", id)
			f := e.Patch(t, u, path, map[string]any{"name": "Basement"}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Str(t, f, "name"), "Basement"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			mkProduct(t, e, u, productBody(id, 3, "In box 3"))
			msg := e.Patch(t, u, path, map[string]any{"number_boxes": 2}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			if got := apitest.Int(t, e.Get(t, u, path).WantStatus(t, http.StatusOK).Object(t), "number_boxes"); got != 3 {
				t.Errorf("after a refused resize (%s): number_boxes = %d, want 3", msg, got)
			}
			f = e.Patch(t, u, path, map[string]any{"number_boxes": 5}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Int(t, f, "number_boxes"), int64(5); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			f = e.Patch(t, u, path, map[string]any{"number_boxes": 3}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Int(t, f, "number_boxes"), int64(3); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			e.Patch(t, u, path, map[string]any{"number_boxes": 0}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
		})

		t.Run("boxes", func(t *testing.T) {
			id := mkFreezerID(t, e, u, "Boxes", 3)
			mkProduct(t, e, u, productBody(id, 2, "One"))
			mkProduct(t, e, u, productBody(id, 2, "Two"))
			mkProduct(t, e, u, productBody(id, 3, "Five", "slot", 5))
			boxes := e.Get(t, u, fmt.Sprintf("/freezers/%d/boxes", id)).Items(t)
			var got []string
			for _, b := range boxes {
				apitest.WantKeys(t, "box", b, keysBox...)
				got = append(got, fmt.Sprintf("%d:%d", apitest.Int(t, b, "box"), apitest.Int(t, b, "next_free_slot")))
			}
			if want := []string{"1:1", "2:3", "3:1"}; !slices.Equal(got, want) {
				t.Errorf("boxes (box:next_free_slot) = %v, want %v", got, want)
			}
		})

		t.Run("delete and archive", func(t *testing.T) {
			fresh := mkFreezerID(t, e, u, "Fresh", 1)
			e.Delete(t, u, fmt.Sprintf("/freezers/%d", fresh)).WantStatus(t, http.StatusNoContent)
			e.Get(t, u, fmt.Sprintf("/freezers/%d", fresh)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Delete(t, u, fmt.Sprintf("/freezers/%d", fresh)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)

			old := mkFreezerID(t, e, u, "Old", 2)
			p := mkProductID(t, e, u, productBody(old, 1, "Leftover"))
			// A product inside: neither delete nor archive.
			e.Delete(t, u, fmt.Sprintf("/freezers/%d", old)).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			e.Post(t, u, fmt.Sprintf("/freezers/%d/archive", old), nil).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			// Taken out, it is history: still no delete, but archive.
			e.Post(t, u, fmt.Sprintf("/products/%d/take-out", p), nil).WantStatus(t, http.StatusOK)
			e.Delete(t, u, fmt.Sprintf("/freezers/%d", old)).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			f := e.Post(t, u, fmt.Sprintf("/freezers/%d/archive", old), nil).WantStatus(t, http.StatusOK).Object(t)
			if f["archived_at"] == nil {
				t.Errorf("archived_at is null after archiving")
			}
			listed := apitest.IDs(t, e.Get(t, u, "/freezers").Items(t))
			if slices.Contains(listed, old) {
				t.Errorf("archived freezer %d listed without include_archived: %v", old, listed)
			}
			listed = apitest.IDs(t, e.Get(t, u, "/freezers?include_archived=true").Items(t))
			if !slices.Contains(listed, old) {
				t.Errorf("archived freezer %d not listed with include_archived=true: %v", old, listed)
			}
			e.Get(t, u, "/freezers?include_archived=maybe").WantError(t, http.StatusBadRequest, freezer.EINVALID, "include_archived")
			// Still readable, and no product goes in.
			e.Get(t, u, fmt.Sprintf("/freezers/%d", old)).WantStatus(t, http.StatusOK)
			e.Post(t, u, "/products", productBody(old, 1, "Late")).WantError(t, http.StatusConflict, freezer.ECONFLICT)
		})
	})
}

func TestProductLifecycle(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		f := mkFreezerID(t, e, u, "Kitchen", 3)
		f2 := mkFreezerID(t, e, u, "Garage", 2)

		t.Run("create", func(t *testing.T) {
			p := e.Post(t, u, "/products", productBody(f, 1, "Soup", "barcode", "4006381333931")).WantStatus(t, http.StatusCreated).Object(t)
			apitest.WantKeys(t, "product", p, keysProduct...)
			for key, want := range map[string]any{
				"household_id": float64(u.Household), "freezer_id": float64(f), "box": 1.0, "slot": 1.0, "name": "Soup",
				"description": "made in a test", "type_id": 1.0, "quantity": 2.0, "barcode": "4006381333931",
				"date_in": apitest.DaysAgo(10), "date_out": nil, "period_months": 6.0, "version": 1.0,
				"use_by": apitest.Today.AddDays(-10).AddMonths(6).String(), "stage": freezer.StageInside,
			} {
				if got := p[key]; got != want {
					t.Errorf("%s = %#v, want %#v", key, got, want)
				}
			}
			if got := getProduct(t, e, u, apitest.Int(t, p, "id")); fmt.Sprint(got) != fmt.Sprint(p) {
				t.Errorf("GET = %v, want %v", got, p)
			}
		})

		t.Run("slots", func(t *testing.T) {
			slot := func(body map[string]any) int64 { return apitest.Int(t, mkProduct(t, e, u, body), "slot") }
			if got, want := slot(productBody(f, 2, "A")), int64(1); got != want {
				t.Errorf("first slot omitted: %d, want %d", got, want)
			}
			if got, want := slot(productBody(f, 2, "B", "slot", 3)), int64(3); got != want {
				t.Errorf("explicit slot: %d, want %d", got, want)
			}
			if got, want := slot(productBody(f, 2, "C")), int64(2); got != want {
				t.Errorf("slot omitted: %d, want %d (the next free one)", got, want)
			}
			if got, want := slot(productBody(f, 2, "D")), int64(4); got != want {
				t.Errorf("slot omitted: %d, want %d (the next free one)", got, want)
			}
			e.Post(t, u, "/products", productBody(f, 2, "Clash", "slot", 3)).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			if got, want := len(productIDs(t, e, u, fmt.Sprintf("freezer_id=%d&box=2", f))), 4; got != want {
				t.Errorf("box 2 holds %d products after a refused create, want %d", got, want)
			}
		})

		t.Run("date_in defaults to today", func(t *testing.T) {
			p := mkProduct(t, e, u, productBody(f, 3, "Today", "date_in", nil))
			if got, want := apitest.Str(t, p, "date_in"), apitest.Today.String(); got != want {
				t.Errorf("date_in = %q, want %q", got, want)
			}
		})

		t.Run("validation names the field", func(t *testing.T) {
			for _, c := range []struct {
				name string
				body map[string]any
				word string
			}{
				{"name required", productBody(f, 1, ""), "name"},
				{"box out of range", productBody(f, 4, "X"), "box"},
				{"box zero", productBody(f, 0, "X"), "box"},
				{"slot negative", productBody(f, 1, "X", "slot", -1), "slot"},
				{"date_in in the future", productBody(f, 1, "X", "date_in", apitest.DaysAgo(-1)), "date_in"},
				{"date_in malformed", productBody(f, 1, "X", "date_in", "15/03/2026"), "date_in"},
				{"date_in not a string", productBody(f, 1, "X", "date_in", 20260315), "date_in"},
				{"date_in and a wrong type", productBody(f, 1, "X", "date_in", "2026-13-01", "box", "1"), "date_in: "},
				{"type_id missing", productBody(f, 1, "X", "type_id", nil), "type_id"},
				{"type_id unknown", productBody(f, 1, "X", "type_id", 999999), "type_id"},
				{"quantity", productBody(f, 1, "X", "quantity", -1), "quantity"},
				{"period_months", productBody(f, 1, "X", "period_months", freezer.MaxPeriodMonths+1), "period_months"},
				{"barcode", productBody(f, 1, "X", "barcode", "4006381333932"), "barcode"},
				{"freezer_id missing", productBody(0, 1, "X"), "freezer_id"},
				{"wrong type", productBody(f, 1, "X", "quantity", "2"), "quantity"},
			} {
				t.Run(c.name, func(t *testing.T) {
					e.Post(t, u, "/products", c.body).WantError(t, http.StatusBadRequest, freezer.EINVALID, c.word)
				})
			}
			e.Post(t, u, "/products", productBody(999999, 1, "X")).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		})

		t.Run("patch with versions", func(t *testing.T) {
			id := mkProductID(t, e, u, productBody(f, 1, "Versioned"))
			path := fmt.Sprintf("/products/%d", id)
			p := e.Patch(t, u, path, map[string]any{"name": "Renamed", "version": 1}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Int(t, p, "version"), int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			if got, want := apitest.Str(t, p, "name"), "Renamed"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			e.Patch(t, u, path, map[string]any{"name": "Stale", "quantity": 9, "version": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			p = getProduct(t, e, u, id)
			if apitest.Str(t, p, "name") != "Renamed" || apitest.Int(t, p, "quantity") != 2 || apitest.Int(t, p, "version") != 2 {
				t.Errorf("after a stale PATCH: %v, want name Renamed, quantity 2, version 2", p)
			}
			p = e.Patch(t, u, path, map[string]any{"quantity": 5, "description": "", "period_months": 1}).WantStatus(t, http.StatusOK).Object(t)
			if apitest.Int(t, p, "quantity") != 5 || apitest.Str(t, p, "description") != "" || apitest.Int(t, p, "version") != 3 || apitest.Str(t, p, "name") != "Renamed" {
				t.Errorf("PATCH without version: %v, want quantity 5, description \"\", version 3, name kept", p)
			}
			if got, want := apitest.Str(t, p, "use_by"), apitest.Today.AddDays(-10).AddMonths(1).String(); got != want {
				t.Errorf("use_by = %q, want %q", got, want)
			}
			e.Patch(t, u, path, map[string]any{"name": ""}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.Patch(t, u, path, map[string]any{"date_in": apitest.DaysAgo(-3)}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "date_in")
			e.Patch(t, u, path, map[string]any{"date_out": "2026-02-30"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			e.Patch(t, u, path, map[string]any{"nom": "x"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "nom")
			if got, want := apitest.Int(t, getProduct(t, e, u, id), "version"), int64(3); got != want {
				t.Errorf("version after refused PATCHes = %d, want %d", got, want)
			}
		})

		t.Run("quantity by default", func(t *testing.T) {
			body := productBody(f, 1, "Unserved")
			delete(body, "quantity")
			if got := apitest.Int(t, mkProduct(t, e, u, body), "quantity"); got != 1 {
				t.Errorf("quantity without one given = %d, want 1", got)
			}
			if got := apitest.Int(t, mkProduct(t, e, u, productBody(f, 1, "Nobody's", "quantity", 0)), "quantity"); got != 0 {
				t.Errorf("quantity 0 given = %d, want 0", got)
			}
		})

		t.Run("outcome", func(t *testing.T) {
			id := mkProductID(t, e, u, productBody(f, 2, "Forgotten"))
			path := fmt.Sprintf("/products/%d", id)
			e.Post(t, u, path+"/take-out", map[string]any{"outcome": "composted"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "outcome")
			p := e.Post(t, u, path+"/take-out", map[string]any{"outcome": freezer.OutcomeDiscarded}).WantStatus(t, http.StatusOK).Object(t)
			if got := apitest.Str(t, p, "outcome"); got != freezer.OutcomeDiscarded {
				t.Errorf("outcome = %q, want discarded", got)
			}
			events := e.Get(t, u, fmt.Sprintf("/events?product_id=%d", id)).WantStatus(t, http.StatusOK).Items(t)
			if len(events) == 0 || !strings.HasPrefix(apitest.Str(t, events[0], "summary"), "threw away Forgotten") {
				t.Errorf("change log = %v, want it to say it was thrown away", events)
			}
			// Corrected by an edit; put back, it has none.
			if p = e.Patch(t, u, path, map[string]any{"outcome": freezer.OutcomeEaten}).WantStatus(t, http.StatusOK).Object(t); apitest.Str(t, p, "outcome") != freezer.OutcomeEaten {
				t.Errorf("outcome after PATCH = %v, want eaten", p["outcome"])
			}
			if p = e.Post(t, u, path+"/put-back", nil).WantStatus(t, http.StatusOK).Object(t); p["outcome"] != "" {
				t.Errorf("outcome after put-back = %v, want none", p["outcome"])
			}
			// Taken out without one: eaten.
			if p = e.Post(t, u, path+"/take-out", nil).WantStatus(t, http.StatusOK).Object(t); apitest.Str(t, p, "outcome") != freezer.OutcomeEaten {
				t.Errorf("outcome by default = %v, want eaten", p["outcome"])
			}
		})

		t.Run("take out and put back", func(t *testing.T) {
			const box = 3 // of f, for the products put back in place
			id := mkProductID(t, e, u, productBody(f2, 1, "Traveller", "slot", 1))
			path := fmt.Sprintf("/products/%d", id)
			e.Post(t, u, path+"/take-out", map[string]any{"date": apitest.DaysAgo(-1)}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			e.Post(t, u, path+"/take-out", map[string]any{"date": apitest.DaysAgo(11)}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			p := e.Post(t, u, path+"/take-out", nil).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Str(t, p, "date_out"), apitest.Today.String(); got != want {
				t.Errorf("date_out = %q, want today %q", got, want)
			}
			if got, want := apitest.Str(t, p, "stage"), freezer.StageOut; got != want {
				t.Errorf("stage = %q, want %q", got, want)
			}
			if got, want := apitest.Int(t, p, "version"), int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			// Out already: 409 naming the day it went out, nothing written.
			e.Post(t, u, path+"/take-out", map[string]any{"date": apitest.DaysAgo(2), "version": 2}).WantError(t, http.StatusConflict, freezer.ECONFLICT, apitest.Today.String())
			e.Post(t, u, path+"/take-out", map[string]any{"version": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			// Its day is corrected by an edit.
			p = e.Patch(t, u, path, map[string]any{"date_out": apitest.DaysAgo(2), "version": 2}).WantStatus(t, http.StatusOK).Object(t)
			if got, want := apitest.Str(t, p, "date_out"), apitest.DaysAgo(2); got != want {
				t.Errorf("date_out = %q, want %q", got, want)
			}

			// Its slot is taken meanwhile: it goes back to the next free one.
			other := mkProduct(t, e, u, productBody(f2, 1, "Squatter"))
			if got, want := apitest.Int(t, other, "slot"), int64(1); got != want {
				t.Fatalf("the new product took slot %d, want %d", got, want)
			}
			e.Post(t, u, path+"/put-back", map[string]any{"slot": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			e.Post(t, u, path+"/put-back", map[string]any{"version": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			p = e.Post(t, u, path+"/put-back", nil).WantStatus(t, http.StatusOK).Object(t)
			if p["date_out"] != nil || apitest.Str(t, p, "stage") != freezer.StageInside {
				t.Errorf("after put-back: date_out %v, stage %v; want null, inside", p["date_out"], p["stage"])
			}
			if got, want := apitest.Int(t, p, "slot"), int64(2); got != want {
				t.Errorf("slot after put-back = %d, want %d (the next free one)", got, want)
			}

			// Back to its own slot when it is free, with a current version.
			id2 := mkProductID(t, e, u, productBody(f, box, "Homebody", "slot", 7))
			e.Post(t, u, fmt.Sprintf("/products/%d/take-out", id2), map[string]any{}).WantStatus(t, http.StatusOK)
			p = e.Post(t, u, fmt.Sprintf("/products/%d/put-back", id2), map[string]any{"version": 2}).WantStatus(t, http.StatusOK).Object(t)
			if apitest.Int(t, p, "slot") != 7 || apitest.Int(t, p, "version") != 3 {
				t.Errorf("put back to a free slot: slot %d version %d, want 7 and 3", apitest.Int(t, p, "slot"), apitest.Int(t, p, "version"))
			}

			// With a version and its slot taken: still the next free slot.
			id3 := mkProductID(t, e, u, productBody(f, box, "Versioned traveller", "slot", 8))
			e.Post(t, u, fmt.Sprintf("/products/%d/take-out", id3), nil).WantStatus(t, http.StatusOK)
			mkProduct(t, e, u, productBody(f, box, "Squatter 8", "slot", 8))
			p = e.Post(t, u, fmt.Sprintf("/products/%d/put-back", id3), map[string]any{"version": 2}).WantStatus(t, http.StatusOK).Object(t)
			if got := apitest.Int(t, p, "slot"); got == 8 {
				t.Errorf("put back with a version into a taken slot: slot %d", got)
			}
			e.Post(t, u, fmt.Sprintf("/products/%d/put-back", id3), nil).WantError(t, http.StatusConflict, freezer.ECONFLICT, "already inside")

			// PATCH "date_out": null puts a product back in by the same rule.
			id4 := mkProductID(t, e, u, productBody(f, box, "Patched", "slot", 9))
			e.Post(t, u, fmt.Sprintf("/products/%d/take-out", id4), nil).WantStatus(t, http.StatusOK)
			mkProduct(t, e, u, productBody(f, box, "Squatter 9", "slot", 9))
			p = e.Patch(t, u, fmt.Sprintf("/products/%d", id4), map[string]any{"date_out": nil}).WantStatus(t, http.StatusOK).Object(t)
			if p["date_out"] != nil || apitest.Int(t, p, "slot") == 9 || apitest.Int(t, p, "version") != 3 {
				t.Errorf("PATCH date_out null: %v, want inside in another slot than 9, version 3", p)
			}
		})

		t.Run("move", func(t *testing.T) {
			id := mkProductID(t, e, u, productBody(f, 1, "Mover"))
			path := fmt.Sprintf("/products/%d/move", id)
			mkProduct(t, e, u, productBody(f2, 2, "Resident"))
			p := e.Post(t, u, path, map[string]any{"box": 2}).WantStatus(t, http.StatusOK).Object(t)
			if apitest.Int(t, p, "freezer_id") != f || apitest.Int(t, p, "box") != 2 {
				t.Errorf("after moving to box 2: freezer %d box %d, want %d and 2", apitest.Int(t, p, "freezer_id"), apitest.Int(t, p, "box"), f)
			}
			p = e.Post(t, u, path, map[string]any{"freezer_id": f2, "box": 2}).WantStatus(t, http.StatusOK).Object(t)
			if apitest.Int(t, p, "freezer_id") != f2 || apitest.Int(t, p, "box") != 2 || apitest.Int(t, p, "slot") != 2 {
				t.Errorf("after moving to freezer %d box 2: %v, want slot 2 (the next free one)", f2, p)
			}
			e.Post(t, u, path, map[string]any{"freezer_id": f2, "box": 2, "slot": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)
			e.Post(t, u, path, map[string]any{"box": 9}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "box")
			e.Post(t, u, path, map[string]any{"box": 1, "version": 1}).WantError(t, http.StatusConflict, freezer.ECONFLICT)

			stranger := e.User(t)
			theirs := mkFreezerID(t, e, stranger, "Theirs", 3)
			e.Post(t, u, path, map[string]any{"freezer_id": theirs, "box": 1}).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			if p := getProduct(t, e, u, id); apitest.Int(t, p, "freezer_id") != f2 || apitest.Int(t, p, "household_id") != u.Household {
				t.Errorf("after a refused move: %v, want it still in freezer %d", p, f2)
			}
			if got := productIDs(t, e, stranger, ""); len(got) != 0 {
				t.Errorf("the stranger sees products %v", got)
			}
		})

		t.Run("delete", func(t *testing.T) {
			id := mkProductID(t, e, u, productBody(f, 1, "Doomed"))
			e.Delete(t, u, fmt.Sprintf("/products/%d", id)).WantStatus(t, http.StatusNoContent)
			e.Get(t, u, fmt.Sprintf("/products/%d", id)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Delete(t, u, fmt.Sprintf("/products/%d", id)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Get(t, u, "/products/abc").WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.Get(t, u, "/products/0").WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		})

		t.Run("stages", func(t *testing.T) {
			inside := mkProduct(t, e, u, productBody(f, 1, "Fresh", "date_in", apitest.DaysAgo(10), "period_months", 6))
			dueSoon := mkProduct(t, e, u, productBody(f, 1, "Soon", "date_in", "2026-02-20", "period_months", 1))
			overdue := mkProduct(t, e, u, productBody(f, 1, "Late", "date_in", apitest.MonthsAgo(2), "period_months", 1))
			out := mkProductID(t, e, u, productBody(f, 1, "Gone", "date_in", apitest.MonthsAgo(2), "period_months", 1))
			outView := e.Post(t, u, fmt.Sprintf("/products/%d/take-out", out), nil).WantStatus(t, http.StatusOK).Object(t)
			for _, c := range []struct {
				p            map[string]any
				stage, useBy string
			}{
				{inside, freezer.StageInside, apitest.Today.AddDays(-10).AddMonths(6).String()},
				{dueSoon, freezer.StageDueSoon, "2026-03-20"},
				{overdue, freezer.StageOverdue, "2026-02-15"},
				{outView, freezer.StageOut, "2026-02-15"},
			} {
				if got := apitest.Str(t, c.p, "stage"); got != c.stage {
					t.Errorf("%s: stage %q, want %q", c.p["name"], got, c.stage)
				}
				if got := apitest.Str(t, c.p, "use_by"); got != c.useBy {
					t.Errorf("%s: use_by %q, want %q", c.p["name"], got, c.useBy)
				}
			}
		})
	})
}

func TestProductList(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u, stranger := e.User(t), e.User(t)
		f1, f2 := mkFreezerID(t, e, u, "One", 3), mkFreezerID(t, e, u, "Two", 2)
		mkProduct(t, e, stranger, productBody(mkFreezerID(t, e, stranger, "Theirs", 1), 1, "Tomato soup of a stranger"))
		mk := func(body map[string]any) int64 { return mkProductID(t, e, u, body) }
		p1 := mk(productBody(f1, 1, "Tomato soup", "date_in", apitest.DaysAgo(10), "period_months", 6))
		p2 := mk(productBody(f1, 2, "Beef stew 100% pure", "type_id", 2, "date_in", apitest.MonthsAgo(2), "period_months", 1))
		p3 := mk(productBody(f2, 1, "Lasagna a_b", "date_in", "2026-02-20", "period_months", 1, "barcode", "4006381333931"))
		p4 := mk(productBody(f2, 2, "Axb pie", "type_id", 3, "date_in", apitest.DaysAgo(30), "period_months", 3))
		p5 := mk(productBody(f1, 1, "Leek soup", "description", "with 50 percent leek", "date_in", apitest.DaysAgo(20), "period_months", 12))
		e.Post(t, u, fmt.Sprintf("/products/%d/take-out", p4), map[string]any{"date": apitest.DaysAgo(5)}).WantStatus(t, http.StatusOK)
		e.Post(t, u, fmt.Sprintf("/products/%d/take-out", p5), map[string]any{"date": apitest.DaysAgo(2)}).WantStatus(t, http.StatusOK)

		t.Run("items", func(t *testing.T) {
			items := e.Get(t, u, "/products").Items(t)
			if got, want := len(items), 3; got != want {
				t.Fatalf("%d items, want %d", got, want)
			}
			for _, it := range items {
				apitest.WantKeys(t, "listed product", it, keysProduct...)
			}
			if got := e.Get(t, stranger, fmt.Sprintf("/products?freezer_id=%d", f1)).Items(t); len(got) != 0 {
				t.Errorf("a stranger filtering on our freezer sees %v", apitest.IDs(t, got))
			}
		})

		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"", []int64{p1, p2, p3}},
			{"state=inside", []int64{p1, p2, p3}},
			{"state=out", []int64{p4, p5}},
			{"state=all", []int64{p1, p2, p3, p4, p5}},
			{fmt.Sprintf("freezer_id=%d", f1), []int64{p1, p2}},
			{fmt.Sprintf("freezer_id=%d&state=all", f1), []int64{p1, p2, p5}},
			{fmt.Sprintf("freezer_id=%d&box=1&state=all", f1), []int64{p1, p5}},
			{"box=2&state=all", []int64{p2, p4}},
			{"type_id=1", []int64{p1, p3}},
			{"type_id=2&state=all", []int64{p2}},
			{"stage=overdue", []int64{p2}},
			{"stage=due_soon", []int64{p3}},
			{"q=soup&state=all", []int64{p1, p5}},
			{"q=SOUP&state=all", []int64{p1, p5}},
			{"q=percent&state=all", []int64{p5}},
			{"q=%25&state=all", []int64{p2}},
			{"q=_&state=all", []int64{p3}},
			{"q=a_b&state=all", []int64{p3}},
			{"q=nothing+like+it", nil},
			{"barcode=4006381333931", []int64{p3}},
			{"barcode=96385074", nil},
			{"sort=id&state=all", []int64{p1, p2, p3, p4, p5}},
			{"sort=date_in&state=all", []int64{p2, p4, p3, p5, p1}},
			{"sort=-date_out&state=out", []int64{p5, p4}},
			{"sort=use_by", []int64{p2, p3, p1}},
			{"sort=use_by&stage=overdue", []int64{p2}},
		} {
			t.Run(c.query, func(t *testing.T) {
				if got := productIDs(t, e, u, c.query); !slices.Equal(got, c.want) {
					t.Errorf("GET /products?%s = %v, want %v", c.query, got, c.want)
				}
			})
		}

		t.Run("bad filters", func(t *testing.T) {
			for query, word := range map[string]string{
				"state=gone":     "state",
				"stage=rotten":   "stage",
				"sort=colour":    "sort",
				"sort=-eat_next": "sort",
				"lang=de":        "lang",
				"freezer_id=x":   "freezer_id",
				"box=1.5":        "box",
				"type_id=one":    "type_id",
				"limit=0":        "limit",
				"limit=501":      "limit",
				"limit=-1":       "limit",
				"limit=ten":      "limit",
				"cursor=%21%21":  "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x:5")):  "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("o:-1")): "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("i:")):   "cursor",
			} {
				e.Get(t, u, "/products?"+query).WantError(t, http.StatusBadRequest, freezer.EINVALID, word)
			}
			e.Get(t, u, "/products?limit=500").WantStatus(t, http.StatusOK)
			e.Get(t, u, "/products?limit=1").WantStatus(t, http.StatusOK)
		})
	})
}

// walk follows next_cursor from GET /products?query and returns every id, in order.
func walk(t *testing.T, e *apitest.Env, u *apitest.User, query string) (ids []int64, pages int) {
	t.Helper()
	path := "/products?" + query
	for cursor := ""; ; {
		p := path
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		items, next := e.Get(t, u, p).Page(t)
		pages++
		ids = append(ids, apitest.IDs(t, items)...)
		if next == "" {
			return ids, pages
		}
		if len(items) == 0 {
			t.Fatalf("GET %s: an empty page with next_cursor %q", p, next)
		}
		if pages > 100 {
			t.Fatalf("GET %s: more than 100 pages", path)
		}
		cursor = next
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	dialects(t, testPagination)
}

func testPagination(t *testing.T, e *apitest.Env) {
	u := e.User(t)
	f := mkFreezerID(t, e, u, "Deep", 4)
	const n = 23
	for i := range n {
		// Dates in a shuffled order, with ties, so that date_in order differs from id order.
		day := (i * 7) % 11
		mkProduct(t, e, u, productBody(f, 1+i%4, fmt.Sprintf("Item %02d", i), "date_in", apitest.DaysAgo(day)))
	}
	all := productIDs(t, e, u, "")
	if got, want := len(all), n; got != want {
		t.Fatalf("%d products, want %d", got, want)
	}
	byDate := productIDs(t, e, u, "sort=date_in")
	byUseBy := productIDs(t, e, u, "sort=use_by")

	for _, c := range []struct {
		query string
		limit int
		want  []int64
	}{
		{"", 5, all},
		{"sort=id", 1, all},
		{"sort=date_in", 4, byDate},
		{"sort=use_by", 6, byUseBy},
		{"", 22, all},
		{"", 23, all},
	} {
		query := fmt.Sprintf("limit=%d", c.limit)
		if c.query != "" {
			query = c.query + "&" + query
		}
		t.Run(query, func(t *testing.T) {
			got, pages := walk(t, e, u, query)
			if !slices.Equal(got, c.want) {
				t.Errorf("walked %v\nwant   %v", got, c.want)
			}
			seen := map[int64]bool{}
			for _, id := range got {
				if seen[id] {
					t.Errorf("product %d seen twice", id)
				}
				seen[id] = true
			}
			if want := (n + c.limit - 1) / c.limit; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}

	t.Run("keyset survives a deletion", func(t *testing.T) {
		items, next := e.Get(t, u, "/products?limit=5").Page(t)
		if next == "" {
			t.Fatalf("no next page")
		}
		// Delete the first product of the next page and the last of this one.
		e.Delete(t, u, fmt.Sprintf("/products/%d", all[5])).WantStatus(t, http.StatusNoContent)
		e.Delete(t, u, fmt.Sprintf("/products/%d", apitest.Int(t, items[4], "id"))).WantStatus(t, http.StatusNoContent)
		rest, _ := e.Get(t, u, "/products?limit=500&cursor="+next).Page(t)
		if got, want := apitest.IDs(t, rest), all[6:]; !slices.Equal(got, want) {
			t.Errorf("next page after deletions = %v, want %v", got, want)
		}
	})

	t.Run("filters apply to every page", func(t *testing.T) {
		got, _ := walk(t, e, u, "box=2&limit=2")
		want := productIDs(t, e, u, "box=2")
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("walked %v, want %v", got, want)
		}
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		created := e.Post(t, u, "/tokens", map[string]any{"name": "laptop"}).WantStatus(t, http.StatusCreated)
		obj := created.Object(t)
		apitest.WantKeys(t, "new token", obj, "token", "secret")
		tok := apitest.Obj(t, obj, "token")
		apitest.WantKeys(t, "token", tok, keysToken...)
		secret := apitest.Str(t, obj, "secret")
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
			t.Errorf("secret %q is not 64 hex digits", secret)
		}
		if got, want := apitest.Str(t, tok, "name"), "laptop"; got != want {
			t.Errorf("name = %q, want %q", got, want)
		}
		if got, want := apitest.Int(t, tok, "user_id"), u.ID; got != want {
			t.Errorf("user_id = %d, want %d", got, want)
		}
		if got, want := tok["legacy"], false; got != want {
			t.Errorf("legacy = %v, want %v", got, want)
		}
		id := apitest.Int(t, tok, "id")

		list := e.Get(t, u, "/tokens")
		items := list.Items(t)
		if got, want := len(items), 2; got != want {
			t.Fatalf("%d tokens, want %d (registration's and laptop)", got, want)
		}
		for _, it := range items {
			apitest.WantKeys(t, "listed token", it, keysToken...)
		}
		if got, want := apitest.Int(t, items[0], "id"), id; got != want {
			t.Errorf("first listed token %d, want the newest %d", got, want)
		}
		if strings.Contains(string(list.Body), secret) {
			t.Errorf("the list shows the secret: %s", list.Body)
		}

		laptop := &apitest.User{ID: u.ID, Token: secret}
		if got, want := apitest.Int(t, apitest.Obj(t, e.Get(t, laptop, "/me").WantStatus(t, http.StatusOK).Object(t), "user"), "id"), u.ID; got != want {
			t.Errorf("the new token acts as user %d, want %d", got, want)
		}
		if items := e.Get(t, u, "/tokens").Items(t); items[0]["last_used_at"] == nil {
			t.Errorf("last_used_at is null after the token was used")
		}

		e.Post(t, u, "/tokens", map[string]any{"name": " "}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
		e.Post(t, u, "/tokens", map[string]any{"name": "x", "secret": "mine"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "secret")

		e.Delete(t, u, fmt.Sprintf("/tokens/%d", id)).WantStatus(t, http.StatusNoContent)
		r := e.Get(t, laptop, "/me")
		r.WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
		}
		e.Delete(t, u, fmt.Sprintf("/tokens/%d", id)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		if got, want := len(e.Get(t, u, "/tokens").Items(t)), 1; got != want {
			t.Errorf("%d tokens after revoking, want %d", got, want)
		}
		// The registration token still works.
		e.Get(t, u, "/me").WantStatus(t, http.StatusOK)
	})
}

func TestProductTypes(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u, admin := e.User(t), e.Admin(t)
		items := e.Get(t, u, "/product-types").Items(t)
		if len(items) < 40 {
			t.Fatalf("%d product types, want the seeded list", len(items))
		}
		for _, it := range items {
			apitest.WantKeys(t, "product type", it, keysProductType...)
		}
		if got, want := apitest.Str(t, items[0], "name_en"), "soup"; got != want {
			t.Errorf("type 1 name_en = %q, want %q", got, want)
		}

		body := map[string]any{"name_en": "ice cream", "name_fr": "glace"}
		e.Post(t, u, "/product-types", body).WantError(t, http.StatusForbidden, freezer.EFORBIDDEN)
		created := e.Post(t, admin, "/product-types", body).WantStatus(t, http.StatusCreated).Object(t)
		apitest.WantKeys(t, "new product type", created, keysProductType...)
		id := apitest.Int(t, created, "id")
		if got, want := apitest.Str(t, created, "name_fr"), "glace"; got != want {
			t.Errorf("name_fr = %q, want %q", got, want)
		}
		if got := apitest.IDs(t, e.Get(t, u, "/product-types").Items(t)); !slices.Contains(got, id) {
			t.Errorf("new type %d not listed: %v", id, got)
		}

		path := fmt.Sprintf("/product-types/%d", id)
		e.Patch(t, u, path, map[string]any{"name_en": "gelato"}).WantError(t, http.StatusForbidden, freezer.EFORBIDDEN)
		updated := e.Patch(t, admin, path, map[string]any{"name_en": "gelato"}).WantStatus(t, http.StatusOK).Object(t)
		if apitest.Str(t, updated, "name_en") != "gelato" || apitest.Str(t, updated, "name_fr") != "glace" {
			t.Errorf("after PATCH: %v, want name_en gelato and name_fr kept", updated)
		}
		e.Patch(t, admin, "/product-types/999999", map[string]any{"name_en": "x"}).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
		e.Post(t, admin, "/product-types", map[string]any{"name_en": "x"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name_fr")
		e.Post(t, admin, "/product-types", map[string]any{"id": 77, "name_en": "x", "name_fr": "x"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "id")

		// A product may use the new type.
		f := mkFreezerID(t, e, u, "Sweets", 1)
		if got := apitest.Int(t, mkProduct(t, e, u, productBody(f, 1, "Vanilla", "type_id", id)), "type_id"); got != id {
			t.Errorf("type_id = %d, want %d", got, id)
		}
	})
}

func TestBodyErrors(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		f := mkFreezerID(t, e, u, "Body", 2)
		post := func(body any, headers ...string) apitest.Response {
			return e.Call(t, u.Token, http.MethodPost, apitest.V1+"/freezers", body, headers...)
		}
		for _, c := range []struct {
			name, body string
			word       string
		}{
			{"malformed", `{"name": "A", "number_boxes": 3`, "JSON"},
			{"not an object", `[1, 2]`, ""},
			{"wrong type", `{"name": "A", "number_boxes": "3"}`, "number_boxes"},
			{"wrong type string", `{"name": 5, "number_boxes": 3}`, "name"},
			{"fraction", `{"name": "A", "number_boxes": 2.5}`, "number_boxes"},
			{"unknown field", `{"name": "A", "number_boxes": 3, "colour": "red"}`, "colour"},
			{"invalid UTF-8", "{\"name\": \"A\xff\xfe\", \"number_boxes\": 3}", "UTF-8"},
			{"trailing object", `{"name": "A", "number_boxes": 3} {}`, "after"},
			{"trailing garbage", `{"name": "A", "number_boxes": 3}x`, ""},
			{"trailing brace", `{"name": "A", "number_boxes": 3}}`, ""},
			{"trailing bracket", `{"name": "A", "number_boxes": 3}]`, ""},
			{"empty", ``, "empty"},
			{"null", `null`, "name"},
		} {
			t.Run(c.name, func(t *testing.T) {
				post(c.body).WantError(t, http.StatusBadRequest, freezer.EINVALID, c.word)
			})
		}
		t.Run("nested field", func(t *testing.T) {
			e.Patch(t, u, fmt.Sprintf("/freezers/%d", f), `{"number_boxes": true}`).WantError(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
		})
		t.Run("too large", func(t *testing.T) {
			big := `{"name": "` + strings.Repeat("a", 1<<20) + `", "number_boxes": 3}`
			post(big).WantError(t, http.StatusRequestEntityTooLarge, freezer.EINVALID)
		})
		t.Run("just under the limit is read", func(t *testing.T) {
			// A body of 1 MiB is read; its name is then too long.
			body := `{"number_boxes": 3, "name": "`
			body += strings.Repeat("a", 1<<20-len(body)-2) + `"}`
			if len(body) != 1<<20 {
				t.Fatalf("body of %d bytes", len(body))
			}
			post(body).WantError(t, http.StatusBadRequest, freezer.EINVALID, "name")
		})
		t.Run("content type", func(t *testing.T) {
			body := `{"name": "A", "number_boxes": 3}`
			post(body, "Content-Type", "text/plain").WantError(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "").WantError(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "application/x-www-form-urlencoded").WantError(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "application/json; charset=utf-8").WantStatus(t, http.StatusCreated)
			post(body, "Content-Type", "Application/JSON").WantStatus(t, http.StatusCreated)
		})
		t.Run("nothing created", func(t *testing.T) {
			if got, want := len(e.Get(t, u, "/freezers").Items(t)), 3; got != want {
				t.Errorf("%d freezers, want %d (the fixture and the two accepted in content type)", got, want)
			}
		})
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		for _, c := range []struct {
			token, method, path string
			status              int
			code                string
		}{
			{u.Token, http.MethodGet, "/api/v1/nothing", http.StatusNotFound, freezer.ENOTFOUND},
			{"", http.MethodGet, "/api/v1/nothing", http.StatusNotFound, freezer.ENOTFOUND},
			{u.Token, http.MethodGet, "/api/v1/products/1/nothing", http.StatusNotFound, freezer.ENOTFOUND},
			{u.Token, http.MethodGet, "/api/v2/products", http.StatusNotFound, freezer.ENOTFOUND},
			{u.Token, http.MethodDelete, "/api/v1/me", http.StatusMethodNotAllowed, freezer.EINVALID},
			{u.Token, http.MethodPut, "/api/v1/products", http.StatusMethodNotAllowed, freezer.EINVALID},
			{u.Token, http.MethodPut, "/api/v1/products/1", http.StatusMethodNotAllowed, freezer.EINVALID},
			{u.Token, http.MethodGet, "/api/v1/products/1/take-out", http.StatusMethodNotAllowed, freezer.EINVALID},
			{"", http.MethodPost, "/api/v1/openapi.json", http.StatusMethodNotAllowed, freezer.EINVALID},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				r := e.Call(t, c.token, c.method, c.path, nil)
				r.WantError(t, c.status, c.code)
				if c.status == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
					t.Errorf("405 without an Allow header")
				}
			})
		}
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	u := e.User(t)
	r := e.Call(t, "", http.MethodOptions, "/api/v1/products", nil,
		"Origin", "https://app.example.com",
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization, content-type")
	if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
		t.Errorf("preflight: %v, want 204 or 200", r)
	}
	if got, want := r.Header.Get("Access-Control-Allow-Origin"), "*"; got != want {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q (%v)", got, want, r.Header)
	}
	if got := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
		t.Errorf("Access-Control-Allow-Headers = %q, want Authorization in it", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") || !strings.Contains(got, "PATCH") {
		t.Errorf("Access-Control-Allow-Methods = %q, want POST and PATCH", got)
	}

	// A preflight of a path with an id, and a plain request with an Origin.
	r = e.Call(t, "", http.MethodOptions, "/api/v1/products/1", nil,
		"Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("preflight of /products/1: Access-Control-Allow-Origin = %q, want *", got)
	}
	r = e.Call(t, u.Token, http.MethodGet, "/api/v1/products", nil, "Origin", "https://app.example.com").WantStatus(t, http.StatusOK)
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("GET with an Origin: Access-Control-Allow-Origin = %q, want *", got)
	}
	r = e.Call(t, "", http.MethodGet, "/api/v1/products", nil, "Origin", "https://app.example.com").WantStatus(t, http.StatusUnauthorized)
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("401 with an Origin: Access-Control-Allow-Origin = %q, want * (so that the page can read the error)", got)
	}
}
