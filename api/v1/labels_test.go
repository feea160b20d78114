package v1_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// labelsEnv is a served store whose label spooler's directory printers
// write into a temporary directory.
type labelsEnv struct {
	*apitest.Env
	spool *labels.Spooler
	dir   string // the label directory
}

func newLabelsEnv(tb testing.TB, dsn string) *labelsEnv {
	tb.Helper()
	e := &labelsEnv{dir: tb.TempDir()}
	e.Env = newEnv(tb, dsn, apitest.Services(func(services *api.Services, store *db.DB) {
		e.spool = labels.NewSpooler(store, store, labels.SpoolerConfig{PrinterOptions: labels.PrinterOptions{LabelsDir: e.dir}, Timeout: 5 * time.Second})
		services.Printing = e.spool
	}))
	tb.Cleanup(e.spool.Wait)
	return e
}

func labelsDialects(t *testing.T, fn func(t *testing.T, e *labelsEnv)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) { fn(t, newLabelsEnv(t, dsn)) })
}

// labelFreezer creates a freezer through the API and returns its id.
func labelFreezer(tb testing.TB, e *labelsEnv, u *apitest.User, name string, boxes int) int64 {
	tb.Helper()
	var f freezer.Freezer
	e.Post(tb, u, "/freezers", map[string]any{"name": name, "number_boxes": boxes}).WantStatus(tb, http.StatusCreated).Unmarshal(tb, &f)
	return f.ID
}

// labelProduct creates a product through the API, with extra fields, and returns it.
func labelProduct(tb testing.TB, e *labelsEnv, u *apitest.User, freezerID int64, box int, name string, extra ...any) freezer.Product {
	tb.Helper()
	body := map[string]any{"freezer_id": freezerID, "box": box, "name": name, "type_id": 1, "quantity": 3,
		"date_in": "2026-03-01", "period_months": 4}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	var p freezer.Product
	e.Post(tb, u, "/products", body).WantStatus(tb, http.StatusCreated).Unmarshal(tb, &p)
	return p
}

// printJobs lists the print jobs of GET /print-jobs?query.
func printJobs(tb testing.TB, e *labelsEnv, u *apitest.User, query string) []freezer.PrintJob {
	tb.Helper()
	var page listPage[freezer.PrintJob]
	e.Get(tb, u, "/print-jobs"+query).WantStatus(tb, http.StatusOK).Unmarshal(tb, &page)
	return page.Items
}

// wantType fails the test unless the answer's Content-Type starts with mediaType.
func wantType(tb testing.TB, r apitest.Response, mediaType string) {
	tb.Helper()
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, mediaType) {
		tb.Errorf("%v: Content-Type %q, want %s", r, got, mediaType)
	}
}

func TestProductLabel(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "fr"})
		f := labelFreezer(t, e, u, "Congélateur", 4)
		p := labelProduct(t, e, u, f, 3, "Crème brûlée à la pistache, façon grand-mère")
		code := freezer.ProductCode(p.ID)
		for _, size := range labels.Sizes() {
			r := e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?size=%s", p.ID, size.Name), nil).WantStatus(t, http.StatusOK)
			wantType(t, r, "image/png")
			if got := labeltest.MustDecodePNG(t, r.Body); got.Text != code || got.Level != "Q" {
				t.Errorf("%s PNG reads %+v, want %s at level Q", size.Name, got, code)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, code+".png") {
				t.Errorf("Content-Disposition %q", cd)
			}
			r = e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?size=%s&lang=en", p.ID, size.Name), nil).WantStatus(t, http.StatusOK)
			wantType(t, r, "text/plain")
			if zpl := string(r.Body); !strings.Contains(zpl, "^FDQA,"+code+"^FS") || !strings.Contains(zpl, "^CI28") || !strings.Contains(zpl, "Crème") ||
				!strings.Contains(zpl, "Use by 2026-07") {
				t.Errorf("%s ZPL:\n%s", size.Name, zpl)
			}
		}
		r := e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.pdf?size=29x90", p.ID), nil).WantStatus(t, http.StatusOK)
		wantType(t, r, "application/pdf")
		if got := labeltest.DecodePDFPage(t, r.Body, 300); got.Text != code {
			t.Errorf("PDF reads %q, want %s", got.Text, code)
		}
		if text := labeltest.PDFText(t, r.Body); !strings.Contains(text, "Entré le 2026-03-01") || !strings.Contains(text, "Crème") {
			t.Errorf("the PDF label (user language fr) says:\n%s", text)
		}
		r = e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?dpi=300", p.ID), nil).WantStatus(t, http.StatusOK)
		if !strings.Contains(string(r.Body), "^PW732\n") {
			t.Errorf("300 dpi ZPL is not 732 dots wide:\n%s", r.Body)
		}

		e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?size=A4", p.ID), nil).WantStatus(t, http.StatusBadRequest)
		e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?lang=de", p.ID), nil).WantStatus(t, http.StatusBadRequest)
		e.Request(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?dpi=150", p.ID), nil).WantStatus(t, http.StatusBadRequest)
		e.Request(t, nil, http.MethodGet, fmt.Sprintf("/products/%d/label.png", p.ID), nil).WantStatus(t, http.StatusUnauthorized)
		other := e.Register(t, freezer.Registration{Language: "en"})
		e.Request(t, other, http.MethodGet, fmt.Sprintf("/products/%d/label.png", p.ID), nil).WantStatus(t, http.StatusNotFound)
		e.Request(t, u, http.MethodGet, "/products/999999/label.pdf", nil).WantStatus(t, http.StatusNotFound)
	})
}

