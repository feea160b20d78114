package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// sendJSON sends body as JSON to url with a bearer token and returns the
// status and the JSON object answered (nil when the answer is not one).
func sendJSON(t *testing.T, token, method, url string, body any) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	_ = json.Unmarshal(b, &obj)
	return resp.StatusCode, obj
}

// callJSON is sendJSON that fails the test unless the status is 2xx.
func callJSON(t *testing.T, token, method, url string, body any) map[string]any {
	t.Helper()
	status, obj := sendJSON(t, token, method, url, body)
	if status < 200 || status > 299 {
		t.Fatalf("%s %s: %d %v", method, url, status, obj)
	}
	return obj
}
