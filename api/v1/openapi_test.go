package v1_test

import (
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
)

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	r := e.Call(t, "", http.MethodGet, apitest.V1+"/openapi.json", nil).WantStatus(t, http.StatusOK)
	doc := r.Object(t)
	if got, want := doc["openapi"], "3.1.0"; got != want {
		t.Errorf("openapi = %v, want %q", got, want)
	}
	info := apitest.Obj(t, doc, "info")
	for _, k := range []string{"title", "version", "description"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s = %#v, want a text", k, info[k])
		}
	}
	servers, _ := doc["servers"].([]any)
	if len(servers) != 1 || apitest.Str(t, servers[0].(map[string]any), "url") != apitest.V1 {
		t.Errorf("servers = %v, want one with url %s", doc["servers"], apitest.V1)
	}
	schemes := apitest.Obj(t, apitest.Obj(t, doc, "components"), "securitySchemes")
	if bearer := apitest.Obj(t, schemes, "bearer"); bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearer = %v, want http bearer", bearer)
	}
	// The served document is the one the other tests read.
	if got, want := string(r.Body), string(openAPIDocBytes(t)); got != want {
		t.Errorf("the served document differs from the one built without a store")
	}

	opIDs := map[string]string{}
	for _, op := range docOps(t, doc) {
		t.Run(op.String(), func(t *testing.T) {
			if s, _ := op.Op["summary"].(string); strings.TrimSpace(s) == "" {
				t.Errorf("no summary")
			}
			id, _ := op.Op["operationId"].(string)
			if id == "" {
				t.Errorf("no operationId")
			} else if prev, dup := opIDs[id]; dup {
				t.Errorf("operationId %q is also %s's", id, prev)
			}
			opIDs[id] = op.String()

			// Path parameters: each one of the path declared, required, and no other.
			var declared []string
			params, _ := op.Op["parameters"].([]any)
			seen := map[string]bool{}
			for _, p := range params {
				pm, _ := p.(map[string]any)
				name, _ := pm["name"].(string)
				in, _ := pm["in"].(string)
				if name == "" || (in != "path" && in != "query" && in != "header") {
					t.Errorf("parameter %v: want a name and in path, query or header", pm)
				}
				if seen[in+" "+name] {
					t.Errorf("parameter %s %s declared twice", in, name)
				}
				seen[in+" "+name] = true
				if _, ok := pm["schema"].(map[string]any); !ok {
					t.Errorf("parameter %s has no schema", name)
				}
				if in == "path" {
					declared = append(declared, name)
					if pm["required"] != true {
						t.Errorf("path parameter %s is not required", name)
					}
				}
			}
			if got, want := declared, op.Params(); !slices.Equal(got, want) {
				t.Errorf("path parameters declared %v, want %v", got, want)
			}

			// Security: public operations have none, the others the bearer scheme.
			if !op.Public() {
				for _, req := range op.Op["security"].([]any) {
					for name := range req.(map[string]any) {
						if _, ok := schemes[name]; !ok {
							t.Errorf("security names %q, not a security scheme", name)
						}
					}
				}
			}

			// Responses: one success, and the error schema for 4XX and 5XX.
			responses, _ := op.Op["responses"].(map[string]any)
			successes := 0
			for status, resp := range responses {
				rm, _ := resp.(map[string]any)
				if d, _ := rm["description"].(string); d == "" {
					t.Errorf("response %s has no description", status)
				}
				if strings.HasPrefix(status, "2") {
					successes++
				}
			}
			if successes != 1 {
				t.Errorf("%d success responses, want 1: %v", successes, slices.Sorted(maps.Keys(responses)))
			}
			for _, status := range []string{"4XX", "5XX"} {
				resp, _ := responses[status].(map[string]any)
				schema := mediaSchema(resp, "application/json")
				if ref, _ := schema["$ref"].(string); ref != "#/components/schemas/Error" {
					t.Errorf("response %s: schema %v, want the Error schema", status, schema)
				}
			}
			if rb, ok := op.Op["requestBody"].(map[string]any); ok {
				if mediaSchema(rb, "application/json") == nil {
					t.Errorf("request body without an application/json schema: %v", rb)
				}
			}
		})
	}
}

