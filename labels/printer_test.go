package labels_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/freezer-manager/freezer/internal/netguard"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/labels"
)

func productJob(t *testing.T, sizeName string) labels.Job {
	t.Helper()
	size, err := labels.SizeOf(sizeName)
	if err != nil {
		t.Fatal(err)
	}
	return labels.Job{Name: "FZ-I-000123-1", Label: labels.ProductLabel(frenchProduct, "fr"), Size: size, DPI: 203, Product: frenchProduct}
}

func TestDirectoryPrinter(t *testing.T) {
	root := t.TempDir()
	p, err := labels.NewPrinter(&freezer.PrinterConfig{HouseholdID: 7, Kind: freezer.PrinterDirectory, Target: "kitchen/labels"},
		labels.PrinterOptions{LabelsDir: root})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize29x90)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "household-7", "kitchen", "labels", "FZ-I-000123-1.png")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := labeltest.MustDecodePNG(t, data); r.Text != "FZ-I-000123" {
		t.Errorf("the printed file reads %q", r.Text)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the label (no temporary file left)", len(entries))
	}

	if _, err := labels.NewPrinter(&freezer.PrinterConfig{HouseholdID: 7, Kind: freezer.PrinterDirectory, Target: "x"}, labels.PrinterOptions{}); err == nil {
		t.Error("a directory printer without a label directory was accepted")
	}
}

// standInLP writes an lp command into a temporary directory put first on
// PATH: it records its arguments and the document it was given.
func standInLP(t *testing.T, exitCode int) (args, doc string) {
	t.Helper()
	dir := t.TempDir()
	args, doc = filepath.Join(dir, "args"), filepath.Join(dir, "doc")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + args + "'\ncat > '" + doc + "'\n"
	if exitCode != 0 {
		script += "echo 'lp: The printer or class does not exist.' >&2\nexit 1\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "lp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return args, doc
}

func TestCUPSPrinter(t *testing.T) {
	args, doc := standInLP(t, 0)
	p, err := labels.NewPrinter(&freezer.PrinterConfig{Kind: freezer.PrinterCUPS, Target: "Brother_QL-800"}, labels.PrinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize62mm)); err != nil {
		t.Fatal(err)
	}
	gotArgs, _ := os.ReadFile(args)
	if got, want := strings.Fields(string(gotArgs)), []string{"-d", "Brother_QL-800", "-t", "FZ-I-000123-1"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("lp arguments = %q, want %q", got, want)
	}
	pdf, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if r := labeltest.DecodePDFPage(t, pdf, 300); r.Text != "FZ-I-000123" {
		t.Errorf("the CUPS job reads %q", r.Text)
	}

	standInLP(t, 1)
	err = p.Print(context.Background(), productJob(t, freezer.LabelSize62mm))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("failing lp: err = %v, want lp's message", err)
	}
}

// listenZPL accepts one connection and returns what it received.
func listenZPL(t *testing.T) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			ch <- ""
			return
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		data, _ := io.ReadAll(conn)
		ch <- string(data)
	}()
	return ln.Addr().String(), ch
}

func TestTCPPrinter(t *testing.T) {
	addr, got := listenZPL(t)
	p, err := labels.NewPrinter(&freezer.PrinterConfig{Kind: freezer.PrinterTCP, Target: addr}, labels.PrinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize50x25)); err != nil {
		t.Fatal(err)
	}
	zpl := <-got
	for _, want := range []string{"^XA", "^CI28", "^BQN,2,", "^FDQA,FZ-I-000123^FS", "Blanquette de", "^XZ"} {
		if !strings.Contains(zpl, want) {
			t.Errorf("the printer received no %q:\n%s", want, zpl)
		}
	}

	// Nobody listens: the error says so, within the context's time.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := (labels.TCPPrinter{Addr: closed}).Print(ctx, productJob(t, freezer.LabelSize50x25)); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("closed port: err = %v", err)
	}
}

func TestWebhookPrinter(t *testing.T) {
	var mu sync.Mutex
	var auth string
	var payload labels.WebhookPayload
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth = r.Header.Get("Authorization")
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&payload); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, `{"error":"printer offline"}`)
	}))
	defer srv.Close()
	p, err := labels.NewPrinter(&freezer.PrinterConfig{Kind: freezer.PrinterWebhook, Target: srv.URL + "/print", Token: "s3cret"}, labels.PrinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize62mm)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if auth != "Bearer s3cret" {
		t.Errorf("Authorization = %q", auth)
	}
	want := labels.WebhookPayload{Code: "FZ-I-000123", Name: frenchProduct.Name, Location: "F2 · B3 · S7", FreezerID: 2, Box: 3, Slot: 7,
		DateIn: "2026-03-15", UseBy: "2026-06-15", UseByMonth: "2026-06", Quantity: 4, ProductID: 123, Size: "62mm",
		WidthMM: 62, HeightMM: 29, Width: 696, Height: 342, DPI: 300}
	got := payload
	got.PNG = ""
	if got != want {
		t.Errorf("payload = %+v\nwant      %+v", got, want)
	}
	png, err := base64.StdEncoding.DecodeString(payload.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if r := labeltest.MustDecodePNG(t, png); r.Text != "FZ-I-000123" {
		t.Errorf("the posted PNG reads %q", r.Text)
	}
	status = http.StatusServiceUnavailable
	mu.Unlock()
	// The household reads this error: the status, never the remote answer.
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize62mm)); err == nil || !strings.Contains(err.Error(), "503") ||
		strings.Contains(err.Error(), "printer offline") {
		t.Errorf("503: err = %v, want the status without the answer", err)
	}
}

// A household may not point a printer at the server's own network: the
// guard refuses loopback (and private) targets when connecting, for raw
// TCP printers and webhooks alike, and a webhook's redirect is not followed.
func TestPrintersRefusePrivateTargets(t *testing.T) {
	reached := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.URL.Path
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/internal", http.StatusFound)
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	guard := &netguard.Guard{}
	for _, c := range []*freezer.PrinterConfig{
		{Kind: freezer.PrinterWebhook, Target: srv.URL + "/print"},
		{Kind: freezer.PrinterWebhook, Target: "http://localhost:" + port + "/print"},
		{Kind: freezer.PrinterTCP, Target: ln.Addr().String()},
		{Kind: freezer.PrinterTCP, Target: "127.0.0.1:1"}, // closed: refused alike, no port scan
	} {
		p, err := labels.NewPrinter(c, labels.PrinterOptions{Guard: guard})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Print(context.Background(), productJob(t, freezer.LabelSize62mm))
		var refused *netguard.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "--allow") {
			t.Errorf("%s %s: err = %v, want refused with how to allow it", c.Kind, c.Target, err)
		}
	}
	select {
	case path := <-reached:
		t.Fatalf("the webhook server was reached at %s", path)
	default:
	}
	// Allowed by the operator: printed, and the redirect is not followed.
	allowed := labels.PrinterOptions{Guard: &netguard.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}
	p, err := labels.NewPrinter(&freezer.PrinterConfig{Kind: freezer.PrinterWebhook, Target: srv.URL + "/redirect"}, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), productJob(t, freezer.LabelSize62mm)); err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("redirect: err = %v, want the 302 as a failure", err)
	}
	if got := <-reached; got != "/redirect" {
		t.Errorf("reached %s", got)
	}
	select {
	case path := <-reached:
		t.Errorf("the redirect was followed to %s", path)
	default:
	}
}
