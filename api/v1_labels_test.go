package api_test

import (
	"bytes"
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
	"sync/atomic"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/db"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// Every identifier of the label tests starts with lbl.

// lblEnv is a store served over HTTP with a label spooler whose directory
// printers write into a temporary directory.
type lblEnv struct {
	store *db.DB
	srv   *httptest.Server
	spool *labels.Spooler
	dir   string // the label directory
}

func newLblEnv(tb testing.TB, dsn string) *lblEnv {
	tb.Helper()
	e := &lblEnv{store: testdb.MustOpen(tb, dsn), dir: tb.TempDir()}
	services := api.NewServices(e.store)
	e.spool = labels.NewSpooler(e.store, e.store, labels.SpoolerConfig{PrinterOptions: labels.PrinterOptions{LabelsDir: e.dir}, Timeout: 5 * time.Second})
	services.Printing = e.spool
	e.srv = httptest.NewServer(api.NewServer(api.Config{Now: func() time.Time { return testdb.Now }}, services, nil).Handler())
	tb.Cleanup(func() { e.srv.Close(); e.spool.Wait() })
	return e
}

func lblDialects(t *testing.T, fn func(t *testing.T, e *lblEnv)) {
	t.Helper()
	testdb.Dialects(t, func(t *testing.T, dsn string) { fn(t, newLblEnv(t, dsn)) })
}

var lblSeq atomic.Int64

// lblUser is a registered user: their household and token.
type lblUser struct {
	household int64
	token     string
	language  string
}

func (e *lblEnv) user(tb testing.TB, lang string) *lblUser {
	tb.Helper()
	r, err := e.store.RegisterUser(freezer.SystemContext(context.Background()), freezer.Registration{
		Email: fmt.Sprintf("labels%d@example.com", lblSeq.Add(1)), Password: "correct horse battery", Language: lang})
	if err != nil {
		tb.Fatal(err)
	}
	return &lblUser{household: r.Household.ID, token: r.Token, language: lang}
}

// lblResp is an answer read in full.
type lblResp struct {
	status int
	header http.Header
	body   []byte
	what   string
}

func (r lblResp) want(tb testing.TB, status int) lblResp {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%s → %d %.300s, want %d", r.what, r.status, r.body, status)
	}
	return r
}

func (r lblResp) decode(tb testing.TB, dst any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, dst); err != nil {
		tb.Fatalf("%s: %v: %s", r.what, err, r.body)
	}
}

// do calls the v1 API as u (nil: no token); body is sent as JSON.
func (e *lblEnv) do(tb testing.TB, u *lblUser, method, path string, body any) lblResp {
	tb.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+"/api/v1"+path, reader)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return lblResp{status: resp.StatusCode, header: resp.Header, body: data, what: method + " " + path}
}

// freezer creates a freezer through the API and returns its id.
func (e *lblEnv) freezer(tb testing.TB, u *lblUser, name string, boxes int) int64 {
	tb.Helper()
	var f freezer.Freezer
	e.do(tb, u, http.MethodPost, "/freezers", map[string]any{"name": name, "number_boxes": boxes}).want(tb, http.StatusCreated).decode(tb, &f)
	return f.ID
}

// product creates a product through the API, with extra fields, and returns it.
func (e *lblEnv) product(tb testing.TB, u *lblUser, freezerID int64, box int, name string, extra ...any) freezer.Product {
	tb.Helper()
	body := map[string]any{"freezer_id": freezerID, "box": box, "name": name, "type_id": 1, "quantity": 3,
		"date_in": "2026-03-01", "period_months": 4}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	var p freezer.Product
	e.do(tb, u, http.MethodPost, "/products", body).want(tb, http.StatusCreated).decode(tb, &p)
	return p
}

func (e *lblEnv) jobs(tb testing.TB, u *lblUser, query string) []freezer.PrintJob {
	tb.Helper()
	var page struct {
		Items      []freezer.PrintJob `json:"items"`
		NextCursor *string            `json:"next_cursor"`
	}
	e.do(tb, u, http.MethodGet, "/print-jobs"+query, nil).want(tb, http.StatusOK).decode(tb, &page)
	return page.Items
}

func lblWantType(tb testing.TB, r lblResp, mediaType string) {
	tb.Helper()
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, mediaType) {
		tb.Errorf("%s: Content-Type %q, want %s", r.what, got, mediaType)
	}
}

