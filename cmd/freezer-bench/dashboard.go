package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// dashboardClients is how many people load the dashboard at once.
const dashboardClients = 8

// measureDashboard loads what the dashboard (api/web/static/app) asks for
// with the token's household: its products list (the default query, a
// page of 100) alone, and its whole first load.
func measureDashboard(httpAddr, token string, d time.Duration) ([]row, error) {
	base := "http://" + httpAddr
	list, err := httpLoad(base+"/api/v1/products?state=inside&limit=100", token, dashboardClients, d)
	if err != nil {
		return nil, fmt.Errorf("dashboard list: %w", err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 6 * dashboardClients}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	first, err := concurrentLoad(dashboardClients, d, func() error { return dashboardFirstLoad(client, base, token) })
	if err != nil {
		return nil, fmt.Errorf("dashboard first load: %w", err)
	}
	listName := fmt.Sprintf("REST: v1 products, inside, page of 100 (the dashboard's list), %d clients", dashboardClients)
	firstName := fmt.Sprintf("dashboard: first load (page, scripts, API calls), %d clients", dashboardClients)
	return []row{
		num(listName, list.PerSecond(), "req/s", "%.0f"),
		num(listName+" p99", ms(list.P99), "ms", "%.1f").target("< 50 ms", list.P99 < 50*time.Millisecond),
		num(firstName, first.PerSecond(), "loads/s", "%.1f"),
		num(firstName+" p99", ms(first.P99), "ms", "%.0f").target("< 300 ms", first.P99 < 300*time.Millisecond),
	}, nil
}

// dashboardFirstLoad does what a browser does when it opens the dashboard
// with a token: the page and its files (fetched together, as a browser
// does), then the API calls of app.js's start (each list followed through
// all its pages) and of its products tab: the first page of products in
// the tab's default order, and what to eat next.
func dashboardFirstLoad(client *http.Client, base, token string) error {
	if _, err := get(client, base+"/app/", "", http.StatusOK); err != nil {
		return err
	}
	files := []string{"app.css", "i18n.js", "common.js", "charts.js", "app.js", "manifest.webmanifest", "icon-192.png"}
	if err := together(len(files), func(i int) error {
		_, err := get(client, base+"/app/"+files[i], "", http.StatusOK)
		return err
	}); err != nil {
		return err
	}
	// No session cookie: the page falls back to the token it keeps.
	if _, err := get(client, base+"/app/session", "", 0); err != nil {
		return err
	}
	api := base + "/api/v1/"
	if _, err := get(client, api+"me", token, http.StatusOK); err != nil {
		return err
	}
	if err := listAll(client, api+"product-types?limit=500", token); err != nil {
		return err
	}
	if err := listAll(client, api+"freezers", token); err != nil {
		return err
	}
	if _, err := get(client, api+"me", token, http.StatusOK); err != nil {
		return err
	}
	return together(2, func(i int) error {
		if i == 0 {
			_, err := get(client, api+"products?"+url.Values{"state": {"inside"}, "sort": {"use_by"}, "lang": {"en"}, "limit": {"100"}}.Encode(), token, http.StatusOK)
			return err
		}
		_, err := get(client, api+"products/eat-next?limit=6", token, http.StatusOK)
		return err
	})
}

// listAll follows a list's next_cursor through its pages, as the
// dashboard's listAll does.
func listAll(client *http.Client, path, token string) error {
	cursor := ""
	for range 100 {
		u := path
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		body, err := get(client, u, token, http.StatusOK)
		if err != nil {
			return err
		}
		var page struct {
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		if cursor = page.NextCursor; cursor == "" {
			return nil
		}
	}
	return nil
}

// get fetches u and checks its status (any status below 500 when want is 0).
func get(client *http.Client, u, token string, want int) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if (want != 0 && resp.StatusCode != want) || resp.StatusCode >= 500 {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return body, nil
}

// together runs fn(0) … fn(n-1) at once and returns the first error.
func together(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
