package v1_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
)

// The tests of this file walk every operation of the OpenAPI document, so
// that a route added to the table is checked without editing them; a route
// of a new resource fails until it gets a fixture in fixtures.

// missingID is an id that names no object.
const missingID = "987654321"

// TestAuthRequired: every operation but the public ones answers 401 with
// a Bearer challenge to a request without a valid token.
func TestAuthRequired(t *testing.T) {
	t.Parallel()
	ops := docOps(t, openAPIDoc(t))
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u := e.User(t)
		t.Run("the scheme is case-insensitive", func(t *testing.T) {
			for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
				r := e.Call(t, "", http.MethodGet, apitest.V1+"/me", nil, "Authorization", scheme+" "+u.Token).WantStatus(t, http.StatusOK)
				if got, want := apitest.Int(t, apitest.Obj(t, r.Object(t), "user"), "id"), u.ID; got != want {
					t.Errorf("%s: user %d, want %d", scheme, got, want)
				}
			}
		})
		for _, op := range ops {
			t.Run(op.String(), func(t *testing.T) {
				values := map[string]string{}
				for _, p := range op.Params() {
					values[p] = "1"
				}
				path := apitest.V1 + op.Fill(values)
				var body any
				if op.HasBody() {
					body = "{}"
				}
				if op.Public() {
					r := e.Call(t, "", op.Method, path, body)
					if r.Status == http.StatusUnauthorized || r.Status >= 500 {
						t.Errorf("public operation: %v", r)
					}
					return
				}
				for _, c := range []struct {
					name, auth, challenge string
				}{
					{"no header", "", `Bearer realm="freezer"`},
					{"empty bearer", "Bearer ", `Bearer realm="freezer"`},
					{"basic", "Basic dXNlcjpjb3JyZWN0IGhvcnNl", `Bearer realm="freezer"`},
					{"unknown token", "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", `error="invalid_token"`},
					{"token with a suffix", "Bearer " + u.Token + "x", `error="invalid_token"`},
					{"overlong token", "Bearer " + strings.Repeat("a", 4096), `error="invalid_token"`},
				} {
					t.Run(c.name, func(t *testing.T) {
						r := e.Call(t, "", op.Method, path, body, "Authorization", c.auth)
						r.WantError(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
						if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") || !strings.Contains(got, c.challenge) {
							t.Errorf("WWW-Authenticate = %q, want a Bearer challenge with %s", got, c.challenge)
						}
					})
				}
			})
		}
	})
}

// fixture is an object that owner may act on, named by the path
// parameters of its resource.
type fixture struct {
	owner    *apitest.User
	params   map[string]string
	email    string // an address that may join the household (households)
	stranger int    // what another user gets: 404, or 403 for shared resources only admins change
}