func TestSheets(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "en"})
		f := labelFreezer(t, e, u, "Chest", 7)
		r := e.Request(t, u, http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf?cols=2&rows=3&guides=true", f), nil).WantStatus(t, http.StatusOK)
		wantType(t, r, "application/pdf")
		sheet := labels.Sheet{Cols: 2, Rows: 3, MarginMM: labels.DefaultSheet.MarginMM, Guides: true}
		for i, got := range labeltest.DecodeSheet(t, r.Body, sheet, 7) {
			if want := freezer.BoxCode(f, i+1); got.Text != want {
				t.Errorf("box label %d reads %q, want %q", i, got.Text, want)
			}
		}
		r = e.Request(t, u, http.MethodGet, "/labels/commands.pdf?lang=fr", nil).WantStatus(t, http.StatusOK)
		for i, got := range labeltest.DecodeSheet(t, r.Body, labels.CommandSheet, len(labels.Commands)) {
			if want := freezer.CommandCode(labels.Commands[i]); got.Text != want {
				t.Errorf("command card %d reads %q, want %q", i, got.Text, want)
			}
		}
		for _, q := range []string{"cols=0", "rows=99", "cols=x", "margin=-3", "margin=abc", "guides=maybe"} {
			e.Request(t, u, http.MethodGet, "/labels/commands.pdf?"+q, nil).WantStatus(t, http.StatusBadRequest)
			e.Request(t, u, http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf?%s", f, q), nil).WantStatus(t, http.StatusBadRequest)
		}
		e.Request(t, e.Register(t, freezer.Registration{Language: "en"}), http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf", f), nil).WantStatus(t, http.StatusNotFound)
	})
}

