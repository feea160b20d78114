package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/browsertest"
)

// productRequests is the JavaScript of the number of product lists the
// page asked the API for (not what to eat next).
const productRequests = `performance.getEntriesByType('resource').filter(e => /\/api\/v1\/products\?/.test(e.name)).length`

// shownIDs is the JavaScript of the ids of the product table's rows, in order, joined by commas.
const shownIDs = `[...document.querySelectorAll('#product-table tbody tr')].map(r => r.dataset.id).join(',')`

// TestBrowserProductPages: with more products than a page, the products
// tab asks for one page of 100 on its first load, and "show more" adds the
// next pages; the list shows the server's order for every sort key both
// ways, and its filters still work.
func TestBrowserProductPages(t *testing.T) {
	browsertest.Path(t)
	w, _ := newServedHousehold(t, "pages@example.com")
	var f struct{ ID int64 }
	w.call(t, "POST", "/api/v1/freezers", map[string]any{"name": "Chest", "number_boxes": 5}, &f)
	chest := f.ID
	w.call(t, "POST", "/api/v1/freezers", map[string]any{"name": "attic", "number_boxes": 2}, &f)
	attic := f.ID
	const n = 230
	now := time.Now()
	for i := range n {
		where := chest
		if i%7 == 0 {
			where = attic
		}
		var made struct{ ID int64 }
		w.call(t, "POST", "/api/v1/products", map[string]any{
			"name": fmt.Sprintf("%s %03d", []string{"Soup", "stew", "Pie", "bread"}[i%4], (i*37)%n), "freezer_id": where, "box": 1 + i%2,
			"date_in": now.AddDate(0, 0, -(i*13)%400).Format(freezer.DateLayout), "period_months": 1 + i%12,
			"type_id": 1 + i%5, "quantity": 1 + i%4}, &made)
		if i%10 == 0 {
			w.call(t, "POST", fmt.Sprintf("/api/v1/products/%d/take-out", made.ID), map[string]any{}, nil)
		}
	}
	const inside = n - n/10 // 207
	b := w.open(t)

	// apiIDs is the order the API gives for query, every page.
	apiIDs := func(query string) string {
		var ids []string
		for cursor := ""; ; {
			var page struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				Next string `json:"next_cursor"`
			}
			path := "/api/v1/products?limit=500&" + query
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			w.call(t, "GET", path, nil, &page)
			for _, it := range page.Items {
				ids = append(ids, fmt.Sprint(it.ID))
			}
			if cursor = page.Next; cursor == "" {
				return strings.Join(ids, ",")
			}
		}
	}
	first := func(ids string, k int) string {
		return strings.Join(strings.SplitN(ids, ",", k+1)[:min(k, strings.Count(ids, ",")+1)], ",")
	}
	waitFor := func(what, want string) {
		t.Helper()
		b.WaitFor(what, fmt.Sprintf(`%s === %q`, shownIDs, want))
	}

	// First load: one page, in use-by order.
	byUseBy := apiIDs("state=inside&sort=use_by")
	waitFor("the first page", first(byUseBy, 100))
	if got := browsertest.Eval[int](b.Session, productRequests); got != 1 {
		t.Errorf("the first load asked for %d product lists, want 1", got)
	}
	if got := browsertest.Eval[int](b.Session, `performance.getEntriesByType('resource').filter(e => /\/boxes/.test(e.name)).length`); got != 0 {
		t.Errorf("the first load asked for the boxes of %d freezers, want none", got)
	}
	b.Shot("products-first-page")

	// Show more, until there is no more.
	b.Do("show more", chromedp.Click(chromedp.CSS("#products-more")))
	waitFor("the second page", first(byUseBy, 200))
	b.Do("show more again", chromedp.Click(chromedp.CSS("#products-more")))
	waitFor("every product inside", byUseBy)
	if strings.Count(byUseBy, ",")+1 != inside {
		t.Fatalf("the API lists %d products inside, want %d", strings.Count(byUseBy, ",")+1, inside)
	}
	b.WaitFor("no more to show", `document.querySelector('#products-more').hidden`)
	if got := browsertest.Eval[int](b.Session, productRequests); got != 3 {
		t.Errorf("three pages took %d requests, want 3", got)
	}

	// Every order, both ways, through the phone's select and direction button.
	for _, key := range freezer.ProductSortKeys {
		b.choose("#sort-select", key)
		waitFor("sorted by "+key, first(apiIDs("state=inside&lang=en&sort="+key), 100))
		browsertest.Eval[any](b.Session, `document.querySelector('#sort-direction').click()`) // a phone's control, hidden on a desktop
		waitFor("sorted by "+key+", reversed", first(apiIDs("state=inside&lang=en&sort=-"+key), 100))
		browsertest.Eval[any](b.Session, `document.querySelector('#sort-direction').click()`) // the select keeps the direction
		waitFor("sorted by "+key+" again", first(apiIDs("state=inside&lang=en&sort="+key), 100))
	}
	// A column's header sorts by it, then reverses.
	b.Do("sort by the name column", chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)))
	waitFor("sorted by name", first(apiIDs("state=inside&sort=name"), 100))
	b.Do("reverse the name column", chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)))
	waitFor("sorted by name, reversed", first(apiIDs("state=inside&sort=-name"), 100))
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#product-table th[data-sort=name]').getAttribute('aria-sort')`); got != "descending" {
		t.Errorf("the name column is %q, want descending", got)
	}

	// Filters, with the order kept.
	b.choose("#filter-state", "out")
	waitFor("the products out", apiIDs("state=out&sort=-name"))
	b.choose("#filter-state", "all")
	b.choose("#filter-freezer", fmt.Sprint(attic))
	waitFor("the attic's products", apiIDs(fmt.Sprintf("state=all&freezer_id=%d&sort=-name", attic)))
	b.choose("#filter-freezer", "")
	b.Do("search", chromedp.SendKeys(chromedp.CSS("#filter-q"), "pie 1"))
	waitFor("the pies 1..", apiIDs("state=all&q=pie+1&sort=-name"))
	if got := browsertest.Eval[bool](b.Session, `document.querySelector('#products-more').hidden`); !got {
		t.Error(`"show more" is shown under a list that has no more`)
	}
}
