package v1_test

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

	"github.com/freezer-manager/freezer/api/apitest"
)

// docURL is where the validator keeps the document: its schemas are
// compiled at JSON pointers into it, so that their $refs resolve.
const docURL = "mem://freezer/openapi.json"

var (
	validatorOnce sync.Once
	compiler      *jsonschema.Compiler
	validatorErr  error

	schemasMu sync.Mutex
	schemas   = map[string]*jsonschema.Schema{} // by JSON pointer into the document
)

// schemaAt compiles (once) the schema at JSON pointer ptr of the
// document, with a JSON Schema 2020-12 validator that asserts formats (a
// "date" must be a date), as a validating client does.
func schemaAt(ptr string) (*jsonschema.Schema, error) {
	validatorOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(docData))
		if err != nil {
			validatorErr = fmt.Errorf("read the document: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020) // the dialect of OpenAPI 3.1
		c.AssertFormat()
		if err := c.AddResource(docURL, doc); err != nil {
			validatorErr = fmt.Errorf("load the document: %w", err)
			return
		}
		compiler = c
	})
	if validatorErr != nil {
		return nil, validatorErr
	}
	schemasMu.Lock()
	defer schemasMu.Unlock()
	if s, ok := schemas[ptr]; ok {
		return s, nil
	}
	s, err := compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compile the schema at %s: %w", ptr, err)
	}
	schemas[ptr] = s
	return s, nil
}

// pointerTo makes a JSON pointer of path segments.
func pointerTo(segs ...string) string {
	r := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, s := range segs {
		b.WriteString("/" + r.Replace(s))
	}
	return b.String()
}

// validateAt validates a JSON text against the schema at ptr.
func validateAt(ptr string, data []byte) error {
	s, err := schemaAt(ptr)
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

// validateExchange validates, with a real JSON Schema validator, what a
// client and the server exchanged for operation op: the response body
// against the schema of its status (the Error schema for an error), and a
// JSON request body that the server accepted against the request schema,
// so that the document never rejects what the server takes.
func validateExchange(op docOp, r apitest.Response) error {
	opPtr := pointerTo("paths", op.Path, strings.ToLower(op.Method))
	if r.Status < 300 && op.HasBody() && r.Sent != "" {
		if err := validateAt(opPtr+pointerTo("requestBody", "content", "application/json", "schema"), []byte(r.Sent)); err != nil {
			return fmt.Errorf("request accepted with status %d: %w", r.Status, err)
		}
	}
	if len(r.Body) == 0 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return nil
	}
	status := strconv.Itoa(r.Status)
	if r.Status >= 400 {
		status = status[:1] + "XX"
	}
	return validateAt(opPtr+pointerTo("responses", status, "content", "application/json", "schema"), r.Body)
}

// The request schemas accept the bodies the server accepts, on a real JSON
// Schema 2020-12 validator: a PATCH that clears a date (null) and one that
// sets it, and a product with and without its optional fields. (Every
// answer of the v1 tests is validated the same way, by env.do.)
func TestOpenAPIAcceptsWhatTheServerAccepts(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	u := e.User(t)
	f := mkFreezerID(t, e, u, "Garage", 4)
	id := mkProductID(t, e, u, productBody(f, 1, "Soupe"))
	for _, body := range []string{
		`{"date_out":"` + apitest.DaysAgo(1) + `"}`,
		`{"date_out":null}`,
		`{"date_in":"` + apitest.DaysAgo(20) + `","name":"Soupe de Noël"}`,
		`{"description":"","barcode":null}`,
	} {
		r := e.Call(t, u.Token, http.MethodPatch, fmt.Sprintf("%s/products/%d", apitest.V1, id), body)
		if r.Status != http.StatusOK {
			t.Errorf("%v: want 200", r)
		}
	}
	// The check itself: a body the schema rejects is reported.
	op, _ := findDocOp(docOps(t, openAPIDoc(t)), http.MethodPatch, fmt.Sprintf("%s/products/%d", apitest.V1, id))
	bad := apitest.Response{Method: http.MethodPatch, Status: http.StatusOK, Sent: `{"date_out":"yesterday"}`}
	if err := validateExchange(op, bad); err == nil {
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
	if err := os.WriteFile(doc, openAPIDocBytes(t), 0o600); err != nil {
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
	for _, op := range docOps(t, openAPIDoc(t)) {
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
