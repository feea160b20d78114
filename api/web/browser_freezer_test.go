package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/browsertest"
)

// doorWorld is a household with two freezers, eleven products (so that
// product 11 exists: two digits an id column must not split) and two
// devices, one named "Garage", served with the API and the dashboard.
type doorWorld struct {
	env    *apitest.Env
	token  string
	garage int64 // 4 boxes
	cellar int64 // 2 boxes
	ids    map[string]int64
	device string // the id of the device "Garage", seen a moment ago
}

// newServedHousehold registers email on a new store, on the real clock
// (the browser's today is the real one), served with the API and the
// dashboard; the world has no freezer yet.
func newServedHousehold(t *testing.T, email string) (*doorWorld, *apitest.User) {
	t.Helper()
	env := apitest.SQLite(t, apitest.RealClock())
	u := env.Register(t, freezer.Registration{Email: email})
	return &doorWorld{env: env, token: u.Token, ids: map[string]int64{}}, u
}

func newDoorWorld(t *testing.T) *doorWorld {
	t.Helper()
	w, _ := newServedHousehold(t, "door@example.com")

	var f struct{ ID int64 }
	w.call(t, "POST", "/api/v1/freezers", map[string]any{"name": "Garage", "number_boxes": 4}, &f)
	w.garage = f.ID
	w.call(t, "POST", "/api/v1/freezers", map[string]any{"name": "Cellier", "number_boxes": 2}, &f)
	w.cellar = f.ID

	now := time.Now()
	day := func(months, days int) string { return now.AddDate(0, -months, -days).Format(freezer.DateLayout) }
	for _, p := range []struct {
		name          string
		box           int
		dateIn        string
		period        int
		freezer       int64
		description   string
		quantity, typ int
	}{
		{"Soupe de Noël", 1, day(2, 0), 1, w.garage, "", 4, 1},
		{"Taken out", 1, day(0, 1), 3, w.garage, "", 1, 1},
		{"Gratin dauphinois", 1, day(0, 20), 1, w.garage, "", 2, 20},
		{"Lasagnes", 1, day(0, 2), 3, w.garage, "", 6, 20},
		{"Poulet basquaise", 2, day(0, 3), 6, w.garage, "Pour le dimanche, avec du riz", 4, 2},
		{"Haricots verts", 2, day(0, 4), 12, w.garage, "", 3, 24},
		{"Pain de campagne", 3, day(0, 5), 2, w.garage, "", 1, 24},
		{"Framboises", 3, day(1, 0), 12, w.garage, "", 2, 24},
		{"Glace vanille", 1, day(0, 6), 6, w.cellar, "", 8, 24},
		{"Bouillon", 2, day(0, 7), 6, w.cellar, "", 2, 1},
		{"Ratatouille", 2, day(0, 8), 6, w.cellar, "Avec des courgettes du jardin et beaucoup d'ail", 4, 24},
	} {
		var made struct{ ID int64 }
		w.call(t, "POST", "/api/v1/products", map[string]any{"name": p.name, "freezer_id": p.freezer, "box": p.box,
			"date_in": p.dateIn, "period_months": p.period, "type_id": p.typ, "quantity": p.quantity, "description": p.description}, &made)
		w.ids[p.name] = made.ID
	}
	if w.ids["Ratatouille"] != 11 {
		t.Fatalf("the last product is %d, want 11", w.ids["Ratatouille"])
	}
	// Box 1 of the garage: slots 1, 3 and 4 held, slot 2 free.
	w.call(t, "POST", fmt.Sprintf("/api/v1/products/%d/take-out", w.ids["Taken out"]), map[string]any{}, nil)

	var d struct {
		Device struct{ ID string } `json:"device"`
	}
	w.call(t, "POST", "/api/v1/devices", map[string]any{"name": "Garage", "kind": "scanner", "freezer_id": w.garage}, &d)
	w.device = d.Device.ID
	w.call(t, "POST", "/api/v1/devices", map[string]any{"name": "Home Assistant", "kind": "integration"}, nil)
	if err := w.env.Store.SetDeviceOnline(freezer.SystemContext(context.Background()), w.device, true); err != nil {
		t.Fatal(err)
	}
	return w
}

