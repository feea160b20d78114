package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// v1DocURL is where the validator keeps the document: its schemas are
// compiled at JSON pointers into it, so that their $refs resolve.
const v1DocURL = "mem://freezer/openapi.json"

var (
	v1ValidatorOnce sync.Once
	v1Compiler      *jsonschema.Compiler
	v1ValidatorErr  error

	v1SchemasMu sync.Mutex
	v1Schemas   = map[string]*jsonschema.Schema{} // by JSON pointer into the document
)

// v1SchemaAt compiles (once) the schema at JSON pointer ptr of the
// document, with a JSON Schema 2020-12 validator that asserts formats (a
// "date" must be a date), as a validating client does.
func v1SchemaAt(ptr string) (*jsonschema.Schema, error) {
	v1ValidatorOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(v1DocData))
		if err != nil {
			v1ValidatorErr = fmt.Errorf("read the document: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020) // the dialect of OpenAPI 3.1
		c.AssertFormat()
		if err := c.AddResource(v1DocURL, doc); err != nil {
			v1ValidatorErr = fmt.Errorf("load the document: %w", err)
			return
		}
		v1Compiler = c
	})
	if v1ValidatorErr != nil {
		return nil, v1ValidatorErr
	}
	v1SchemasMu.Lock()
	defer v1SchemasMu.Unlock()
	if s, ok := v1Schemas[ptr]; ok {
		return s, nil
	}
	s, err := v1Compiler.Compile(v1DocURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compile the schema at %s: %w", ptr, err)
	}
	v1Schemas[ptr] = s
	return s, nil
}

// v1PointerTo makes a JSON pointer of path segments.
func v1PointerTo(segs ...string) string {
	r := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, s := range segs {
		b.WriteString("/" + r.Replace(s))
	}
	return b.String()
}

// v1Validate validates a JSON text against the schema at ptr.
func v1Validate(ptr string, data []byte) error {
	s, err := v1SchemaAt(ptr)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("invalid against %s: %w", ptr, err)
	}
	return nil
}

// v1ValidateExchange validates, with a real JSON Schema validator, what a
// client and the server exchanged for operation op: the response body
// against the schema of its status (the Error schema for an error), and a
// JSON request body that the server accepted against the request schema,
// so that the document never rejects what the server takes.
func v1ValidateExchange(op v1Op, r v1Resp) error {
	opPtr := v1PointerTo("paths", op.Path, strings.ToLower(op.Method))
	if r.status < 300 && op.HasBody() && r.sent != "" {
		if err := v1Validate(opPtr+v1PointerTo("requestBody", "content", "application/json", "schema"), []byte(r.sent)); err != nil {
			return fmt.Errorf("request accepted with status %d: %w", r.status, err)
		}
	}
	if len(r.body) == 0 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return nil
	}
	status := strconv.Itoa(r.status)
	if r.status >= 400 {
		status = status[:1] + "XX"
	}
	return v1Validate(opPtr+v1PointerTo("responses", status, "content", "application/json", "schema"), r.body)
}

// The request schemas accept the bodies the server accepts, on a real JSON
// Schema 2020-12 validator: a PATCH that clears a date (null) and one that
// sets it, and a product with and without its optional fields. (Every
// answer of the v1 tests is validated the same way, by v1Env.do.)
func TestOpenAPIAcceptsWhatTheServerAccepts(t *testing.T) {
	t.Parallel()
	e := v1SQLite(t)
	u := e.user(t)
	f := e.mkFreezerID(t, u, "Garage", 4)
	id := e.mkProductID(t, u, v1ProductBody(f, 1, "Soupe"))
	for _, body := range []string{
		`{"date_out":"` + v1DaysAgo(1) + `"}`,
		`{"date_out":null}`,
		`{"date_in":"` + v1DaysAgo(20) + `","name":"Soupe de Noël"}`,
		`{"description":"","barcode":null}`,
	} {
		r := e.do(t, u.Token, http.MethodPatch, v1Path("%s/products/%d", v1Base, id), body)
		if r.status != http.StatusOK {
			t.Errorf("%v: want 200", r)
		}
	}
	// The check itself: a body the schema rejects is reported.
	op, _ := v1FindOp(v1Ops(t, v1Doc(t)), http.MethodPatch, v1Path("%s/products/%d", v1Base, id))
	bad := v1Resp{method: http.MethodPatch, status: http.StatusOK, sent: `{"date_out":"yesterday"}`}
	if err := v1ValidateExchange(op, bad); err == nil {
		t.Error(`{"date_out":"yesterday"} passes the request schema, want it rejected (format date)`)
	}
}

// TestOpenAPILint validates the served document with a real OpenAPI 3.1
// linter, Redocly CLI (npm @redocly/cli, installed by .ci/run), with its
// strict recommended rules: a valid document, oneOf alternatives that
// exclude each other, security stated on every operation. Skipped when
// redocly is not installed, unless FREEZER_REQUIRE_OPENAPI_LINT=1.
func TestOpenAPILint(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redocly")
	if err != nil {
		if os.Getenv("FREEZER_REQUIRE_OPENAPI_LINT") == "1" {
			t.Fatalf("FREEZER_REQUIRE_OPENAPI_LINT=1 but redocly is not installed (npm install -g @redocly/cli@2.77.0): %v", err)
		}
		t.Skip("redocly is not installed (npm install -g @redocly/cli@2.77.0); FREEZER_REQUIRE_OPENAPI_LINT=1 makes this a failure")
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(doc, v1DocBytes(t), 0o600); err != nil {
		t.Fatal(err)
	}
	// The project has no license to name in info.
	config := "extends:\n  - recommended-strict\nrules:\n  info-license: off\n"
	if err := os.WriteFile(filepath.Join(dir, "redocly.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "lint", "--config", filepath.Join(dir, "redocly.yaml"), "--format", "codeframe", doc)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1", "CI=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("redocly lint: %v\n%s", err, out)
	}
}

// Every operation states its security: the bearer token, or none (an empty
// list) for the public ones such as the document itself.
func TestOpenAPISecurityStated(t *testing.T) {
	t.Parallel()
	var public []string
	for _, op := range v1Ops(t, v1Doc(t)) {
		sec, ok := op.Op["security"].([]any)
		if !ok {
			t.Errorf("%v states no security", op)
			continue
		}
		if len(sec) == 0 {
			public = append(public, op.String())
		}
	}
	if !slices.Contains(public, "GET /openapi.json") {
		t.Errorf("public operations %v, want GET /openapi.json among them with security: []", public)
	}
}
