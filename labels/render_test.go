package labels_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	freezer "github.com/freezer-manager/freezer"
	"github.com/freezer-manager/freezer/internal/labeltest"
	"github.com/freezer-manager/freezer/labels"
)

// update rewrites the golden files of testdata/golden instead of comparing
// with them: go test ./labels -run Golden -update, then look at the images.
var update = flag.Bool("update", false, "rewrite the golden files under labels/testdata/golden")

// Fixtures: a long accented name, a short one, a freezer and the day things went in.
var (
	frenchProduct = &freezer.Product{ID: 123, HouseholdID: 1, FreezerID: 2, Box: 3, Slot: 7,
		Name: "Blanquette de veau à l'ancienne, crème fraîche et champignons", Quantity: 4,
		DateIn: freezer.MustParseDate("2026-03-15"), PeriodMonths: 3}
	shortProduct = &freezer.Product{ID: 9, HouseholdID: 1, FreezerID: 12, Box: 1, Slot: 1, Name: "Pesto", Quantity: 1,
		DateIn: freezer.MustParseDate("2026-01-31"), PeriodMonths: 1}
	garage = &freezer.Freezer{ID: 2, HouseholdID: 1, Name: "Congélateur du garage (Bosch GSN)", NumberBoxes: 5}
)

// kind is one sort of label with its expected payload.
type kind struct {
	name  string
	label labels.Label
}

func kinds() []kind {
	return []kind{
		{"product-fr", labels.ProductLabel(frenchProduct, "fr")},
		{"product-en", labels.ProductLabel(shortProduct, "en")},
		{"box", labels.BoxLabels(garage, "fr")[2]},
		{"command-undo", labels.CommandCard(freezer.CommandUndo, "en")},
		{"command-move-fr", labels.CommandCard(freezer.CommandMove, "fr")},
		{"blank", labels.BlankLabel(1234567, "en")},
	}
}

func TestLabelPayloads(t *testing.T) {
	tests := []struct {
		label labels.Label
		want  freezer.Code
	}{
		{labels.ProductLabel(frenchProduct, "fr"), freezer.Code{Kind: freezer.CodeProduct, ProductID: 123}},
		{labels.BoxLabels(garage, "en")[4], freezer.Code{Kind: freezer.CodeBox, FreezerID: 2, Box: 5}},
		{labels.CommandCard(freezer.CommandIn, "fr"), freezer.Code{Kind: freezer.CodeCommand, Command: freezer.CommandIn}},
		{labels.BlankLabel(77, "fr"), freezer.Code{Kind: freezer.CodeProduct, ProductID: 77}},
	}
	for _, tt := range tests {
		if got := freezer.ParseCode(tt.label.Code); got != tt.want {
			t.Errorf("label %q: code parses to %+v, want %+v", tt.label.Code, got, tt.want)
		}
	}
	if got, want := len(labels.BoxLabels(garage, "en")), garage.NumberBoxes; got != want {
		t.Errorf("%d box labels, want %d", got, want)
	}
	l := labels.ProductLabel(frenchProduct, "fr")
	var text []string
	for _, ln := range l.Lines {
		text = append(text, ln.Text)
	}
	if got, want := strings.Join(text, " | "), "F2 · B3 · S7 | Entré le 2026-03-15 | Limite 2026-06 | Pour 4"; got != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

// TestPNGReadsBack decodes every kind of label at every size: the QR code
// holds the payload, at error level Q.
func TestPNGReadsBack(t *testing.T) {
	for _, size := range labels.Sizes() {
		for _, k := range kinds() {
			data, err := labels.RenderPNG(k.label, size)
			if err != nil {
				t.Fatalf("%s %s: %v", k.name, size.Name, err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s %s: %v", k.name, size.Name, err)
			}
			if got, want := img.Bounds().Size(), (image.Point{size.Width, size.Height}); got != want {
				t.Errorf("%s %s: %v pixels, want %v", k.name, size.Name, got, want)
			}
			r, err := labeltest.Decode(img)
			if err != nil {
				t.Fatalf("%s %s: %v", k.name, size.Name, err)
			}
			if r.Text != k.label.Code || r.Level != "Q" {
				t.Errorf("%s %s: read %q at level %s, want %q at level Q", k.name, size.Name, r.Text, r.Level, k.label.Code)
			}
		}
	}
}

// TestGoldenPNG compares the layout with reviewed images (-update rewrites them).
func TestGoldenPNG(t *testing.T) {
	for _, size := range labels.Sizes() {
		for _, k := range kinds() {
			name := fmt.Sprintf("%s-%s.png", k.name, size.Name)
			img, err := labels.RenderImage(k.label, size)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, img)
		}
	}
}

// golden compares img with testdata/golden/name, pixel by pixel.
func golden(t *testing.T, name string, img *image.Gray) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		writeGolden(t, path, buf.Bytes())
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./labels -run Golden -update to create it)", err)
	}
	want, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("%s: %v, golden %v", name, img.Bounds(), want.Bounds())
	}
	diff := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			r, _, _, _ := want.At(x, y).RGBA()
			if d := int(img.GrayAt(x, y).Y) - int(r>>8); d > 8 || d < -8 {
				diff++
			}
		}
	}
	if diff > 0 {
		got := filepath.Join(t.TempDir(), name)
		f, _ := os.Create(got)
		_ = png.Encode(f, img)
		f.Close()
		t.Errorf("%s: %d pixels differ from the golden image; this render is %s (go test ./labels -run Golden -update accepts it)", name, diff, got)
	}
}

