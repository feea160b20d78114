package api_test

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
)

// The tests of this file walk every operation of the OpenAPI document, so
// that a route added to the table is checked without editing them; a route
// of a new resource fails until it gets a fixture in v1Fixtures.

// v1Missing is an id that names no object.
const v1Missing = "987654321"

// TestV1AuthRequired: every operation but the public ones answers 401 with
// a Bearer challenge to a request without a valid token.
func TestV1AuthRequired(t *testing.T) {
	t.Parallel()
	ops := v1Ops(t, v1Doc(t))
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u := e.user(t)
		t.Run("the scheme is case-insensitive", func(t *testing.T) {
			for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
				r := e.do(t, "", http.MethodGet, v1Base+"/me", nil, "Authorization", scheme+" "+u.Token).want(t, http.StatusOK)
				if got, want := v1Int(t, v1Obj(t, r.obj(t), "user"), "id"), u.ID; got != want {
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
				path := v1Base + op.Fill(values)
				var body any
				if op.HasBody() {
					body = "{}"
				}
				if op.Public() {
					r := e.do(t, "", op.Method, path, body)
					if r.status == http.StatusUnauthorized || r.status >= 500 {
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
						r := e.do(t, "", op.Method, path, body, "Authorization", c.auth)
						r.wantErr(t, http.StatusUnauthorized, freezer.EUNAUTHORIZED)
						if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") || !strings.Contains(got, c.challenge) {
							t.Errorf("WWW-Authenticate = %q, want a Bearer challenge with %s", got, c.challenge)
						}
					})
				}
			})
		}
	})
}

// v1Fixture is an object that owner may act on, named by the path
// parameters of its resource.
type v1Fixture struct {
	owner    *v1User
	params   map[string]string
	email    string // an address that may join the household (households)
	stranger int    // what another user gets: 404, or 403 for shared resources only admins change
}

// v1Fixtures makes a fresh object of each resource, the first segment of
// its paths. owner is a user with their own household; admin an administrator.
var v1Fixtures = map[string]func(t *testing.T, e *v1Env, owner, admin *v1User) v1Fixture{
	"invitations": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		// Another user invites the owner, who alone may accept or decline.
		inviter := e.user(t)
		inv, err := e.store.InviteMember(inviter.ctx, inviter.Household, owner.Email)
		if err != nil {
			t.Fatalf("invite: %v", err)
		}
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(inv.ID)}}
	},
	"households": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		h := &freezer.Household{Name: "Fixture"}
		if err := e.store.CreateHousehold(owner.ctx, h); err != nil {
			t.Fatalf("create household: %v", err)
		}
		// The same two users serve every fixture household: each one is new.
		member, joiner := e.shared(t, "member"), e.shared(t, "joiner")
		if _, err := e.store.AddMember(sysCtx, h.ID, member.Email); err != nil {
			t.Fatalf("add member: %v", err)
		}
		return v1Fixture{owner: owner, email: joiner.Email, stranger: http.StatusNotFound,
			params: map[string]string{"id": fmt.Sprint(h.ID), "user_id": fmt.Sprint(member.ID)}}
	},
	"freezers": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		id := e.mkFreezerID(t, owner, "Fixture", 3)
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(id)}}
	},
	"products": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		id := e.mkProductID(t, owner, v1ProductBody(e.mkFreezerID(t, owner, "Fixture", 3), 1, "Fixture"))
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(id)}}
	},
	"tokens": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		tok, _, err := e.store.CreateToken(owner.ctx, "fixture")
		if err != nil {
			t.Fatalf("create token: %v", err)
		}
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(tok.ID)}}
	},
	"devices": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		created := e.post(t, owner, "/devices", map[string]any{"name": "Fixture"}).want(t, http.StatusCreated).obj(t)
		id := v1Str(t, v1Obj(t, created, "device"), "id")
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"device_id": id}}
	},
	"print-jobs": func(t *testing.T, e *v1Env, owner, _ *v1User) v1Fixture {
		e.setPrinter(t, owner, fmt.Sprint(owner.Household))
		product := e.mkProductID(t, owner, v1ProductBody(e.mkFreezerID(t, owner, "Fixture", 1), 1, "Fixture"))
		job := e.post(t, owner, v1Path("/products/%d/print", product), nil).want(t, http.StatusCreated).obj(t)
		return v1Fixture{owner: owner, stranger: http.StatusNotFound, params: map[string]string{"id": fmt.Sprint(v1Int(t, job, "id"))}}
	},
	"product-types": func(t *testing.T, e *v1Env, _, admin *v1User) v1Fixture {
		// Types are shared: nobody owns one, only administrators change them.
		created := e.post(t, admin, "/product-types", map[string]any{"name_en": "fixture", "name_fr": "fixture"}).want(t, http.StatusCreated).obj(t)
		return v1Fixture{owner: admin, stranger: http.StatusForbidden, params: map[string]string{"id": fmt.Sprint(v1Int(t, created, "id"))}}
	},
}