func TestV1ProductLabel(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "fr")
		f := e.freezer(t, u, "Congélateur", 4)
		p := e.product(t, u, f, 3, "Crème brûlée à la pistache, façon grand-mère")
		code := freezer.ProductCode(p.ID)
		for _, size := range labels.Sizes() {
			r := e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?size=%s", p.ID, size.Name), nil).want(t, http.StatusOK)
			lblWantType(t, r, "image/png")
			if got := labeltest.MustDecodePNG(t, r.body); got.Text != code || got.Level != "Q" {
				t.Errorf("%s PNG reads %+v, want %s at level Q", size.Name, got, code)
			}
			if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, code+".png") {
				t.Errorf("Content-Disposition %q", cd)
			}
			r = e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?size=%s&lang=en", p.ID, size.Name), nil).want(t, http.StatusOK)
			lblWantType(t, r, "text/plain")
			if zpl := string(r.body); !strings.Contains(zpl, "^FDQA,"+code+"^FS") || !strings.Contains(zpl, "^CI28") || !strings.Contains(zpl, "Crème") ||
				!strings.Contains(zpl, "Use by 2026-07") {
				t.Errorf("%s ZPL:\n%s", size.Name, zpl)
			}
		}
		r := e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.pdf?size=29x90", p.ID), nil).want(t, http.StatusOK)
		lblWantType(t, r, "application/pdf")
		if got := labeltest.DecodePDFPage(t, r.body, 300); got.Text != code {
			t.Errorf("PDF reads %q, want %s", got.Text, code)
		}
		if text := labeltest.PDFText(t, r.body); !strings.Contains(text, "Entré le 2026-03-01") || !strings.Contains(text, "Crème") {
			t.Errorf("the PDF label (user language fr) says:\n%s", text)
		}
		r = e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?dpi=300", p.ID), nil).want(t, http.StatusOK)
		if !strings.Contains(string(r.body), "^PW732\n") {
			t.Errorf("300 dpi ZPL is not 732 dots wide:\n%s", r.body)
		}

		e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?size=A4", p.ID), nil).want(t, http.StatusBadRequest)
		e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.png?lang=de", p.ID), nil).want(t, http.StatusBadRequest)
		e.do(t, u, http.MethodGet, fmt.Sprintf("/products/%d/label.zpl?dpi=150", p.ID), nil).want(t, http.StatusBadRequest)
		e.do(t, nil, http.MethodGet, fmt.Sprintf("/products/%d/label.png", p.ID), nil).want(t, http.StatusUnauthorized)
		other := e.user(t, "en")
		e.do(t, other, http.MethodGet, fmt.Sprintf("/products/%d/label.png", p.ID), nil).want(t, http.StatusNotFound)
		e.do(t, u, http.MethodGet, "/products/999999/label.pdf", nil).want(t, http.StatusNotFound)
	})
}

func TestV1Sheets(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "en")
		f := e.freezer(t, u, "Chest", 7)
		r := e.do(t, u, http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf?cols=2&rows=3&guides=true", f), nil).want(t, http.StatusOK)
		lblWantType(t, r, "application/pdf")
		sheet := labels.Sheet{Cols: 2, Rows: 3, MarginMM: labels.DefaultSheet.MarginMM, Guides: true}
		for i, got := range labeltest.DecodeSheet(t, r.body, sheet, 7) {
			if want := freezer.BoxCode(f, i+1); got.Text != want {
				t.Errorf("box label %d reads %q, want %q", i, got.Text, want)
			}
		}
		r = e.do(t, u, http.MethodGet, "/labels/commands.pdf?lang=fr", nil).want(t, http.StatusOK)
		for i, got := range labeltest.DecodeSheet(t, r.body, labels.CommandSheet, len(labels.Commands)) {
			if want := freezer.CommandCode(labels.Commands[i]); got.Text != want {
				t.Errorf("command card %d reads %q, want %q", i, got.Text, want)
			}
		}
		for _, q := range []string{"cols=0", "rows=99", "cols=x", "margin=-3", "margin=abc", "guides=maybe"} {
			e.do(t, u, http.MethodGet, "/labels/commands.pdf?"+q, nil).want(t, http.StatusBadRequest)
			e.do(t, u, http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf?%s", f, q), nil).want(t, http.StatusBadRequest)
		}
		e.do(t, e.user(t, "en"), http.MethodGet, fmt.Sprintf("/freezers/%d/box-labels.pdf", f), nil).want(t, http.StatusNotFound)
	})
}