func writeGolden(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenZPL compares the ZPL of each kind with reviewed files.
func TestGoldenZPL(t *testing.T) {
	for _, size := range labels.Sizes() {
		for _, k := range kinds() {
			data, err := labels.RenderZPL(k.label, size, 203)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", fmt.Sprintf("%s-%s.zpl", k.name, size.Name))
			if *update {
				writeGolden(t, path, data)
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./labels -run Golden -update to create it)", err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%s differs from its golden file:\n%s", path, data)
			}
		}
	}
}

func TestZPL(t *testing.T) {
	size, _ := labels.SizeOf(freezer.LabelSize50x25)
	for _, dpi := range []int{203, 300, 600} {
		data, err := labels.RenderZPL(labels.ProductLabel(frenchProduct, "fr"), size, dpi)
		if err != nil {
			t.Fatal(err)
		}
		zpl := string(data)
		dots := func(mm float64) int { return int(mm/25.4*float64(dpi) + 0.5) }
		for _, want := range []string{
			"^XA\n^CI28\n", // UTF-8 field data
			fmt.Sprintf("^PW%d\n^LL%d\n", dots(50), dots(25)),
			"^BQN,2,", "^FDQA,FZ-I-000123^FS", // QR, level Q, automatic mode
			"^FH_^FDBlanquette de", "veau à l'", "Entré le 2026-03-15", "Limite 2026-06", "F2 · B3 · S7",
			"^XZ\n",
		} {
			if !strings.Contains(zpl, want) {
				t.Errorf("%d dpi: ZPL lacks %q:\n%s", dpi, want, zpl)
			}
		}
		// Field data never holds a raw command character.
		for _, line := range strings.Split(zpl, "\n") {
			if _, data, ok := strings.Cut(line, "^FD"); ok {
				data = strings.TrimSuffix(data, "^FS")
				if strings.ContainsAny(data, "^~") {
					t.Errorf("field data %q has a command character", data)
				}
			}
		}
	}
	// A name that would end the field or send a command is escaped.
	p := *shortProduct
	p.Name = "^XZ~JR_"
	data, err := labels.RenderZPL(labels.ProductLabel(&p, "en"), size, 203)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "^FH_^FD_5EXZ_7EJR_5F^FS") || strings.Count(string(data), "^XZ") != 1 {
		t.Errorf("name not escaped:\n%s", data)
	}
}

// TestSheetsReadBack renders each kind of sheet, renders its pages with
// pdftoppm and decodes every cell of the grid.
func TestSheetsReadBack(t *testing.T) {
	labeltest.RequirePDFToPPM(t)
	big := *garage
	big.NumberBoxes = 26 // two pages of 3 × 8
	var blanks []labels.Label
	for id := int64(1000); id < 1010; id++ {
		blanks = append(blanks, labels.BlankLabel(id, "fr"))
	}
	products := []labels.Label{labels.ProductLabel(frenchProduct, "fr"), labels.ProductLabel(shortProduct, "en")}
	tests := []struct {
		desc  string
		list  []labels.Label
		sheet labels.Sheet
	}{
		{"box labels, 3 × 8", labels.BoxLabels(&big, "fr"), labels.DefaultSheet},
		{"command cards, 2 × 3", labels.CommandCards("fr"), labels.CommandSheet},
		{"command cards, 3 × 8", labels.CommandCards("en"), labels.DefaultSheet},
		{"blank labels, 4 × 10 without margin", blanks, labels.Sheet{Cols: 4, Rows: 10}},
		{"product labels, 2 × 6 with guides", products, labels.Sheet{Cols: 2, Rows: 6, MarginMM: 12, Guides: true}},
	}
	for _, tt := range tests {
		pdf, err := labels.RenderSheet(tt.list, tt.sheet)
		if err != nil {
			t.Fatalf("%s: %v", tt.desc, err)
		}
		results := labeltest.DecodeSheet(t, pdf, tt.sheet, len(tt.list))
		for i, r := range results {
			if r.Text != tt.list[i].Code || r.Level != "Q" {
				t.Errorf("%s: cell %d reads %q at level %s, want %q at level Q", tt.desc, i, r.Text, r.Level, tt.list[i].Code)
			}
		}
	}
}

