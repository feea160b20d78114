package labels

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	freezer "github.com/freezer-manager/freezer"
)

// charWidth measures every rune as one unit wide: widths are rune counts.
func charWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) }

func TestArrangeWholeModules(t *testing.T) {
	p := &freezer.Product{ID: 42, FreezerID: 2, Box: 3, Slot: 7, Name: "Gratin dauphinois", Quantity: 4,
		DateIn: freezer.MustParseDate("2026-03-15"), PeriodMonths: 3}
	for _, size := range Sizes() {
		for _, l := range []Label{ProductLabel(p, "en"), BlankLabel(7, "fr"), CommandCard(freezer.CommandMove, "fr")} {
			sym, err := encodeQR(l.Code)
			if err != nil {
				t.Fatal(err)
			}
			faces := &faceCache{}
			pl := arrange(l, sym, float64(size.Width), float64(size.Height), faces.metrics, true)
			if pl.QR.Module != math.Trunc(pl.QR.Module) || pl.QR.Module < 3 {
				t.Errorf("%s %s: %g pixels per module, want a whole number of at least 3", size.Name, l.Code, pl.QR.Module)
			}
			side := pl.QR.Module * float64(sym.N+2*QuietZone)
			if pl.QR.X < 0 || pl.QR.Y < 0 || pl.QR.X+side > float64(size.Width) || pl.QR.Y+side > float64(size.Height) {
				t.Errorf("%s %s: the QR code and its quiet zone (%g at %g,%g) leave the label", size.Name, l.Code, side, pl.QR.X, pl.QR.Y)
			}
			for _, b := range pl.Text {
				if b.X < pl.QR.X+side {
					t.Errorf("%s %s: text %q at x=%g overlaps the QR code's quiet zone (ends at %g)", size.Name, l.Code, b.Text, b.X, pl.QR.X+side)
				}
				if w := faces.metrics(b.Bold, b.Size)(b.Text); b.X+w > float64(size.Width) {
					t.Errorf("%s %s: text %q ends at %g, beyond the label's %d pixels", size.Name, l.Code, b.Text, b.X+w, size.Width)
				}
				if b.Top < 0 || b.Top+b.Size > float64(size.Height) {
					t.Errorf("%s %s: text %q (top %g, em %g) leaves the label's %d pixels of height", size.Name, l.Code, b.Text, b.Top, b.Size, size.Height)
				}
			}
		}
	}
}

func TestQRVersion(t *testing.T) {
	// Payloads are upper-case alphanumerics so that the code stays at version 1–2 at level Q.
	for _, code := range []string{freezer.ProductCode(1), freezer.ProductCode(999999), freezer.ProductCode(123456789012), freezer.BoxCode(123456, 1000), freezer.CommandCode(freezer.CommandMove)} {
		sym, err := encodeQR(code)
		if err != nil {
			t.Fatal(err)
		}
		if sym.N != 21 && sym.N != 25 {
			t.Errorf("%s: %d modules across, want 21 or 25 (version 1 or 2)", code, sym.N)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		in    string
		width float64
		want  string
	}{
		{"Lasagne", 7, "Lasagne"},
		{"Lasagne", 10, "Lasagne"},
		{"Lasagne", 6, "Lasag…"},
		{"Soupe de légumes", 9, "Soupe de…"},
		{"Soupe de légumes", 7, "Soupe…"}, // the space before the ellipsis goes
		{"Crème brûlée", 1, "…"},
		{"Crème brûlée", 0.5, ""},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := Fit(tt.in, tt.width, charWidth); got != tt.want {
			t.Errorf("Fit(%q, %g) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in       string
		width    float64
		maxLines int
		want     []string
	}{
		{"Soupe de légumes", 20, 2, []string{"Soupe de légumes"}},
		{"Soupe de légumes", 9, 2, []string{"Soupe de", "légumes"}},
		{"Soupe de légumes à l'ancienne", 9, 2, []string{"Soupe de", "légumes…"}},
		{"Soupe de légumes à l'ancienne", 9, 1, []string{"Soupe de…"}},
		{"Bœufbourguignon maison", 6, 2, []string{"Bœufbo", "urgui…"}}, // a word longer than a line is broken
		{"  spaced   out  ", 20, 2, []string{"spaced out"}},
		{"", 10, 2, nil},
		{"abc", 10, 0, nil},
	}
	for _, tt := range tests {
		got := Wrap(tt.in, tt.width, tt.maxLines, charWidth)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("Wrap(%q, %g, %d) = %q, want %q", tt.in, tt.width, tt.maxLines, got, tt.want)
		}
	}
}

// FuzzFitWrap: whatever the text, shortened lines fit, stay valid UTF-8
// and keep the text's beginning.
func FuzzFitWrap(f *testing.F) {
	for _, s := range []string{"Soupe de légumes à l'ancienne", "Bœuf", "", " ", "a b c d e f", "\xff\xfe", "日本語のテキスト", "…"} {
		f.Add(s, 8.0, 2)
	}
	faces := &faceCache{}
	measure := faces.metrics(true, 20)
	f.Fuzz(func(t *testing.T, s string, width float64, maxLines int) {
		if math.IsNaN(width) || width < 0 || width > 1e6 || maxLines > 5 || len(s) > 400 {
			return
		}
		for _, m := range []func(string) float64{charWidth, measure} {
			fit := Fit(s, width, m)
			if m(fit) > width {
				t.Fatalf("Fit(%q, %g) = %q, wider than the line", s, width, fit)
			}
			if fit != s && fit != "" && !strings.HasPrefix(s, strings.TrimSuffix(fit, Ellipsis)) {
				t.Fatalf("Fit(%q, %g) = %q does not start like the text", s, width, fit)
			}
			lines := Wrap(s, width, maxLines, m)
			if len(lines) > max(maxLines, 0) {
				t.Fatalf("Wrap(%q, %g, %d) = %d lines", s, width, maxLines, len(lines))
			}
			for _, line := range lines {
				if m(line) > width {
					t.Fatalf("Wrap(%q, %g, %d): line %q is wider than the line", s, width, maxLines, line)
				}
				if utf8.ValidString(s) && !utf8.ValidString(line) {
					t.Fatalf("Wrap(%q): line %q is not valid UTF-8", s, line)
				}
			}
		}
	})
}

func TestZPLEscape(t *testing.T) {
	if got, want := zplEscape("Crème ^XZ ~JA _ok_\n"), "Crème _5EXZ _7EJA _5Fok_5F_0A"; got != want {
		t.Errorf("zplEscape = %q, want %q", got, want)
	}
}
