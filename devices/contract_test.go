package devices_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/freezer-manager/freezer/devices"
)

func TestTopics(t *testing.T) {
	for _, root := range []string{devices.DefaultRoot, "home/freezers"} {
		tp := devices.Topics{Root: root}
		tests := []struct{ got, want string }{
			{tp.Scan("scanner-ab"), root + "/dev/scanner-ab/scan"},
			{tp.Ack("scanner-ab"), root + "/dev/scanner-ab/ack"},
			{tp.Status("scanner-ab"), root + "/dev/scanner-ab/status"},
			{tp.SetMode("scanner-ab"), root + "/dev/scanner-ab/set/mode"},
			{tp.HubStatus(), root + "/hub/status"},
			{tp.ScanFilter(), root + "/dev/+/scan"},
		}
		for _, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("topic = %q, want %q", tt.got, tt.want)
			}
		}
		if dev, ok := tp.DeviceOfScan(tp.Scan("scanner-ab")); !ok || dev != "scanner-ab" {
			t.Errorf("DeviceOfScan(Scan(scanner-ab)) = %q, %v", dev, ok)
		}
	}
	if got, want := (devices.Topics{Root: devices.DefaultRoot}).Scan("x"), "freezer/v1/dev/x/scan"; got != want {
		t.Errorf("default root scan topic = %q, want %q", got, want)
	}
}