// v1AuthPrepare readies the owner's object for an operation and returns
// the request body that succeeds for the owner. An operation not listed
// gets no preparation, and {} when it takes a body.
var v1AuthPrepare = map[string]func(t *testing.T, e *v1Env, fx v1Fixture) any{
	"PATCH /households/{id}":        func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"name": "Renamed"} },
	"POST /households/{id}/members": func(_ *testing.T, _ *v1Env, fx v1Fixture) any { return map[string]any{"email": fx.email} },
	"POST /households/{id}/import": func(t *testing.T, e *v1Env, fx v1Fixture) any {
		// The household's own export: the fixture household has no freezer, so it imports.
		return e.do(t, fx.owner.Token, http.MethodGet, v1Base+"/households/"+fx.params["id"]+"/export", nil).want(t, http.StatusOK).body
	},
	"GET /households/{id}/printer": func(t *testing.T, e *v1Env, fx v1Fixture) any {
		e.setPrinter(t, fx.owner, fx.params["id"])
		return nil
	},
	"PUT /households/{id}/printer": func(t *testing.T, e *v1Env, _ v1Fixture) any { return e.printerBody(t) },
	"DELETE /households/{id}/printer": func(t *testing.T, e *v1Env, fx v1Fixture) any {
		e.setPrinter(t, fx.owner, fx.params["id"])
		return nil
	},
	"PATCH /freezers/{id}":     func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"name": "Renamed"} },
	"PATCH /products/{id}":     func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"name": "Renamed"} },
	"POST /products/{id}/move": func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"box": 2} },
	"POST /products/{id}/put-back": func(t *testing.T, e *v1Env, fx v1Fixture) any {
		e.post(t, fx.owner, v1Path("/products/%s/take-out", fx.params["id"]), nil).want(t, http.StatusOK)
		return nil
	},
	"POST /products/{id}/print": func(t *testing.T, e *v1Env, fx v1Fixture) any {
		e.setPrinter(t, fx.owner, fmt.Sprint(fx.owner.Household)) // the fixture's products are there
		return nil
	},
	"PATCH /devices/{device_id}": func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"name": "Renamed"} },
	"PATCH /product-types/{id}":  func(*testing.T, *v1Env, v1Fixture) any { return map[string]any{"name_en": "renamed"} },
}

// printerBody is a PUT /households/{id}/printer body: a webhook printer
// that accepts every label, without automatic prints.
func (e *v1Env) printerBody(tb testing.TB) map[string]any {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.printSink == nil {
		e.printSink = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}))
		tb.Cleanup(e.printSink.Close)
	}
	return map[string]any{"kind": "webhook", "target": e.printSink.URL + "/print", "auto_print": false}
}

// setPrinter gives a household the printer of printerBody.
func (e *v1Env) setPrinter(tb testing.TB, u *v1User, householdID string) {
	tb.Helper()
	e.do(tb, u.Token, http.MethodPut, v1Base+"/households/"+householdID+"/printer", e.printerBody(tb)).want(tb, http.StatusOK)
}

// v1ObjectParam is the parameter that names the object of an operation:
// id, or else the first one.
func v1ObjectParam(op v1Op) string {
	params := op.Params()
	for _, p := range params {
		if p == "id" {
			return p
		}
	}
	return params[0]
}

// v1Normalize replaces an id in an error message, so that the messages
// about two ids compare.
func v1Normalize(msg, id string) string {
	return regexp.MustCompile(`\b`+regexp.QuoteMeta(id)+`\b`).ReplaceAllString(msg, "{id}")
}

