package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
)

func TestV1Me(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		me := e.get(t, u, "/me").want(t, http.StatusOK).obj(t)
		v1Keys(t, "GET /me", me, "user", "households", "today")
		if got, want := v1Str(t, me, "today"), v1Today.String(); got != want {
			t.Errorf("GET /me today = %q, want the store's day %q", got, want)
		}
		user := v1Obj(t, me, "user")
		v1Keys(t, "GET /me user", user, v1KeysUser...)
		if got, want := v1Int(t, user, "id"), u.ID; got != want {
			t.Errorf("user.id = %d, want %d", got, want)
		}
		if got, want := v1Str(t, user, "email"), u.Email; got != want {
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
		v1Keys(t, "GET /me household", h, v1KeysHousehold...)
		if got, want := v1Int(t, h, "id"), u.Household; got != want {
			t.Errorf("household id = %d, want %d", got, want)
		}
	})
}

func TestV1Households(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		owner, friend := e.user(t), e.user(t)
		hPath := v1Path("/households/%d", owner.Household)

		t.Run("list and get", func(t *testing.T) {
			items := e.get(t, owner, "/households").items(t)
			if got, want := len(items), 1; got != want {
				t.Fatalf("%d households, want %d", got, want)
			}
			v1Keys(t, "household", items[0], v1KeysHousehold...)
			if got, want := v1Int(t, items[0], "id"), owner.Household; got != want {
				t.Errorf("id = %d, want %d", got, want)
			}
			h := e.get(t, owner, hPath).want(t, http.StatusOK).obj(t)
			v1Keys(t, "GET household", h, v1KeysHousehold...)
			if got, want := v1Int(t, h, "due_soon_days"), int64(freezer.DefaultDueSoonDays); got != want {
				t.Errorf("due_soon_days = %d, want %d", got, want)
			}
		})

		t.Run("patch", func(t *testing.T) {
			h := e.patch(t, owner, hPath, map[string]any{"name": "Chalet"}).want(t, http.StatusOK).obj(t)
			if got, want := v1Str(t, h, "name"), "Chalet"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			if got, want := v1Int(t, h, "due_soon_days"), int64(freezer.DefaultDueSoonDays); got != want {
				t.Errorf("due_soon_days = %d, want %d (unchanged)", got, want)
			}
			if got, want := v1Str(t, e.get(t, owner, hPath).want(t, http.StatusOK).obj(t), "name"), "Chalet"; got != want {
				t.Errorf("GET after PATCH: name = %q, want %q", got, want)
			}
			e.patch(t, owner, hPath, map[string]any{"name": ""}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.patch(t, owner, hPath, map[string]any{"due_soon_days": 400}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "due_soon_days")
			e.patch(t, owner, hPath, map[string]any{"due_soon_days": "3"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "due_soon_days")
		})

		t.Run("due_soon_days changes stages", func(t *testing.T) {
			f := e.mkFreezerID(t, owner, "Stages", 2)
			// use-by 2026-03-23, in 8 days; and 2026-04-01, in 17 days.
			near := e.mkProductID(t, owner, v1ProductBody(f, 1, "Near", "date_in", "2026-02-23", "period_months", 1))
			far := e.mkProductID(t, owner, v1ProductBody(f, 1, "Far", "date_in", "2026-03-01", "period_months", 1))
			stages := func() (string, string) {
				return v1Str(t, e.product(t, owner, near), "stage"), v1Str(t, e.product(t, owner, far), "stage")
			}
			if n, fa := stages(); n != freezer.StageDueSoon || fa != freezer.StageInside {
				t.Errorf("window 14: stages %s, %s; want due_soon, inside", n, fa)
			}
			e.patch(t, owner, hPath, map[string]any{"due_soon_days": 30}).want(t, http.StatusOK)
			if n, fa := stages(); n != freezer.StageDueSoon || fa != freezer.StageDueSoon {
				t.Errorf("window 30: stages %s, %s; want due_soon, due_soon", n, fa)
			}
			if got, want := e.productIDs(t, owner, "stage=due_soon"), []int64{near, far}; !slices.Equal(got, want) {
				t.Errorf("stage=due_soon with window 30: %v, want %v", got, want)
			}
			e.patch(t, owner, hPath, map[string]any{"due_soon_days": 5}).want(t, http.StatusOK)
			if n, fa := stages(); n != freezer.StageInside || fa != freezer.StageInside {
				t.Errorf("window 5: stages %s, %s; want inside, inside", n, fa)
			}
			if got := e.productIDs(t, owner, "stage=due_soon"); len(got) != 0 {
				t.Errorf("stage=due_soon with window 5: %v, want none", got)
			}
		})

		t.Run("members", func(t *testing.T) {
			members := e.get(t, owner, hPath+"/members").items(t)
			if got, want := len(members), 1; got != want {
				t.Fatalf("%d members, want %d", got, want)
			}
			v1Keys(t, "member", members[0], v1KeysMember...)
			if got, want := v1Str(t, members[0], "role"), freezer.RoleOwner; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}

			// An invitation: the friend joins only on accepting it.
			inv := e.post(t, owner, hPath+"/members", map[string]any{"email": friend.Email}).want(t, http.StatusCreated).obj(t)
			v1Keys(t, "invitation", inv, v1KeysInvitation...)
			e.get(t, friend, hPath).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			if got, want := len(e.get(t, owner, hPath+"/invitations").items(t)), 1; got != want {
				t.Errorf("%d pending invitations, want %d", got, want)
			}
			mine := e.get(t, friend, "/invitations").items(t)
			if len(mine) != 1 || v1Int(t, mine[0], "id") != v1Int(t, inv, "id") {
				t.Fatalf("the friend's invitations = %v", mine)
			}
			e.post(t, owner, v1Path("/invitations/%d/accept", v1Int(t, inv, "id")), nil).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			m := e.post(t, friend, v1Path("/invitations/%d/accept", v1Int(t, inv, "id")), nil).want(t, http.StatusOK).obj(t)
			v1Keys(t, "new member", m, v1KeysMember...)
			if got, want := v1Int(t, m, "user_id"), friend.ID; got != want {
				t.Errorf("user_id = %d, want %d", got, want)
			}
			if got, want := v1Str(t, m, "role"), freezer.RoleMember; got != want {
				t.Errorf("role = %q, want %q", got, want)
			}
			if got, want := len(e.get(t, owner, hPath+"/members").items(t)), 2; got != want {
				t.Errorf("%d members after adding, want %d", got, want)
			}
			if got, want := len(e.get(t, friend, "/households").items(t)), 2; got != want {
				t.Errorf("the friend has %d households, want %d", got, want)
			}
			e.get(t, friend, hPath).want(t, http.StatusOK)

			e.post(t, owner, hPath+"/members", map[string]any{"email": friend.Email}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			// An address without an account gets the same answer: no enumeration.
			ghost := e.post(t, owner, hPath+"/members", map[string]any{"email": "nobody@example.com"}).want(t, http.StatusCreated).obj(t)
			v1Keys(t, "invitation of an unknown address", ghost, v1KeysInvitation...)
			e.del(t, owner, v1Path("/invitations/%d", v1Int(t, ghost, "id"))).want(t, http.StatusNoContent)
			e.post(t, owner, hPath+"/members", map[string]any{"mail": friend.Email}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "mail")

			// The friend leaves: the household is then unknown to them.
			e.del(t, friend, v1Path("%s/members/%d", hPath, friend.ID)).want(t, http.StatusNoContent)
			e.get(t, friend, hPath).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.get(t, friend, hPath+"/members").wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			if got, want := v1IDs(t, e.get(t, friend, "/households").items(t)), []int64{friend.Household}; !slices.Equal(got, want) {
				t.Errorf("the friend's households after leaving: %v, want %v", got, want)
			}
			if got, want := len(e.get(t, owner, hPath+"/members").items(t)), 1; got != want {
				t.Errorf("%d members after leaving, want %d", got, want)
			}
			// The last member cannot leave.
			e.del(t, owner, v1Path("%s/members/%d", hPath, owner.ID)).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
		})
	})
}