// mediaSchema returns content[media].schema of a response or request body.
func mediaSchema(obj map[string]any, media string) map[string]any {
	content, _ := obj["content"].(map[string]any)
	m, _ := content[media].(map[string]any)
	s, _ := m["schema"].(map[string]any)
	return s
}

// TestOpenAPIRefs: every $ref resolves to a schema of components, every
// schema of components is used, and the keywords the document uses have
// the JSON Schema types.
func TestOpenAPIRefs(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	schemas := apitest.Obj(t, apitest.Obj(t, doc, "components"), "schemas")
	used := map[string]bool{}
	refs := 0
	validTypes := []string{"string", "integer", "number", "boolean", "object", "array", "null"}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch val := v.(type) {
		case map[string]any:
			for k, child := range val {
				where := at + "/" + k
				if strings.HasSuffix(at, "/properties") {
					walk(child, where) // k names a property, not a keyword
					continue
				}
				switch k {
				case "$ref":
					refs++
					ref, _ := child.(string)
					name, ok := strings.CutPrefix(ref, "#/components/schemas/")
					if _, found := schemas[name]; !ok || !found {
						t.Errorf("%s: $ref %q does not resolve to a schema of components", where, ref)
					}
					used[name] = true
				case "format":
					if s, ok := child.(string); !ok || s == "" {
						t.Errorf("%s: format %#v, want a non-empty string", where, child)
					}
				}
				walk(child, where)
			}
		case []any:
			for i, child := range val {
				walk(child, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	if refs == 0 {
		t.Errorf("the document has no $ref at all")
	}
	for name, s := range schemas {
		if !used[name] {
			t.Errorf("schema %s is never used", name)
		}
		sm, _ := s.(map[string]any)
		if sm["type"] != "object" {
			t.Errorf("schema %s: type %v, want object", name, sm["type"])
		}
		if _, ok := sm["properties"].(map[string]any); !ok {
			t.Errorf("schema %s has no properties", name)
		}
	}
	// Every schema passes the type checks too, wherever it sits.
	for path, item := range apitest.Obj(t, doc, "paths") {
		for method, op := range item.(map[string]any) {
			for _, p := range opSchemas(op.(map[string]any)) {
				checkTypes(t, fmt.Sprintf("%s %s", strings.ToUpper(method), path), p, validTypes)
			}
		}
	}
	for name, s := range schemas {
		checkTypes(t, "schema "+name, s.(map[string]any), validTypes)
	}
}

// opSchemas returns the schemas of an operation's parameters, request and responses.
func opSchemas(op map[string]any) []map[string]any {
	var list []map[string]any
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		if s, ok := p.(map[string]any)["schema"].(map[string]any); ok {
			list = append(list, s)
		}
	}
	if rb, ok := op["requestBody"].(map[string]any); ok {
		for _, media := range rb["content"].(map[string]any) {
			list = append(list, media.(map[string]any)["schema"].(map[string]any))
		}
	}
	responses, _ := op["responses"].(map[string]any)
	for _, resp := range responses {
		content, _ := resp.(map[string]any)["content"].(map[string]any)
		for _, media := range content {
			if s, ok := media.(map[string]any)["schema"].(map[string]any); ok {
				list = append(list, s)
			}
		}
	}
	return list
}

// checkTypes checks the type keyword of schema s and of its nested schemas.
func checkTypes(t *testing.T, at string, s map[string]any, valid []string) {
	t.Helper()
	if typ, ok := s["type"]; ok {
		names := []any{typ}
		if list, ok := typ.([]any); ok {
			names = list
		}
		for _, n := range names {
			if name, _ := n.(string); !slices.Contains(valid, name) {
				t.Errorf("%s: type %#v is not a JSON Schema type", at, typ)
			}
		}
	}
	if f, ok := s["format"]; ok {
		if name, _ := f.(string); name == "" {
			t.Errorf("%s: format %#v, want a non-empty string", at, f)
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for name, p := range props {
			ps, ok := p.(map[string]any)
			if !ok {
				t.Errorf("%s.%s: the property's schema is %#v", at, name, p)
				continue
			}
			checkTypes(t, at+"."+name, ps, valid)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		checkTypes(t, at+"[]", items, valid)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		for i, a := range alts {
			checkTypes(t, fmt.Sprintf("%s oneOf[%d]", at, i), a.(map[string]any), valid)
		}
	}
}

// TestOpenAPIMatchesRoutes: the document names exactly the routes the
// server serves under /api/v1, method by method.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	srv := api.NewServer(api.Config{}, api.Services{}, nil)
	var served []string
	for _, r := range srv.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if path != apitest.V1 && !strings.HasPrefix(path, apitest.V1+"/") || method == http.MethodOptions {
			continue // CORS preflight answers are no operations
		}
		segs := strings.Split(strings.TrimPrefix(path, apitest.V1), "/")
		for i, s := range segs {
			if name, ok := strings.CutPrefix(s, ":"); ok {
				segs[i] = "{" + name + "}"
			}
		}
		served = append(served, method+" "+strings.Join(segs, "/"))
	}
	var documented []string
	for _, op := range docOps(t, openAPIDoc(t)) {
		documented = append(documented, op.String())
	}
	sort.Strings(served)
	sort.Strings(documented)
	if len(served) == 0 {
		t.Fatalf("the server lists no route under %s: %v", apitest.V1, srv.Routes())
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but not in the OpenAPI document", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in the OpenAPI document but not served", r)
		}
	}
	if !slices.Contains(srv.Routes(), "GET /api/docs") {
		t.Errorf("GET /api/docs is not among the routes: %v", srv.Routes())
	}
}