// TestV1AuthOtherUsersObjects: for every operation on one object, another
// user gets the same answer for the owner's object as for an id that does
// not exist (404: existence does not leak), the object is unchanged, and
// the owner's own request then succeeds.
func TestV1AuthOtherUsersObjects(t *testing.T) {
	t.Parallel()
	ops := v1Ops(t, v1Doc(t))
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		owner, admin, stranger := e.user(t), e.admin(t), e.user(t)
		// The stranger has objects of their own, so that their scope is not empty.
		theirs := e.mkFreezerID(t, stranger, "Theirs", 2)
		e.mkProduct(t, stranger, v1ProductBody(theirs, 1, "Theirs"))
		tested := 0
		for _, op := range ops {
			if len(op.Params()) == 0 {
				continue
			}
			tested++
			t.Run(op.String(), func(t *testing.T) {
				resource := strings.Split(op.Path, "/")[1]
				mk, ok := v1Fixtures[resource]
				if !ok {
					t.Fatalf("no fixture for the resource %q: add one to v1Fixtures so that %v is checked", resource, op)
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
				if prepare, ok := v1AuthPrepare[op.String()]; ok {
					body = prepare(t, e, fx)
				}
				path := v1Base + op.Fill(fx.params)
				key := v1ObjectParam(op)
				missing := map[string]string{}
				for k, v := range fx.params {
					missing[k] = v
				}
				missing[key] = v1Missing
				missingPath := v1Base + op.Fill(missing)

				// The object as its owner sees it, when the resource can be read.
				readPath := ""
				if get, ok := v1FindOp(ops, http.MethodGet, "/"+resource+"/"+fx.params[key]); ok && get.Path == "/"+resource+"/{"+key+"}" {
					readPath = v1Base + get.Fill(fx.params)
				}
				read := func() string {
					if readPath == "" {
						return ""
					}
					return string(e.do(t, fx.owner.Token, http.MethodGet, readPath, nil).want(t, http.StatusOK).body)
				}
				before := read()

				code := freezer.ENOTFOUND
				if fx.stranger == http.StatusForbidden {
					code = freezer.EFORBIDDEN
				}
				got := e.do(t, stranger.Token, op.Method, path, body)
				msg := got.wantErr(t, fx.stranger, code)
				none := e.do(t, stranger.Token, op.Method, missingPath, body)
				noneMsg := none.wantErr(t, fx.stranger, code)
				if a, b := v1Normalize(msg, fx.params[key]), v1Normalize(noneMsg, v1Missing); a != b {
					t.Errorf("the answers differ, so the object's existence leaks:\n  existing: %v\n  missing:  %v", got, none)
				}
				if after := read(); after != before {
					t.Errorf("the stranger's request changed the object:\n  before %s\n  after  %s", before, after)
				}

				// The owner's request succeeds, and the owner gets 404 for the missing id.
				r := e.do(t, fx.owner.Token, op.Method, path, body)
				if r.status < 200 || r.status > 299 {
					t.Errorf("the owner's request: %v, want success (prepare it in v1AuthPrepare?)", r)
				}
				e.do(t, fx.owner.Token, op.Method, missingPath, body).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
			})
		}
		if tested == 0 {
			t.Fatalf("no operation with a path parameter in the document")
		}
	})
}

// TestV1AuthAdminOnly: the operations the document marks x-admin answer
// 403 to other users whatever the object, and let administrators through.
func TestV1AuthAdminOnly(t *testing.T) {
	t.Parallel()
	ops := v1Ops(t, v1Doc(t))
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		u, admin := e.user(t), e.admin(t)
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
				path := v1Base + op.Fill(values)
				e.do(t, u.Token, op.Method, path, body).wantErr(t, http.StatusForbidden, freezer.EFORBIDDEN, "administrators")
				if r := e.do(t, admin.Token, op.Method, path, body); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
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
		f := e.mkFreezerID(t, u, "Private", 1)
		e.get(t, admin, v1Path("/freezers/%d", f)).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

// TestV1AuthListsAreScoped: every list operation without a path parameter
// shows a stranger none of another user's objects.
func TestV1AuthListsAreScoped(t *testing.T) {
	t.Parallel()
	ops := v1Ops(t, v1Doc(t))
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		owner, stranger := e.user(t), e.user(t)
		f := e.mkFreezer(t, owner, "Owner's secret freezer", 2)
		e.mkProduct(t, owner, v1ProductBody(v1Int(t, f, "id"), 1, "Owner's secret product"))
		tok := e.post(t, owner, "/tokens", map[string]any{"name": "Owner's secret token"}).want(t, http.StatusCreated)
		var secrets []string
		for _, s := range []string{"Owner's secret", owner.Email, v1Str(t, tok.obj(t), "secret")} {
			data, _ := json.Marshal(s)
			secrets = append(secrets, strings.Trim(string(data), `"`))
		}
		for _, op := range ops {
			if op.Method != http.MethodGet || len(op.Params()) > 0 || op.Public() {
				continue
			}
			t.Run(op.String(), func(t *testing.T) {
				r := e.do(t, stranger.Token, op.Method, v1Base+op.Path, nil)
				if r.status != http.StatusOK {
					t.Fatalf("%v, want 200", r)
				}
				for _, s := range secrets {
					if strings.Contains(string(r.body), s) {
						t.Errorf("the stranger sees %q: %v", s, r)
					}
				}
			})
		}
	})
}