func TestV1Freezers(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u, other := e.user(t), e.user(t)

		t.Run("create in the first household", func(t *testing.T) {
			f := e.post(t, u, "/freezers", map[string]any{"name": "Garage", "number_boxes": 4}).want(t, http.StatusCreated).obj(t)
			v1Keys(t, "freezer", f, v1KeysFreezer...)
			if got, want := v1Int(t, f, "household_id"), u.Household; got != want {
				t.Errorf("household_id = %d, want %d", got, want)
			}
			if got, want := v1Int(t, f, "number_boxes"), int64(4); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			if f["archived_at"] != nil {
				t.Errorf("archived_at = %v, want null", f["archived_at"])
			}
			got := e.get(t, u, v1Path("/freezers/%d", v1Int(t, f, "id"))).want(t, http.StatusOK).obj(t)
			if v1Str(t, got, "name") != "Garage" || v1Int(t, got, "id") != v1Int(t, f, "id") {
				t.Errorf("GET = %v, want %v", got, f)
			}
		})

		t.Run("create in a named household", func(t *testing.T) {
			// other shares their household with u; u puts a freezer there.
			inv := e.post(t, other, v1Path("/households/%d/members", other.Household), map[string]any{"email": u.Email}).want(t, http.StatusCreated).obj(t)
			e.post(t, u, v1Path("/invitations/%d/accept", v1Int(t, inv, "id")), nil).want(t, http.StatusOK)
			f := e.mkFreezer(t, u, "Shared", 2, other.Household)
			if got, want := v1Int(t, f, "household_id"), other.Household; got != want {
				t.Errorf("household_id = %d, want %d", got, want)
			}
			e.get(t, other, v1Path("/freezers/%d", v1Int(t, f, "id"))).want(t, http.StatusOK)
			// Without household_id, still the household u owns.
			if got, want := v1Int(t, e.mkFreezer(t, u, "Mine", 1), "household_id"), u.Household; got != want {
				t.Errorf("default household after joining another: %d, want %d", got, want)
			}
			// A household u is not a member of is unknown.
			stranger := e.user(t)
			e.post(t, u, "/freezers", map[string]any{"name": "X", "number_boxes": 1, "household_id": stranger.Household}).
				wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			// household_id filters the list.
			items := e.get(t, u, v1Path("/freezers?household_id=%d", other.Household)).items(t)
			if got, want := v1IDs(t, items), []int64{v1Int(t, f, "id")}; !slices.Equal(got, want) {
				t.Errorf("freezers of household %d: %v, want %v", other.Household, got, want)
			}
			e.get(t, u, "/freezers?household_id=x").wantErr(t, http.StatusBadRequest, freezer.EINVALID, "household_id")
		})

		t.Run("validation", func(t *testing.T) {
			e.post(t, u, "/freezers", map[string]any{"number_boxes": 3}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.post(t, u, "/freezers", map[string]any{"name": "A", "number_boxes": 0}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
			e.post(t, u, "/freezers", map[string]any{"name": "A", "number_boxes": freezer.MaxBoxes + 1}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
			e.post(t, u, "/freezers", map[string]any{"name": "A\nB", "number_boxes": 3}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
		})

		t.Run("patch and resize", func(t *testing.T) {
			id := e.mkFreezerID(t, u, "Cellar", 3)
			path := v1Path("/freezers/%d", id)
			f := e.patch(t, u, path, map[string]any{"name": "Basement"}).want(t, http.StatusOK).obj(t)
			if got, want := v1Str(t, f, "name"), "Basement"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			e.mkProduct(t, u, v1ProductBody(id, 3, "In box 3"))
			msg := e.patch(t, u, path, map[string]any{"number_boxes": 2}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			if got := v1Int(t, e.get(t, u, path).want(t, http.StatusOK).obj(t), "number_boxes"); got != 3 {
				t.Errorf("after a refused resize (%s): number_boxes = %d, want 3", msg, got)
			}
			f = e.patch(t, u, path, map[string]any{"number_boxes": 5}).want(t, http.StatusOK).obj(t)
			if got, want := v1Int(t, f, "number_boxes"), int64(5); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			f = e.patch(t, u, path, map[string]any{"number_boxes": 3}).want(t, http.StatusOK).obj(t)
			if got, want := v1Int(t, f, "number_boxes"), int64(3); got != want {
				t.Errorf("number_boxes = %d, want %d", got, want)
			}
			e.patch(t, u, path, map[string]any{"number_boxes": 0}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
		})

		t.Run("boxes", func(t *testing.T) {
			id := e.mkFreezerID(t, u, "Boxes", 3)
			e.mkProduct(t, u, v1ProductBody(id, 2, "One"))
			e.mkProduct(t, u, v1ProductBody(id, 2, "Two"))
			e.mkProduct(t, u, v1ProductBody(id, 3, "Five", "slot", 5))
			boxes := e.get(t, u, v1Path("/freezers/%d/boxes", id)).items(t)
			var got []string
			for _, b := range boxes {
				v1Keys(t, "box", b, v1KeysBox...)
				got = append(got, fmt.Sprintf("%d:%d", v1Int(t, b, "box"), v1Int(t, b, "next_free_slot")))
			}
			if want := []string{"1:1", "2:3", "3:1"}; !slices.Equal(got, want) {
				t.Errorf("boxes (box:next_free_slot) = %v, want %v", got, want)
			}
		})

		t.Run("delete and archive", func(t *testing.T) {
			fresh := e.mkFreezerID(t, u, "Fresh", 1)
			e.del(t, u, v1Path("/freezers/%d", fresh)).want(t, http.StatusNoContent)
			e.get(t, u, v1Path("/freezers/%d", fresh)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.del(t, u, v1Path("/freezers/%d", fresh)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)

			old := e.mkFreezerID(t, u, "Old", 2)
			p := e.mkProductID(t, u, v1ProductBody(old, 1, "Leftover"))
			// A product inside: neither delete nor archive.
			e.del(t, u, v1Path("/freezers/%d", old)).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			e.post(t, u, v1Path("/freezers/%d/archive", old), nil).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			// Taken out, it is history: still no delete, but archive.
			e.post(t, u, v1Path("/products/%d/take-out", p), nil).want(t, http.StatusOK)
			e.del(t, u, v1Path("/freezers/%d", old)).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			f := e.post(t, u, v1Path("/freezers/%d/archive", old), nil).want(t, http.StatusOK).obj(t)
			if f["archived_at"] == nil {
				t.Errorf("archived_at is null after archiving")
			}
			listed := v1IDs(t, e.get(t, u, "/freezers").items(t))
			if slices.Contains(listed, old) {
				t.Errorf("archived freezer %d listed without include_archived: %v", old, listed)
			}
			listed = v1IDs(t, e.get(t, u, "/freezers?include_archived=true").items(t))
			if !slices.Contains(listed, old) {
				t.Errorf("archived freezer %d not listed with include_archived=true: %v", old, listed)
			}
			e.get(t, u, "/freezers?include_archived=maybe").wantErr(t, http.StatusBadRequest, freezer.EINVALID, "include_archived")
			// Still readable, and no product goes in.
			e.get(t, u, v1Path("/freezers/%d", old)).want(t, http.StatusOK)
			e.post(t, u, "/products", v1ProductBody(old, 1, "Late")).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
		})
	})
}

func TestV1ProductLifecycle(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		f := e.mkFreezerID(t, u, "Kitchen", 3)
		f2 := e.mkFreezerID(t, u, "Garage", 2)

		t.Run("create", func(t *testing.T) {
			p := e.post(t, u, "/products", v1ProductBody(f, 1, "Soup", "barcode", "4006381333931")).want(t, http.StatusCreated).obj(t)
			v1Keys(t, "product", p, v1KeysProduct...)
			for key, want := range map[string]any{
				"household_id": float64(u.Household), "freezer_id": float64(f), "box": 1.0, "slot": 1.0, "name": "Soup",
				"description": "made in a test", "type_id": 1.0, "quantity": 2.0, "barcode": "4006381333931",
				"date_in": v1DaysAgo(10), "date_out": nil, "period_months": 6.0, "version": 1.0,
				"use_by": v1Today.AddDays(-10).AddMonths(6).String(), "stage": freezer.StageInside,
			} {
				if got := p[key]; got != want {
					t.Errorf("%s = %#v, want %#v", key, got, want)
				}
			}
			if got := e.product(t, u, v1Int(t, p, "id")); fmt.Sprint(got) != fmt.Sprint(p) {
				t.Errorf("GET = %v, want %v", got, p)
			}
		})

		t.Run("slots", func(t *testing.T) {
			slot := func(body map[string]any) int64 { return v1Int(t, e.mkProduct(t, u, body), "slot") }
			if got, want := slot(v1ProductBody(f, 2, "A")), int64(1); got != want {
				t.Errorf("first slot omitted: %d, want %d", got, want)
			}
			if got, want := slot(v1ProductBody(f, 2, "B", "slot", 3)), int64(3); got != want {
				t.Errorf("explicit slot: %d, want %d", got, want)
			}
			if got, want := slot(v1ProductBody(f, 2, "C")), int64(2); got != want {
				t.Errorf("slot omitted: %d, want %d (the next free one)", got, want)
			}
			if got, want := slot(v1ProductBody(f, 2, "D")), int64(4); got != want {
				t.Errorf("slot omitted: %d, want %d (the next free one)", got, want)
			}
			e.post(t, u, "/products", v1ProductBody(f, 2, "Clash", "slot", 3)).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			if got, want := len(e.productIDs(t, u, v1Path("freezer_id=%d&box=2", f))), 4; got != want {
				t.Errorf("box 2 holds %d products after a refused create, want %d", got, want)
			}
		})

		t.Run("date_in defaults to today", func(t *testing.T) {
			p := e.mkProduct(t, u, v1ProductBody(f, 3, "Today", "date_in", nil))
			if got, want := v1Str(t, p, "date_in"), v1Today.String(); got != want {
				t.Errorf("date_in = %q, want %q", got, want)
			}
		})

		t.Run("validation names the field", func(t *testing.T) {
			for _, c := range []struct {
				name string
				body map[string]any
				word string
			}{
				{"name required", v1ProductBody(f, 1, ""), "name"},
				{"box out of range", v1ProductBody(f, 4, "X"), "box"},
				{"box zero", v1ProductBody(f, 0, "X"), "box"},
				{"slot negative", v1ProductBody(f, 1, "X", "slot", -1), "slot"},
				{"date_in in the future", v1ProductBody(f, 1, "X", "date_in", v1DaysAgo(-1)), "date_in"},
				{"date_in malformed", v1ProductBody(f, 1, "X", "date_in", "15/03/2026"), "date_in"},
				{"date_in not a string", v1ProductBody(f, 1, "X", "date_in", 20260315), "date_in"},
				{"date_in and a wrong type", v1ProductBody(f, 1, "X", "date_in", "2026-13-01", "box", "1"), "date_in: "},
				{"type_id missing", v1ProductBody(f, 1, "X", "type_id", nil), "type_id"},
				{"type_id unknown", v1ProductBody(f, 1, "X", "type_id", 999999), "type_id"},
				{"quantity", v1ProductBody(f, 1, "X", "quantity", -1), "quantity"},
				{"period_months", v1ProductBody(f, 1, "X", "period_months", freezer.MaxPeriodMonths+1), "period_months"},
				{"barcode", v1ProductBody(f, 1, "X", "barcode", "4006381333932"), "barcode"},
				{"freezer_id missing", v1ProductBody(0, 1, "X"), "freezer_id"},
				{"wrong type", v1ProductBody(f, 1, "X", "quantity", "2"), "quantity"},
			} {
				t.Run(c.name, func(t *testing.T) {
					e.post(t, u, "/products", c.body).wantErr(t, http.StatusBadRequest, freezer.EINVALID, c.word)
				})
			}
			e.post(t, u, "/products", v1ProductBody(999999, 1, "X")).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
		})

		t.Run("patch with versions", func(t *testing.T) {
			id := e.mkProductID(t, u, v1ProductBody(f, 1, "Versioned"))
			path := v1Path("/products/%d", id)
			p := e.patch(t, u, path, map[string]any{"name": "Renamed", "version": 1}).want(t, http.StatusOK).obj(t)
			if got, want := v1Int(t, p, "version"), int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			if got, want := v1Str(t, p, "name"), "Renamed"; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			e.patch(t, u, path, map[string]any{"name": "Stale", "quantity": 9, "version": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			p = e.product(t, u, id)
			if v1Str(t, p, "name") != "Renamed" || v1Int(t, p, "quantity") != 2 || v1Int(t, p, "version") != 2 {
				t.Errorf("after a stale PATCH: %v, want name Renamed, quantity 2, version 2", p)
			}
			p = e.patch(t, u, path, map[string]any{"quantity": 5, "description": "", "period_months": 1}).want(t, http.StatusOK).obj(t)
			if v1Int(t, p, "quantity") != 5 || v1Str(t, p, "description") != "" || v1Int(t, p, "version") != 3 || v1Str(t, p, "name") != "Renamed" {
				t.Errorf("PATCH without version: %v, want quantity 5, description \"\", version 3, name kept", p)
			}
			if got, want := v1Str(t, p, "use_by"), v1Today.AddDays(-10).AddMonths(1).String(); got != want {
				t.Errorf("use_by = %q, want %q", got, want)
			}
			e.patch(t, u, path, map[string]any{"name": ""}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
			e.patch(t, u, path, map[string]any{"date_in": v1DaysAgo(-3)}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "date_in")
			e.patch(t, u, path, map[string]any{"date_out": "2026-02-30"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			e.patch(t, u, path, map[string]any{"nom": "x"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "nom")
			if got, want := v1Int(t, e.product(t, u, id), "version"), int64(3); got != want {
				t.Errorf("version after refused PATCHes = %d, want %d", got, want)
			}
		})

		t.Run("quantity by default", func(t *testing.T) {
			body := v1ProductBody(f, 1, "Unserved")
			delete(body, "quantity")
			if got := v1Int(t, e.mkProduct(t, u, body), "quantity"); got != 1 {
				t.Errorf("quantity without one given = %d, want 1", got)
			}
			if got := v1Int(t, e.mkProduct(t, u, v1ProductBody(f, 1, "Nobody's", "quantity", 0)), "quantity"); got != 0 {
				t.Errorf("quantity 0 given = %d, want 0", got)
			}
		})

		t.Run("outcome", func(t *testing.T) {
			id := e.mkProductID(t, u, v1ProductBody(f, 2, "Forgotten"))
			path := v1Path("/products/%d", id)
			e.post(t, u, path+"/take-out", map[string]any{"outcome": "composted"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "outcome")
			p := e.post(t, u, path+"/take-out", map[string]any{"outcome": freezer.OutcomeDiscarded}).want(t, http.StatusOK).obj(t)
			if got := v1Str(t, p, "outcome"); got != freezer.OutcomeDiscarded {
				t.Errorf("outcome = %q, want discarded", got)
			}
			events := e.get(t, u, v1Path("/events?product_id=%d", id)).want(t, http.StatusOK).items(t)
			if len(events) == 0 || !strings.HasPrefix(v1Str(t, events[0], "summary"), "threw away Forgotten") {
				t.Errorf("change log = %v, want it to say it was thrown away", events)
			}
			// Corrected by an edit; put back, it has none.
			if p = e.patch(t, u, path, map[string]any{"outcome": freezer.OutcomeEaten}).want(t, http.StatusOK).obj(t); v1Str(t, p, "outcome") != freezer.OutcomeEaten {
				t.Errorf("outcome after PATCH = %v, want eaten", p["outcome"])
			}
			if p = e.post(t, u, path+"/put-back", nil).want(t, http.StatusOK).obj(t); p["outcome"] != "" {
				t.Errorf("outcome after put-back = %v, want none", p["outcome"])
			}
			// Taken out without one: eaten.
			if p = e.post(t, u, path+"/take-out", nil).want(t, http.StatusOK).obj(t); v1Str(t, p, "outcome") != freezer.OutcomeEaten {
				t.Errorf("outcome by default = %v, want eaten", p["outcome"])
			}
		})

		t.Run("take out and put back", func(t *testing.T) {
			const box = 3 // of f, for the products put back in place
			id := e.mkProductID(t, u, v1ProductBody(f2, 1, "Traveller", "slot", 1))
			path := v1Path("/products/%d", id)
			e.post(t, u, path+"/take-out", map[string]any{"date": v1DaysAgo(-1)}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			e.post(t, u, path+"/take-out", map[string]any{"date": v1DaysAgo(11)}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "date_out")
			p := e.post(t, u, path+"/take-out", nil).want(t, http.StatusOK).obj(t)
			if got, want := v1Str(t, p, "date_out"), v1Today.String(); got != want {
				t.Errorf("date_out = %q, want today %q", got, want)
			}
			if got, want := v1Str(t, p, "stage"), freezer.StageOut; got != want {
				t.Errorf("stage = %q, want %q", got, want)
			}
			if got, want := v1Int(t, p, "version"), int64(2); got != want {
				t.Errorf("version = %d, want %d", got, want)
			}
			// Out already: 409 naming the day it went out, nothing written.
			e.post(t, u, path+"/take-out", map[string]any{"date": v1DaysAgo(2), "version": 2}).wantErr(t, http.StatusConflict, freezer.ECONFLICT, v1Today.String())
			e.post(t, u, path+"/take-out", map[string]any{"version": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			// Its day is corrected by an edit.
			p = e.patch(t, u, path, map[string]any{"date_out": v1DaysAgo(2), "version": 2}).want(t, http.StatusOK).obj(t)
			if got, want := v1Str(t, p, "date_out"), v1DaysAgo(2); got != want {
				t.Errorf("date_out = %q, want %q", got, want)
			}

			// Its slot is taken meanwhile: it goes back to the next free one.
			other := e.mkProduct(t, u, v1ProductBody(f2, 1, "Squatter"))
			if got, want := v1Int(t, other, "slot"), int64(1); got != want {
				t.Fatalf("the new product took slot %d, want %d", got, want)
			}
			e.post(t, u, path+"/put-back", map[string]any{"slot": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			e.post(t, u, path+"/put-back", map[string]any{"version": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			p = e.post(t, u, path+"/put-back", nil).want(t, http.StatusOK).obj(t)
			if p["date_out"] != nil || v1Str(t, p, "stage") != freezer.StageInside {
				t.Errorf("after put-back: date_out %v, stage %v; want null, inside", p["date_out"], p["stage"])
			}
			if got, want := v1Int(t, p, "slot"), int64(2); got != want {
				t.Errorf("slot after put-back = %d, want %d (the next free one)", got, want)
			}

			// Back to its own slot when it is free, with a current version.
			id2 := e.mkProductID(t, u, v1ProductBody(f, box, "Homebody", "slot", 7))
			e.post(t, u, v1Path("/products/%d/take-out", id2), map[string]any{}).want(t, http.StatusOK)
			p = e.post(t, u, v1Path("/products/%d/put-back", id2), map[string]any{"version": 2}).want(t, http.StatusOK).obj(t)
			if v1Int(t, p, "slot") != 7 || v1Int(t, p, "version") != 3 {
				t.Errorf("put back to a free slot: slot %d version %d, want 7 and 3", v1Int(t, p, "slot"), v1Int(t, p, "version"))
			}

			// With a version and its slot taken: still the next free slot.
			id3 := e.mkProductID(t, u, v1ProductBody(f, box, "Versioned traveller", "slot", 8))
			e.post(t, u, v1Path("/products/%d/take-out", id3), nil).want(t, http.StatusOK)
			e.mkProduct(t, u, v1ProductBody(f, box, "Squatter 8", "slot", 8))
			p = e.post(t, u, v1Path("/products/%d/put-back", id3), map[string]any{"version": 2}).want(t, http.StatusOK).obj(t)
			if got := v1Int(t, p, "slot"); got == 8 {
				t.Errorf("put back with a version into a taken slot: slot %d", got)
			}
			e.post(t, u, v1Path("/products/%d/put-back", id3), nil).wantErr(t, http.StatusConflict, freezer.ECONFLICT, "already inside")

			// PATCH "date_out": null puts a product back in by the same rule.
			id4 := e.mkProductID(t, u, v1ProductBody(f, box, "Patched", "slot", 9))
			e.post(t, u, v1Path("/products/%d/take-out", id4), nil).want(t, http.StatusOK)
			e.mkProduct(t, u, v1ProductBody(f, box, "Squatter 9", "slot", 9))
			p = e.patch(t, u, v1Path("/products/%d", id4), map[string]any{"date_out": nil}).want(t, http.StatusOK).obj(t)
			if p["date_out"] != nil || v1Int(t, p, "slot") == 9 || v1Int(t, p, "version") != 3 {
				t.Errorf("PATCH date_out null: %v, want inside in another slot than 9, version 3", p)
			}
		})

		t.Run("move", func(t *testing.T) {
			id := e.mkProductID(t, u, v1ProductBody(f, 1, "Mover"))
			path := v1Path("/products/%d/move", id)
			e.mkProduct(t, u, v1ProductBody(f2, 2, "Resident"))
			p := e.post(t, u, path, map[string]any{"box": 2}).want(t, http.StatusOK).obj(t)
			if v1Int(t, p, "freezer_id") != f || v1Int(t, p, "box") != 2 {
				t.Errorf("after moving to box 2: freezer %d box %d, want %d and 2", v1Int(t, p, "freezer_id"), v1Int(t, p, "box"), f)
			}
			p = e.post(t, u, path, map[string]any{"freezer_id": f2, "box": 2}).want(t, http.StatusOK).obj(t)
			if v1Int(t, p, "freezer_id") != f2 || v1Int(t, p, "box") != 2 || v1Int(t, p, "slot") != 2 {
				t.Errorf("after moving to freezer %d box 2: %v, want slot 2 (the next free one)", f2, p)
			}
			e.post(t, u, path, map[string]any{"freezer_id": f2, "box": 2, "slot": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)
			e.post(t, u, path, map[string]any{"box": 9}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "box")
			e.post(t, u, path, map[string]any{"box": 1, "version": 1}).wantErr(t, http.StatusConflict, freezer.ECONFLICT)

			stranger := e.user(t)
			theirs := e.mkFreezerID(t, stranger, "Theirs", 3)
			e.post(t, u, path, map[string]any{"freezer_id": theirs, "box": 1}).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			if p := e.product(t, u, id); v1Int(t, p, "freezer_id") != f2 || v1Int(t, p, "household_id") != u.Household {
				t.Errorf("after a refused move: %v, want it still in freezer %d", p, f2)
			}
			if got := e.productIDs(t, stranger, ""); len(got) != 0 {
				t.Errorf("the stranger sees products %v", got)
			}
		})

		t.Run("delete", func(t *testing.T) {
			id := e.mkProductID(t, u, v1ProductBody(f, 1, "Doomed"))
			e.del(t, u, v1Path("/products/%d", id)).want(t, http.StatusNoContent)
			e.get(t, u, v1Path("/products/%d", id)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.del(t, u, v1Path("/products/%d", id)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.get(t, u, "/products/abc").wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			e.get(t, u, "/products/0").wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
		})

		t.Run("stages", func(t *testing.T) {
			inside := e.mkProduct(t, u, v1ProductBody(f, 1, "Fresh", "date_in", v1DaysAgo(10), "period_months", 6))
			dueSoon := e.mkProduct(t, u, v1ProductBody(f, 1, "Soon", "date_in", "2026-02-20", "period_months", 1))
			overdue := e.mkProduct(t, u, v1ProductBody(f, 1, "Late", "date_in", v1MonthsAgo(2), "period_months", 1))
			out := e.mkProductID(t, u, v1ProductBody(f, 1, "Gone", "date_in", v1MonthsAgo(2), "period_months", 1))
			outView := e.post(t, u, v1Path("/products/%d/take-out", out), nil).want(t, http.StatusOK).obj(t)
			for _, c := range []struct {
				p            map[string]any
				stage, useBy string
			}{
				{inside, freezer.StageInside, v1Today.AddDays(-10).AddMonths(6).String()},
				{dueSoon, freezer.StageDueSoon, "2026-03-20"},
				{overdue, freezer.StageOverdue, "2026-02-15"},
				{outView, freezer.StageOut, "2026-02-15"},
			} {
				if got := v1Str(t, c.p, "stage"); got != c.stage {
					t.Errorf("%s: stage %q, want %q", c.p["name"], got, c.stage)
				}
				if got := v1Str(t, c.p, "use_by"); got != c.useBy {
					t.Errorf("%s: use_by %q, want %q", c.p["name"], got, c.useBy)
				}
			}
		})
	})
}

func TestV1ProductList(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u, stranger := e.user(t), e.user(t)
		f1, f2 := e.mkFreezerID(t, u, "One", 3), e.mkFreezerID(t, u, "Two", 2)
		e.mkProduct(t, stranger, v1ProductBody(e.mkFreezerID(t, stranger, "Theirs", 1), 1, "Tomato soup of a stranger"))
		mk := func(body map[string]any) int64 { return e.mkProductID(t, u, body) }
		p1 := mk(v1ProductBody(f1, 1, "Tomato soup", "date_in", v1DaysAgo(10), "period_months", 6))
		p2 := mk(v1ProductBody(f1, 2, "Beef stew 100% pure", "type_id", 2, "date_in", v1MonthsAgo(2), "period_months", 1))
		p3 := mk(v1ProductBody(f2, 1, "Lasagna a_b", "date_in", "2026-02-20", "period_months", 1, "barcode", "4006381333931"))
		p4 := mk(v1ProductBody(f2, 2, "Axb pie", "type_id", 3, "date_in", v1DaysAgo(30), "period_months", 3))
		p5 := mk(v1ProductBody(f1, 1, "Leek soup", "description", "with 50 percent leek", "date_in", v1DaysAgo(20), "period_months", 12))
		e.post(t, u, v1Path("/products/%d/take-out", p4), map[string]any{"date": v1DaysAgo(5)}).want(t, http.StatusOK)
		e.post(t, u, v1Path("/products/%d/take-out", p5), map[string]any{"date": v1DaysAgo(2)}).want(t, http.StatusOK)

		t.Run("items", func(t *testing.T) {
			items := e.get(t, u, "/products").items(t)
			if got, want := len(items), 3; got != want {
				t.Fatalf("%d items, want %d", got, want)
			}
			for _, it := range items {
				v1Keys(t, "listed product", it, v1KeysProduct...)
			}
			if got := e.get(t, stranger, v1Path("/products?freezer_id=%d", f1)).items(t); len(got) != 0 {
				t.Errorf("a stranger filtering on our freezer sees %v", v1IDs(t, got))
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
			{v1Path("freezer_id=%d", f1), []int64{p1, p2}},
			{v1Path("freezer_id=%d&state=all", f1), []int64{p1, p2, p5}},
			{v1Path("freezer_id=%d&box=1&state=all", f1), []int64{p1, p5}},
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
				if got := e.productIDs(t, u, c.query); !slices.Equal(got, c.want) {
					t.Errorf("GET /products?%s = %v, want %v", c.query, got, c.want)
				}
			})
		}

		t.Run("bad filters", func(t *testing.T) {
			for query, word := range map[string]string{
				"state=gone":    "state",
				"stage=rotten":  "stage",
				"sort=name":     "sort",
				"freezer_id=x":  "freezer_id",
				"box=1.5":       "box",
				"type_id=one":   "type_id",
				"limit=0":       "limit",
				"limit=501":     "limit",
				"limit=-1":      "limit",
				"limit=ten":     "limit",
				"cursor=%21%21": "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x:5")):  "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("o:-1")): "cursor",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("i:")):   "cursor",
			} {
				e.get(t, u, "/products?"+query).wantErr(t, http.StatusBadRequest, freezer.EINVALID, word)
			}
			e.get(t, u, "/products?limit=500").want(t, http.StatusOK)
			e.get(t, u, "/products?limit=1").want(t, http.StatusOK)
		})
	})
}

// v1Walk follows next_cursor from GET /products?query and returns every id, in order.
func v1Walk(t *testing.T, e *v1Env, u *v1User, query string) (ids []int64, pages int) {
	t.Helper()
	path := "/products?" + query
	for cursor := ""; ; {
		p := path
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		items, next := e.get(t, u, p).page(t)
		pages++
		ids = append(ids, v1IDs(t, items)...)
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

func TestV1Pagination(t *testing.T) {
	t.Parallel()
	v1Dialects(t, testV1Pagination)
}

func testV1Pagination(t *testing.T, e *v1Env) {
	u := e.user(t)
	f := e.mkFreezerID(t, u, "Deep", 4)
	const n = 23
	for i := range n {
		// Dates in a shuffled order, with ties, so that date_in order differs from id order.
		day := (i * 7) % 11
		e.mkProduct(t, u, v1ProductBody(f, 1+i%4, fmt.Sprintf("Item %02d", i), "date_in", v1DaysAgo(day)))
	}
	all := e.productIDs(t, u, "")
	if got, want := len(all), n; got != want {
		t.Fatalf("%d products, want %d", got, want)
	}
	byDate := e.productIDs(t, u, "sort=date_in")
	byUseBy := e.productIDs(t, u, "sort=use_by")

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
			got, pages := v1Walk(t, e, u, query)
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
		items, next := e.get(t, u, "/products?limit=5").page(t)
		if next == "" {
			t.Fatalf("no next page")
		}
		// Delete the first product of the next page and the last of this one.
		e.del(t, u, v1Path("/products/%d", all[5])).want(t, http.StatusNoContent)
		e.del(t, u, v1Path("/products/%d", v1Int(t, items[4], "id"))).want(t, http.StatusNoContent)
		rest, _ := e.get(t, u, "/products?limit=500&cursor="+next).page(t)
		if got, want := v1IDs(t, rest), all[6:]; !slices.Equal(got, want) {
			t.Errorf("next page after deletions = %v, want %v", got, want)
		}
	})

	t.Run("filters apply to every page", func(t *testing.T) {
		got, _ := v1Walk(t, e, u, "box=2&limit=2")
		want := e.productIDs(t, u, "box=2")
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("walked %v, want %v", got, want)
		}
	})
}

func TestV1Tokens(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		created := e.post(t, u, "/tokens", map[string]any{"name": "laptop"}).want(t, http.StatusCreated)
		obj := created.obj(t)
		v1Keys(t, "new token", obj, "token", "secret")
		tok := v1Obj(t, obj, "token")
		v1Keys(t, "token", tok, v1KeysToken...)
		secret := v1Str(t, obj, "secret")
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
			t.Errorf("secret %q is not 64 hex digits", secret)
		}
		if got, want := v1Str(t, tok, "name"), "laptop"; got != want {
			t.Errorf("name = %q, want %q", got, want)
		}
		if got, want := v1Int(t, tok, "user_id"), u.ID; got != want {
			t.Errorf("user_id = %d, want %d", got, want)
		}
		if got, want := tok["legacy"], false; got != want {
			t.Errorf("legacy = %v, want %v", got, want)
		}
		id := v1Int(t, tok, "id")

		list := e.get(t, u, "/tokens")
		items := list.items(t)
		if got, want := len(items), 2; got != want {
			t.Fatalf("%d tokens, want %d (registration's and laptop)", got, want)
		}
		for _, it := range items {
			v1Keys(t, "listed token", it, v1KeysToken...)
		}
		if got, want := v1Int(t, items[0], "id"), id; got != want {
			t.Errorf("first listed token %d, want the newest %d", got, want)
		}
		if strings.Contains(string(list.body), secret) {
			t.Errorf("the list shows the secret: %s", list.body)
		}

		laptop := &v1User{ID: u.ID, Token: secret}
		if got, want := v1Int(t, v1Obj(t, e.get(t, laptop, "/me").want(t, http.StatusOK).obj(t), "user"), "id"), u.ID; got != want {
			t.Errorf("the new token acts as user %d, want %d", got, want)
		}
		if items := e.get(t, u, "/tokens").items(t); items[0]["last_used_at"] == nil {
			t.Errorf("last_used_at is null after the token was used")
		}

		e.post(t, u, "/tokens", map[string]any{"name": " "}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
		e.post(t, u, "/tokens", map[string]any{"name": "x", "secret": "mine"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "secret")

		e.del(t, u, v1Path("/tokens/%d", id)).want(t, http.StatusNoContent)
		r := e.get(t, laptop, "/me")
		r.wantErr(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", r.header.Get("WWW-Authenticate"))
		}
		e.del(t, u, v1Path("/tokens/%d", id)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
		if got, want := len(e.get(t, u, "/tokens").items(t)), 1; got != want {
			t.Errorf("%d tokens after revoking, want %d", got, want)
		}
		// The registration token still works.
		e.get(t, u, "/me").want(t, http.StatusOK)
	})
}

func TestV1ProductTypes(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u, admin := e.user(t), e.admin(t)
		items := e.get(t, u, "/product-types").items(t)
		if len(items) < 40 {
			t.Fatalf("%d product types, want the seeded list", len(items))
		}
		for _, it := range items {
			v1Keys(t, "product type", it, v1KeysProductType...)
		}
		if got, want := v1Str(t, items[0], "name_en"), "soup"; got != want {
			t.Errorf("type 1 name_en = %q, want %q", got, want)
		}

		body := map[string]any{"name_en": "ice cream", "name_fr": "glace"}
		e.post(t, u, "/product-types", body).wantErr(t, http.StatusForbidden, freezer.EFORBIDDEN)
		created := e.post(t, admin, "/product-types", body).want(t, http.StatusCreated).obj(t)
		v1Keys(t, "new product type", created, v1KeysProductType...)
		id := v1Int(t, created, "id")
		if got, want := v1Str(t, created, "name_fr"), "glace"; got != want {
			t.Errorf("name_fr = %q, want %q", got, want)
		}
		if got := v1IDs(t, e.get(t, u, "/product-types").items(t)); !slices.Contains(got, id) {
			t.Errorf("new type %d not listed: %v", id, got)
		}

		path := v1Path("/product-types/%d", id)
		e.patch(t, u, path, map[string]any{"name_en": "gelato"}).wantErr(t, http.StatusForbidden, freezer.EFORBIDDEN)
		updated := e.patch(t, admin, path, map[string]any{"name_en": "gelato"}).want(t, http.StatusOK).obj(t)
		if v1Str(t, updated, "name_en") != "gelato" || v1Str(t, updated, "name_fr") != "glace" {
			t.Errorf("after PATCH: %v, want name_en gelato and name_fr kept", updated)
		}
		e.patch(t, admin, "/product-types/999999", map[string]any{"name_en": "x"}).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
		e.post(t, admin, "/product-types", map[string]any{"name_en": "x"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name_fr")
		e.post(t, admin, "/product-types", map[string]any{"id": 77, "name_en": "x", "name_fr": "x"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "id")

		// A product may use the new type.
		f := e.mkFreezerID(t, u, "Sweets", 1)
		if got := v1Int(t, e.mkProduct(t, u, v1ProductBody(f, 1, "Vanilla", "type_id", id)), "type_id"); got != id {
			t.Errorf("type_id = %d, want %d", got, id)
		}
	})
}

func TestV1BodyErrors(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		f := e.mkFreezerID(t, u, "Body", 2)
		post := func(body any, headers ...string) v1Resp {
			return e.do(t, u.Token, http.MethodPost, v1Base+"/freezers", body, headers...)
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
				post(c.body).wantErr(t, http.StatusBadRequest, freezer.EINVALID, c.word)
			})
		}
		t.Run("nested field", func(t *testing.T) {
			e.patch(t, u, v1Path("/freezers/%d", f), `{"number_boxes": true}`).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "number_boxes")
		})
		t.Run("too large", func(t *testing.T) {
			big := `{"name": "` + strings.Repeat("a", 1<<20) + `", "number_boxes": 3}`
			post(big).wantErr(t, http.StatusRequestEntityTooLarge, freezer.EINVALID)
		})
		t.Run("just under the limit is read", func(t *testing.T) {
			// A body of 1 MiB is read; its name is then too long.
			body := `{"number_boxes": 3, "name": "`
			body += strings.Repeat("a", 1<<20-len(body)-2) + `"}`
			if len(body) != 1<<20 {
				t.Fatalf("body of %d bytes", len(body))
			}
			post(body).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "name")
		})
		t.Run("content type", func(t *testing.T) {
			body := `{"name": "A", "number_boxes": 3}`
			post(body, "Content-Type", "text/plain").wantErr(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "").wantErr(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "application/x-www-form-urlencoded").wantErr(t, http.StatusUnsupportedMediaType, freezer.EINVALID)
			post(body, "Content-Type", "application/json; charset=utf-8").want(t, http.StatusCreated)
			post(body, "Content-Type", "Application/JSON").want(t, http.StatusCreated)
		})
		t.Run("nothing created", func(t *testing.T) {
			if got, want := len(e.get(t, u, "/freezers").items(t)), 3; got != want {
				t.Errorf("%d freezers, want %d (the fixture and the two accepted in content type)", got, want)
			}
		})
	})
}

func TestV1Routing(t *testing.T) {
	t.Parallel()
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
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
				r := e.do(t, c.token, c.method, c.path, nil)
				r.wantErr(t, c.status, c.code)
				if c.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
					t.Errorf("405 without an Allow header")
				}
			})
		}
	})
}

func TestV1CORS(t *testing.T) {
	t.Parallel()
	e := v1SQLite(t)
	u := e.user(t)
	r := e.do(t, "", http.MethodOptions, "/api/v1/products", nil,
		"Origin", "https://app.example.com",
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "authorization, content-type")
	if r.status != http.StatusNoContent && r.status != http.StatusOK {
		t.Errorf("preflight: %v, want 204 or 200", r)
	}
	if got, want := r.header.Get("Access-Control-Allow-Origin"), "*"; got != want {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q (%v)", got, want, r.header)
	}
	if got := strings.ToLower(r.header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
		t.Errorf("Access-Control-Allow-Headers = %q, want Authorization in it", got)
	}
	if got := r.header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") || !strings.Contains(got, "PATCH") {
		t.Errorf("Access-Control-Allow-Methods = %q, want POST and PATCH", got)
	}

	// A preflight of a path with an id, and a plain request with an Origin.
	r = e.do(t, "", http.MethodOptions, "/api/v1/products/1", nil,
		"Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("preflight of /products/1: Access-Control-Allow-Origin = %q, want *", got)
	}
	r = e.do(t, u.Token, http.MethodGet, "/api/v1/products", nil, "Origin", "https://app.example.com").want(t, http.StatusOK)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("GET with an Origin: Access-Control-Allow-Origin = %q, want *", got)
	}
	r = e.do(t, "", http.MethodGet, "/api/v1/products", nil, "Origin", "https://app.example.com").want(t, http.StatusUnauthorized)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("401 with an Origin: Access-Control-Allow-Origin = %q, want * (so that the page can read the error)", got)
	}
}