// call sends a JSON request with the household's token and reads the answer into out.
func (w *doorWorld) call(t *testing.T, method, path string, body, out any) {
	t.Helper()
	r := w.env.Call(t, w.token, method, path, body)
	if r.Status >= 300 {
		t.Fatalf("%v", r)
	}
	if out != nil {
		r.Unmarshal(t, out)
	}
}

// product reads a product from the API.
func (w *doorWorld) product(t *testing.T, id int64) (p struct {
	Name    string  `json:"name"`
	Freezer int64   `json:"freezer_id"`
	Box     int     `json:"box"`
	Slot    int     `json:"slot"`
	DateOut *string `json:"date_out"`
	UseBy   string  `json:"use_by"`
	Outcome string  `json:"outcome"`
}) {
	t.Helper()
	w.call(t, "GET", fmt.Sprintf("/api/v1/products/%d", id), nil, &p)
	return p
}

// open starts a browser on the dashboard with the household's token,
// in the Europe/Paris time zone.
func (w *doorWorld) open(t *testing.T) *browserSession {
	t.Helper()
	b := newBrowserSession(t, w.env.URL)
	b.Do("set the time zone", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"})
		return err
	}))
	b.Do("open the dashboard", chromedp.Navigate(w.env.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("#connect")))
	browsertest.Eval[any](b.Session, fmt.Sprintf(`sessionStorage.setItem('freezer_token', %q)`, w.token))
	b.Do("open it with the token", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#tabs")))
	return b
}

// brokenWords lists the words of the table cells under sel that the page
// draws on more than one line: for each word of each text node, the line
// boxes of its characters (Range.getClientRects) must all be on one line.
func brokenWords(b *browserSession, sel string) []string {
	b.t.Helper()
	return browsertest.Eval[[]string](b.Session, fmt.Sprintf(`(() => {
		const out = [];
		for (const td of document.querySelectorAll(%q)) {
			if (!td.getClientRects().length) continue; // not shown
			const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
			for (let n = walk.nextNode(); n; n = walk.nextNode()) {
				for (const m of n.data.matchAll(/\S+/g)) {
					const r = document.createRange();
					r.setStart(n, m.index);
					r.setEnd(n, m.index + m[0].length);
					const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
					if (tops.size > 1) out.push(JSON.stringify(m[0]) + ' in ' + td.closest('table').id + ' (' + tops.size + ' lines)');
				}
			}
		}
		return out;
	})()`, sel))
}

// checkWords fails the test for each word of a table cell broken across lines.
func checkWords(b *browserSession, where, sel string) {
	b.t.Helper()
	if broken := brokenWords(b, sel); len(broken) > 0 {
		b.t.Errorf("%s: words broken across lines: %s", where, strings.Join(broken, "; "))
	}
}