func TestBlankLabels(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "en"})
		f := labelFreezer(t, e, u, "Chest", 2)
		first := labelProduct(t, e, u, f, 1, "Before")
		r := e.Request(t, u, http.MethodPost, "/labels/blank?count=5", nil).WantStatus(t, http.StatusCreated)
		wantType(t, r, "application/pdf")
		if got, want := r.Header.Get("X-Reserved-Ids"), fmt.Sprintf("%d-%d", first.ID+1, first.ID+5); got != want {
			t.Errorf("X-Reserved-Ids = %q, want %q", got, want)
		}
		results := labeltest.DecodeSheet(t, r.Body, labels.DefaultSheet, 5)
		var codes []freezer.Code
		for i, res := range results {
			c := freezer.ParseCode(res.Text)
			if c.Kind != freezer.CodeProduct || c.ProductID != first.ID+1+int64(i) {
				t.Fatalf("blank label %d reads %q", i, res.Text)
			}
			codes = append(codes, c)
		}
		// A product created meanwhile does not take a reserved id.
		if next := labelProduct(t, e, u, f, 1, "Meanwhile"); next.ID != first.ID+6 {
			t.Errorf("product created after the reservation has id %d, want %d", next.ID, first.ID+6)
		}
		// The product created with a blank label takes its id.
		claimed := labelProduct(t, e, u, f, 2, "Ratatouille", "label_code", strings.ToLower(results[1].Text))
		if claimed.ID != codes[1].ProductID {
			t.Errorf("product created with %s has id %d", results[1].Text, claimed.ID)
		}
		body := map[string]any{"freezer_id": f, "box": 1, "name": "Again", "type_id": 1, "label_code": results[1].Text}
		e.Request(t, u, http.MethodPost, "/products", body).WantStatus(t, http.StatusConflict)
		for _, bad := range []string{freezer.ProductCode(first.ID), "FZ-B-1-1", "not a code", freezer.ProductCode(codes[4].ProductID + 100)} {
			body["label_code"] = bad
			e.Request(t, u, http.MethodPost, "/products", body).WantStatus(t, http.StatusBadRequest)
		}
		// Another household can neither reserve here nor claim these labels.
		other := e.Register(t, freezer.Registration{Language: "en"})
		e.Request(t, other, http.MethodPost, fmt.Sprintf("/labels/blank?household_id=%d", u.Household), nil).WantStatus(t, http.StatusNotFound)
		of := labelFreezer(t, e, other, "Theirs", 1)
		body = map[string]any{"freezer_id": of, "box": 1, "name": "Theirs", "type_id": 1, "label_code": results[2].Text}
		e.Request(t, other, http.MethodPost, "/products", body).WantStatus(t, http.StatusBadRequest)

		for _, q := range []string{"count=0", "count=1001", "count=x", "household_id=x"} {
			e.Request(t, u, http.MethodPost, "/labels/blank?"+q, nil).WantStatus(t, http.StatusBadRequest)
		}
		// Without count: one page.
		r = e.Request(t, u, http.MethodPost, fmt.Sprintf("/labels/blank?household_id=%d&cols=2&rows=2", u.Household), nil).WantStatus(t, http.StatusCreated)
		if got := labeltest.DecodeSheet(t, r.Body, labels.Sheet{Cols: 2, Rows: 2, MarginMM: labels.DefaultSheet.MarginMM}, 4); len(got) != 4 {
			t.Errorf("%d labels on a 2 × 2 page", len(got))
		}
	})
}

func TestPrinter(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "en"})
		path := fmt.Sprintf("/households/%d/printer", u.Household)
		e.Request(t, u, http.MethodGet, path, nil).WantStatus(t, http.StatusNotFound)

		r := e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://labels.lan:8013/print", "token": "s3cret", "size": "29x90"}).WantStatus(t, http.StatusOK)
		for _, r := range []apitest.Response{r, e.Request(t, u, http.MethodGet, path, nil).WantStatus(t, http.StatusOK)} {
			var got map[string]any
			r.Unmarshal(t, &got)
			if strings.Contains(string(r.Body), "s3cret") || got["has_token"] != true || got["kind"] != "webhook" || got["size"] != "29x90" || got["auto_print"] != true {
				t.Errorf("%s = %s", r.Method+" "+r.Path, r.Body)
			}
			if _, ok := got["token"]; ok {
				t.Errorf("%s shows a token key: %s", r.Method+" "+r.Path, r.Body)
			}
		}
		token := func() string {
			c, err := e.Store.FindPrinter(freezer.SystemContext(context.Background()), u.Household)
			if err != nil {
				t.Fatal(err)
			}
			return c.Token
		}
		// Sent back as read, without the token: the token stays.
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://labels.lan:8013/print", "size": "62mm", "auto_print": false}).WantStatus(t, http.StatusOK)
		if got := token(); got != "s3cret" {
			t.Errorf("token after an update without one = %q, want it kept", got)
		}
		// Another URL does not inherit the secret.
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://elsewhere.example/print"}).WantStatus(t, http.StatusOK)
		if got := token(); got != "" {
			t.Errorf("token after a URL change = %q, want none", got)
		}
		for _, bad := range []map[string]any{
			{"kind": "directory", "target": "../../etc"},
			{"kind": "cups", "target": "-oevil"},
			{"kind": "tcp", "target": "host:0"},
			{"kind": "webhook", "target": "file:///etc/passwd"},
			{"kind": "laser"},
			{"kind": "cups", "target": "ql", "size": "A4"},
			{"kind": "cups", "target": "ql", "unknown": 1},
		} {
			e.Request(t, u, http.MethodPut, path, bad).WantStatus(t, http.StatusBadRequest)
		}
		other := e.Register(t, freezer.Registration{Language: "en"})
		e.Request(t, other, http.MethodGet, path, nil).WantStatus(t, http.StatusNotFound)
		e.Request(t, other, http.MethodPut, path, map[string]any{"kind": "cups", "target": "ql"}).WantStatus(t, http.StatusNotFound)
		e.Request(t, other, http.MethodDelete, path, nil).WantStatus(t, http.StatusNotFound)
		e.Request(t, u, http.MethodDelete, path, nil).WantStatus(t, http.StatusNoContent)
		e.Request(t, u, http.MethodGet, path, nil).WantStatus(t, http.StatusNotFound)
	})
}

