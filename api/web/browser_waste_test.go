package web_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/browsertest"
)

// wasteWorld is a household with one freezer, "Garage" (3 boxes), served
// with the API and the dashboard; its products are made through the store.
type wasteWorld struct {
	*doorWorld
	ctx     context.Context // acting as the household's user
	freezer int64
	today   freezer.Date
}

func newWasteWorld(t *testing.T) *wasteWorld {
	t.Helper()
	door, r := newServedHousehold(t, "waste@example.com")
	w := &wasteWorld{doorWorld: door, ctx: r.Ctx}
	var f struct{ ID int64 }
	w.call(t, "POST", "/api/v1/freezers", map[string]any{"name": "Garage", "number_boxes": 3}, &f)
	w.freezer = f.ID
	var me struct {
		Today string `json:"today"`
	}
	w.call(t, "GET", "/api/v1/me", nil, &me)
	w.today = freezer.MustParseDate(me.Today)
	return w
}

// put puts a product in box 1 of the garage on dateIn, for period months.
func (w *wasteWorld) put(t *testing.T, name string, typeID int64, dateIn freezer.Date, period int) int64 {
	t.Helper()
	p := &freezer.Product{FreezerID: w.freezer, Box: 1, Name: name, TypeID: typeID, Quantity: 2, DateIn: dateIn, PeriodMonths: period}
	if err := w.env.Store.CreateProduct(w.ctx, p); err != nil {
		t.Fatalf("put in %q: %v", name, err)
	}
	w.ids[name] = p.ID
	return p.ID
}

// takeOut takes a product out on day, eaten or discarded.
func (w *wasteWorld) takeOut(t *testing.T, id int64, day freezer.Date, outcome string) {
	t.Helper()
	if _, err := w.env.Store.TakeOutProduct(w.ctx, id, freezer.TakeOutRequest{Date: day, Outcome: outcome}); err != nil {
		t.Fatalf("take out %d on %s: %v", id, day, err)
	}
}