// fixtures makes a fresh object of each resource, the first segment of
// its paths. owner is a user with their own household; admin an administrator.
var fixtures = map[string]func(t *testing.T, e *apitest.Env, owner, admin *apitest.User) fixture{
	"invitations": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		// Another user invites the owner, who alone may accept or decline.
		inviter := e.User(t)
		inv, err := e.Store.InviteMember(inviter.Ctx, inviter.Household, owner.Email)
		if err != nil {
			t.Fatalf("invite: %v", err)
		}
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(inv.ID)}}
	},
	"households": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		h := &freezer.Household{Name: "Fixture"}
		if err := e.Store.CreateHousehold(owner.Ctx, h); err != nil {
			t.Fatalf("create household: %v", err)
		}
		// The same two users serve every fixture household: each one is new.
		member, joiner := e.Shared(t, "member"), e.Shared(t, "joiner")
		if _, err := e.Store.AddMember(apitest.SysCtx, h.ID, member.Email); err != nil {
			t.Fatalf("add member: %v", err)
		}
		return fixture{owner: owner, email: joiner.Email, stranger: http.StatusNotFound,
			params: map[string]string{"id": fmt.Sprint(h.ID), "user_id": fmt.Sprint(member.ID)}}
	},
	"freezers": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		id := mkFreezerID(t, e, owner, "Fixture", 3)
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(id)}}
	},
	"products": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		id := mkProductID(t, e, owner, productBody(mkFreezerID(t, e, owner, "Fixture", 3), 1, "Fixture"))
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(id)}}
	},
	"tokens": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		tok, _, err := e.Store.CreateToken(owner.Ctx, "fixture")
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(tok.ID)}}
	},
	"devices": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		created := e.Post(t, owner, "/devices", map[string]any{"name": "Fixture"}).WantStatus(t, http.StatusCreated).Object(t)
		id := apitest.Str(t, apitest.Obj(t, created, "device"), "id")
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"device_id": id}}
	},
	"print-jobs": func(t *testing.T, e *apitest.Env, owner, _ *apitest.User) fixture {
		setPrinter(t, e, owner, fmt.Sprint(owner.Household))
		product := mkProductID(t, e, owner, productBody(mkFreezerID(t, e, owner, "Fixture", 1), 1, "Fixture"))
		job := e.Post(t, owner, fmt.Sprintf("/products/%d/print", product), nil).WantStatus(t, http.StatusCreated).Object(t)
		return fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(apitest.Int(t, job, "id"))}}
	},
	"product-types": func(t *testing.T, e *apitest.Env, _, admin *apitest.User) fixture {
		// Types are shared: nobody owns one, only administrators change them.
		created := e.Post(t, admin, "/product-types", map[string]any{"name_en": "fixture", "name_fr": "fixture"}).WantStatus(t, http.StatusCreated).Object(t)
		return fixture{owner: admin, stranger: http.StatusForbidden, params: map[string]string{"id": fmt.Sprint(apitest.Int(t, created, "id"))}}
	},
}

// authPrepare readies the owner's object for an operation and returns
// the request body that succeeds for the owner. An operation not listed
// gets no preparation, and {} when it takes a body.
var authPrepare = map[string]func(t *testing.T, e *apitest.Env, fx fixture) any{
	"PATCH /households/{id}":        func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"name": "Renamed"} },
	"POST /households/{id}/members": func(_ *testing.T, _ *apitest.Env, fx fixture) any { return map[string]any{"email": fx.email} },
	"POST /households/{id}/import": func(t *testing.T, e *apitest.Env, fx fixture) any {
		// The household's own export: the fixture household has no freezer, so it imports.
		return e.Call(t, fx.owner.Token, http.MethodGet, apitest.V1+"/households/"+fx.params["id"]+"/export", nil).WantStatus(t, http.StatusOK).Body
	},
	"GET /households/{id}/printer": func(t *testing.T, e *apitest.Env, fx fixture) any {
		setPrinter(t, e, fx.owner, fx.params["id"])
		return nil
	},
	"PUT /households/{id}/printer": func(t *testing.T, e *apitest.Env, _ fixture) any { return printerBody(t) },
	"DELETE /households/{id}/printer": func(t *testing.T, e *apitest.Env, fx fixture) any {
		setPrinter(t, e, fx.owner, fx.params["id"])
		return nil
	},
	"PATCH /freezers/{id}":     func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"name": "Renamed"} },
	"PATCH /products/{id}":     func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"name": "Renamed"} },
	"POST /products/{id}/move": func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"box": 2} },
	"POST /products/{id}/put-back": func(t *testing.T, e *apitest.Env, fx fixture) any {
		e.Post(t, fx.owner, fmt.Sprintf("/products/%s/take-out", fx.params["id"]), nil).WantStatus(t, http.StatusOK)
		return nil
	},
	"POST /products/{id}/print": func(t *testing.T, e *apitest.Env, fx fixture) any {
		setPrinter(t, e, fx.owner, fmt.Sprint(fx.owner.Household)) // the fixture's products are there
		return nil
	},
	"PATCH /devices/{device_id}": func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"name": "Renamed"} },
	"PATCH /product-types/{id}":  func(*testing.T, *apitest.Env, fixture) any { return map[string]any{"name_en": "renamed"} },
}