// TestLabelPDFReadsBack renders the one-label PDF of every size (what CUPS gets).
func TestLabelPDFReadsBack(t *testing.T) {
	labeltest.RequirePDFToPPM(t)
	for _, size := range labels.Sizes() {
		l := labels.ProductLabel(frenchProduct, "fr")
		pdf, err := labels.RenderLabelPDF(l, size)
		if err != nil {
			t.Fatal(err)
		}
		pages := labeltest.RenderPDF(t, pdf, 300)
		if got, want := pages[0].Bounds().Dx(), int(size.WidthMM/25.4*300+0.5); got < want-2 || got > want+2 {
			t.Errorf("%s: page is %d pixels wide at 300 dpi, want %d", size.Name, got, want)
		}
		if r, err := labeltest.Decode(pages[0]); err != nil || r.Text != l.Code {
			t.Errorf("%s: read %q (%v), want %q", size.Name, r.Text, err, l.Code)
		}
	}
}

// TestPDFText: the accented text is in the PDF as text, in an embedded font.
func TestPDFText(t *testing.T) {
	pdf, err := labels.RenderSheet([]labels.Label{labels.ProductLabel(frenchProduct, "fr"), labels.CommandCard(freezer.CommandMove, "fr")}, labels.DefaultSheet)
	if err != nil {
		t.Fatal(err)
	}
	out := labeltest.PDFText(t, pdf)
	for _, want := range []string{"Blanquette", "Entré le 2026-03-15", "Limite 2026-06", "DÉPLACER", "boîte"} {
		if !strings.Contains(out, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, out)
		}
	}
}

func TestSheetValidate(t *testing.T) {
	for _, s := range []labels.Sheet{{Cols: 0, Rows: 8}, {Cols: 3, Rows: 0}, {Cols: 9, Rows: 8}, {Cols: 3, Rows: 21}, {Cols: 3, Rows: 8, MarginMM: -1}, {Cols: 3, Rows: 8, MarginMM: 41}} {
		if _, err := labels.RenderSheet(nil, s); freezer.ErrorCode(err) != freezer.EINVALID {
			t.Errorf("sheet %+v: err %v, want EINVALID", s, err)
		}
	}
	if _, err := labels.SizeOf("A4"); freezer.ErrorCode(err) != freezer.EINVALID {
		t.Errorf("SizeOf(A4): err %v, want EINVALID", err)
	}
	if s, err := labels.SizeOf(""); err != nil || s.Name != freezer.LabelSize62mm {
		t.Errorf("SizeOf(\"\") = %v, %v; want the 62 mm default", s.Name, err)
	}
}

// FuzzQRRoundTrip: every code a label can carry reads back from its PNG.
func FuzzQRRoundTrip(f *testing.F) {
	f.Add(int64(1), 1, uint8(0))
	f.Add(int64(999999999999999999), freezer.MaxBoxes, uint8(1))
	f.Add(int64(123456), 17, uint8(2))
	size, _ := labels.SizeOf(freezer.LabelSize50x25)
	f.Fuzz(func(t *testing.T, id int64, box int, which uint8) {
		if id <= 0 || id > 999999999999999999 {
			return
		}
		var code string
		switch which % 3 {
		case 0:
			code = freezer.ProductCode(id)
		case 1:
			if box < 1 || box > freezer.MaxBoxes {
				return
			}
			code = freezer.BoxCode(id, box)
		default:
			code = freezer.CommandCode(labels.Commands[int(uint64(id)%uint64(len(labels.Commands)))])
		}
		img, err := labels.RenderImage(labels.Label{Code: code, Title: "x"}, size)
		if err != nil {
			t.Fatal(err)
		}
		r, err := labeltest.Decode(img)
		if err != nil || r.Text != code {
			t.Fatalf("%s reads back as %q (%v)", code, r.Text, err)
		}
	})
}
