package labels

import (
	"fmt"
	"math"
	"strings"
)

// ZPL bounds: ^BQ magnifies QR modules 1 to 10 dots.
const maxZPLMagnification = 10

// RenderZPL writes a label at size for a Zebra printer of dpi dots per
// inch, in ZPL II: UTF-8 text (^CI28) in the printer's scalable font, and
// the QR code at error level Q (^BQN) with whole dots per module.
func RenderZPL(l Label, size Size, dpi int) ([]byte, error) {
	sym, err := encodeQR(l.Code)
	if err != nil {
		return nil, err
	}
	w := int(math.Round(size.WidthMM / 25.4 * float64(dpi)))
	h := int(math.Round(size.HeightMM / 25.4 * float64(dpi)))
	// The printer's font is narrower than Go's: measuring with Go's errs on the safe side.
	faces := &faceCache{}
	p := arrange(l, sym, float64(w), float64(h), faces.metrics, true)
	if faces.err != nil {
		return nil, faces.err
	}
	var b strings.Builder
	b.WriteString("^XA\n^CI28\n")
	fmt.Fprintf(&b, "^PW%d\n^LL%d\n^LH0,0\n", w, h)
	ox, oy := p.QR.Origin()
	mag := min(int(p.QR.Module), maxZPLMagnification)
	fmt.Fprintf(&b, "^FO%d,%d^BQN,2,%d^FDQA,%s^FS\n", int(ox), int(oy), mag, zplEscape(l.Code))
	for _, t := range p.Text {
		em := int(math.Round(t.Size))
		fmt.Fprintf(&b, "^FO%d,%d^A0N,%d,%d^FH_^FD%s^FS\n", int(t.X), int(t.Top), em, em, zplEscape(t.Text))
		if t.RuleEnd > t.RuleStart {
			th := max(1, int(math.Round(t.RuleThickness)))
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", int(t.RuleStart), int(t.Base)-th, int(t.RuleEnd-t.RuleStart), th, th)
		}
	}
	b.WriteString("^PQ1\n^XZ\n")
	return []byte(b.String()), nil
}

// zplEscape makes text safe inside ^FH_^FD…^FS: the characters ZPL reads
// as commands or as the hex indicator, and control characters, become _XX.
func zplEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' || c == '^' || c == '~' || c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "_%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
