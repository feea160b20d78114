package main

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	xdraw "golang.org/x/image/draw"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/devices"
	"github.com/freezer-manager/freezer/internal/browsertest"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

// detectorStandIn is a BarcodeDetector for a Chromium that has none (on
// Linux it has no platform decoder): it reads the frame the page gives it
// with the server's decoder, so that the page's own-detector path runs.
const detectorStandIn = `window.BarcodeDetector = class {
	static async getSupportedFormats() { return ['qr_code', 'ean_13', 'ean_8', 'upc_a', 'upc_e']; }
	async detect(source) {
		const c = document.createElement('canvas');
		c.width = source.videoWidth; c.height = source.videoHeight;
		if (!c.width) return [];
		c.getContext('2d').drawImage(source, 0, 0);
		const res = await fetch('/api/v1/scan-image', { method: 'POST',
			headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + sessionStorage.getItem('freezer_token') },
			body: JSON.stringify({ image: c.toDataURL('image/png') }) });
		if (!res.ok) return [];
		window.standInDetections = (window.standInDetections || 0) + 1;
		return [{ rawValue: (await res.json()).code }];
	}
};`

// TestScanPage points the phone's scan page at a camera that films a
// printed product label (Chromium's fake capture device playing a Y4M file
// made from the label): the product is taken out through the hub's
// pipeline, the banner shows the ack, and scans typed while the page is
// offline are applied once when it is back online. It runs with the
// server's decoder, and with a browser detector (the stand-in above where
// Chromium has none).
func TestScanPage(t *testing.T) {
	browsertest.Path(t)
	for _, decoder := range []string{"server", "browser"} {
		t.Run("decoder "+decoder, func(t *testing.T) {
			m, _ := startServing(t, ServeConfig{Config: Config{DB: testdb.SQLiteDSN(t)}, MQTTAddr: "127.0.0.1:0", MQTTRoot: devices.DefaultRoot,
				AlertSchedule: "off", TZ: "UTC"})
			w := newLifeWorld(t, m)
			labelled := w.create(t, 1, 0)
			camera := filepath.Join(t.TempDir(), "label.y4m")
			writeY4M(t, camera, labelled)

			b := browsertest.New(t, chromedp.Flag("use-fake-device-for-media-stream", true),
				chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("use-file-for-fake-video-capture", camera),
				chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
			base := "http://" + m.HTTP.Addr()
			scanURL := base + "/app/scan"
			if decoder == "server" {
				scanURL += "?decoder=server"
			}
			b.Do("open the scan page", chromedp.Navigate(base+"/app/scan"), chromedp.WaitVisible(chromedp.CSS("#scan-connect")))
			browsertest.Eval[any](b, fmt.Sprintf(`sessionStorage.setItem('freezer_token', %q)`, w.token))
			if decoder == "browser" && !browsertest.Eval[bool](b, `'BarcodeDetector' in window`) {
				if _, err := chromedp.Call(b.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: detectorStandIn}); err != nil {
					t.Fatal(err)
				}
			}
			b.Do("open it with a token", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
				chromedp.Navigate(scanURL))
			b.WaitFor("the page", `document.body.dataset.ready === 'true'`)
			b.WaitFor("the ack of the filmed label", `document.querySelector('#banner').dataset.status === 'ok'`)
			if got := browsertest.Eval[string](b, `document.body.dataset.decoder`); got != decoder {
				t.Errorf("the page decoded with the %s's decoder, want the %s's", got, decoder)
			}
			if got := browsertest.Eval[string](b, `document.querySelector('#banner strong').textContent`); got != labelled.Name {
				t.Errorf("banner names %q, want %q", got, labelled.Name)
			}
			if p := w.find(t, labelled.ID); p.Inside() || p.Version != 2 {
				t.Errorf("filmed product: inside %v, version %d; want out, version 2", p.Inside(), p.Version)
			}
			b.Shot("scan-390x844-" + decoder)
			b.Do("desktop", chromedp.EmulateViewport(1280, 900))
			b.Shot("scan-1280x900-" + decoder)
			if decoder != "server" {
				return
			}

			// Offline: typed scans wait in the page, then go once.
			queued := []*freezer.Product{w.create(t, 2, 0), w.create(t, 3, 0)}
			setOffline(t, b, true)
			b.WaitFor("the page offline", `navigator.onLine === false`)
			for _, p := range queued {
				b.Do("type a code", chromedp.SetValue(chromedp.CSS(`#manual input[name=code]`), freezer.ProductCode(p.ID)),
					chromedp.Click(chromedp.CSS(`#manual button[type=submit]`)))
			}
			b.WaitFor("the two typed scans queued", fmt.Sprintf(`JSON.parse(localStorage.getItem('freezer_scan_queue') || '[]').filter(s => s.code === %q || s.code === %q).length === 2`,
				freezer.ProductCode(queued[0].ID), freezer.ProductCode(queued[1].ID)))
			for _, p := range queued {
				if got := w.find(t, p.ID); !got.Inside() {
					t.Fatalf("product %d went out while the page was offline", p.ID)
				}
			}
			b.Shot("scan-offline")
			setOffline(t, b, false)
			b.WaitFor("the queue sent", `JSON.parse(localStorage.getItem('freezer_scan_queue') || '[]').length === 0`)
			for _, p := range queued {
				if got := w.find(t, p.ID); got.Inside() || got.Version != 2 || w.logLength(t, p.ID) != 2 {
					t.Errorf("queued product %d: inside %v, version %d, %d log entries; want out once", p.ID, got.Inside(), got.Version, w.logLength(t, p.ID))
				}
			}
		})
	}
}

// setOffline cuts the page's network (and navigator.onLine) or gives it back.
func setOffline(t *testing.T, b *browsertest.Session, offline bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	conditions := []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conditions}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		t.Fatal(err)
	}
}

// writeY4M writes a video of p's printed label on a table, as Chromium's
// fake camera plays it: YUV 4:2:0 frames, looped.
func writeY4M(t *testing.T, path string, p *freezer.Product) {
	t.Helper()
	label, err := labels.RenderImage(labels.ProductLabel(p, "en"), labels.Sizes()[0])
	if err != nil {
		t.Fatal(err)
	}
	const width, height = 640, 480
	frame := image.NewGray(image.Rect(0, 0, width, height))
	draw.Draw(frame, frame.Bounds(), &image.Uniform{color.Gray{Y: 200}}, image.Point{}, draw.Src)
	lb := label.Bounds()
	scale := min(float64(width-80)/float64(lb.Dx()), float64(height-80)/float64(lb.Dy()))
	w, h := int(float64(lb.Dx())*scale), int(float64(lb.Dy())*scale)
	at := image.Rect((width-w)/2, (height-h)/2, (width+w)/2, (height+h)/2)
	xdraw.CatmullRom.Scale(frame, at, label, lb, draw.Src, nil)

	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := bufio.NewWriter(f)
	fmt.Fprintf(out, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", width, height)
	chroma := make([]byte, width*height/4)
	for i := range chroma {
		chroma[i] = 128 // grey: no colour
	}
	for range 5 {
		out.WriteString("FRAME\n")
		out.Write(frame.Pix)
		out.Write(chroma)
		out.Write(chroma)
	}
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
}