func TestV1BlankLabels(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "en")
		f := e.freezer(t, u, "Chest", 2)
		first := e.product(t, u, f, 1, "Before")
		r := e.do(t, u, http.MethodPost, "/labels/blank?count=5", nil).want(t, http.StatusCreated)
		lblWantType(t, r, "application/pdf")
		if got, want := r.header.Get("X-Reserved-Ids"), fmt.Sprintf("%d-%d", first.ID+1, first.ID+5); got != want {
			t.Errorf("X-Reserved-Ids = %q, want %q", got, want)
		}
		results := labeltest.DecodeSheet(t, r.body, labels.DefaultSheet, 5)
		var codes []freezer.Code
		for i, res := range results {
			c := freezer.ParseCode(res.Text)
			if c.Kind != freezer.CodeProduct || c.ProductID != first.ID+1+int64(i) {
				t.Fatalf("blank label %d reads %q", i, res.Text)
			}
			codes = append(codes, c)
		}
		// A product created meanwhile does not take a reserved id.
		if next := e.product(t, u, f, 1, "Meanwhile"); next.ID != first.ID+6 {
			t.Errorf("product created after the reservation has id %d, want %d", next.ID, first.ID+6)
		}
		// The product created with a blank label takes its id.
		claimed := e.product(t, u, f, 2, "Ratatouille", "label_code", strings.ToLower(results[1].Text))
		if claimed.ID != codes[1].ProductID {
			t.Errorf("product created with %s has id %d", results[1].Text, claimed.ID)
		}
		body := map[string]any{"freezer_id": f, "box": 1, "name": "Again", "type_id": 1, "label_code": results[1].Text}
		e.do(t, u, http.MethodPost, "/products", body).want(t, http.StatusConflict)
		for _, bad := range []string{freezer.ProductCode(first.ID), "FZ-B-1-1", "not a code", freezer.ProductCode(codes[4].ProductID + 100)} {
			body["label_code"] = bad
			e.do(t, u, http.MethodPost, "/products", body).want(t, http.StatusBadRequest)
		}
		// Another household can neither reserve here nor claim these labels.
		other := e.user(t, "en")
		e.do(t, other, http.MethodPost, fmt.Sprintf("/labels/blank?household_id=%d", u.household), nil).want(t, http.StatusNotFound)
		of := e.freezer(t, other, "Theirs", 1)
		body = map[string]any{"freezer_id": of, "box": 1, "name": "Theirs", "type_id": 1, "label_code": results[2].Text}
		e.do(t, other, http.MethodPost, "/products", body).want(t, http.StatusBadRequest)

		for _, q := range []string{"count=0", "count=1001", "count=x", "household_id=x"} {
			e.do(t, u, http.MethodPost, "/labels/blank?"+q, nil).want(t, http.StatusBadRequest)
		}
		// Without count: one page.
		r = e.do(t, u, http.MethodPost, fmt.Sprintf("/labels/blank?household_id=%d&cols=2&rows=2", u.household), nil).want(t, http.StatusCreated)
		if got := labeltest.DecodeSheet(t, r.body, labels.Sheet{Cols: 2, Rows: 2, MarginMM: labels.DefaultSheet.MarginMM}, 4); len(got) != 4 {
			t.Errorf("%d labels on a 2 × 2 page", len(got))
		}
	})
}

func TestV1Printer(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "en")
		path := fmt.Sprintf("/households/%d/printer", u.household)
		e.do(t, u, http.MethodGet, path, nil).want(t, http.StatusNotFound)

		r := e.do(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://labels.lan:8013/print", "token": "s3cret", "size": "29x90"}).want(t, http.StatusOK)
		for _, r := range []lblResp{r, e.do(t, u, http.MethodGet, path, nil).want(t, http.StatusOK)} {
			var got map[string]any
			r.decode(t, &got)
			if strings.Contains(string(r.body), "s3cret") || got["has_token"] != true || got["kind"] != "webhook" || got["size"] != "29x90" || got["auto_print"] != true {
				t.Errorf("%s = %s", r.what, r.body)
			}
			if _, ok := got["token"]; ok {
				t.Errorf("%s shows a token key: %s", r.what, r.body)
			}
		}
		token := func() string {
			c, err := e.store.FindPrinter(freezer.SystemContext(context.Background()), u.household)
			if err != nil {
				t.Fatal(err)
			}
			return c.Token
		}
		// Sent back as read, without the token: the token stays.
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://labels.lan:8013/print", "size": "62mm", "auto_print": false}).want(t, http.StatusOK)
		if got := token(); got != "s3cret" {
			t.Errorf("token after an update without one = %q, want it kept", got)
		}
		// Another URL does not inherit the secret.
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": "http://elsewhere.example/print"}).want(t, http.StatusOK)
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
			e.do(t, u, http.MethodPut, path, bad).want(t, http.StatusBadRequest)
		}
		other := e.user(t, "en")
		e.do(t, other, http.MethodGet, path, nil).want(t, http.StatusNotFound)
		e.do(t, other, http.MethodPut, path, map[string]any{"kind": "cups", "target": "ql"}).want(t, http.StatusNotFound)
		e.do(t, other, http.MethodDelete, path, nil).want(t, http.StatusNotFound)
		e.do(t, u, http.MethodDelete, path, nil).want(t, http.StatusNoContent)
		e.do(t, u, http.MethodGet, path, nil).want(t, http.StatusNotFound)
	})
}