func TestDeviceOfScan(t *testing.T) {
	tp := devices.Topics{Root: devices.DefaultRoot}
	tests := []struct {
		topic string
		dev   string
		ok    bool
	}{
		{"freezer/v1/dev/scanner-k3v9x2ma/scan", "scanner-k3v9x2ma", true},
		{"freezer/v1/dev/a/scan", "a", true},
		{"freezer/v1/dev//scan", "", false},
		{"freezer/v1/dev/a/b/scan", "", false},
		{"freezer/v1/dev/+/scan", "", false},
		{"freezer/v1/dev/#/scan", "", false},
		{"freezer/v1/dev/a/ack", "", false},
		{"freezer/v1/dev/a/scan/x", "", false},
		{"freezer/v1/dev/a/scans", "", false},
		{"freezer/v10/dev/a/scan", "", false},
		{"other/v1/dev/a/scan", "", false},
		{"freezer/v1/dev/scan", "", false},
		{"freezer/v1/dev/", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		dev, ok := tp.DeviceOfScan(tt.topic)
		if dev != tt.dev || ok != tt.ok {
			t.Errorf("DeviceOfScan(%q) = %q, %v; want %q, %v", tt.topic, dev, ok, tt.dev, tt.ok)
		}
	}
}

func TestDecodeScan(t *testing.T) {
	longID := strings.Repeat("é", devices.MaxMsgIDLength) // 128 characters, 256 bytes
	tests := []struct {
		desc    string
		payload string
		want    devices.ScanMessage
		wantErr bool
	}{
		{desc: "JSON", payload: `{"id":"d-1","code":"FZ-I-000123"}`, want: devices.ScanMessage{ID: "d-1", Code: "FZ-I-000123"}},
		{desc: "JSON with a mode", payload: `{"id":"d-1","code":"FZ-I-000123","mode":"in"}`, want: devices.ScanMessage{ID: "d-1", Code: "FZ-I-000123", Mode: "in"}},
		{desc: "JSON with move mode", payload: `{"id":"d-1","code":"FZ-B-1-2","mode":"move"}`, want: devices.ScanMessage{ID: "d-1", Code: "FZ-B-1-2", Mode: "move"}},
		{desc: "JSON surrounded by white space", payload: " \r\n{\"id\":\"d-1\",\"code\":\"x\"}\n", want: devices.ScanMessage{ID: "d-1", Code: "x"}},
		{desc: "JSON code is trimmed", payload: `{"id":"d-1","code":"  FZ-I-1 \t"}`, want: devices.ScanMessage{ID: "d-1", Code: "FZ-I-1"}},
		{desc: "JSON with unknown fields", payload: `{"id":"d-1","code":"x","battery":97}`, want: devices.ScanMessage{ID: "d-1", Code: "x"}},
		{desc: "JSON with an empty mode", payload: `{"id":"d-1","code":"x","mode":""}`, want: devices.ScanMessage{ID: "d-1", Code: "x"}},
		{desc: "JSON with escapes", payload: `{"id":"d-\u00e9","code":"FZ\u002DI-1"}`, want: devices.ScanMessage{ID: "d-é", Code: "FZ-I-1"}},
		{desc: "JSON id of the maximum length", payload: `{"id":"` + longID + `","code":"x"}`, want: devices.ScanMessage{ID: longID, Code: "x"}},
		{desc: "raw line", payload: "FZ-I-000123", want: devices.ScanMessage{Code: "FZ-I-000123"}},
		{desc: "raw line with CR LF", payload: "FZ-I-000123\r\n", want: devices.ScanMessage{Code: "FZ-I-000123"}},
		{desc: "raw line with spaces", payload: "  4006381333931  ", want: devices.ScanMessage{Code: "4006381333931"}},
		{desc: "raw line with inner spaces", payload: "hello world", want: devices.ScanMessage{Code: "hello world"}},
		{desc: "raw UTF-8 line", payload: "Crème brûlée", want: devices.ScanMessage{Code: "Crème brûlée"}},
		{desc: "raw JSON array is a raw line", payload: `[1,2]`, want: devices.ScanMessage{Code: "[1,2]"}},
		{desc: "raw payload of exactly MaxScanPayload bytes", payload: strings.Repeat("A", devices.MaxScanPayload), want: devices.ScanMessage{Code: strings.Repeat("A", devices.MaxScanPayload)}},

		{desc: "empty", payload: "", wantErr: true},
		{desc: "white space only", payload: " \t\r\n", wantErr: true},
		{desc: "over MaxScanPayload", payload: strings.Repeat("A", devices.MaxScanPayload+1), wantErr: true},
		{desc: "over MaxScanPayload with white space", payload: "FZ-I-1" + strings.Repeat(" ", devices.MaxScanPayload), wantErr: true},
		{desc: "invalid UTF-8", payload: "FZ-I-\xff\xfe", wantErr: true},
		{desc: "binary", payload: "\x00\x01\x02\x03", wantErr: true},
		{desc: "control characters", payload: "FZ-I-1\x07", wantErr: true},
		{desc: "multi-line raw", payload: "FZ-I-1\nFZ-I-2", wantErr: true},
		{desc: "raw line with CR inside", payload: "FZ-I-1\rFZ-I-2", wantErr: true},
		{desc: "raw line with a line separator", payload: "FZ-I-1\u2028FZ-I-2", wantErr: true},
		{desc: "JSON with wrong types", payload: `{"id":5,"code":true}`, wantErr: true},
		{desc: "JSON with a numeric code", payload: `{"id":"d-1","code":123}`, wantErr: true},
		{desc: "JSON without id", payload: `{"code":"FZ-I-1"}`, wantErr: true},
		{desc: "JSON with a null id", payload: `{"id":null,"code":"FZ-I-1"}`, wantErr: true},
		{desc: "JSON with an empty id", payload: `{"id":"","code":"FZ-I-1"}`, wantErr: true},
		{desc: "JSON id too long", payload: `{"id":"` + longID + `x","code":"x"}`, wantErr: true},
		{desc: "JSON id with a control character", payload: `{"id":"d\u0000","code":"x"}`, wantErr: true},
		{desc: "JSON id with a newline", payload: `{"id":"d\n1","code":"x"}`, wantErr: true},
		{desc: "JSON without code", payload: `{"id":"d-1"}`, wantErr: true},
		{desc: "JSON with a blank code", payload: `{"id":"d-1","code":"   "}`, wantErr: true},
		{desc: "JSON with a multi-line code", payload: `{"id":"d-1","code":"FZ-I-1\nFZ-I-2"}`, wantErr: true},
		{desc: "JSON with an unknown mode", payload: `{"id":"d-1","code":"x","mode":"sideways"}`, wantErr: true},
		{desc: "JSON with an upper-case mode", payload: `{"id":"d-1","code":"x","mode":"IN"}`, wantErr: true},
		{desc: "JSON with trailing garbage", payload: `{"id":"d-1","code":"x"} {}`, wantErr: true},
		{desc: "truncated JSON", payload: `{"id":"d-1","code":"x"`, wantErr: true},
		{desc: "JSON with a nested object", payload: `{"id":{"a":1},"code":"x"}`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := devices.DecodeScan([]byte(tt.payload))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: DecodeScan(%.60q) = %+v, want an error", tt.desc, tt.payload, got)
			} else if !errors.Is(err, devices.ErrBadScan) {
				t.Errorf("%s: error %v does not wrap ErrBadScan", tt.desc, err)
			}
			if got.Code != "" || got.Mode != "" {
				t.Errorf("%s: DecodeScan returned %+v along with its error", tt.desc, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: DecodeScan(%.60q): %v", tt.desc, tt.payload, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: DecodeScan(%.60q) = %+v, want %+v", tt.desc, tt.payload, got, tt.want)
		}
	}
}

// A JSON scan whose id is readable keeps its id when the rest is bad, so
// that the hub's error ack reaches the device and stops its resends.
func TestDecodeScanKeepsReadableID(t *testing.T) {
	for _, payload := range []string{
		`{"id":"d-1","code":"x","mode":"sideways"}`,
		`{"id":"d-1","code":"  "}`,
		`{"id":"d-1"}`,
		`{"id":"d-1","code":"a\u0007b"}`,
	} {
		got, err := devices.DecodeScan([]byte(payload))
		if err == nil {
			t.Errorf("DecodeScan(%s) = %+v, want an error", payload, got)
			continue
		}
		if want := (devices.ScanMessage{ID: "d-1"}); got != want {
			t.Errorf("DecodeScan(%s) = %+v with its error, want %+v", payload, got, want)
		}
	}
	// An id that is itself bad is not returned.
	for _, payload := range []string{`{"id":"d\u0000","code":"x"}`, `{"id":"` + strings.Repeat("x", devices.MaxMsgIDLength+1) + `","code":"x"}`, `{"id":5}`} {
		if got, err := devices.DecodeScan([]byte(payload)); err == nil || got != (devices.ScanMessage{}) {
			t.Errorf("DecodeScan(%.40s) = %+v, %v; want an empty message and an error", payload, got, err)
		}
	}
}

func TestAckCodec(t *testing.T) {
	full := devices.Ack{ID: "d-1", Status: "ok", Op: "out", Product: `Soupe "maison" <b>&</b> de Noël`, Location: "F2 B3 S7", Msg: "taken out"}
	got, err := devices.DecodeAck(full.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if got != full {
		t.Errorf("round trip = %+v, want %+v", got, full)
	}

	// Empty fields are left out, except the id and status.
	var fields map[string]any
	if err := json.Unmarshal(devices.Ack{Status: "error", Msg: "bad"}.Encode(), &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 3 || fields["id"] != "" || fields["status"] != "error" || fields["msg"] != "bad" {
		t.Errorf("encoded fields = %v, want id, status and msg only", fields)
	}

	// The wire names of the contract.
	var wire map[string]string
	if err := json.Unmarshal(full.Encode(), &wire); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"id": "d-1", "status": "ok", "op": "out", "product": full.Product, "location": "F2 B3 S7", "msg": "taken out"} {
		if wire[k] != v {
			t.Errorf("wire field %q = %q, want %q", k, wire[k], v)
		}
	}

	for _, junk := range []string{"", "ok", "{", `{"status":5}`, "\xff"} {
		if _, err := devices.DecodeAck([]byte(junk)); err == nil {
			t.Errorf("DecodeAck(%q): want an error", junk)
		}
	}
}

func FuzzDecodeScan(f *testing.F) {
	for _, s := range []string{
		`{"id":"d-1","code":"FZ-I-000123"}`,
		`{"id":"d-1","code":"FZ-I-000123","mode":"in"}`,
		`{"id":"d-1","code":"FZ-B-1-2","mode":"move"}`,
		`{"id":5,"code":true}`,
		`{"id":"\u00e9\u2028","code":" x "}`,
		`{"id":"a","code":"<b>&amp;</b>"}`,
		"FZ-I-000123\r\n",
		"FZ-I-1\nFZ-I-2",
		"4006381333931",
		"",
		"\xff\xfe\x00",
		"{",
		"[1]",
		"null",
		strings.Repeat("A", devices.MaxScanPayload),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		msg, err := devices.DecodeScan(payload)
		if len(payload) > devices.MaxScanPayload && err == nil {
			t.Fatalf("payload of %d bytes accepted", len(payload))
		}
		// The same payload padded past the limit is always refused.
		if pad := devices.MaxScanPayload + 1 - len(payload); pad > 0 {
			padded := append(append([]byte(nil), payload...), bytes.Repeat([]byte(" "), pad)...)
			if _, err := devices.DecodeScan(padded); err == nil {
				t.Fatalf("padded payload of %d bytes accepted", len(padded))
			}
		}
		if err != nil {
			if !errors.Is(err, devices.ErrBadScan) {
				t.Fatalf("error %v does not wrap ErrBadScan", err)
			}
			if msg.Code != "" || msg.Mode != "" {
				t.Fatalf("DecodeScan returned %+v along with error %v", msg, err)
			}
			return
		}

		// What is accepted is clean.
		if msg.Code == "" || msg.Code != strings.TrimSpace(msg.Code) || !utf8.ValidString(msg.Code) || strings.ContainsAny(msg.Code, "\r\n\x00") {
			t.Fatalf("accepted code %q", msg.Code)
		}
		if utf8.RuneCountInString(msg.ID) > devices.MaxMsgIDLength || !utf8.ValidString(msg.ID) || strings.ContainsAny(msg.ID, "\r\n\x00") {
			t.Fatalf("accepted id %q", msg.ID)
		}
		switch msg.Mode {
		case "", "in", "out", "move":
		default:
			t.Fatalf("accepted mode %q", msg.Mode)
		}

		if msg.ID == "" {
			// A raw line: the code alone decodes to the same message.
			if msg.Mode != "" {
				t.Fatalf("raw line with a mode: %+v", msg)
			}
			if again, err := devices.DecodeScan([]byte(msg.Code)); err != nil || again != msg {
				t.Fatalf("raw code %q decodes to %+v, %v; want %+v", msg.Code, again, err, msg)
			}
			// Sent as JSON with an id, it keeps its code.
			withID := devices.ScanMessage{ID: "d-1", Code: msg.Code}
			checkJSONRoundTrip(t, withID)
			return
		}
		checkJSONRoundTrip(t, msg)
	})
}

// checkJSONRoundTrip fails unless msg, encoded as JSON, decodes to msg.
func checkJSONRoundTrip(t *testing.T, msg devices.ScanMessage) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > devices.MaxScanPayload {
		return // escaping made it too large to be a scan
	}
	again, err := devices.DecodeScan(buf.Bytes())
	if err != nil || again != msg {
		t.Fatalf("%+v re-encoded as %s decodes to %+v, %v", msg, buf.Bytes(), again, err)
	}
}
