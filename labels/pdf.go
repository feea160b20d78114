package labels

import (
	"bytes"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	freezer "github.com/freezer-manager/freezer"
)

// A4 page size, in millimetres.
const (
	A4Width  = 210.0
	A4Height = 297.0
)

// Sheet is an A4 page divided into a grid of equal labels.
type Sheet struct {
	Cols, Rows int
	MarginMM   float64 // white border of the page, on every side
	Guides     bool    // thin grey lines around each label, to cut along
}

// Sheet bounds.
const (
	MaxSheetCols   = 8
	MaxSheetRows   = 20
	MaxSheetMargin = 40.0
)

// DefaultSheet fits 3 × 8 labels of 70 × 37 mm sheets within the margins
// most printers need.
var DefaultSheet = Sheet{Cols: 3, Rows: 8, MarginMM: 5}

// CommandSheet prints the command cards on one page.
var CommandSheet = Sheet{Cols: 2, Rows: 3, MarginMM: 10, Guides: true}

// Validate returns EINVALID when the grid is out of bounds.
func (s Sheet) Validate() error {
	if s.Cols < 1 || s.Cols > MaxSheetCols || s.Rows < 1 || s.Rows > MaxSheetRows {
		return freezer.Errorf(freezer.EINVALID, "The grid must have 1 to %d columns and 1 to %d rows.", MaxSheetCols, MaxSheetRows)
	}
	if s.MarginMM < 0 || s.MarginMM > MaxSheetMargin {
		return freezer.Errorf(freezer.EINVALID, "margin must be between 0 and %g mm.", MaxSheetMargin)
	}
	return nil
}

// PerPage is how many labels a page holds.
func (s Sheet) PerPage() int { return s.Cols * s.Rows }

// Cell returns the box of the i-th label of a page (0 is top left, row by
// row), in millimetres from the page's top-left corner.
func (s Sheet) Cell(i int) (x, y, w, h float64) {
	w = (A4Width - 2*s.MarginMM) / float64(s.Cols)
	h = (A4Height - 2*s.MarginMM) / float64(s.Rows)
	i %= s.PerPage()
	return s.MarginMM + float64(i%s.Cols)*w, s.MarginMM + float64(i/s.Cols)*h, w, h
}

// RenderSheet draws labels on as many A4 pages as they need, in PDF.
func RenderSheet(list []Label, s Sheet) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	pdf := newPDF(A4Width, A4Height)
	if len(list) == 0 {
		pdf.AddPage()
	}
	for i, l := range list {
		if i%s.PerPage() == 0 {
			pdf.AddPage()
		}
		x, y, w, h := s.Cell(i)
		if s.Guides {
			pdf.SetDrawColor(190, 190, 190)
			pdf.SetLineWidth(0.1)
			pdf.Rect(x, y, w, h, "D")
		}
		if err := drawPDFLabel(pdf, l, x, y, w, h); err != nil {
			return nil, err
		}
	}
	return outputPDF(pdf)
}

// RenderLabelPDF draws one label on a page of its own size, in PDF: what a
// CUPS label printer expects.
func RenderLabelPDF(l Label, size Size) ([]byte, error) {
	pdf := newPDF(size.WidthMM, size.HeightMM)
	pdf.AddPage()
	if err := drawPDFLabel(pdf, l, 0, 0, size.WidthMM, size.HeightMM); err != nil {
		return nil, err
	}
	return outputPDF(pdf)
}

// pdfFont is the family name of the embedded Go fonts in documents.
const pdfFont = "go"

// pdfEpoch is the creation date of every document, so that the same labels
// make the same bytes.
var pdfEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func newPDF(w, h float64) *fpdf.Fpdf {
	// fpdf swaps the sides of a landscape size: "P" keeps w × h as given.
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreator("Freezer Manager", true)
	pdf.SetCreationDate(pdfEpoch)
	pdf.SetModificationDate(pdfEpoch)
	pdf.SetCatalogSort(true)
	// UTF-8 TrueType fonts, embedded (subset): é, ü, ç and the like print as typed.
	pdf.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	return pdf
}

func outputPDF(pdf *fpdf.Fpdf) ([]byte, error) {
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// mmPerPoint converts font sizes: fpdf takes them in points.
const mmPerPoint = 25.4 / 72

// drawPDFLabel draws l in the box (x, y, w, h), in millimetres: the QR code
// in vector form, so that it stays sharp at any printer resolution.
func drawPDFLabel(pdf *fpdf.Fpdf, l Label, x, y, w, h float64) error {
	sym, err := encodeQR(l.Code)
	if err != nil {
		return err
	}
	setFont := func(bold bool, size float64) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont(pdfFont, style, size/mmPerPoint)
	}
	m := func(bold bool, size float64) measurer {
		return func(s string) float64 {
			setFont(bold, size)
			return pdf.GetStringWidth(s)
		}
	}
	p := arrange(l, sym, w, h, m, false)
	pdf.SetFillColor(0, 0, 0)
	ox, oy := p.QR.Origin()
	mod := p.QR.Module
	sym.runs(func(row, from, to int) {
		// A hair taller than a module, so that no seam shows between rows.
		pdf.Rect(x+ox+float64(from)*mod, y+oy+float64(row)*mod, float64(to-from)*mod, mod*1.02, "F")
	})
	pdf.SetTextColor(0, 0, 0)
	for _, b := range p.Text {
		setFont(b.Bold, b.Size)
		pdf.Text(x+b.X, y+b.Base, b.Text)
		if b.RuleEnd > b.RuleStart {
			pdf.SetDrawColor(0, 0, 0)
			pdf.SetLineWidth(b.RuleThickness)
			pdf.Line(x+b.RuleStart, y+b.Base, x+b.RuleEnd, y+b.Base)
		}
	}
	return pdf.Error()
}
