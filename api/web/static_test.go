package web_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/freezer-manager/freezer/api/apitest"
)

// TestStaticPathTraversal: the dashboard's embedded files cannot be used to
// read anything else, whatever the request line says.
func TestStaticPathTraversal(t *testing.T) {
	e := apitest.SQLite(t)
	addr := strings.TrimPrefix(e.URL, "http://")
	get := func(path string) (int, string) {
		t.Helper()
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		// Written raw, so that no client cleans the path on the way.
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/app/index.html"); code != http.StatusOK && code != http.StatusMovedPermanently || code == http.StatusOK && !strings.Contains(body, "<html") {
		t.Fatalf("GET /app/index.html = %d", code)
	}
	for _, path := range []string{
		"/app/../../../../etc/passwd", "/app/..%2f..%2f..%2f..%2fetc%2fpasswd", "/app/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
		"/app/../web.go", "/app/../../web.go", "/app/..%2fweb.go", "/app/..%2f..%2fweb.go", "/app/../../go.mod", "/app/....//....//etc/passwd", "/app/%252e%252e/go.mod",
	} {
		code, body := get(path)
		if strings.Contains(body, "root:") || strings.Contains(body, "package web") || strings.Contains(body, "module github.com") {
			t.Errorf("GET %s = %d and served a file outside the dashboard", path, code)
		}
		if code == http.StatusOK && !strings.Contains(body, "<html") {
			t.Errorf("GET %s = 200 with %q", path, body[:min(len(body), 80)])
		}
	}
}