// listen accepts one connection at a time and hands over what each sent.
func listen(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			data, _ := io.ReadAll(conn)
			conn.Close()
			got <- string(data)
		}
	}()
	return ln.Addr().String(), got
}

// TestAutoPrint: a product created through the API prints on its
// household's printer; a print failure does not fail the creation, is
// listed, and can be retried.
func TestAutoPrint(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "fr"})
		path := fmt.Sprintf("/households/%d/printer", u.Household)
		f := labelFreezer(t, e, u, "Cave", 2)

		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "directory", "target": "cuisine", "size": "50x25"}).WantStatus(t, http.StatusOK)
		p := labelProduct(t, e, u, f, 1, "Gâteau basque")
		e.spool.Wait()
		jobs := printJobs(t, e, u, "")
		if len(jobs) != 1 || jobs[0].Status != freezer.PrintDone || jobs[0].ProductID == nil || *jobs[0].ProductID != p.ID ||
			jobs[0].Code != freezer.ProductCode(p.ID) || jobs[0].Printer != "directory" || jobs[0].Attempts != 1 {
			t.Fatalf("jobs after an auto-print = %+v", jobs)
		}
		file := filepath.Join(e.dir, fmt.Sprintf("household-%d", u.Household), "cuisine", fmt.Sprintf("%s-%d.png", jobs[0].Code, jobs[0].ID))
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got := labeltest.MustDecodePNG(t, data); got.Text != freezer.ProductCode(p.ID) {
			t.Errorf("the printed label reads %q", got.Text)
		}

		// The ZPL printer is off: the product is created all the same.
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := ln.Addr().String()
		ln.Close()
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "tcp", "target": dead}).WantStatus(t, http.StatusOK)
		q := labelProduct(t, e, u, f, 2, "Piperade")
		e.spool.Wait()
		failed := printJobs(t, e, u, "?status=failed")
		if len(failed) != 1 || *failed[0].ProductID != q.ID || !strings.Contains(failed[0].Error, "connect") {
			t.Fatalf("failed jobs = %+v", failed)
		}
		if all := printJobs(t, e, u, "?limit=1"); len(all) != 1 || all[0].ID != failed[0].ID {
			t.Errorf("newest job = %+v", all)
		}
		if other := printJobs(t, e, e.Register(t, freezer.Registration{Language: "en"}), ""); len(other) != 0 {
			t.Errorf("another household sees %d jobs", len(other))
		}

		// The printer is back, at another address: retry.
		live, got := listen(t)
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "tcp", "target": live, "auto_print": false}).WantStatus(t, http.StatusOK)
		var j freezer.PrintJob
		e.Request(t, u, http.MethodPost, fmt.Sprintf("/print-jobs/%d/retry", failed[0].ID), nil).WantStatus(t, http.StatusOK).Unmarshal(t, &j)
		if j.Status != freezer.PrintDone || j.Attempts != 2 || j.Error != "" {
			t.Errorf("retried job = %+v", j)
		}
		if zpl := <-got; !strings.Contains(zpl, "^FDQA,"+freezer.ProductCode(q.ID)+"^FS") || !strings.Contains(zpl, "Piperade") {
			t.Errorf("the printer received:\n%s", zpl)
		}
		// auto_print off: nothing more is printed.
		labelProduct(t, e, u, f, 2, "Sans étiquette")
		e.spool.Wait()
		if all := printJobs(t, e, u, ""); len(all) != 2 {
			t.Errorf("%d jobs with auto-print off, want still 2", len(all))
		}
		e.Request(t, u, http.MethodPost, "/print-jobs/999999/retry", nil).WantStatus(t, http.StatusNotFound)
		e.Request(t, u, http.MethodGet, "/print-jobs?status=lost", nil).WantStatus(t, http.StatusBadRequest)
	})
}