// printerBody is a PUT /households/{id}/printer body: a webhook printer
// that accepts every label, without automatic prints.
func printerBody(tb testing.TB) map[string]any {
	tb.Helper()
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(sink.Close)
	return map[string]any{"kind": "webhook", "target": sink.URL + "/print", "auto_print": false}
}

// setPrinter gives a household the printer of printerBody.
func setPrinter(tb testing.TB, e *apitest.Env, u *apitest.User, householdID string) {
	tb.Helper()
	e.Call(tb, u.Token, http.MethodPut, apitest.V1+"/households/"+householdID+"/printer", printerBody(tb)).WantStatus(tb, http.StatusOK)
}

// objectParam is the parameter that names the object of an operation:
// id, or else the first one.
func objectParam(op docOp) string {
	params := op.Params()
	for _, p := range params {
		if p == "id" {
			return p
		}
	}
	return params[0]
}

// normalize replaces an id in an error message, so that the messages
// about two ids compare.
func normalize(msg, id string) string {
	return regexp.MustCompile(`\b`+regexp.QuoteMeta(id)+`\b`).ReplaceAllString(msg, "{id}")
}

// TestAuthOtherUsersObjects: for every operation on one object, another
// user gets the same answer for the owner's object as for an id that does
// not exist (404: existence does not leak), the object is unchanged, and
// the owner's own request then succeeds.
func TestAuthOtherUsersObjects(t *testing.T) {
	t.Parallel()
	ops := docOps(t, openAPIDoc(t))
	dialects(t, func(t *testing.T, e *apitest.Env) {
		owner, admin, stranger := e.User(t), e.Admin(t), e.User(t)
		// The stranger has objects of their own, so that their scope is not empty.
		theirs := mkFreezerID(t, e, stranger, "Theirs", 2)
		mkProduct(t, e, stranger, productBody(theirs, 1, "Theirs"))
		tested := 0
		for _, op := range ops {
			if len(op.Params()) == 0 {
				continue
			}
			tested++
			t.Run(op.String(), func(t *testing.T) {
				resource := strings.Split(op.Path, "/")[1]
				mk, ok := fixtures[resource]
				if !ok {
					t.Fatalf("no fixture for the resource %q: add one to fixtures so that %v is checked", resource, op)
				}
				fx := mk(t, e, owner, admin)
				for _, p := range op.Params() {
					if fx.params[p] == "" {
						t.Fatalf("the %q fixture has no value for {%s}", resource, p)
					}
				}
				var body any
				if op.HasBody() {
					body = "{}"
				}
				if prepare, ok := authPrepare[op.String()]; ok {
					body = prepare(t, e, fx)
				}
				path := apitest.V1 + op.Fill(fx.params)
				key := objectParam(op)
				missing := map[string]string{}
				for k, v := range fx.params {
					missing[k] = v
				}
				missing[key] = missingID
				missingPath := apitest.V1 + op.Fill(missing)

				// The object as its owner sees it, when the resource can be read.
				readPath := ""
				if get, ok := findDocOp(ops, http.MethodGet, "/"+resource+"/"+fx.params[key]); ok && get.Path == "/"+resource+"/{"+key+"}" {
					readPath = apitest.V1 + get.Fill(fx.params)
				}
				read := func() string {
					if readPath == "" {
						return ""
					}
					return string(e.Call(t, fx.owner.Token, http.MethodGet, readPath, nil).WantStatus(t, http.StatusOK).Body)
				}
				before := read()

				code := freezer.ENOTFOUND
				if fx.stranger == http.StatusForbidden {
					code = freezer.EFORBIDDEN
				}
				got := e.Call(t, stranger.Token, op.Method, path, body)
				msg := got.WantError(t, fx.stranger, code)
				none := e.Call(t, stranger.Token, op.Method, missingPath, body)
				noneMsg := none.WantError(t, fx.stranger, code)
				if a, b := normalize(msg, fx.params[key]), normalize(noneMsg, missingID); a != b {
					t.Errorf("the answers differ, so the object's existence leaks:\n  existing: %v\n  missing:  %v", got, none)
				}
				if after := read(); after != before {
					t.Errorf("the stranger's request changed the object:\n  before %s\n  after  %s", before, after)
				}

				// The owner's request succeeds, and the owner gets 404 for the missing id.
				r := e.Call(t, fx.owner.Token, op.Method, path, body)
				if r.Status < 200 || r.Status > 299 {
					t.Errorf("the owner's request: %v, want success (prepare it in authPrepare?)", r)
				}
				e.Call(t, fx.owner.Token, op.Method, missingPath, body).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
			})
		}
		if tested == 0 {
			t.Fatalf("no operation with a path parameter in the document")
		}
	})
}

