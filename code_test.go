package freezer_test

import (
	"strings"
	"testing"

	"github.com/freezer-manager/freezer"
)

func TestParse(t *testing.T) {
	product := func(id int64) freezer.Code { return freezer.Code{Kind: freezer.CodeProduct, ProductID: id} }
	box := func(f int64, b int) freezer.Code { return freezer.Code{Kind: freezer.CodeBox, FreezerID: f, Box: b} }
	command := func(c string) freezer.Code { return freezer.Code{Kind: freezer.CodeCommand, Command: c} }
	barcode := func(s string) freezer.Code { return freezer.Code{Kind: freezer.CodeBarcode, Barcode: s} }
	unknown := freezer.Code{}

	tests := []struct {
		in   string
		want freezer.Code
	}{
		// Product labels.
		{"FZ-I-000123", product(123)},
		{"FZ-I-123", product(123)},
		{"fz-i-000123", product(123)},
		{"Fz-I-7", product(7)},
		{"  FZ-I-42  ", product(42)},
		{"\tFZ-I-42\r\n", product(42)},
		{"FZ-I-999999999999999999", product(999999999999999999)}, // 18 digits
		{"FZ-I-0000000000000000001", unknown},                    // more than 18 digits, even with leading zeros
		{"FZ-I-1234567890123456789", unknown},
		{"FZ-I-0", unknown},
		{"FZ-I-000000", unknown},
		{"FZ-I-", unknown},
		{"FZ-I--1", unknown},
		{"FZ-I-+1", unknown},
		{"FZ-I-12a", unknown},
		{"FZ-I- 12", unknown},
		{"FZ-I-1 2", unknown},
		{"FZ-I-١٢٣", unknown}, // Arabic-Indic digits are not digits here
		{"FZ-I-1.5", unknown},

		// Product labels as URLs.
		{"https://freezer.example.com/i/123", product(123)},
		{"http://freezer.example.com/i/123", product(123)},
		{"HTTPS://FREEZER.EXAMPLE.COM/I/123", product(123)},
		{"https://freezer.example.com/i/000123", product(123)},
		{"https://freezer.example.com/i/123/", product(123)},
		{"https://freezer.example.com:8443/i/5", product(5)},
		{"https://192.168.1.10/i/5", product(5)},
		{"  https://h/i/5\n", product(5)},
		{"https://freezer.example.com/app/i/9", product(9)},
		{"https://freezer.example.com/i/123//", unknown},
		{"https://freezer.example.com/i/", unknown},
		{"https://freezer.example.com/i/0", unknown},
		{"https://freezer.example.com/i/abc", unknown},
		{"https://freezer.example.com/i/123?ref=qr", unknown},
		{"https://freezer.example.com/i/123#x", unknown},
		{"https://freezer.example.com/x/123", unknown},
		{"https:///i/123", unknown}, // no host
		{"ftp://freezer.example.com/i/123", unknown},
		{"freezer.example.com/i/123", unknown},

		// Box labels.
		{"FZ-B-2-3", box(2, 3)},
		{"fz-b-2-3", box(2, 3)},
		{"FZ-B-000002-003", box(2, 3)},
		{" FZ-B-1-1 ", box(1, 1)},
		{"FZ-B-1-1000", box(1, freezer.MaxBoxes)},
		{"FZ-B-1-1001", unknown},
		{"FZ-B-1-0", unknown},
		{"FZ-B-0-1", unknown},
		{"FZ-B-1", unknown},
		{"FZ-B-1-", unknown},
		{"FZ-B--1", unknown},
		{"FZ-B-1-2-3", unknown},
		{"FZ-B-a-1", unknown},
		{"FZ-B-1-99999999999999999999", unknown},

		// Command cards.
		{"FZ-C-IN", command(freezer.CommandIn)},
		{"FZ-C-OUT", command(freezer.CommandOut)},
		{"FZ-C-MOVE", command(freezer.CommandMove)},
		{"FZ-C-UNDO", command(freezer.CommandUndo)},
		{"fz-c-undo", command(freezer.CommandUndo)},
		{"Fz-C-Move", command(freezer.CommandMove)},
		{"FZ-C-IN\n", command(freezer.CommandIn)},
		{"FZ-C-", unknown},
		{"FZ-C-STOP", unknown},
		{"FZ-C-IN-", unknown},
		{"FZ-C-INOUT", unknown},

		// Retail barcodes: EAN-13, EAN-8, UPC-A with their check digit.
		{"4006381333931", barcode("4006381333931")},
		{" 4006381333931\r\n", barcode("4006381333931")},
		{"4006381333932", unknown},
		{"96385074", barcode("96385074")},
		{"96385075", unknown},
		{"036000291452", barcode("036000291452")},
		{"036000291453", unknown},
		{"1234567", unknown},         // 7 digits
		{"123456789012345", unknown}, // 15 digits
		{"4006381333931x", unknown},

		// Anything else.
		{"", unknown},
		{"   ", unknown},
		{"\n", unknown},
		{"hello", unknown},
		{"FZ-", unknown},
		{"FZ", unknown},
		{"FZ-X-1", unknown},
		{"FZI123", unknown},
		{"FZ_I_123", unknown},
		{"\x00\x01", unknown},
	}
	for _, tt := range tests {
		if got := freezer.ParseCode(tt.in); got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseOverlong(t *testing.T) {
	tests := []struct {
		desc string
		in   string
		want freezer.CodeKind
	}{
		{"a product label padded with white space", strings.Repeat(" ", 300) + "FZ-I-1" + strings.Repeat("\t", 300), freezer.CodeProduct},
		{"a URL of exactly MaxCodeLength characters", "https://" + strings.Repeat("a", freezer.MaxCodeLength-len("https:///i/1")) + "/i/1", freezer.CodeProduct},
		{"a URL one character longer than MaxCodeLength", "https://" + strings.Repeat("a", freezer.MaxCodeLength-len("https:///i/1")+1) + "/i/1", freezer.CodeUnknown},
		{"300 digits", strings.Repeat("1", 300), freezer.CodeUnknown},
		{"a product label with a huge id", "FZ-I-" + strings.Repeat("9", 300), freezer.CodeUnknown},
		{"a megabyte of text", strings.Repeat("FZ-I-1", 1<<20/6), freezer.CodeUnknown},
	}
	for _, tt := range tests {
		if got := freezer.ParseCode(tt.in).Kind; got != tt.want {
			t.Errorf("%s: kind = %d, want %d", tt.desc, got, tt.want)
		}
	}
}

func TestEncoders(t *testing.T) {
	if got, want := freezer.ProductCode(123), "FZ-I-000123"; got != want {
		t.Errorf("ProductCode(123) = %q, want %q", got, want)
	}
	if got, want := freezer.ProductCode(1234567), "FZ-I-1234567"; got != want {
		t.Errorf("ProductCode(1234567) = %q, want %q", got, want)
	}
	if got, want := freezer.BoxCode(2, 3), "FZ-B-2-3"; got != want {
		t.Errorf("BoxCode(2, 3) = %q, want %q", got, want)
	}
	if got, want := freezer.CommandCode(freezer.CommandUndo), "FZ-C-UNDO"; got != want {
		t.Errorf("CommandCode(UNDO) = %q, want %q", got, want)
	}
	// Label payloads are upper-case ASCII without ':' so that keyboard-style
	// scanners type them right.
	for _, s := range []string{freezer.ProductCode(987654321), freezer.BoxCode(12, 1000), freezer.CommandCode(freezer.CommandMove)} {
		if s != strings.ToUpper(s) || strings.ContainsRune(s, ':') {
			t.Errorf("%q is not upper-case ASCII without ':'", s)
		}
		for _, r := range s {
			if r > 0x7e || r < 0x20 {
				t.Errorf("%q has non-ASCII character %q", s, r)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, id := range []int64{1, 9, 999999, 1000000, 123456789, 999999999999999999} {
		want := freezer.Code{Kind: freezer.CodeProduct, ProductID: id}
		if got := freezer.ParseCode(freezer.ProductCode(id)); got != want {
			t.Errorf("Parse(ProductCode(%d)) = %+v", id, got)
		}
	}
	for _, fb := range [][2]int64{{1, 1}, {2, 3}, {123456, freezer.MaxBoxes}} {
		want := freezer.Code{Kind: freezer.CodeBox, FreezerID: fb[0], Box: int(fb[1])}
		if got := freezer.ParseCode(freezer.BoxCode(fb[0], int(fb[1]))); got != want {
			t.Errorf("Parse(BoxCode(%d, %d)) = %+v", fb[0], fb[1], got)
		}
	}
	for _, c := range []string{freezer.CommandIn, freezer.CommandOut, freezer.CommandMove, freezer.CommandUndo} {
		want := freezer.Code{Kind: freezer.CodeCommand, Command: c}
		if got := freezer.ParseCode(freezer.CommandCode(c)); got != want {
			t.Errorf("Parse(CommandCode(%s)) = %+v", c, got)
		}
	}
}

// encode returns a payload for a parsed code, as the label printer would make it.
func encode(c freezer.Code) string {
	switch c.Kind {
	case freezer.CodeProduct:
		return freezer.ProductCode(c.ProductID)
	case freezer.CodeBox:
		return freezer.BoxCode(c.FreezerID, c.Box)
	case freezer.CodeCommand:
		return freezer.CommandCode(c.Command)
	case freezer.CodeBarcode:
		return c.Barcode
	}
	return ""
}

// checkCode fails unless c holds only the fields of its kind, in range.
func checkCode(t *testing.T, in string, c freezer.Code) {
	t.Helper()
	zero := freezer.Code{Kind: c.Kind}
	var rest freezer.Code
	switch c.Kind {
	case freezer.CodeUnknown:
		rest = c
	case freezer.CodeProduct:
		if c.ProductID <= 0 {
			t.Fatalf("Parse(%q): product id %d", in, c.ProductID)
		}
		rest = c
		rest.ProductID = 0
	case freezer.CodeBox:
		if c.FreezerID <= 0 || c.Box < 1 || c.Box > freezer.MaxBoxes {
			t.Fatalf("Parse(%q): box %d-%d out of range", in, c.FreezerID, c.Box)
		}
		rest = c
		rest.FreezerID, rest.Box = 0, 0
	case freezer.CodeCommand:
		switch c.Command {
		case freezer.CommandIn, freezer.CommandOut, freezer.CommandMove, freezer.CommandUndo:
		default:
			t.Fatalf("Parse(%q): command %q", in, c.Command)
		}
		rest = c
		rest.Command = ""
	case freezer.CodeBarcode:
		if freezer.ValidateBarcode(c.Barcode) != nil || c.Barcode == "" {
			t.Fatalf("Parse(%q): invalid barcode %q", in, c.Barcode)
		}
		rest = c
		rest.Barcode = ""
	default:
		t.Fatalf("Parse(%q): kind %d", in, c.Kind)
	}
	if rest != zero {
		t.Fatalf("Parse(%q) = %+v: fields of another kind are set", in, c)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{
		"FZ-I-000123", "fz-i-1", " FZ-I-42\n", "https://h/i/5/", "HTTP://H/I/7", "FZ-B-2-3", "FZ-B-1-0", "FZ-I-0",
		"FZ-C-IN", "FZ-C-UNDO", "fz-c-move", "4006381333931", "96385074", "036000291452", "036000291453", "",
		"FZ-B-1-1000", "FZ-I-999999999999999999", "https:///i/1", "\xff\xfe", "FZ-ı-1",
	} {
		f.Add(s, int64(len(s)), len(s)%7)
	}
	f.Add("", int64(999999999999999999), freezer.MaxBoxes)
	f.Add("", int64(-1), -1)
	f.Fuzz(func(t *testing.T, s string, id int64, box int) {
		c := freezer.ParseCode(s)
		checkCode(t, s, c)
		if len(strings.TrimSpace(s)) > freezer.MaxCodeLength && c.Kind != freezer.CodeUnknown {
			t.Fatalf("Parse of %d characters = %+v, want unknown", len(s), c)
		}
		if c.Kind != freezer.CodeUnknown {
			enc := encode(c)
			if got := freezer.ParseCode(enc); got != c {
				t.Fatalf("Parse(%q) = %+v, but its encoding %q parses to %+v", s, c, enc, got)
			}
			if got := freezer.ParseCode(strings.ToLower(enc)); got != c {
				t.Fatalf("lower-case %q parses to %+v, want %+v", strings.ToLower(enc), got, c)
			}
			// Case does not matter, nor surrounding white space.
			if up := strings.ToUpper(s); len(up) == len(s) {
				if got := freezer.ParseCode(" " + up + "\r\n"); got != c {
					t.Fatalf("Parse(%q) = %+v but its upper-case form parses to %+v", s, c, got)
				}
			}
			if c.Kind != freezer.CodeBarcode && c.Kind != freezer.CodeUnknown {
				if enc != strings.ToUpper(enc) || strings.ContainsRune(enc, ':') {
					t.Fatalf("encoding %q is not upper-case without ':'", enc)
				}
			}
		}

		// The encoders round-trip for every id a database can hand out.
		if id > 0 && id <= 999999999999999999 {
			if got, want := freezer.ParseCode(freezer.ProductCode(id)), (freezer.Code{Kind: freezer.CodeProduct, ProductID: id}); got != want {
				t.Fatalf("Parse(ProductCode(%d)) = %+v", id, got)
			}
			if box >= 1 && box <= freezer.MaxBoxes {
				if got, want := freezer.ParseCode(freezer.BoxCode(id, box)), (freezer.Code{Kind: freezer.CodeBox, FreezerID: id, Box: box}); got != want {
					t.Fatalf("Parse(BoxCode(%d, %d)) = %+v", id, box, got)
				}
			}
		}
		cmds := []string{freezer.CommandIn, freezer.CommandOut, freezer.CommandMove, freezer.CommandUndo}
		cmd := cmds[uint(box)%uint(len(cmds))]
		if got, want := freezer.ParseCode(freezer.CommandCode(cmd)), (freezer.Code{Kind: freezer.CodeCommand, Command: cmd}); got != want {
			t.Fatalf("Parse(CommandCode(%s)) = %+v", cmd, got)
		}
	})
}
