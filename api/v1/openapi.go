package v1

import (
	"html/template"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	freezer "github.com/freezer-manager/freezer"
)

func (s *server) v1DocRoutes() []route {
	return []route{
		{Method: http.MethodGet, Path: "/openapi.json", Summary: "This API's OpenAPI 3.1 document", Handler: s.v1OpenAPI, Public: true, Response: map[string]any{}},
	}
}

func (s *server) v1OpenAPI(c echo.Context) error {
	return c.JSON(http.StatusOK, s.openAPI())
}

// openAPI builds the document from the route table, so that it names
// exactly the routes that are served.
func (s *server) openAPI() map[string]any {
	g := &schemaGen{schemas: map[string]any{}}
	g.schemas["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message"},
			"properties": map[string]any{
				"code":    map[string]any{"type": "string", "enum": []string{freezer.ECONFLICT, freezer.EINTERNAL, freezer.EINVALID, freezer.ENOTFOUND, freezer.EUNAUTHORIZED, freezer.EFORBIDDEN}},
				"message": map[string]any{"type": "string"},
			},
		}},
	}
	paths := map[string]map[string]any{}
	for _, r := range s.v1Routes() {
		path := openAPIPath(r.Path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = g.operation(r)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Freezer Manager API",
			"version":     "1",
			"description": "Households, freezers, products and their history. Send your API token as \"Authorization: Bearer <token>\". Errors are {\"error\":{\"code\",\"message\"}}; lists are {\"items\",\"next_cursor\"}.",
		},
		"servers": []map[string]any{{"url": v1Prefix}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         g.schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

// openAPIPath turns Echo's ":id" into OpenAPI's "{id}".
func openAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func (g *schemaGen) operation(r route) map[string]any {
	op := map[string]any{
		"summary":     r.Summary,
		"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", ":", "", "-", "_").Replace(r.Path),
	}
	if r.Public {
		op["security"] = []any{} // stated: no token, rather than left to a default
	} else {
		op["security"] = []map[string]any{{"bearer": []string{}}}
	}
	if r.Admin {
		op["x-admin"] = true // only administrators: others get 403
	}
	var params []map[string]any
	for _, p := range strings.Split(r.Path, "/") {
		if strings.HasPrefix(p, ":") {
			typ := "integer"
			if p == ":device_id" {
				typ = "string"
			}
			params = append(params, map[string]any{"name": p[1:], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
	}
	for _, q := range r.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if r.Request != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(r.Request))}}}
	}
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	responses := map[string]any{}
	switch {
	case r.Produces != "": // a document, not JSON
		responses[itoa(status)] = binaryResponse(r.Produces)
	case r.Response == nil:
		responses["204"] = map[string]any{"description": "Done."}
	case r.List:
		responses[itoa(status)] = jsonResponse("A page of items.", map[string]any{
			"type": "object", "required": []string{"items", "next_cursor"},
			"properties": map[string]any{
				"items":       map[string]any{"type": "array", "items": g.of(reflect.TypeOf(r.Response))},
				"next_cursor": map[string]any{"type": []string{"string", "null"}},
			},
		})
	default:
		responses[itoa(status)] = jsonResponse("Success.", g.of(reflect.TypeOf(r.Response)))
	}
	errRef := map[string]any{"$ref": "#/components/schemas/Error"}
	responses["4XX"] = jsonResponse("A client error: invalid input (400), no token (401), not allowed (403), not found (404), conflict (409).", errRef)
	responses["5XX"] = jsonResponse("A server error.", errRef)
	op["responses"] = responses
	return op
}

func jsonResponse(description string, schema any) map[string]any {
	return map[string]any{"description": description, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

// binaryResponse documents a success that answers with a document of mediaType.
func binaryResponse(mediaType string) map[string]any {
	schema := map[string]any{"type": "string"}
	if !strings.HasPrefix(mediaType, "text/") {
		schema["format"] = "binary"
	}
	return map[string]any{"description": "Success.", "content": map[string]any{mediaType: map[string]any{"schema": schema}}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// schemaGen derives JSON schemas from Go types by their json tags.
type schemaGen struct {
	schemas map[string]any
}

var (
	timeType = reflect.TypeOf(time.Time{})
	dateType = reflect.TypeOf(freezer.Date{})
)

// of returns the schema of t: a $ref for named structs, collected in schemas.
func (g *schemaGen) of(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case dateType:
		return map[string]any{"type": []string{"string", "null"}, "format": "date"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		// null joins the type list; a oneOf with {"type":"null"} is only for
		// a $ref (an object), which null never matches: the alternatives of
		// a oneOf must exclude each other.
		s := g.of(t.Elem())
		switch typ := s["type"].(type) {
		case string:
			s = maps.Clone(s) // keeps format and items only when they are set
			s["type"] = []string{typ, "null"}
			return s
		case []string:
			if !slices.Contains(typ, "null") {
				s = maps.Clone(s)
				s["type"] = append(slices.Clone(typ), "null")
			}
			return s
		}
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object"}
	case reflect.Struct:
		name := schemaName(t)
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			g.properties(t, props)
			g.schemas[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// properties adds t's JSON fields to props, flattening embedded structs.
func (g *schemaGen) properties(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.properties(ft, props)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
	}
}

// schemaName names a struct's schema: Product, or v1's productView → ProductView.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if name == "" {
		return "Object"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// docsPage renders the document for people, without scripts or CDNs.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Freezer Manager API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}.op{border-top:1px solid #ddd;padding:.6rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.get{color:#1565c0}.post{color:#2e7d32}.patch{color:#ef6c00}.delete{color:#c62828}
small{color:#666}</style></head><body>
<h1>Freezer Manager API</h1>
<p>{{.Description}}</p>
<p>The machine-readable document: <a href="{{.Prefix}}/openapi.json"><code>{{.Prefix}}/openapi.json</code></a> (OpenAPI 3.1).
The API of the original system stays at its own paths: see <code>docs/api/legacy.md</code>.</p>
{{range .Ops}}<div class="op"><span class="m {{.Method}}">{{.MethodUpper}}</span><code>{{$.Prefix}}{{.Path}}</code>
{{if .Admin}}<small>administrators</small>{{end}}{{if .Public}}<small>no token</small>{{end}}<div>{{.Summary}}</div>
{{if .Query}}<small>Query: {{range $i, $q := .Query}}{{if $i}}, {{end}}<code>{{$q.Name}}</code> {{$q.Description}}{{end}}</small>{{end}}</div>
{{end}}</body></html>`))

// docOp is one operation on the docs page.
type docOp struct {
	Method, MethodUpper, Path, Summary string
	Admin, Public                      bool
	Query                              []param
}

func (s *server) handleDocs(c echo.Context) error {
	var ops []docOp
	for _, r := range s.v1Routes() {
		ops = append(ops, docOp{Method: strings.ToLower(r.Method), MethodUpper: r.Method, Path: openAPIPath(r.Path),
			Summary: r.Summary, Admin: r.Admin, Public: r.Public, Query: r.Query})
	}
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Path < ops[j].Path })
	info := s.openAPI()["info"].(map[string]any)
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	return docsPage.Execute(c.Response(), map[string]any{"Description": info["description"], "Prefix": v1Prefix, "Ops": ops})
}
