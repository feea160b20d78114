package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/db"
)

// send sends body (when not nil) as JSON to url with a bearer token and
// returns the status and the body answered.
func send(t *testing.T, token, method, url string, body any) (int, []byte) {
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
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// sendJSON is send returning the JSON object answered (nil when the answer is not one).
func sendJSON(t *testing.T, token, method, url string, body any) (int, map[string]any) {
	t.Helper()
	status, b := send(t, token, method, url, body)
	var obj map[string]any
	_ = json.Unmarshal(b, &obj)
	return status, obj
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

// mustHousehold registers a user and gives the new household a freezer.
func mustHousehold(t *testing.T, store *db.DB, reg freezer.Registration, freezerName string, boxes int) (*freezer.RegisteredUser, *freezer.Freezer) {
	t.Helper()
	ctx := freezer.SystemContext(context.Background())
	r, err := store.RegisterUser(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer.Freezer{HouseholdID: r.Household.ID, Name: freezerName, NumberBoxes: boxes}
	if err := store.CreateFreezer(ctx, f); err != nil {
		t.Fatal(err)
	}
	return r, f
}