// TestBrowserEatNext: the dashboard opens on "eat next" — overdue first
// (by use-by day), then due soon, then the oldest —, each with its stage,
// place and use-by; one tap throws the first away (out, discarded, in the
// database); the product list's take-out asks eaten or thrown away, and a
// product out shows its outcome. On a 390 px phone nothing scrolls sideways.
func TestBrowserEatNext(t *testing.T) {
	browsertest.Path(t)
	w := newWasteWorld(t)
	td := w.today
	w.put(t, "Old beans", 24, td.AddDays(-200), 12)
	w.put(t, "Fresh peas", 24, td.AddDays(-3), 12)
	w.put(t, "Lost soup", 1, td.AddMonths(-4), 1)
	w.put(t, "Chili", 2, td.AddMonths(-2).AddDays(-5), 2)
	w.put(t, "Gratin", 20, td.AddDays(-25), 1)
	w.put(t, "Bread", 24, td.AddDays(-100), 12)
	w.put(t, "Ice cream", 24, td.AddDays(-1), 6)
	w.takeOut(t, w.put(t, "Eaten cake", 24, td.AddDays(-300), 12), td.AddDays(-2), freezer.OutcomeEaten)

	b := w.open(t)
	if got := browsertest.Eval[string](b.Session, `location.hash`); got != "#products" {
		t.Errorf("the dashboard opens on %q, want #products", got)
	}
	b.WaitFor("the eat-next list", `document.querySelectorAll('#eat-next-list li').length > 0`)
	// It comes first on the first screen: above the product list, in view.
	if !browsertest.Eval[bool](b.Session, `(() => { const r = document.querySelector('#eat-next').getBoundingClientRect(), t = document.querySelector('#product-table').getBoundingClientRect(); return r.top < t.top && r.top < innerHeight; })()`) {
		t.Error("eat next is not the first thing of the first screen")
	}
	items := `[...document.querySelectorAll('#eat-next-list li')]`
	order := func() string {
		return browsertest.Eval[string](b.Session, items+`.map(li => li.querySelector('.eat-name').textContent + ':' + li.dataset.stage).join(' ')`)
	}
	if got, want := order(), "Lost soup:overdue Chili:overdue Gratin:due_soon Old beans:inside Bread:inside Fresh peas:inside"; got != want {
		t.Errorf("eat next:\n got %s\nwant %s", got, want)
	}
	soup := w.product(t, w.ids["Lost soup"])
	first := items + `[0]`
	if got, want := browsertest.Eval[string](b.Session, first+`.querySelector('.eat-meta').textContent`),
		"Garage · box\u00a01 · slot\u00a0"+strconv.Itoa(soup.Slot)+" · Use by "+soup.UseBy+" · in since "+td.AddMonths(-4).String(); got != want {
		t.Errorf("the first item says %q, want %q", got, want)
	}
	if got := browsertest.Eval[string](b.Session, first+`.querySelector('.badge').textContent`); got != "overdue" {
		t.Errorf("the first item's badge %q, want overdue", got)
	}
	b.Shot("desktop-eat-next")

	// One tap: the soup is thrown away.
	b.Do("throw the soup away", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#eat-next-list li[data-id="%d"] button.take-out-discarded`, w.ids["Lost soup"]))))
	b.WaitFor("the soup to leave eat next", items+`[0]?.querySelector('.eat-name').textContent === 'Chili'`)
	p, err := w.env.Store.FindProductByID(w.ctx, w.ids["Lost soup"])
	if err != nil {
		t.Fatal(err)
	}
	if p.DateOut != td || p.Outcome != freezer.OutcomeDiscarded {
		t.Errorf("the soup thrown away from eat next: date_out %s, outcome %q; want %s, discarded", p.DateOut, p.Outcome, td)
	}
	if got, want := order(), "Chili:overdue Gratin:due_soon Old beans:inside Bread:inside Fresh peas:inside Ice cream:inside"; got != want {
		t.Errorf("eat next after the soup:\n got %s\nwant %s", got, want)
	}

	// The product list: take out asks eaten or thrown away.
	bread := w.ids["Bread"]
	row := fmt.Sprintf(`#product-table tr[data-id="%d"]`, bread)
	if browsertest.Eval[bool](b.Session, `document.querySelector('`+row+` button.take-out-discarded').checkVisibility()`) {
		t.Error("the product list shows eaten / thrown away before take out is tapped")
	}
	b.Do("take the bread out", chromedp.Click(chromedp.CSS(row+` button.take-out`)))
	b.Shot("desktop-take-out-choice")
	b.Do("throw the bread away", chromedp.Click(chromedp.CSS(row+` button.take-out-discarded`)))
	b.WaitFor("the bread to leave the list", `document.querySelector('`+row+`') === null`)
	if p := w.product(t, bread); p.DateOut == nil || p.Outcome != freezer.OutcomeDiscarded {
		t.Errorf("the bread thrown away from the list: %+v, want out and discarded", p)
	}
	// Products out show their outcome.
	b.choose("#filter-state", "out")
	b.WaitFor("the products out", `document.querySelectorAll('#product-table tbody tr').length === 3`)
	badges := browsertest.Eval[string](b.Session, `[...document.querySelectorAll('#product-table tbody tr')].map(r => r.querySelector('.product-name strong').textContent + ':' + r.querySelector('.badge').textContent).sort().join(' ')`)
	if want := "Bread:thrown away Eaten cake:eaten Lost soup:thrown away"; badges != want {
		t.Errorf("outcome badges %q, want %q", badges, want)
	}
	b.Shot("desktop-products-out")

	// On a phone: eat next first, each item's two buttons in reach, no sideways scroll.
	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(w.env.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("#tab-products")))
	b.WaitFor("the phone's eat-next list", `document.querySelectorAll('#eat-next-list li').length === 5`)
	b.noSideScroll("eat next")
	if got := browsertest.Eval[int](b.Session, `[...document.querySelectorAll('#eat-next-list button')].filter(x => { const r = x.getBoundingClientRect(); return r.width > 0 && r.right <= innerWidth && r.left >= 0; }).length`); got != 10 {
		t.Errorf("%d eat-next buttons on the phone's screen, want 10", got)
	}
	b.Shot("phone-eat-next")
	b.Do("phone take out", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#product-table tr[data-id="%d"] button.take-out`, w.ids["Gratin"]))))
	b.noSideScroll("the product list's take-out choice")
	b.Shot("phone-take-out-choice")
	b.Do("phone eaten", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#product-table tr[data-id="%d"] button.take-out-eaten`, w.ids["Gratin"]))))
	b.WaitFor("the gratin to leave", fmt.Sprintf(`document.querySelector('#eat-next-list li[data-id="%d"]') === null`, w.ids["Gratin"]))
	if p := w.product(t, w.ids["Gratin"]); p.DateOut == nil || p.Outcome != freezer.OutcomeEaten {
		t.Errorf("the gratin eaten on the phone: %+v, want out and eaten", p)
	}
}

// trendProduct is one product of TestBrowserTrends's twelve months.
type trendProduct struct {
	typeID           int64
	in, out          freezer.Date // out zero: still inside
	period           int
	discarded, eaten bool
}

// TestBrowserTrends: with products spread over the last 12 months, the
// Trends tab draws put in / taken out per month, waste per month and per
// type, the average time in the freezer per type and the two tendencies,
// each with a table of the right numbers, at 1280 px and on a 390 px
// phone without sideways scrolling.
func TestBrowserTrends(t *testing.T) {
	browsertest.Path(t)
	w := newWasteWorld(t)
	td := w.today
	month := func(k int) freezer.Date { return freezer.Date{Year: td.Year, Month: td.Month, Day: 1}.AddMonths(-k) }
	types := []int64{1, 20, 24}
	var all []trendProduct
	for k := 11; k >= 0; k-- {
		for j := 0; j <= k%3; j++ {
			p := trendProduct{typeID: types[(k+j)%3], in: month(k), period: 3}
			if j > 0 || k%5 != 0 { // some stay inside
				p.out = p.in.AddDays(3 + 5*j + k)
				if p.out.After(td) {
					p.out = td
				}
				p.discarded = (k+j)%4 == 0
			}
			all = append(all, p)
		}
		if k%3 == 1 { // late: in two months before, for one month, out on the 11th
			all = append(all, trendProduct{typeID: types[k%2], in: month(k + 2), period: 1, out: month(k).AddDays(10), discarded: k == 4})
		}
	}
	for i, p := range all {
		id := w.put(t, fmt.Sprintf("Product %d", i+1), p.typeID, p.in, p.period)
		if !p.out.IsZero() {
			outcome := freezer.OutcomeEaten
			if p.discarded {
				outcome = freezer.OutcomeDiscarded
			}
			w.takeOut(t, id, p.out, outcome)
		}
	}

	// What the tables must say, from the products above.
	var typeNames struct {
		Items []struct {
			ID     int64  `json:"id"`
			NameEN string `json:"name_en"`
		} `json:"items"`
	}
	w.call(t, "GET", "/api/v1/product-types?limit=500", nil, &typeNames)
	name := map[int64]string{}
	for _, ty := range typeNames.Items {
		name[ty.ID] = ty.NameEN
	}
	type waste = wasteTally
	pct := func(w waste) string {
		return fmt.Sprintf("%d%%", int(math.Round(float64(w.wasted)/float64(w.out)*100)))
	}
	wasteCells := func(w waste) string {
		return fmt.Sprintf("%d|%d|%d|%d (%s)", w.out, w.discarded, w.late, w.wasted, pct(w))
	}
	var monthly, wasteMonths []string
	perType := map[int64]*waste{}
	days, count := map[int64]int{}, map[int64]int{}
	generalCount := map[int64]int{}
	for k := 11; k >= 0; k-- {
		m := month(k).String()[:7]
		in, out := 0, 0
		var wm waste
		for _, p := range all {
			if p.in.String()[:7] == m {
				in++
			}
			if p.out.IsZero() || p.out.String()[:7] != m {
				continue
			}
			out++
			late := p.out.After(freezer.UseBy(p.in, p.period))
			for _, c := range []*waste{&wm, perTypeOf(perType, p.typeID)} {
				c.out++
				if p.discarded {
					c.discarded++
				}
				if late {
					c.late++
				}
				if p.discarded || late {
					c.wasted++
				}
			}
			days[p.typeID] += p.in.DaysUntil(p.out)
			count[p.typeID]++
		}
		monthly = append(monthly, fmt.Sprintf("%s|%d|%d", m, in, out))
		if wm.out == 0 {
			wasteMonths = append(wasteMonths, m+"|0|0|0|0 (0%)")
		} else {
			wasteMonths = append(wasteMonths, m+"|"+wasteCells(wm))
		}
	}
	for _, p := range all {
		generalCount[p.typeID]++
	}
	var wasteTypes, timeTypes, general []string
	for _, id := range types {
		wasteTypes = append(wasteTypes, name[id]+"|"+wasteCells(*perType[id]))
		avg := math.Round(float64(days[id])/float64(count[id])*100) / 100
		timeTypes = append(timeTypes, fmt.Sprintf("%s|%s|%d", name[id], strconv.FormatFloat(avg, 'f', -1, 64), count[id]))
		general = append(general, fmt.Sprintf("%s|%d", name[id], generalCount[id]))
	}

	b := w.open(t)
	b.Do("trends", chromedp.Click(chromedp.CSS(`#tabs button[data-tab=trends]`)))
	b.WaitFor("the charts", `document.querySelectorAll('#chart-monthly svg g.col').length === 12 && document.querySelector('#chart-personal table') !== null`)
	checkTrendTables(b, "desktop", monthly, wasteMonths, wasteTypes, timeTypes, general)
	// The monthly chart's bars carry the numbers of its table.
	last := monthly[len(monthly)-1]
	if got, want := browsertest.Eval[string](b.Session, `(() => { const g = [...document.querySelectorAll('#chart-monthly g.col')].pop(); return g.dataset.id + '|' + g.dataset.values.replace(' ', '|'); })()`), last; got != want {
		t.Errorf("the last month's bars: %q, want %q", got, want)
	}
	if got := browsertest.Eval[int](b.Session, `document.querySelectorAll('#chart-monthly rect.bar.s1').length`); got != 13 { // 12 months and the legend
		t.Errorf("%d bars of things taken out, want 13", got)
	}
	if got := browsertest.Eval[int](b.Session, `document.querySelectorAll('#chart-waste-type g.row, #chart-time g.row').length`); got != 6 {
		t.Errorf("%d rows in the per-type charts, want 6", got)
	}
	b.Shot("desktop-trends")
	browsertest.Eval[any](b.Session, `document.querySelectorAll('details.numbers').forEach(d => d.open = true)`)
	b.Shot("desktop-trends-numbers")

	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#tab-trends")))
	b.WaitFor("the phone's charts", `document.querySelectorAll('#chart-monthly svg g.col').length === 12 && document.querySelector('#chart-personal table') !== null`)
	checkTrendTables(b, "phone", monthly, wasteMonths, wasteTypes, timeTypes, general)
	b.noSideScroll("the trends")
	// The charts are drawn for the phone's width: text keeps its size.
	if got := browsertest.Eval[float64](b.Session, `document.querySelector('#chart-monthly svg').viewBox.baseVal.width`); got > 390 {
		t.Errorf("the monthly chart is drawn %v px wide on a 390 px phone", got)
	}
	b.Shot("phone-trends")
	browsertest.Eval[any](b.Session, `document.querySelectorAll('details.numbers').forEach(d => d.open = true)`)
	b.noSideScroll("the trends' tables")
	b.Shot("phone-trends-numbers")
}

// wasteTally counts products taken out and the waste among them.
type wasteTally struct{ out, discarded, late, wasted int }

// perTypeOf is the tally of type id in m, made when missing.
func perTypeOf(m map[int64]*wasteTally, id int64) *wasteTally {
	if m[id] == nil {
		m[id] = &wasteTally{}
	}
	return m[id]
}

// checkTrendTables compares the tables under the trend charts with the
// rows wanted (cells joined by "|"); the per-type tables in any order.
func checkTrendTables(b *browserSession, where string, monthly, wasteMonths, wasteTypes, timeTypes, general []string) {
	b.t.Helper()
	rows := func(id string) []string {
		return browsertest.Eval[[]string](b.Session, fmt.Sprintf(`[...document.querySelectorAll('#%s table tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|'))`, id))
	}
	sorted := func(s []string) string {
		c := append([]string(nil), s...)
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				if c[j] < c[i] {
					c[i], c[j] = c[j], c[i]
				}
			}
		}
		return strings.Join(c, "\n")
	}
	for _, c := range []struct {
		id      string
		want    []string
		ordered bool
	}{
		{"chart-monthly", monthly, true},
		{"chart-waste-month", wasteMonths, true},
		{"chart-waste-type", wasteTypes, false},
		{"chart-time", timeTypes, false},
		{"chart-general", general, false},
	} {
		got := rows(c.id)
		g, w := strings.Join(got, "\n"), strings.Join(c.want, "\n")
		if !c.ordered {
			g, w = sorted(got), sorted(c.want)
		}
		if g != w {
			b.t.Errorf("%s: the table of %s:\n got %s\nwant %s", where, c.id, g, w)
		}
	}
}