// TestBrowserDashboardFits: at 1280 px no table of the dashboard breaks an
// id, a date or a word across lines; times are written YYYY-MM-DD HH:MM in
// the browser's zone; on a 390 px phone the product list is one compact
// line per product with one main action, the others behind "more".
func TestBrowserDashboardFits(t *testing.T) {
	browsertest.Path(t)
	w := newDoorWorld(t)
	b := w.open(t)

	tabs := map[string]string{"products": "#product-table", "freezers": "#freezer-table", "types": "#type-table", "devices": "#device-table"}
	for _, tab := range []string{"products", "freezers", "types", "devices"} {
		b.Do("desktop "+tab, chromedp.Navigate(w.env.URL+"/app/#"+tab), chromedp.WaitVisible(chromedp.CSS("#tab-"+tab)))
		if tab == "products" {
			b.choose("#filter-state", "all")
			b.WaitFor("every product", `document.querySelectorAll('#product-table tbody tr').length === 11`)
		} else {
			b.WaitFor("the rows of "+tab, `document.querySelectorAll('`+tabs[tab]+` tbody tr').length >= 2`)
		}
		checkWords(b, "desktop "+tab, tabs[tab]+" td")
		b.Shot("desktop-" + tab)
	}

	// The last contact of the device "Garage", in Paris time.
	var list struct {
		Items []struct {
			ID       string    `json:"id"`
			LastSeen time.Time `json:"last_seen_at"`
		} `json:"items"`
	}
	w.call(t, "GET", "/api/v1/devices", nil, &list)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list.Items {
		if d.ID != w.device {
			continue
		}
		got := browsertest.Eval[string](b.Session, fmt.Sprintf(`document.querySelector('#device-table tr[data-id=%q] td.date').textContent`, d.ID))
		if want := d.LastSeen.In(paris).Format("2006-01-02 15:04"); got != want {
			t.Errorf("last seen %q, want %q", got, want)
		}
	}

	// Between a phone and a desktop, a table too wide for the screen scrolls
	// by itself: the page does not, and no word is broken either.
	b.Do("tablet", chromedp.EmulateViewport(760, 900))
	for _, tab := range []string{"devices", "products"} {
		b.Do("tablet "+tab, chromedp.Navigate(w.env.URL+"/app/#"+tab), chromedp.WaitVisible(chromedp.CSS(tabs[tab])))
		b.WaitFor("the rows of "+tab, `document.querySelectorAll('`+tabs[tab]+` tbody tr').length >= 2`)
		b.noSideScroll("the " + tab + " at 760 px")
		checkWords(b, "760 px "+tab, tabs[tab]+" td")
	}

	// A phone: one line per product, the main action beside it.
	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(w.env.URL+"/app/#products"), chromedp.WaitVisible(chromedp.CSS("#tab-products")))
	b.choose("#filter-state", "all")
	b.WaitFor("every product on the phone", `document.querySelectorAll('#product-table tbody tr').length === 11`)
	b.noSideScroll("the product list")
	checkWords(b, "phone products", "#product-table td")
	b.Shot("phone-products")
	type rowFacts struct {
		ID      string   `json:"id"`
		Height  float64  `json:"height"`
		Buttons []string `json:"buttons"`
		Text    string   `json:"text"`
	}
	rows := browsertest.Eval[[]rowFacts](b.Session, `[...document.querySelectorAll('#product-table tbody tr')].map(r => ({
		id: r.dataset.id, height: r.getBoundingClientRect().height, text: r.innerText,
		buttons: [...r.querySelectorAll('button')].filter(x => x.getClientRects().length).map(x => x.className)}))`)
	for _, r := range rows {
		if r.Height > 100 {
			t.Errorf("phone: product %s is %.0f px high, want one compact row (≤ 100 px): %q", r.ID, r.Height, r.Text)
		}
		if len(r.Buttons) != 2 || !strings.Contains(r.Buttons[0], "main-action") || !strings.Contains(r.Buttons[1], "more-toggle") {
			t.Errorf("phone: product %s shows the buttons %q, want its main action and more", r.ID, r.Buttons)
		}
	}
	soup := fmt.Sprint(w.ids["Soupe de Noël"])
	row := `document.querySelector('#product-table tr[data-id="` + soup + `"]')`
	text := browsertest.Eval[string](b.Session, row+`.innerText`)
	for _, want := range []string{"Soupe de Noël", "overdue", "Garage · box\u00a01 · slot\u00a01", "Use by " + w.product(t, w.ids["Soupe de Noël"]).UseBy, "Take out"} {
		if !strings.Contains(text, want) {
			t.Errorf("phone row of the soup %q lacks %q", text, want)
		}
	}
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#product-table tr[data-id="`+fmt.Sprint(w.ids["Taken out"])+`"] .main-action').textContent`); got != "Put back" {
		t.Errorf("phone: the main action of a product taken out is %q, want Put back", got)
	}
	b.Do("more", chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soup+`"] .more-toggle`)))
	if got := browsertest.Eval[[]string](b.Session, `[...`+row+`.querySelectorAll('button')].filter(x => x.getClientRects().length).map(x => x.textContent)`); strings.Join(got, ",") != "Edit,Label,Print,Take out,⋯" {
		t.Errorf("phone: after more, the soup's buttons are %q", got)
	}
	b.Shot("phone-products-more")
	b.Do("edit from more", chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soup+`"] button.edit`)), chromedp.WaitVisible(chromedp.CSS("#product-form")))
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#product-form input[name=name]').value`); got != "Soupe de Noël" {
		t.Errorf("edit form from more: name %q", got)
	}
	b.Do("close the form", chromedp.Click(chromedp.CSS("#product-cancel")))
	b.Do("phone take out", chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soup+`"] .main-action`)),
		chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soup+`"] .take-out-eaten`)))
	b.WaitFor("the soup out", row+`?.dataset.stage === 'out'`)
	if p := w.product(t, w.ids["Soupe de Noël"]); p.DateOut == nil || p.Outcome != freezer.OutcomeEaten {
		t.Errorf("the phone's take out, eaten, left the soup %+v", p)
	}
}