// TestAuthAdminOnly: the operations the document marks x-admin answer
// 403 to other users whatever the object, and let administrators through.
func TestAuthAdminOnly(t *testing.T) {
	t.Parallel()
	ops := docOps(t, openAPIDoc(t))
	dialects(t, func(t *testing.T, e *apitest.Env) {
		u, admin := e.User(t), e.Admin(t)
		var adminOps []string
		for _, op := range ops {
			if op.Op["x-admin"] != true {
				continue
			}
			adminOps = append(adminOps, op.String())
			t.Run(op.String(), func(t *testing.T) {
				values := map[string]string{}
				for _, p := range op.Params() {
					values[p] = "1"
				}
				var body any
				if op.HasBody() {
					body = map[string]any{"name_en": "admin", "name_fr": "admin"}
				}
				path := apitest.V1 + op.Fill(values)
				e.Call(t, u.Token, op.Method, path, body).WantError(t, http.StatusForbidden, freezer.EFORBIDDEN, "administrators")
				if r := e.Call(t, admin.Token, op.Method, path, body); r.Status == http.StatusForbidden || r.Status == http.StatusUnauthorized {
					t.Errorf("an administrator: %v", r)
				}
			})
		}
		for _, want := range []string{"POST /product-types", "PATCH /product-types/{id}"} {
			if !slices.Contains(adminOps, want) {
				t.Errorf("%s is not marked x-admin (marked: %v)", want, adminOps)
			}
		}
		// An administrator is no member of other households.
		f := mkFreezerID(t, e, u, "Private", 1)
		e.Get(t, admin, fmt.Sprintf("/freezers/%d", f)).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

// TestAuthListsAreScoped: every list operation without a path parameter
// shows a stranger none of another user's objects.
func TestAuthListsAreScoped(t *testing.T) {
	t.Parallel()
	ops := docOps(t, openAPIDoc(t))
	dialects(t, func(t *testing.T, e *apitest.Env) {
		owner, stranger := e.User(t), e.User(t)
		f := mkFreezer(t, e, owner, "Owner's secret freezer", 2)
		mkProduct(t, e, owner, productBody(apitest.Int(t, f, "id"), 1, "Owner's secret product"))
		tok := e.Post(t, owner, "/tokens", map[string]any{"name": "Owner's secret token"}).WantStatus(t, http.StatusCreated)
		var secrets []string
		for _, s := range []string{"Owner's secret", owner.Email, apitest.Str(t, tok.Object(t), "secret")} {
			data, _ := json.Marshal(s)
			secrets = append(secrets, strings.Trim(string(data), `"`))
		}
		for _, op := range ops {
			if op.Method != http.MethodGet || len(op.Params()) > 0 || op.Public() {
				continue
			}
			t.Run(op.String(), func(t *testing.T) {
				r := e.Call(t, stranger.Token, op.Method, apitest.V1+op.Path, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("%v, want 200", r)
				}
				for _, s := range secrets {
					if strings.Contains(string(r.Body), s) {
						t.Errorf("the stranger sees %q: %v", s, r)
					}
				}
			})
		}
	})
}