func TestDocsPage(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	r := e.Call(t, "", http.MethodGet, "/api/docs", nil).WantStatus(t, http.StatusOK)
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/html" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q, want text/html; charset=UTF-8", r.Header.Get("Content-Type"))
	}
	page := html.UnescapeString(string(r.Body))
	if !strings.HasPrefix(strings.ToLower(page), "<!doctype html>") {
		t.Errorf("the page does not start with a doctype: %q", apitest.Truncate(page, 80))
	}
	if !strings.Contains(page, `href="`+apitest.V1+`/openapi.json"`) {
		t.Errorf("the page does not link to the document")
	}
	if strings.Contains(page, "<script") {
		t.Errorf("the page has a script")
	}
	// One entry per operation: method, path, summary, and the mark of
	// the operations for administrators.
	entries := map[string]string{}
	for _, chunk := range strings.Split(page, `<div class="op">`)[1:] {
		method, rest, _ := strings.Cut(chunk, "</span>")
		method = method[strings.LastIndex(method, ">")+1:]
		path, _, _ := strings.Cut(strings.TrimPrefix(rest, "<code>"), "</code>")
		key := method + " " + strings.TrimPrefix(path, apitest.V1)
		if _, dup := entries[key]; dup {
			t.Errorf("%s is listed twice", key)
		}
		entries[key] = chunk
	}
	ops := docOps(t, openAPIDoc(t))
	if got, want := len(entries), len(ops); got != want {
		t.Errorf("%d operations on the page, want %d", got, want)
	}
	for _, op := range ops {
		chunk, ok := entries[op.String()]
		if !ok {
			t.Errorf("the page does not list %s", op)
			continue
		}
		if summary, _ := op.Op["summary"].(string); !strings.Contains(chunk, summary) {
			t.Errorf("%v: the page does not show the summary %q", op, summary)
		}
		if got, want := strings.Contains(chunk, "administrators</small>"), op.Op["x-admin"] == true; got != want {
			t.Errorf("%v: marked for administrators on the page: %v, in the document: %v", op, got, want)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocBytes(t), &doc); err != nil {
		t.Fatal(err)
	}
	if desc, _ := doc["info"].(map[string]any)["description"].(string); !strings.Contains(page, desc) {
		t.Errorf("the page does not show the document's description")
	}
}
