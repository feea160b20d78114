// Package labeltest reads printed labels back for tests: it decodes the QR
// codes of images with gozxing and renders PDF pages with pdftoppm
// (Debian package poppler-utils).
package labeltest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/freezer-manager/freezer/labels"
)

// EnvRequirePDFToPPM set to "1" makes a missing pdftoppm fail the tests
// that need it instead of skipping them.
const EnvRequirePDFToPPM = "FREEZER_REQUIRE_PDFTOPPM"

// Result is a decoded QR code.
type Result struct {
	Text  string
	Level string // error correction level: L, M, Q or H
}

// Decode reads the QR code in img.
func Decode(img image.Image) (Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return Result{}, err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil { // slower, and seldom needed
		hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
		if res, err = qrcode.NewQRCodeReader().Decode(bmp, hints); err != nil {
			return Result{}, fmt.Errorf("no QR code found: %w", err)
		}
	}
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return Result{Text: res.GetText(), Level: level}, nil
}

// DecodePNG reads the QR code of a PNG image.
func DecodePNG(data []byte) (Result, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return Result{}, fmt.Errorf("decode png: %w", err)
	}
	return Decode(img)
}

// MustDecodePNG is DecodePNG that fails the test on error.
func MustDecodePNG(tb testing.TB, data []byte) Result {
	tb.Helper()
	r, err := DecodePNG(data)
	if err != nil {
		tb.Fatalf("read the printed label: %v", err)
	}
	return r
}

// RequirePDFToPPM returns the path of pdftoppm, or skips the test when it
// is missing (fails it when FREEZER_REQUIRE_PDFTOPPM=1).
func RequirePDFToPPM(tb testing.TB) string {
	tb.Helper()
	return RequirePoppler(tb, "pdftoppm")
}

// RequirePoppler returns the path of a poppler-utils tool (pdftoppm,
// pdftotext), or skips the test when it is missing (fails it when
// FREEZER_REQUIRE_PDFTOPPM=1).
func RequirePoppler(tb testing.TB, tool string) string {
	tb.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv(EnvRequirePDFToPPM) == "1" {
			tb.Fatalf("%s is missing but %s=1: apt-get install poppler-utils", tool, EnvRequirePDFToPPM)
		}
		tb.Skipf("%s is missing: install poppler-utils (Debian) to read PDF labels back", tool)
	}
	return path
}

// PDFText returns the text of a PDF, with pdftotext.
func PDFText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	bin := RequirePoppler(tb, "pdftotext")
	in := filepath.Join(tb.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// RenderPDF renders every page of a PDF to a grey image at dpi.
func RenderPDF(tb testing.TB, pdf []byte, dpi int) []image.Image {
	tb.Helper()
	bin := RequirePDFToPPM(tb)
	dir := tb.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", fmt.Sprint(dpi), "-gray", "-png", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("pdftoppm wrote no page (%v)", err)
	}
	sort.Strings(files) // page-1 … page-9, or page-01 … page-12: same width within a run
	pages := make([]image.Image, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			tb.Fatalf("read %s: %v", f, err)
		}
		pages = append(pages, img)
	}
	return pages
}

// Crop returns the part of img between (x, y) and (x+w, y+h) millimetres,
// for an image rendered at dpi.
func Crop(img image.Image, dpi int, x, y, w, h float64) image.Image {
	px := func(mm float64) int { return int(mm / 25.4 * float64(dpi)) }
	r := image.Rect(px(x), px(y), px(x+w), px(y+h)).Intersect(img.Bounds())
	if sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return sub.SubImage(r)
	}
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// SheetDPI is the resolution sheets are read back at.
const SheetDPI = 150

// DecodeSheet renders a sheet of n labels and decodes each cell of the
// grid, in order; it fails the test when a cell holds no readable code.
func DecodeSheet(tb testing.TB, pdf []byte, sheet labels.Sheet, n int) []Result {
	tb.Helper()
	pages := RenderPDF(tb, pdf, SheetDPI)
	if want := (n + sheet.PerPage() - 1) / sheet.PerPage(); len(pages) != max(want, 1) {
		tb.Fatalf("%d pages, want %d for %d labels of %d a page", len(pages), want, n, sheet.PerPage())
	}
	results := make([]Result, n)
	for i := range n {
		x, y, w, h := sheet.Cell(i)
		r, err := Decode(Crop(pages[i/sheet.PerPage()], SheetDPI, x, y, w, h))
		if err != nil {
			tb.Fatalf("label %d (page %d, cell %d): %v", i, i/sheet.PerPage()+1, i%sheet.PerPage(), err)
		}
		results[i] = r
	}
	return results
}

// DecodePDFPage renders a one-page PDF and decodes its code.
func DecodePDFPage(tb testing.TB, pdf []byte, dpi int) Result {
	tb.Helper()
	pages := RenderPDF(tb, pdf, dpi)
	if len(pages) != 1 {
		tb.Fatalf("%d pages, want 1", len(pages))
	}
	r, err := Decode(pages[0])
	if err != nil {
		tb.Fatalf("read the printed PDF label: %v", err)
	}
	return r
}
