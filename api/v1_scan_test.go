package api_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api"
	"github.com/freezer-manager/freezer/internal/testdb"
	"github.com/freezer-manager/freezer/labels"
)

func TestV1ScanImage(t *testing.T) {
	e := v1SQLite(t)
	u := e.user(t)
	label, err := labels.RenderPNG(labels.BoxLabels(&freezer.Freezer{ID: 4, NumberBoxes: 2}, "en")[1], labels.Sizes()[0])
	if err != nil {
		t.Fatal(err)
	}
	got := e.post(t, u, "/scan-image", map[string]any{"image": "data:image/png;base64," + base64.StdEncoding.EncodeToString(label)}).want(t, http.StatusOK).obj(t)
	if got["code"] != freezer.BoxCode(4, 2) {
		t.Errorf("code = %v, want %s", got["code"], freezer.BoxCode(4, 2))
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 100))); err != nil {
		t.Fatal(err)
	}
	e.post(t, u, "/scan-image", map[string]any{"image": base64.StdEncoding.EncodeToString(blank.Bytes())}).wantErr(t, http.StatusUnprocessableEntity, "EINVALID", "No code")
	e.post(t, u, "/scan-image", map[string]any{"image": "data:image/png;base64,%%%"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "base64")
	e.post(t, u, "/scan-image", map[string]any{"image": base64.StdEncoding.EncodeToString([]byte("not a picture"))}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "JPEG or PNG")
}

func TestV1Scan(t *testing.T) {
	v1Dialects(t, func(t *testing.T, e *v1Env) {
		alice, bob := e.user(t), e.user(t)
		f := e.mkFreezerID(t, alice, "Chest", 2)
		p := e.mkProductID(t, alice, v1ProductBody(f, 1, "Gratin"))
		dev := e.post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "phone"}).want(t, http.StatusCreated).obj(t)
		path := "/devices/" + v1Str(t, v1Obj(t, dev, "device"), "id") + "/scans"
		scan := map[string]any{"id": "phone-1", "code": freezer.ProductCode(p)}
		ack := e.post(t, alice, path, scan).want(t, http.StatusOK).obj(t)
		if ack["status"] != freezer.ScanOK || ack["op"] != freezer.OpOut || ack["product"] != "Gratin" {
			t.Errorf("ack = %v, want ok out Gratin", ack)
		}
		// A resend (same id, same code) is answered the same and applied once.
		if again := e.post(t, alice, path, scan).want(t, http.StatusOK).obj(t); again["status"] != freezer.ScanOK {
			t.Errorf("resend ack = %v, want the same ok", again)
		}
		if got := v1Int(t, e.product(t, alice, p), "version"); got != 2 {
			t.Errorf("version after a scan and its resend = %d, want 2", got)
		}
		// A new scan of the product: already out.
		scan["id"] = "phone-2"
		if ack := e.post(t, alice, path, scan).want(t, http.StatusOK).obj(t); ack["status"] != freezer.ScanAlready {
			t.Errorf("second scan ack = %v, want already", ack)
		}
		e.post(t, bob, path, scan).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

func TestV1ScanWithoutPipeline(t *testing.T) {
	store := testdb.MustOpen(t, testdb.SQLiteDSN(t))
	srv := httptest.NewServer(api.NewServer(api.Config{}, withSpooler(api.NewServices(store), store), nil).Handler())
	t.Cleanup(srv.Close)
	e := &v1Env{store: store, srv: srv}
	alice, bob := e.user(t), e.user(t)
	dev := e.post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "phone"}).want(t, http.StatusCreated).obj(t)
	path := "/devices/" + v1Str(t, v1Obj(t, dev, "device"), "id") + "/scans"
	scan := map[string]any{"id": "p-1", "code": "FZ-I-000001"}
	e.post(t, bob, path, scan).wantErr(t, http.StatusNotFound, freezer.ENOTFOUND)
	e.post(t, alice, path, scan).wantErr(t, http.StatusServiceUnavailable, freezer.EINTERNAL, "scan pipeline")
	ha := e.post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "ha", "kind": "integration"}).want(t, http.StatusCreated).obj(t)
	e.post(t, alice, "/devices/"+v1Str(t, v1Obj(t, ha, "device"), "id")+"/scans", scan).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "not a scanner")
}

// An integration has no scan mode and no scan settings in its credentials.
func TestV1IntegrationHasNoScanSettings(t *testing.T) {
	e := v1SQLite(t)
	u := e.user(t)
	created := e.post(t, u, "/devices", map[string]any{"household_id": u.Household, "name": "Home Assistant", "kind": "integration", "mode": "out"}).
		want(t, http.StatusCreated).obj(t)
	if mode := v1Obj(t, created, "device")["mode"]; mode != "" {
		t.Errorf("integration mode = %v, want none", mode)
	}
	creds := v1Obj(t, created, "credentials")
	for _, key := range []string{"scan_topic", "ack_topic", "scanner_bridge", "esphome"} {
		if creds[key] != "" {
			t.Errorf("integration credentials carry %s: %v", key, creds)
		}
	}
	id := v1Str(t, v1Obj(t, created, "device"), "id")
	e.patch(t, u, "/devices/"+id, map[string]any{"mode": "in"}).wantErr(t, http.StatusBadRequest, freezer.EINVALID, "no scan mode")
	scanner := e.post(t, u, "/devices", map[string]any{"household_id": u.Household, "name": "door"}).want(t, http.StatusCreated).obj(t)
	if v1Obj(t, scanner, "device")["mode"] != freezer.ModeOut || v1Str(t, v1Obj(t, scanner, "credentials"), "scan_topic") == "" {
		t.Errorf("scanner = %v, want mode out and its scan settings", scanner)
	}
}
