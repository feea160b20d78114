package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// V1 is where the v1 API lives.
const V1 = "/api/v1"

// Response is an HTTP answer read in full.
type Response struct {
	Method, Path string
	Sent         string // the request body, for failure messages
	Status       int
	Header       http.Header
	Body         []byte
}

func (r Response) String() string {
	return fmt.Sprintf("%s %s %s → %d %q", r.Method, r.Path, Truncate(r.Sent, 300), r.Status, Truncate(string(r.Body), 400))
}

// Truncate cuts s after n bytes, for failure messages.
func Truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Do sends a request with exactly the given headers (pairs of name, value;
// an empty value removes the header). body: nil for none, a string or
// []byte as is, anything else as JSON.
func (e *Env) Do(tb testing.TB, method, path string, body any, headers ...string) Response {
	tb.Helper()
	var reader io.Reader
	var sent string
	switch b := body.(type) {
	case nil:
	case string:
		sent = b
	case []byte:
		sent = string(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		sent = string(data)
	}
	if body != nil {
		reader = strings.NewReader(sent)
	}
	req, err := http.NewRequest(method, e.URL+path, reader)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", method, path, err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return Response{Method: method, Path: path, Sent: sent, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Send sends a body as application/json.
func (e *Env) Send(tb testing.TB, method, path string, body any) Response {
	tb.Helper()
	return e.Do(tb, method, path, body, "Content-Type", "application/json")
}

// Call sends a request to a full path with a bearer token ("" sends none);
// a body goes as application/json unless headers say otherwise (see Do).
// The answer goes through the environment's Check.
func (e *Env) Call(tb testing.TB, token, method, path string, body any, headers ...string) Response {
	tb.Helper()
	var pre []string
	if body != nil {
		pre = append(pre, "Content-Type", "application/json")
	}
	if token != "" {
		pre = append(pre, "Authorization", "Bearer "+token)
	}
	r := e.Do(tb, method, path, body, append(pre, headers...)...)
	if e.Check != nil {
		if err := e.Check(tb, r); err != nil {
			tb.Errorf("%v\n  %v", r, err)
		}
	}
	return r
}

// Request calls the v1 API (path below /api/v1) with u's token, none for nil u.
func (e *Env) Request(tb testing.TB, u *User, method, path string, body any, headers ...string) Response {
	tb.Helper()
	token := ""
	if u != nil {
		token = u.Token
	}
	return e.Call(tb, token, method, V1+path, body, headers...)
}

// Get, Post, Patch and Delete are Request with their method.
func (e *Env) Get(tb testing.TB, u *User, path string) Response {
	tb.Helper()
	return e.Request(tb, u, http.MethodGet, path, nil)
}

// Post sends body to the v1 API as u.
func (e *Env) Post(tb testing.TB, u *User, path string, body any) Response {
	tb.Helper()
	return e.Request(tb, u, http.MethodPost, path, body)
}

// Patch sends body to the v1 API as u.
func (e *Env) Patch(tb testing.TB, u *User, path string, body any) Response {
	tb.Helper()
	return e.Request(tb, u, http.MethodPatch, path, body)
}

// Delete deletes at the v1 API as u.
func (e *Env) Delete(tb testing.TB, u *User, path string) Response {
	tb.Helper()
	return e.Request(tb, u, http.MethodDelete, path, nil)
}

// WantStatus fails the test unless the status is want.
func (r Response) WantStatus(tb testing.TB, want int) Response {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("%v: status %d, want %d", r, r.Status, want)
	}
	return r
}

// WantJSONType fails the test unless Content-Type is application/json.
func (r Response) WantJSONType(tb testing.TB) {
	tb.Helper()
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		tb.Fatalf("%v: Content-Type %q, want application/json", r, ct)
	}
}

// Object decodes the body as one JSON object.
func (r Response) Object(tb testing.TB) map[string]any {
	tb.Helper()
	r.WantJSONType(tb)
	var obj map[string]any
	if err := json.Unmarshal(r.Body, &obj); err != nil || obj == nil {
		tb.Fatalf("%v: not a JSON object: %v", r, err)
	}
	return obj
}

// Decode reads a JSON body into v, strictly (no unknown field).
func (r Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("%v: decode into %T: %v", r, v, err)
	}
}