// TestPrintProduct prints on demand to a webhook and to CUPS.
func TestPrintProduct(t *testing.T) {
	labelsDialects(t, func(t *testing.T, e *labelsEnv) {
		u := e.Register(t, freezer.Registration{Language: "en"})
		path := fmt.Sprintf("/households/%d/printer", u.Household)
		f := labelFreezer(t, e, u, "Upright", 3)
		p := labelProduct(t, e, u, f, 3, "Soupe à l'oignon")
		e.Request(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).WantStatus(t, http.StatusConflict)

		var mu sync.Mutex
		var posted labels.WebhookPayload
		var auth string
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			auth = r.Header.Get("Authorization")
			_ = json.NewDecoder(r.Body).Decode(&posted)
		}))
		defer hook.Close()
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": hook.URL, "token": "brother", "auto_print": false}).WantStatus(t, http.StatusOK)
		var j freezer.PrintJob
		e.Request(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).WantStatus(t, http.StatusCreated).Unmarshal(t, &j)
		if j.Status != freezer.PrintDone || j.Printer != "webhook" {
			t.Errorf("job = %+v", j)
		}
		mu.Lock()
		png, _ := base64.StdEncoding.DecodeString(posted.PNG)
		if auth != "Bearer brother" || posted.Name != "Soupe à l'oignon" || posted.Location != "F"+fmt.Sprint(f)+" · B3 · S1" || posted.UseByMonth != "2026-07" {
			t.Errorf("webhook got auth %q and %+v", auth, posted)
		}
		mu.Unlock()
		if got := labeltest.MustDecodePNG(t, png); got.Text != freezer.ProductCode(p.ID) {
			t.Errorf("the posted PNG reads %q", got.Text)
		}

		dir := t.TempDir()
		script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + dir + "/args'\ncat > '" + dir + "/job.pdf'\n"
		if err := os.WriteFile(filepath.Join(dir, "lp"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		e.Request(t, u, http.MethodPut, path, map[string]any{"kind": "cups", "target": "QL-820NWB", "size": "62mm"}).WantStatus(t, http.StatusOK)
		e.Request(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).WantStatus(t, http.StatusCreated).Unmarshal(t, &j)
		if j.Status != freezer.PrintDone || j.Printer != "cups" {
			t.Errorf("CUPS job = %+v", j)
		}
		args, _ := os.ReadFile(filepath.Join(dir, "args"))
		if !strings.HasPrefix(string(args), "-d\nQL-820NWB\n") {
			t.Errorf("lp arguments:\n%s", args)
		}
		pdf, err := os.ReadFile(filepath.Join(dir, "job.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		if got := labeltest.DecodePDFPage(t, pdf, 300); got.Text != freezer.ProductCode(p.ID) {
			t.Errorf("the CUPS job reads %q", got.Text)
		}
		e.Request(t, e.Register(t, freezer.Registration{Language: "en"}), http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).WantStatus(t, http.StatusNotFound)
	})
}

// TestLabelRoutesDocumented: the OpenAPI document gives the documents'
// media types instead of JSON.
func TestLabelRoutesDocumented(t *testing.T) {
	e := newLabelsEnv(t, testdb.SQLiteDSN(t))
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	e.Request(t, nil, http.MethodGet, "/openapi.json", nil).WantStatus(t, http.StatusOK).Unmarshal(t, &doc)
	for path, want := range map[string][2]string{
		"/products/{id}/label.png":        {"get", "image/png"},
		"/products/{id}/label.pdf":        {"get", "application/pdf"},
		"/products/{id}/label.zpl":        {"get", "text/plain"},
		"/freezers/{id}/box-labels.pdf":   {"get", "application/pdf"},
		"/labels/commands.pdf":            {"get", "application/pdf"},
		"/labels/blank":                   {"post", "application/pdf"},
		"/households/{id}/printer":        {"put", "application/json"},
		"/print-jobs":                     {"get", "application/json"},
		"/print-jobs/{id}/retry":          {"post", "application/json"},
		"/products/{id}/print":            {"post", "application/json"},
		"/households/{id}/printer#delete": {"delete", ""},
	} {
		path, _, _ = strings.Cut(path, "#")
		op, ok := doc.Paths[path][want[0]]
		if !ok {
			t.Errorf("%s %s is not documented", want[0], path)
			continue
		}
		found := want[1] == ""
		for _, resp := range op.Responses {
			if _, ok := resp.Content[want[1]]; ok {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: no %s response documented: %+v", want[0], path, want[1], op.Responses)
		}
	}
}
