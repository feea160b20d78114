package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png" // labels are PNG
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/internal/testdb"
)

// Environment variables of the browser tests.
const (
	envRequireBrowser = "FREEZER_REQUIRE_BROWSER" // "1": no browser fails the test instead of skipping it
	envArtifactsDir   = "FREEZER_ARTIFACTS_DIR"   // where screenshots go (default: a new temporary directory, kept)
	envChromium       = "FREEZER_CHROMIUM"        // the browser to run (default: chromium on the PATH)
)

// browserPath finds Chromium, or skips the test (fails it when required).
func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(envChromium); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(envRequireBrowser) == "1" {
		t.Fatalf("no Chromium found but %s=1: install it (apt-get install chromium) or set %s", envRequireBrowser, envChromium)
	}
	t.Skipf("browser tests skipped: no Chromium on the PATH (apt-get install chromium, or set %s); set %s=1 to require them", envChromium, envRequireBrowser)
	return ""
}

// browserSession drives one Chromium tab against the site.
type browserSession struct {
	t         *testing.T
	ctx       context.Context // bounded: every step of the test together
	base      string
	artifacts string

	mu      sync.Mutex
	dialogs []string // "type: message" of every JavaScript dialog
}

// newBrowserSession starts a headless Chromium with a fresh profile.
func newBrowserSession(t *testing.T, base string) *browserSession {
	t.Helper()
	exe := browserPath(t)
	dir := os.Getenv(envArtifactsDir)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "freezer-browser-"); err != nil {
			t.Fatal(err)
		}
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil { // starts the browser, with no deadline on its life
		t.Fatalf("start %s: %v", exe, err)
	}
	ctx, cancel := context.WithTimeout(root, 2*time.Minute)
	t.Cleanup(cancel)
	b := &browserSession{t: t, ctx: ctx, base: base, artifacts: dir}

	// Answer every dialog (confirm() of the dashboard), and remember it: an
	// alert would be injected script running.
	dialogs := chromedp.Events(root, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			_, _ = chromedp.Call(root, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// do runs steps, failing the test with the step's place on error.
func (b *browserSession) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval runs a JavaScript expression and returns its value.
func browserEval[T any](b *browserSession, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (b *browserSession) waitFor(what, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// shot saves a screenshot of the whole page as name.png.
func (b *browserSession) shot(name string) []byte {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return nil
	}
	if err := os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
	return png
}

// choose sets a select's value and tells the page, as a user's choice does.
func (b *browserSession) choose(sel, value string) {
	b.t.Helper()
	browserEval[bool](b, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value))
}

// noSideScroll fails unless the page fits the viewport's width, naming
// the elements that stick out.
func (b *browserSession) noSideScroll(page string) {
	b.t.Helper()
	wide := browserEval[[]string](b, `(() => {
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
	b.do("sign in as "+email,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=email]`), email),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=password]`), webPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#tabs")))
}

func TestBrowserFlow(t *testing.T) {
	browserPath(t)
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	store.Now = time.Now // the browser's today is the real one
	// The first admin, as `freezerd user add --admin` makes it.
	if _, err := store.RegisterUser(freezer.SystemContext(context.Background()),
		freezer.Registration{Email: "admin@example.com", Password: webPassword, Admin: true}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewServer(api.Config{}, api.NewServices(store), nil).Handler())
	t.Cleanup(srv.Close)
	b := newBrowserSession(t, srv.URL)
	start := time.Now()

	const xss = `<img src=x onerror=alert(1)>`
	now := time.Now()
	twoMonthsAgo := now.AddDate(0, -2, 0).Format(freezer.DateLayout)
	twentyDaysAgo := now.AddDate(0, 0, -20).Format(freezer.DateLayout)
	today := now.Format(freezer.DateLayout)

	// Register, in French.
	b.do("register",
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.WaitVisible(chromedp.CSS("#register-form")),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=email]`), "chef@example.com"),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=password]`), webPassword),
		chromedp.SetValue(chromedp.CSS(`#register-form input[name=password2]`), webPassword),
		chromedp.SetValue(chromedp.CSS(`#register-form select[name=language]`), "fr"),
		chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token")))
	b.shot("01-registered")

	// Sign in from the welcome page: the e-mail is filled in, and it leads to the dashboard.
	b.do("sign in",
		chromedp.Click(chromedp.CSS("#go-sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS(`#login-form input[name=password]`), webPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#tabs")))
	if got := browserEval[string](b, `location.pathname`); got != "/app/" {
		t.Errorf("signing in led to %s, want the dashboard /app/", got)
	}
	b.do("open the account page", chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#token-form")))

	// Create a token: shown once, and it works.
	b.do("create a token",
		chromedp.SetValue(chromedp.CSS(`#token-form input[name=name]`), "mon script"),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-token-box")))
	secret := browserEval[string](b, `document.querySelector('#new-token').textContent`)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("new token %q", secret)
	}
	if got := webAPI(t, srv, secret, "/api/v1/me"); got != http.StatusOK {
		t.Fatalf("token from the account page: /api/v1/me → %d", got)
	}
	b.shot("02-account-token")

	// Open the dashboard: it follows the user's language.
	b.do("open the dashboard", chromedp.Navigate(srv.URL+"/app/"), chromedp.WaitVisible(chromedp.CSS("#tab-products")))
	if lang := browserEval[string](b, `document.documentElement.lang`); lang != "fr" {
		t.Errorf("dashboard language %q, want fr", lang)
	}
	dashboardToken := browserEval[string](b, `fetch('/app/session').then(r => r.json()).then(s => s.token)`, chromedp.EvalAwaitPromise)

	// Add a freezer.
	b.do("add a freezer",
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab=freezers]`)),
		chromedp.WaitVisible(chromedp.CSS("#freezer-form")),
		chromedp.SetValue(chromedp.CSS(`#freezer-form input[name=name]`), "Congélateur du garage"),
		chromedp.SetValue(chromedp.CSS(`#freezer-form input[name=number_boxes]`), "3"),
		chromedp.Click(chromedp.CSS(`#freezer-form button[type=submit]`)))
	b.waitFor("the freezer's row", `document.querySelectorAll('#freezer-table tbody tr').length === 1`)
	b.shot("03-freezers")

	// Add products: the next free slot is filled in each time.
	addProduct := func(name, typeID, dateIn, period, wantSlot string) {
		t.Helper()
		b.do("open the product form "+name,
			chromedp.Click(chromedp.CSS(`#tabs button[data-tab=products]`)),
			chromedp.Click(chromedp.CSS("#add-product")),
			chromedp.WaitVisible(chromedp.CSS("#product-form")))
		b.waitFor("the next free slot "+wantSlot, fmt.Sprintf(`document.querySelector('#product-form input[name=slot]').value === %q`, wantSlot))
		b.do("fill the product form "+name,
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=name]`), name),
			chromedp.SetValue(chromedp.CSS(`#product-form select[name=type_id]`), typeID),
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=date_in]`), dateIn),
			chromedp.SetValue(chromedp.CSS(`#product-form input[name=period_months]`), period),
			chromedp.Click(chromedp.CSS(`#product-form button[type=submit]`)))
		b.waitFor("the row of "+name, productRow(name)+` !== undefined`)
	}
	addProduct("Soupe de Noël", "1", twoMonthsAgo, "1", "1")
	addProduct(xss, "24", today, "6", "2")
	addProduct("Gratin", "20", twentyDaysAgo, "1", "3")

	// Overdue and due-soon rows are marked.
	for name, stage := range map[string]string{"Soupe de Noël": "overdue", "Gratin": "due_soon", xss: "inside"} {
		row := productRow(name)
		if got := browserEval[string](b, row+`.dataset.stage + ' ' + `+row+`.className`); got != stage+" "+stage {
			t.Errorf("row %q: stage and class %q, want %s", name, got, stage)
		}
	}
	if got := browserEval[string](b, productRow("Soupe de Noël")+`.querySelector('.badge').textContent`); got != "dépassé" {
		t.Errorf("overdue badge %q, want dépassé", got)
	}
	// The hostile name is text, in the table and in the edit form.
	if n := browserEval[int](b, `document.querySelectorAll('#product-table img, #product-table script').length`); n != 0 {
		t.Errorf("the product table holds %d elements made from a product name", n)
	}
	b.do("edit the hostile product", chromedp.Click(chromedp.CSS(`#product-table tbody tr[data-stage=inside] button`)), chromedp.WaitVisible(chromedp.CSS("#product-form")))
	if got := browserEval[string](b, `document.querySelector('#product-form input[name=name]').value`); got != xss {
		t.Errorf("edit form name %q, want %q", got, xss)
	}
	b.do("close the form", chromedp.Click(chromedp.CSS("#product-cancel")))
	b.shot("04-products-overdue")

	// Sort by name, descending: a click on the header, twice.
	b.do("sort", chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)), chromedp.Click(chromedp.CSS(`#product-table th[data-sort=name] button`)))
	if got := browserEval[[]string](b, `[...document.querySelectorAll('#product-table .product-name strong')].map(s => s.textContent)`); strings.Join(got, "|") != "Soupe de Noël|Gratin|"+xss {
		t.Errorf("sorted by name, descending: %q", got)
	}

	// Download the overdue product's label.
	soupID := browserEval[string](b, productRow("Soupe de Noël")+`.dataset.id`)
	if got := webAPI(t, srv, secret, "/api/v1/products/"+soupID+"/label.png"); got != http.StatusOK {
		t.Fatalf("GET /api/v1/products/%s/label.png → %d: the dashboard's labels need it", soupID, got)
	}
	downloads := filepath.Join(t.TempDir(), "downloads")
	progress := chromedp.Events(b.ctx, browser.DownloadProgress)
	b.do("download the label",
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
	b.do("take out, eaten", chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soupID+`"] button.take-out`)),
		chromedp.Click(chromedp.CSS(`#product-table tr[data-id="`+soupID+`"] button.take-out-eaten`)))
	b.waitFor("the row to leave", productRow("Soupe de Noël")+` === undefined`)
	b.choose("#filter-state", "all")
	b.waitFor("the row taken out", productRow("Soupe de Noël")+`?.dataset.stage === 'out'`)
	if got := browserEval[string](b, productRow("Soupe de Noël")+`.querySelector('.badge').textContent`); got != "mangé" {
		t.Errorf("the outcome badge of the soup taken out says %q, want mangé", got)
	}
	b.shot("05-products-all")

	// The trends count it: one soup ever stored, last taken out today.
	b.do("trends", chromedp.Click(chromedp.CSS(`#tabs button[data-tab=trends]`)))
	b.waitFor("the personal chart", `document.querySelector('#chart-personal g.row[data-id="1"]') !== null`)
	if got := browserEval[string](b, `document.querySelector('#chart-personal g.row[data-id="1"]').dataset.value`); got != "1" {
		t.Errorf("personal chart: soup counted %s times, want 1", got)
	}
	if got := browserEval[string](b, `document.querySelector('#chart-personal g.row[data-id="1"]').textContent`); !strings.Contains(got, "dernier sorti le "+today) {
		t.Errorf("personal chart row %q does not say it was taken out today", got)
	}
	if got := browserEval[int](b, `document.querySelectorAll('#chart-general g.row').length`); got != 3 {
		t.Errorf("general chart has %d types, want 3", got)
	}
	b.shot("06-trends")

	// A device: its credentials are shown once, and it is offline.
	b.do("add a device",
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab=devices]`)),
		chromedp.WaitVisible(chromedp.CSS("#device-form")),
		chromedp.SetValue(chromedp.CSS(`#device-form input[name=name]`), "Lecteur de la porte"),
		chromedp.Click(chromedp.CSS(`#device-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#device-credentials")))
	b.waitFor("the device row", `document.querySelectorAll('#device-table tbody tr').length === 1`)
	if got := browserEval[string](b, `document.querySelector('#device-table tbody .badge').textContent`); got != "hors ligne" {
		t.Errorf("device state %q, want hors ligne", got)
	}
	b.shot("07-devices")

	// On a phone: no page scrolls sideways.
	b.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, tab := range []string{"products", "freezers", "trends", "devices", "types"} {
		b.do("phone "+tab, chromedp.Navigate(srv.URL+"/app/#"+tab), chromedp.WaitVisible(chromedp.CSS("#tab-"+tab)))
		if tab == "products" {
			b.choose("#filter-state", "all")
			b.waitFor("the phone's product rows", `document.querySelectorAll('#product-table tbody tr').length === 3`)
		}
		if tab == "trends" {
			b.waitFor("the phone's chart", `document.querySelector('#chart-personal svg') !== null`)
		}
		b.noSideScroll("the dashboard's " + tab)
		if tab == "products" || tab == "trends" {
			b.shot("08-phone-" + tab)
		}
	}
	b.do("phone account", chromedp.Navigate(srv.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#token-form")))
	b.noSideScroll("the account page")
	b.shot("09-phone-account")
	b.do("desktop", chromedp.EmulateViewport(1280, 900))

	// Sign out: the dashboard's token stops working.
	b.do("sign out",
		chromedp.Navigate(srv.URL+"/logout"),
		chromedp.Click(chromedp.CSS("#confirm-sign-out")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if got := webAPI(t, srv, dashboardToken, "/api/v1/me"); got != http.StatusUnauthorized {
		t.Errorf("dashboard token after sign-out: %d, want 401", got)
	}

	// Without a session, the dashboard takes a pasted API token, as the
	// original external dashboard did.
	b.do("dashboard with a token",
		chromedp.Navigate(srv.URL+"/app/#products"),
		chromedp.WaitVisible(chromedp.CSS("#connect")),
		chromedp.SetValue(chromedp.CSS(`#token-form input[name=token]`), secret),
		chromedp.Click(chromedp.CSS(`#token-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#forget-token")))
	b.waitFor("the products seen with the token", `document.querySelectorAll('#product-table tbody tr').length === 2`)
	b.do("forget the token", chromedp.Click(chromedp.CSS("#forget-token")), chromedp.WaitVisible(chromedp.CSS("#connect")))

	// The admin adds a type, in English.
	b.signInAs("admin@example.com")
	b.do("add a type",
		chromedp.Navigate(srv.URL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS("#type-form")),
		chromedp.SetValue(chromedp.CSS(`#type-form input[name=name_en]`), "Dumplings"),
		chromedp.SetValue(chromedp.CSS(`#type-form input[name=name_fr]`), "Raviolis"),
		chromedp.Click(chromedp.CSS(`#type-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#page-notice")))
	if !browserEval[bool](b, `[...document.querySelectorAll('#type-list input[name=name_en]')].some(i => i.value === 'Dumplings')`) {
		t.Error("the new type is not in the admin's list")
	}
	stats := browserEval[[]string](b, `['stat-users', 'stat-inside', 'stat-total'].map(id => document.getElementById(id).textContent)`)
	if got, want := strings.Join(stats, " "), "2 2 3"; got != want {
		t.Errorf("admin statistics users/inside/total = %s, want %s", got, want)
	}
	b.shot("10-admin")
	b.do("admin dashboard", chromedp.Navigate(srv.URL+"/app/#types"), chromedp.WaitVisible(chromedp.CSS("#tab-types")))
	b.waitFor("the new type in the dashboard", `[...document.querySelectorAll('#type-table td')].some(td => td.textContent === 'Raviolis')`)
	if lang := browserEval[string](b, `document.documentElement.lang`); lang != "en" {
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
