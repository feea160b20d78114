package v1_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"net/http"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/api/apitest"
	"github.com/freezer-manager/freezer/labels"
)

func TestScanImage(t *testing.T) {
	e := sqliteEnv(t)
	u := e.User(t)
	label, err := labels.RenderPNG(labels.BoxLabels(&freezer.Freezer{ID: 4, NumberBoxes: 2}, "en")[1], labels.Sizes()[0])
	if err != nil {
		t.Fatal(err)
	}
	got := e.Post(t, u, "/scan-image", map[string]any{"image": "data:image/png;base64," + base64.StdEncoding.EncodeToString(label)}).WantStatus(t, http.StatusOK).Object(t)
	if got["code"] != freezer.BoxCode(4, 2) {
		t.Errorf("code = %v, want %s", got["code"], freezer.BoxCode(4, 2))
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 200, 100))); err != nil {
		t.Fatal(err)
	}
	e.Post(t, u, "/scan-image", map[string]any{"image": base64.StdEncoding.EncodeToString(blank.Bytes())}).WantError(t, http.StatusUnprocessableEntity, "EINVALID", "No code")
	e.Post(t, u, "/scan-image", map[string]any{"image": "data:image/png;base64,%%%"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "base64")
	e.Post(t, u, "/scan-image", map[string]any{"image": base64.StdEncoding.EncodeToString([]byte("not a picture"))}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "JPEG or PNG")
}

func TestScan(t *testing.T) {
	dialects(t, func(t *testing.T, e *apitest.Env) {
		alice, bob := e.User(t), e.User(t)
		f := mkFreezerID(t, e, alice, "Chest", 2)
		p := mkProductID(t, e, alice, productBody(f, 1, "Gratin"))
		dev := e.Post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "phone"}).WantStatus(t, http.StatusCreated).Object(t)
		path := "/devices/" + apitest.Str(t, apitest.Obj(t, dev, "device"), "id") + "/scans"
		scan := map[string]any{"id": "phone-1", "code": freezer.ProductCode(p)}
		ack := e.Post(t, alice, path, scan).WantStatus(t, http.StatusOK).Object(t)
		if ack["status"] != freezer.ScanOK || ack["op"] != freezer.OpOut || ack["product"] != "Gratin" {
			t.Errorf("ack = %v, want ok out Gratin", ack)
		}
		// A resend (same id, same code) is answered the same and applied once.
		if again := e.Post(t, alice, path, scan).WantStatus(t, http.StatusOK).Object(t); again["status"] != freezer.ScanOK {
			t.Errorf("resend ack = %v, want the same ok", again)
		}
		if got := apitest.Int(t, getProduct(t, e, alice, p), "version"); got != 2 {
			t.Errorf("version after a scan and its resend = %d, want 2", got)
		}
		// A new scan of the product: already out.
		scan["id"] = "phone-2"
		if ack := e.Post(t, alice, path, scan).WantStatus(t, http.StatusOK).Object(t); ack["status"] != freezer.ScanAlready {
			t.Errorf("second scan ack = %v, want already", ack)
		}
		e.Post(t, bob, path, scan).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
	})
}

func TestScanWithoutPipeline(t *testing.T) {
	e := apitest.SQLite(t, apitest.Check(matchesDoc)) // no Scanner
	alice, bob := e.User(t), e.User(t)
	dev := e.Post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "phone"}).WantStatus(t, http.StatusCreated).Object(t)
	path := "/devices/" + apitest.Str(t, apitest.Obj(t, dev, "device"), "id") + "/scans"
	scan := map[string]any{"id": "p-1", "code": "FZ-I-000001"}
	e.Post(t, bob, path, scan).WantError(t, http.StatusNotFound, freezer.ENOTFOUND)
	e.Post(t, alice, path, scan).WantError(t, http.StatusServiceUnavailable, freezer.EINTERNAL, "scan pipeline")
	ha := e.Post(t, alice, "/devices", map[string]any{"household_id": alice.Household, "name": "ha", "kind": "integration"}).WantStatus(t, http.StatusCreated).Object(t)
	e.Post(t, alice, "/devices/"+apitest.Str(t, apitest.Obj(t, ha, "device"), "id")+"/scans", scan).WantError(t, http.StatusBadRequest, freezer.EINVALID, "not a scanner")
}

// An integration has no scan mode and no scan settings in its credentials.
func TestIntegrationHasNoScanSettings(t *testing.T) {
	e := sqliteEnv(t)
	u := e.User(t)
	created := e.Post(t, u, "/devices", map[string]any{"household_id": u.Household, "name": "Home Assistant", "kind": "integration", "mode": "out"}).
		WantStatus(t, http.StatusCreated).Object(t)
	if mode := apitest.Obj(t, created, "device")["mode"]; mode != "" {
		t.Errorf("integration mode = %v, want none", mode)
	}
	creds := apitest.Obj(t, created, "credentials")
	for _, key := range []string{"scan_topic", "ack_topic", "scanner_bridge", "esphome"} {
		if creds[key] != "" {
			t.Errorf("integration credentials carry %s: %v", key, creds)
		}
	}
	id := apitest.Str(t, apitest.Obj(t, created, "device"), "id")
	e.Patch(t, u, "/devices/"+id, map[string]any{"mode": "in"}).WantError(t, http.StatusBadRequest, freezer.EINVALID, "no scan mode")
	scanner := e.Post(t, u, "/devices", map[string]any{"household_id": u.Household, "name": "door"}).WantStatus(t, http.StatusCreated).Object(t)
	if apitest.Obj(t, scanner, "device")["mode"] != freezer.ModeOut || apitest.Str(t, apitest.Obj(t, scanner, "credentials"), "scan_topic") == "" {
		t.Errorf("scanner = %v, want mode out and its scan settings", scanner)
	}
}