// lblListen accepts one connection at a time and hands over what each sent.
func lblListen(t *testing.T) (string, <-chan string) {
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

// TestV1AutoPrint: a product created through the API prints on its
// household's printer; a print failure does not fail the creation, is
// listed, and can be retried.
func TestV1AutoPrint(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "fr")
		path := fmt.Sprintf("/households/%d/printer", u.household)
		f := e.freezer(t, u, "Cave", 2)

		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "directory", "target": "cuisine", "size": "50x25"}).want(t, http.StatusOK)
		p := e.product(t, u, f, 1, "Gâteau basque")
		e.spool.Wait()
		jobs := e.jobs(t, u, "")
		if len(jobs) != 1 || jobs[0].Status != freezer.PrintDone || jobs[0].ProductID == nil || *jobs[0].ProductID != p.ID ||
			jobs[0].Code != freezer.ProductCode(p.ID) || jobs[0].Printer != "directory" || jobs[0].Attempts != 1 {
			t.Fatalf("jobs after an auto-print = %+v", jobs)
		}
		file := filepath.Join(e.dir, fmt.Sprintf("household-%d", u.household), "cuisine", fmt.Sprintf("%s-%d.png", jobs[0].Code, jobs[0].ID))
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
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "tcp", "target": dead}).want(t, http.StatusOK)
		q := e.product(t, u, f, 2, "Piperade")
		e.spool.Wait()
		failed := e.jobs(t, u, "?status=failed")
		if len(failed) != 1 || *failed[0].ProductID != q.ID || !strings.Contains(failed[0].Error, "connect") {
			t.Fatalf("failed jobs = %+v", failed)
		}
		if all := e.jobs(t, u, "?limit=1"); len(all) != 1 || all[0].ID != failed[0].ID {
			t.Errorf("newest job = %+v", all)
		}
		if other := e.jobs(t, e.user(t, "en"), ""); len(other) != 0 {
			t.Errorf("another household sees %d jobs", len(other))
		}

		// The printer is back, at another address: retry.
		live, got := lblListen(t)
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "tcp", "target": live, "auto_print": false}).want(t, http.StatusOK)
		var j freezer.PrintJob
		e.do(t, u, http.MethodPost, fmt.Sprintf("/print-jobs/%d/retry", failed[0].ID), nil).want(t, http.StatusOK).decode(t, &j)
		if j.Status != freezer.PrintDone || j.Attempts != 2 || j.Error != "" {
			t.Errorf("retried job = %+v", j)
		}
		if zpl := <-got; !strings.Contains(zpl, "^FDQA,"+freezer.ProductCode(q.ID)+"^FS") || !strings.Contains(zpl, "Piperade") {
			t.Errorf("the printer received:\n%s", zpl)
		}
		// auto_print off: nothing more is printed.
		e.product(t, u, f, 2, "Sans étiquette")
		e.spool.Wait()
		if all := e.jobs(t, u, ""); len(all) != 2 {
			t.Errorf("%d jobs with auto-print off, want still 2", len(all))
		}
		e.do(t, u, http.MethodPost, "/print-jobs/999999/retry", nil).want(t, http.StatusNotFound)
		e.do(t, u, http.MethodGet, "/print-jobs?status=lost", nil).want(t, http.StatusBadRequest)
	})
}

// TestV1PrintProduct prints on demand to a webhook and to CUPS.
func TestV1PrintProduct(t *testing.T) {
	lblDialects(t, func(t *testing.T, e *lblEnv) {
		u := e.user(t, "en")
		path := fmt.Sprintf("/households/%d/printer", u.household)
		f := e.freezer(t, u, "Upright", 3)
		p := e.product(t, u, f, 3, "Soupe à l'oignon")
		e.do(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).want(t, http.StatusConflict)

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
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "webhook", "target": hook.URL, "token": "brother", "auto_print": false}).want(t, http.StatusOK)
		var j freezer.PrintJob
		e.do(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).want(t, http.StatusCreated).decode(t, &j)
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
		e.do(t, u, http.MethodPut, path, map[string]any{"kind": "cups", "target": "QL-820NWB", "size": "62mm"}).want(t, http.StatusOK)
		e.do(t, u, http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).want(t, http.StatusCreated).decode(t, &j)
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
		e.do(t, e.user(t, "en"), http.MethodPost, fmt.Sprintf("/products/%d/print", p.ID), nil).want(t, http.StatusNotFound)
	})
}

// TestV1LabelRoutesDocumented: the OpenAPI document gives the documents'
// media types instead of JSON.
func TestV1LabelRoutesDocumented(t *testing.T) {
	e := newLblEnv(t, testdb.SQLiteDSN(t))
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	e.do(t, nil, http.MethodGet, "/openapi.json", nil).want(t, http.StatusOK).decode(t, &doc)
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
