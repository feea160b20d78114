package v1_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
)

// The OpenAPI document as the tests read it, and the check of every answer
// of the v1 API against it.

var (
	docOnce sync.Once
	docData []byte
	docErr  error
)

// openAPIDocBytes serves GET /api/v1/openapi.json once, from a server without a
// store: the document is built from the route table alone.
func openAPIDocBytes(tb testing.TB) []byte {
	tb.Helper()
	docOnce.Do(func() {
		rec := httptest.NewRecorder()
		api.NewServer(api.Config{}, api.Services{}, nil).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, apitest.V1+"/openapi.json", nil))
		if rec.Code != http.StatusOK {
			docErr = fmt.Errorf("GET %s/openapi.json: status %d: %s", apitest.V1, rec.Code, rec.Body)
			return
		}
		docData = rec.Body.Bytes()
	})
	if docErr != nil {
		tb.Fatal(docErr)
	}
	return docData
}

// openAPIDoc returns a fresh decoding of the document.
func openAPIDoc(tb testing.TB) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocBytes(tb), &doc); err != nil {
		tb.Fatalf("openapi.json is not a JSON object: %v", err)
	}
	return doc
}

// docOp is one operation of the document.
type docOp struct {
	Method string // upper case
	Path   string // OpenAPI syntax, below /api/v1
	Op     map[string]any
}

func (o docOp) String() string { return o.Method + " " + o.Path }

// Params returns the path parameters in the order of the path.
func (o docOp) Params() []string {
	var names []string
	for _, seg := range strings.Split(o.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, seg[1:len(seg)-1])
		}
	}
	return names
}

// Public reports whether the operation needs no token.
func (o docOp) Public() bool {
	sec, ok := o.Op["security"].([]any)
	return !ok || len(sec) == 0
}

// HasBody reports whether the operation documents a request body.
func (o docOp) HasBody() bool { _, ok := o.Op["requestBody"]; return ok }

// Fill replaces each {param} of the path with values[param].
func (o docOp) Fill(values map[string]string) string {
	segs := strings.Split(o.Path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			segs[i] = url.PathEscape(values[seg[1:len(seg)-1]])
		}
	}
	return strings.Join(segs, "/")
}

var docMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// docOps lists every operation of the document, sorted by path then method.
func docOps(tb testing.TB, doc map[string]any) []docOp {
	tb.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		tb.Fatalf("the document has no paths")
	}
	var ops []docOp
	for path, item := range paths {
		for _, m := range docMethods {
			if op, ok := item.(map[string]any)[m].(map[string]any); ok {
				ops = append(ops, docOp{Method: strings.ToUpper(m), Path: path, Op: op})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

// findDocOp finds the operation that serves method on a concrete path (with
// or without /api/v1 and a query): the template with the most literal
// segments wins, as in the router.
func findDocOp(ops []docOp, method, path string) (docOp, bool) {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, apitest.V1)
	segs := strings.Split(path, "/")
	best, bestScore := docOp{}, -1
	for _, o := range ops {
		if o.Method != method {
			continue
		}
		tsegs := strings.Split(o.Path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		score := 0
		for i, t := range tsegs {
			if strings.HasPrefix(t, "{") {
				continue
			}
			if t != segs[i] {
				score = -1
				break
			}
			score++
		}
		if score > bestScore {
			best, bestScore = o, score
		}
	}
	return best, bestScore >= 0
}

var (
	docOpsOnce sync.Once
	docOpsList []docOp
	docRoot    map[string]any
)

// checkAgainstDoc checks an answer of the v1 API against the document: a
// success must have a documented status and match its schema (every key,
// no other), a 204 has no body, an error matches the Error schema; then a
// real JSON Schema validator checks the exchange (validateExchange).
func checkAgainstDoc(tb testing.TB, r apitest.Response) error {
	if err := checkKeys(tb, r); err != nil {
		return err
	}
	if !strings.HasPrefix(r.Path, apitest.V1+"/") || r.Method == http.MethodOptions || r.Method == http.MethodHead {
		return nil
	}
	op, ok := findDocOp(docOpsList, r.Method, r.Path)
	if !ok {
		return nil // an unknown route's 404 or 405, checked against the Error schema
	}
	return validateExchange(op, r)
}

// checkKeys checks an answer against the document with checkSchema.
func checkKeys(tb testing.TB, r apitest.Response) error {
	tb.Helper()
	if !strings.HasPrefix(r.Path, apitest.V1+"/") || r.Method == http.MethodOptions || r.Method == http.MethodHead {
		return nil
	}
	docOpsOnce.Do(func() {
		docRoot = openAPIDoc(tb)
		docOpsList = docOps(tb, docRoot)
	})
	if docRoot == nil {
		return fmt.Errorf("the document could not be read")
	}
	if r.Status >= 400 {
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			return fmt.Errorf("the error body is not JSON: %v", err)
		}
		return checkSchema(docRoot, map[string]any{"$ref": "#/components/schemas/Error"}, v, "body")
	}
	op, ok := findDocOp(docOpsList, r.Method, r.Path)
	if !ok {
		return fmt.Errorf("no operation for %s %s", r.Method, r.Path)
	}
	responses, _ := op.Op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(r.Status)].(map[string]any)
	if !ok {
		return fmt.Errorf("status %d is not documented for %v (documented: %v)", r.Status, op, slices.Sorted(maps.Keys(responses)))
	}
	content, _ := resp["content"].(map[string]any)
	if content == nil {
		if len(r.Body) != 0 {
			return fmt.Errorf("a body where the document has none")
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	media, _ := content[mt].(map[string]any)
	if media == nil {
		return fmt.Errorf("Content-Type %q is not documented (documented: %v)", mt, slices.Sorted(maps.Keys(content)))
	}
	if mt != "application/json" {
		return nil
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	return checkSchema(docRoot, media["schema"], v, "body")
}

// resolve follows a local $ref to its schema in components.
func resolve(doc map[string]any, ref string) (map[string]any, error) {
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a schema of components", ref)
	}
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	s, ok := schemas[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q names no schema of components", ref)
	}
	return s, nil
}

// checkSchema checks value v against a subset of JSON Schema: $ref,
// oneOf, type (one or a list), properties (exactly: no missing and no extra
// key) and items.
func checkSchema(doc map[string]any, schema any, v any, at string) error {
	s, ok := schema.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema %#v is not an object", at, schema)
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := resolve(doc, ref)
		if err != nil {
			return fmt.Errorf("%s: %v", at, err)
		}
		return checkSchema(doc, target, v, at)
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		var errs []string
		for _, alt := range oneOf {
			err := checkSchema(doc, alt, v, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no oneOf alternative: %s", at, strings.Join(errs, "; "))
	}
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			name, _ := x.(string)
			types = append(types, name)
		}
	}
	if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return isType(t, v) }) {
		return fmt.Errorf("%s: %s is not of type %v", at, apitest.Truncate(fmt.Sprint(v), 80), types)
	}
	switch val := v.(type) {
	case map[string]any:
		props, ok := s["properties"].(map[string]any)
		if !ok {
			return nil
		}
		got, want := slices.Sorted(maps.Keys(val)), slices.Sorted(maps.Keys(props))
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: keys %v, documented %v", at, got, want)
		}
		for _, k := range want {
			if err := checkSchema(doc, props[k], val[k], at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		items, ok := s["items"]
		if !ok {
			return nil
		}
		for i, it := range val {
			if err := checkSchema(doc, items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func isType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}
