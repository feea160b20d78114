package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png" // labels are PNG
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/internal/browsertest"
)

// browserSession drives one Chromium tab against the site.
type browserSession struct {
	*browsertest.Session
	t    *testing.T
	base string

	mu      sync.Mutex
	dialogs []string // "type: message" of every JavaScript dialog
}

// newBrowserSession starts a headless Chromium with a fresh profile.
func newBrowserSession(t *testing.T, base string) *browserSession {
	t.Helper()
	b := &browserSession{Session: browsertest.New(t), t: t, base: base}
	// Answer every dialog (confirm() of the dashboard), and remember it: an
	// alert would be injected script running.
	dialogs := chromedp.Events(b.Ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(b.Ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// choose sets a select's value and tells the page, as a user's choice does.
func (b *browserSession) choose(sel, value string) {
	b.t.Helper()
	browsertest.Eval[bool](b.Session, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value))
}

// noSideScroll fails unless the page fits the viewport's width, naming
// the elements that stick out.
func (b *browserSession) noSideScroll(page string) {
	b.t.Helper()
	wide := browsertest.Eval[[]string](b.Session, `(() => {
		const width = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth <= width) return out;
		for (const n of document.querySelectorAll('body *')) {
			const r = n.getBoundingClientRect();
			if (r.right > width + 1 && out.length < 5) out.push(n.tagName + '#' + n.id + '.' + n.className + ' right=' + Math.round(r.right));
		}
		return out.length ? out : ['the page: ' + document.documentElement.scrollWidth + ' > ' + width];
	})()`)
	if len(wide) > 0 {
		b.t.Errorf("%s scrolls sideways on a phone: %s", page, strings.Join(wide, "; "))
	}
}

// productRow is the JavaScript of the product table's row named name.
func productRow(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#product-table tbody tr')].find(r => r.querySelector('.product-name strong').textContent === %q)`, name)
}

// signInAs fills the sign-in form.
func (b *browserSession) signInAs(email string) {
	b.t.Helper()
	b.Do("sign in as "+email,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=email]`), email),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=password]`), apitest.Password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#tabs")))
}

func TestBrowserFlow(t *testing.T) {
	browsertest.Path(t)
	srv := apitest.SQLite(t, apitest.RealClock()) // the browser's today is the real one
	// The first admin, as `freezerd user add --admin` makes it.
	srv.Register(t, freezer.Registration{Email: "admin@example.com", Admin: true})
	b := newBrowserSession(t, srv.URL)
	start := time.Now()

	const xss = `<img src=x onerror=alert(1)>`
	now := time.Now()
	twoMonthsAgo := now.AddDate(0, -2, 0).Format(freezer.DateLayout)
	twentyDaysAgo := now.AddDate(0, 0, -20).Format(freezer.DateLayout)
	today := now.Format(freezer.DateLayout)

	// Register, in French.
	b.Do("register",
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.WaitVisible(chromedp.CSS("#register-form")),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=email]`), "chef@example.com"),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=password]`), apitest.Password),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=password2]`), apitest.Password),
		chromedp.SetValue(chromedp.CSS(`#register-form select[name=language]`), "fr"),
		chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	b.Shot("01-registered")

	// Sign in from the welcome page: the e-mail is filled in, and it leads to the dashboard.
	b.Do("sign in",
		chromedp.Click(chromedp.CSS("#go-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=password]`), apitest.Password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#tabs")))
	if got := browsertest.Eval[string](b.Session, `location.pathname`); got != "/app/" {
		t.Errorf("signing in led to %s, want the dashboard /app/", got)
	}
	b.Do("open the account page", chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#token-form")))

	// Create a token: shown once, and it works.
	b.Do("create a token",
		chromedp.SetValue(chromedp.CSS(`#token-form input[name=name]`), "mon script"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token-box")))
	secret := browsertest.Eval[string](b.Session, `document.querySelector('#new-token').textContent`)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("new token %q", secret)
	}
	if got := apiStatus(t, srv, secret, "/api/v1/me"); got != http.StatusOK {
		t.Fatalf("token from the account page: /api/v1/me → %d", got)
	}
	b.Shot("02-account-token")

	// Open the dashboard: it follows the user's language.
	b.Do("open the dashboard", chromedp.Navigate(srv.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("#tab-products")))
	if lang := browsertest.Eval[string](b.Session, `document.documentElement.lang`); lang != "fr" {
		t.Errorf("dashboard language %q, want fr", lang)
	}
	dashboardToken := browsertest.Eval[string](b.Session, `fetch('/app/session').then(r => r.json()).then(s => s.token)`, chromedp.EvalAwaitPromise)

	// Add a freezer.
	b.Do("add a freezer",
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab=freezers]`)),
		chromedp.WaitVisible(chromedp.CSS("#freezer-form")),
		chromedp.SetValue(chromedp.CSS(`#freezer-form input[name=name]`), "Congélateur du garage"),
		chromedp.SetValue(chromedp.CSS(`#freezer-form input[name=number_boxes]`), "3"),
		chromedp.Click(chromedp.CSS(`#freezer-form button[type=submit]`)))
	b.WaitFor("the freezer's row", `document.querySelectorAll('#freezer-table tbody tr').length === 1`)
	b.Shot("03-freezers")

	// Add products: the next free slot is filled in each time.
	addProduct := func(name, typeID, dateIn, period, wantSlot string) {
		t.Helper()
		b.Do("open the product form "+name,
			chromedp.Click(chromedp.CSS(`#tabs button[data-tab=products]`)),
			chromedp.Click(chromedp.CSS("#add-product")),
			chromedp.WaitVisible(chromedp.CSS("#product-form")))
		b.WaitFor("the next free slot "+wantSlot, fmt.Sprintf(`document.querySelector('#product-form input[name=slot]').value === %q`, wantSlot))
		b.Do("fill the product form "+name,
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=name]`), name),
			chromedp.SetValue(chromedp.CSS(`#product-form select[name=type_id]`), typeID),
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=date_in]`), dateIn),
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=period_months]`), period),
			chromedp.Click(chromedp.CSS(`#product-form button[type=submit]`)))
		b.WaitFor("the row of "+name, productRow(name)+` !== undefined`)
	}
	addProduct("Soupe de Noël", "1", twoMonthsAgo, "1", "1")
	addProduct(xss, "24", today, "6", "2")
	addProduct("Gratin", "20", twentyDaysAgo, "1", "3")

	// Overdue and due-soon rows are marked.
	for name, stage := range map[string]string{"Soupe de Noël": "overdue", "Gratin": "due_soon", xss: "inside"} {
		row := productRow(name)
		if got := browsertest.Eval[string](b.Session, row+`.dataset.stage + ' ' + `+row+`.className`); got != stage+" "+stage {
			t.Errorf("row %q: stage and class %q, want %s", name, got, stage)
		}
	}
	if got := browsertest.Eval[string](b.Session, productRow("Soupe de Noël")+`.querySelector('.badge').textContent`); got != "dépassé" {
		t.Errorf("overdue badge %q, want dépassé", got)
	}
	// The hostile name is text, in the table and in the edit form.
	if n := browsertest.Eval[int](b.Session, `document.querySelectorAll('#product-table img, #product-table script').length`); n != 0 {
		t.Errorf("the product table holds %d elements made from a product name", n)
	}
	b.Do("edit the hostile product", chromedp.Click(chromedp.CSS(`#product-table tbody tr[data-stage=inside] button`)), chromedp.WaitVisible(chromedp.CSS("#product-form")))
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#product-form input[name=name]').value`); got != xss {
		t.Errorf("edit form name %q, want %q", got, xss)
	}
	b.Do("close the form", chromedp.Click(chromedp.CSS("#product-cancel")))
	b.Shot("04-products-overdue")

	// Sort by name, descending: a click on the header, twice.
	b.Do("sort", chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)), chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)))
	b.WaitFor("sorted by name, descending", fmt.Sprintf(`[...document.querySelectorAll('#product-table .product-name strong')].map(s => s.textContent).join('|') === %q`, "Soupe de Noël|Gratin|"+xss))

	// Download the overdue product's label.
	soupID := browsertest.Eval[string](b.Session, productRow("Soupe de Noël")+`.dataset.id`)
	if got := apiStatus(t, srv, secret, "/api/v1/products/"+soupID+"/label.png"); got != http.StatusOK {
		t.Fatalf("GET /api/v1/products/%s/label.png → %d: the dashboard's labels need it", soupID, got)
	}
	downloads := filepath.Join(t.TempDir(), "downloads")
	progress := chromedp.Events(b.Ctx, browser.DownloadProgress)
	b.Do("download the label",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptrTo(true)})
			return err
		}),
		chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soupID+`"] button.download-label`)))
	var labelFile string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("label download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			labelFile = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("label download canceled")
		}
	}

	// Take it out: it leaves the "inside" list, and "all" shows it out.
	b.Do("take out, eaten", chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soupID+`"] button.take-out`)),
		chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soupID+`"] button.take-out-eaten`)))
	b.WaitFor("the row to leave", productRow("Soupe de Noël")+` === undefined`)
	b.choose("#filter-state", "all")
	b.WaitFor("the row taken out", productRow("Soupe de Noël")+`?.dataset.stage === 'out'`)
	if got := browsertest.Eval[string](b.Session, productRow("Soupe de Noël")+`.querySelector('.badge').textContent`); got != "mangé" {
		t.Errorf("the outcome badge of the soup taken out says %q, want mangé", got)
	}
	b.Shot("05-products-all")

	// The trends count it: one soup ever stored, last taken out today.
	b.Do("trends", chromedp.Click(chromedp.CSS(`#tabs button[data-tab=trends]`)))
	b.WaitFor("the personal chart", `document.querySelector('#chart-personal g.row[data-id="1"]') !== null`)
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#chart-personal g.row[data-id="1"]').dataset.value`); got != "1" {
		t.Errorf("personal chart: soup counted %s times, want 1", got)
	}
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#chart-personal g.row[data-id="1"]').textContent`); !strings.Contains(got, "dernier sorti le "+today) {
		t.Errorf("personal chart row %q does not say it was taken out today", got)
	}
	if got := browsertest.Eval[int](b.Session, `document.querySelectorAll('#chart-general g.row').length`); got != 3 {
		t.Errorf("general chart has %d types, want 3", got)
	}
	b.Shot("06-trends")

	// A device: its credentials are shown once, and it is offline.
	b.Do("add a device",
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab=devices]`)),
		chromedp.WaitVisible(chromedp.CSS("#device-form")),
		chromedp.SetValue(chromedp.CSS(`#device-form input[name=name]`), "Lecteur de la porte"),
		chromedp.Click(chromedp.CSS(`#device-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#device-credentials")))
	b.WaitFor("the device row", `document.querySelectorAll('#device-table tbody tr').length === 1`)
	if got := browsertest.Eval[string](b.Session, `document.querySelector('#device-table tbody .badge').textContent`); got != "hors ligne" {
		t.Errorf("device state %q, want hors ligne", got)
	}
	b.Shot("07-devices")

	// On a phone: no page scrolls sideways.
	b.Do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, tab := range []string{"products", "freezers", "trends", "devices", "types"} {
		b.Do("phone "+tab, chromedp.Navigate(srv.URL+"/app/#"+tab), chromedp.WaitVisible(chromedp.CSS("#tab-"+tab)))
		if tab == "products" {
			b.choose("#filter-state", "all")
			b.WaitFor("the phone's product rows", `document.querySelectorAll('#product-table tbody tr').length === 3`)
		}
		if tab == "trends" {
			b.WaitFor("the phone's chart", `document.querySelector('#chart-personal svg') !== null`)
		}
		b.noSideScroll("the dashboard's " + tab)
		if tab == "products" || tab == "trends" {
			b.Shot("08-phone-" + tab)
		}
	}
	b.Do("phone account", chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#token-form")))
	b.noSideScroll("the account page")
	b.Shot("09-phone-account")
	b.Do("desktop", chromedp.EmulateViewport(1280, 900))

	// Sign out: the dashboard's token stops working.
	b.Do("sign out",
		chromedp.Navigate(srv.URL+"/logout"),
		chromedp.Click(chromedp.CSS("#confirm-sign-out")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if got := apiStatus(t, srv, dashboardToken, "/api/v1/me"); got != http.StatusUnauthorized {
		t.Errorf("dashboard token after sign-out: %d, want 401", got)
	}

	// Without a session, the dashboard takes a pasted API token, as the
	// original external dashboard did.
	b.Do("dashboard with a token",
		chromedp.Navigate(srv.URL+"/app/#products"),
		chromedp.WaitVisible(chromedp.CSS("#connect")),
		chromedp.SetValue(chromedp.CSS(`#token-form input[name=token]`), secret),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#forget-token")))
	b.WaitFor("the products seen with the token", `document.querySelectorAll('#product-table tbody tr').length === 2`)
	b.Do("forget the token", chromedp.Click(chromedp.CSS("#forget-token")), chromedp.WaitVisible(chromedp.CSS("#connect")))

	// The admin adds a type, in English.
	b.signInAs("admin@example.com")
	b.Do("add a type",
		chromedp.Navigate(srv.URL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#type-form")),
		chromedp.SetValue(chromedp.CSS(`#type-form input[name=name_en]`), "Dumplings"),
		chromedp.SetValue(chromedp.CSS(`#type-form input[name=name_fr]`), "Raviolis"),
		chromedp.Click(chromedp.CSS(`#type-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#page-notice")))
	if !browsertest.Eval[bool](b.Session, `[...document.querySelectorAll('#type-list input[name=name_en]')].some(i => i.value === 'Dumplings')`) {
		t.Error("the new type is not in the admin's list")
	}
	stats := browsertest.Eval[[]string](b.Session, `['stat-users', 'stat-inside', 'stat-total'].map(id => document.getElementById(id).textContent)`)
	if got, want := strings.Join(stats, " "), "2 2 3"; got != want {
		t.Errorf("admin statistics users/inside/total = %s, want %s", got, want)
	}
	b.Shot("10-admin")
	b.Do("admin dashboard", chromedp.Navigate(srv.URL+"/app/#types"), chromedp.WaitVisible(chromedp.CSS("#tab-types")))
	b.WaitFor("the new type in the dashboard", `[...document.querySelectorAll('#type-table td')].some(td => td.textContent === 'Raviolis')`)
	if lang := browsertest.Eval[string](b.Session, `document.documentElement.lang`); lang != "en" {
		t.Errorf("admin's dashboard language %q, want en", lang)
	}

	// The label decodes to the product's scan code.
	checkLabel(t, labelFile, soupID)

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.dialogs {
		if strings.HasPrefix(d, "alert") {
			t.Errorf("a page ran an alert: %s", d)
		}
	}
	t.Logf("browser flow took %v", time.Since(start).Round(time.Millisecond))
}

// checkLabel reads the QR code of the label the dashboard downloaded.
func checkLabel(t *testing.T, file, productID string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read label: %v", err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode label image (%.20q…): %v", data, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("read the label's QR code: %v", err)
	}
	id, _ := strconv.Atoi(productID)
	if got, want := res.GetText(), fmt.Sprintf("FZ-I-%06d", id); got != want {
		t.Errorf("label code %q, want %q", got, want)
	}
}