// TestBrowserFreezerView: the Boxes tab shows each freezer as it is — its
// boxes, in each box its products by slot with their stage, and the next
// free slot. Tapping a product takes it out or moves it; "add here" opens
// the add form at that place. At 1280 px and on a 390 px phone.
func TestBrowserFreezerView(t *testing.T) {
	browsertest.Path(t)
	w := newDoorWorld(t)
	b := w.open(t)
	card := fmt.Sprintf(`document.querySelector('.freezer-card[data-freezer="%d"]')`, w.garage)
	box := func(n int) string { return fmt.Sprintf(`%s?.querySelector('.box[data-box="%d"]')`, card, n) }
	slots := func(n int) string {
		return `[...` + box(n) + `.querySelectorAll('button.slot')].map(s => s.querySelector('.slot-no').textContent + ':' + (s.classList.contains('free') ? 'free' : s.dataset.stage + ':' + s.querySelector('.slot-name').textContent)).join(' ')`
	}

	b.Do("the freezer view", chromedp.Navigate(w.env.URL+"/app/#view"), chromedp.WaitVisible(chromedp.CSS("#tab-view")))
	b.WaitFor("the garage", card+` !== null && `+box(4)+` !== null`)
	if n := browsertest.Eval[int](b.Session, `document.querySelectorAll('.freezer-card').length`); n != 2 {
		t.Errorf("%d freezers in the view, want 2", n)
	}
	for n, want := range map[int]string{
		1: "1:overdue:Soupe de Noël 2:free 3:due_soon:Gratin dauphinois 4:inside:Lasagnes",
		2: "1:inside:Poulet basquaise 2:inside:Haricots verts 3:free",
		4: "1:free",
	} {
		if got := browsertest.Eval[string](b.Session, slots(n)); got != want {
			t.Errorf("garage box %d: %q, want %q", n, got, want)
		}
	}
	if got := browsertest.Eval[string](b.Session, box(1)+`.querySelector('button.slot.overdue .badge').textContent`); got != "overdue" {
		t.Errorf("overdue badge %q", got)
	}
	b.noSideScroll("the freezer view")
	b.Shot("desktop-view")

	// Tap the soup, take it out: gone from its box, out in the database.
	soup := w.ids["Soupe de Noël"]
	b.Do("tap the soup", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.slot[data-id="%d"]`, soup))), chromedp.WaitVisible(chromedp.CSS("#slot-panel")))
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#slot-panel h3').textContent`); got != "Soupe de Noël overdue" {
		t.Errorf("the tapped product's panel is of %q", got)
	}
	b.Shot("desktop-view-product")
	b.Do("throw the soup away", chromedp.Click(chromedp.CSS(`#slot-panel button.take-out-discarded`)))
	b.WaitFor("the soup to leave its box", fmt.Sprintf(`document.querySelector('button.slot[data-id="%d"]') === null && %s !== null`, soup, box(1)))
	if p := w.product(t, soup); p.DateOut == nil || p.Outcome != freezer.OutcomeDiscarded {
		t.Errorf("thrown away in the freezer view, the soup is %+v, want out and discarded", p)
	}
	if got, want := browsertest.Eval[string](b.Session, slots(1)), "1:free 3:due_soon:Gratin dauphinois 4:inside:Lasagnes"; got != want {
		t.Errorf("box 1 after the take-out: %q, want %q", got, want)
	}

	// Move the gratin to the cellar's box 2: it takes that box's next free slot.
	gratin := w.ids["Gratin dauphinois"]
	b.Do("tap the gratin", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.slot[data-id="%d"]`, gratin))), chromedp.WaitVisible(chromedp.CSS("#slot-panel")))
	b.choose("#slot-panel select[name=freezer_id]", fmt.Sprint(w.cellar))
	b.Do("move the gratin", chromedp.SetValue(chromedp.CSS(`#slot-panel input[name=box]`), "2"), chromedp.Click(chromedp.CSS(`#slot-panel button.move`)))
	b.WaitFor("the gratin in the cellar", fmt.Sprintf(`document.querySelector('.freezer-card[data-freezer="%d"] .box[data-box="2"] button.slot[data-id="%d"]') !== null`, w.cellar, gratin))
	if p := w.product(t, gratin); p.Freezer != w.cellar || p.Box != 2 || p.Slot != 3 || p.DateOut != nil {
		t.Errorf("moved gratin: %+v, want inside the cellar, box 2, slot 3", p)
	}

	// A phone: the same view, and "add here" fills the add form.
	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#tab-view")))
	b.WaitFor("the garage on the phone", box(2)+` !== null`)
	b.noSideScroll("the freezer view on a phone")
	b.Shot("phone-view")
	b.Do("tap the lasagnes on the phone", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.slot[data-id="%d"]`, w.ids["Lasagnes"]))), chromedp.WaitVisible(chromedp.CSS("#slot-panel")))
	b.noSideScroll("a product's actions on a phone")
	b.Do("phone screenshot", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			err = os.WriteFile(filepath.Join(b.Artifacts, "phone-view-product.png"), png, 0o644)
		}
		return err
	}))
	b.Do("close", chromedp.Click(chromedp.CSS(`#slot-panel button.close`)), chromedp.WaitNotVisible(chromedp.CSS("#slot-panel")))
	b.Do("add here", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.freezer-card[data-freezer="%d"] .box[data-box="2"] button.add-here`, w.garage))),
		chromedp.WaitVisible(chromedp.CSS("#product-form")))
	b.WaitFor("the products tab", `location.hash === '#products'`)
	form := browsertest.Eval[[]string](b.Session, `['freezer_id', 'box', 'slot'].map(n => document.querySelector('#product-form [name=' + n + ']').value)`)
	if got, want := strings.Join(form, " "), fmt.Sprintf("%d 2 3", w.garage); got != want {
		t.Errorf("add here: freezer, box and slot %q, want %q", got, want)
	}
	b.Shot("phone-add-here")
	b.Do("add the pie", chromedp.SetValue(chromedp.CSS(`#product-form input[name=name]`), "Tarte aux pommes"),
		chromedp.Click(chromedp.CSS(`#product-form button[type=submit]`)))
	b.WaitFor("back in the view", `location.hash === '#view'`)
	b.WaitFor("the pie in box 2", box(2)+`?.querySelector('button.slot[data-stage]:last-of-type') !== null && `+slots(2)+`.includes('3:inside:Tarte aux pommes')`)
	if got, want := browsertest.Eval[string](b.Session, slots(2)), "1:inside:Poulet basquaise 2:inside:Haricots verts 3:inside:Tarte aux pommes 4:free"; got != want {
		t.Errorf("garage box 2 after add here: %q, want %q", got, want)
	}
}

// TestBrowserInstallable: Chromium reads the dashboard's and the scan
// page's manifest without error (the Content-Security-Policy lets it) and
// finds the dashboard installable.
func TestBrowserInstallable(t *testing.T) {
	browsertest.Path(t)
	w := newDoorWorld(t)
	b := w.open(t)
	for _, path := range []string{"/app/", "/app/scan"} {
		b.Do("open "+path, chromedp.Navigate(w.env.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
		var manifest page.GetAppManifestResult
		var installable page.GetInstallabilityErrorsResult
		b.Do("read the manifest of "+path, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			var err error
			if manifest, err = chromedp.Call(ctx, page.GetAppManifest, page.GetAppManifestParams{}); err != nil {
				return err
			}
			installable, err = chromedp.Call(ctx, page.GetInstallabilityErrors, cdp.Empty{})
			return err
		}))
		if manifest.URL != w.env.URL+"/app/manifest.webmanifest" || manifest.Data == "" {
			t.Errorf("%s: manifest %q (%d bytes)", path, manifest.URL, len(manifest.Data))
		}
		for _, e := range manifest.Errors {
			t.Errorf("%s: manifest error %q (line %d)", path, e.Message, e.Line)
		}
		for _, e := range installable.InstallabilityErrors {
			t.Errorf("%s: not installable: %s", path, e.ErrorID)
		}
		if manifest.Manifest != nil {
			t.Logf("%s: manifest start URL %s, display %s", path, manifest.Manifest.StartURL, manifest.Manifest.Display)
		}
	}
}
