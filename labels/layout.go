package labels

import "math"

// placement is a label laid out in a box, in the renderer's unit (pixels,
// millimetres or dots), origin at the top left.
type placement struct {
	QR   qrPlacement
	Text []textBlock
}

// qrPlacement puts the QR code's quiet zone's top-left corner at (X, Y),
// with modules of Module units.
type qrPlacement struct {
	X, Y, Module float64
	sym          *symbol
}

// Origin returns where the first module goes.
func (q qrPlacement) Origin() (x, y float64) {
	return q.X + QuietZone*q.Module, q.Y + QuietZone*q.Module
}

// textBlock is one line of text: its font, its left edge, the top of its
// em box and its baseline. RuleEnd > 0 draws a writing line after it.
type textBlock struct {
	Text          string
	Bold          bool
	Size          float64 // the em, in the layout's unit
	X, Top, Base  float64
	RuleStart     float64
	RuleEnd       float64
	RuleThickness float64
}

// metrics returns a measurer for the regular or bold font at an em of size units.
type metrics func(bold bool, size float64) measurer

// Relative sizes of the type, in parts of the label's smaller side.
const (
	titleEm   = 0.15
	lineEm    = 0.10
	captionEm = 0.075
	leading   = 1.2  // line advance, in ems
	ascent    = 0.9  // baseline below the top of a line, in ems
	ruleLead  = 1.55 // line advance of a line to write on
)

// arrange lays l out in a w×h box. A wide box has the QR code on the left
// and the text on its right; a tall one has the text under the QR code.
// whole makes the module size a whole number of units (pixels, dots).
// Type shrinks until the text fits, then lines are shortened with "…".
func arrange(l Label, sym *symbol, w, h float64, m metrics, whole bool) placement {
	short := min(w, h)
	margin := short * 0.06
	cells := float64(sym.N + 2*QuietZone)
	side := h - 2*margin
	wide := w >= 1.3*h
	if !wide {
		side = min(w-2*margin, h*0.6)
	}
	module := side / cells
	if whole {
		module = max(1, math.Floor(module))
	}
	qrSize := module * cells
	var p placement
	var x, top, textW, avail float64
	if wide {
		p.QR = qrPlacement{X: margin, Y: (h - qrSize) / 2, Module: module, sym: sym}
		x, top = margin+qrSize, margin
		textW, avail = w-x-margin, h-2*margin
	} else {
		p.QR = qrPlacement{X: (w - qrSize) / 2, Y: margin, Module: module, sym: sym}
		x, top = 2*margin, margin+qrSize
		textW, avail = w-4*margin, h-top-margin
	}
	for scale := 1.0; ; scale *= 0.9 {
		blocks, height := stack(l, x, top, textW, short*scale, m)
		if height <= avail || scale < 0.3 {
			shift := max(0, (avail-height)/2) // centred on the free height
			for i := range blocks {
				blocks[i].Top += shift
				blocks[i].Base += shift
			}
			p.Text = blocks
			return p
		}
	}
}

// stack sets l's text one line under the other from top, with type sized
// for a label whose smaller side is unit; it returns the lines and their height.
func stack(l Label, x, top, width, unit float64, m metrics) ([]textBlock, float64) {
	var blocks []textBlock
	y := top
	add := func(text string, bold bool, size, advance float64) *textBlock {
		blocks = append(blocks, textBlock{Text: text, Bold: bold, Size: size, X: x, Top: y, Base: y + ascent*size})
		y += advance * size
		return &blocks[len(blocks)-1]
	}
	titleSize, lineSize, captionSize := titleEm*unit, lineEm*unit, captionEm*unit
	for _, t := range Wrap(l.Title, width, 2, m(true, titleSize)) {
		add(t, true, titleSize, leading)
	}
	for _, ln := range l.Lines {
		measure := m(ln.Bold, lineSize)
		if ln.Rule {
			text := Fit(ln.Text, width*0.45, measure)
			b := add(text, ln.Bold, lineSize, ruleLead)
			b.RuleStart = x + measure(text) + lineSize*0.3
			b.RuleEnd, b.RuleThickness = x+width, max(lineSize*0.05, unit*0.004)
			continue
		}
		for _, t := range Wrap(ln.Text, width, max(ln.MaxLines, 1), measure) {
			add(t, ln.Bold, lineSize, leading)
		}
	}
	y += lineSize * 0.1
	add(Fit(l.Code, width, m(false, captionSize)), false, captionSize, leading)
	return blocks, y - top
}
