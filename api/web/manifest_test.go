package web_test

import (
	"encoding/json"
	"fmt"
	"image"
	_ "image/png" // the icons
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/freezer-manager/freezer/api/apitest"
)

// TestManifest: the dashboard is installable — a web app manifest with
// its name, start URL, standalone display, 192 and 512 px PNG icons and a
// shortcut to the scan page, linked from the dashboard and the scan page,
// served under a Content-Security-Policy that lets the browser read it.
func TestManifest(t *testing.T) {
	e := apitest.SQLite(t)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := e.Server.Client().Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return resp, body
	}

	resp, body := get("/app/manifest.webmanifest")
	if got := resp.Header.Get("Content-Type"); got != "application/manifest+json" {
		t.Errorf("manifest Content-Type %q, want application/manifest+json", got)
	}
	// manifest-src, when absent, is default-src: it must allow this origin.
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "manifest-src") && !strings.Contains(csp, "manifest-src 'self'") {
		t.Errorf("Content-Security-Policy %q does not allow the manifest", csp)
	}
	var m struct {
		Name      string `json:"name"`
		StartURL  string `json:"start_url"`
		Scope     string `json:"scope"`
		Display   string `json:"display"`
		Icons     []struct{ Src, Sizes, Type, Purpose string }
		Shortcuts []struct{ Name, URL string }
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Name != "Freezer Manager" || m.StartURL != "/app/" || m.Scope != "/app/" || m.Display != "standalone" {
		t.Errorf("manifest name %q, start_url %q, scope %q, display %q", m.Name, m.StartURL, m.Scope, m.Display)
	}
	sizes := map[string]bool{}
	for _, icon := range m.Icons {
		resp, data := get(icon.Src)
		cfg, format, err := image.DecodeConfig(strings.NewReader(string(data)))
		if err != nil || format != "png" || resp.Header.Get("Content-Type") != "image/png" || icon.Type != "image/png" {
			t.Errorf("icon %s: %s, %v (%s)", icon.Src, format, err, resp.Header.Get("Content-Type"))
			continue
		}
		if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != icon.Sizes {
			t.Errorf("icon %s is %s, the manifest says %s", icon.Src, got, icon.Sizes)
		}
		if icon.Purpose == "any" {
			sizes[icon.Sizes] = true
		}
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Errorf("icons %v, want 192x192 and 512x512", sizes)
	}
	scan := false
	for _, s := range m.Shortcuts {
		scan = scan || s.URL == "/app/scan"
	}
	if !scan {
		t.Errorf("shortcuts %+v: none opens /app/scan", m.Shortcuts)
	}
	for _, page := range []string{"/app/", "/app/scan"} {
		if _, html := get(page); !strings.Contains(string(html), `<link rel="manifest" href="/app/manifest.webmanifest">`) {
			t.Errorf("%s does not link the manifest", page)
		}
	}
}