// Page decodes a 200 list: exactly {"items": [...], "next_cursor": string|null}.
// next is "" when next_cursor is null.
func (r Response) Page(tb testing.TB) (items []map[string]any, next string) {
	tb.Helper()
	r.WantStatus(tb, http.StatusOK)
	obj := r.Object(tb)
	WantKeys(tb, r.String(), obj, "items", "next_cursor")
	raw, ok := obj["items"].([]any)
	if !ok {
		tb.Fatalf("%v: items is %#v, want a JSON array", r, obj["items"])
	}
	for _, it := range raw {
		m, ok := it.(map[string]any)
		if !ok {
			tb.Fatalf("%v: item %#v is not an object", r, it)
		}
		items = append(items, m)
	}
	switch c := obj["next_cursor"].(type) {
	case nil:
	case string:
		if c == "" {
			tb.Fatalf("%v: next_cursor is \"\", want null or a cursor", r)
		}
		next = c
	default:
		tb.Fatalf("%v: next_cursor is %#v, want a string or null", r, c)
	}
	return items, next
}

// Items is Page for lists that must fit in one page.
func (r Response) Items(tb testing.TB) []map[string]any {
	tb.Helper()
	items, next := r.Page(tb)
	if next != "" {
		tb.Fatalf("%v: next_cursor %q, want null", r, next)
	}
	return items
}

// WantError fails the test unless the answer is status with exactly the
// error object {"error":{"code","message"}}, the code code and a message
// that contains each of words; it returns the message.
func (r Response) WantError(tb testing.TB, status int, code string, words ...string) string {
	tb.Helper()
	r.WantStatus(tb, status)
	obj := r.Object(tb)
	WantKeys(tb, r.String(), obj, "error")
	e := Obj(tb, obj, "error")
	WantKeys(tb, r.String(), e, "code", "message")
	if got := Str(tb, e, "code"); got != code {
		tb.Fatalf("%v: code %q, want %q", r, got, code)
	}
	msg := Str(tb, e, "message")
	if msg == "" {
		tb.Fatalf("%v: empty message", r)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			tb.Fatalf("%v: message %q does not contain %q", r, msg, w)
		}
	}
	return msg
}

// WantKeys fails the test unless obj has exactly the keys keys; what names
// the object in the failure message.
func WantKeys(tb testing.TB, what string, obj map[string]any, keys ...string) {
	tb.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(keys))
	if !slices.Equal(got, want) {
		tb.Fatalf("%s: keys %v, want %v", what, got, want)
	}
}

// Int returns obj[key] as an integer, failing unless it is an integral JSON number.
func Int(tb testing.TB, obj map[string]any, key string) int64 {
	tb.Helper()
	v, ok := obj[key].(float64)
	if !ok || v != math.Trunc(v) {
		tb.Fatalf("%q = %#v, want an integer JSON number (in %v)", key, obj[key], obj)
	}
	return int64(v)
}

// Str returns obj[key] as a string, failing unless it is a JSON string.
func Str(tb testing.TB, obj map[string]any, key string) string {
	tb.Helper()
	v, ok := obj[key].(string)
	if !ok {
		tb.Fatalf("%q = %#v, want a JSON string (in %v)", key, obj[key], obj)
	}
	return v
}

// Obj returns obj[key] as a JSON object.
func Obj(tb testing.TB, obj map[string]any, key string) map[string]any {
	tb.Helper()
	v, ok := obj[key].(map[string]any)
	if !ok {
		tb.Fatalf("%q = %#v, want an object (in %v)", key, obj[key], obj)
	}
	return v
}

// IDs returns the "id" of each item, in order.
func IDs(tb testing.TB, items []map[string]any) []int64 {
	tb.Helper()
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		ids = append(ids, Int(tb, it, "id"))
	}
	return ids
}

// Unmarshal reads a JSON body into v, ignoring the fields v does not have.
func (r Response) Unmarshal(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("%v: decode into %T: %v", r, v, err)
	}
}
