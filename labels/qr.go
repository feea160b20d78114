package labels

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// QuietZone is the white margin around a QR code, in modules, that the
// layout keeps free.
const QuietZone = 4

// symbol is an encoded QR code: dark[y][x] for each of its N×N modules,
// without quiet zone.
type symbol struct {
	N    int
	dark [][]bool
}

// encodeQR encodes payload at error correction level Q (go-qrcode's
// "High"), which keeps a label readable with a quarter of it smudged.
func encodeQR(payload string) (*symbol, error) {
	q, err := qrcode.New(payload, qrcode.High)
	if err != nil {
		return nil, fmt.Errorf("qr code of %q: %w", payload, err)
	}
	// go-qrcode builds the symbol on its first render and pads its data again
	// on every render: set the options first, then render exactly once. The
	// layout draws the quiet zone itself, with whole pixels per module.
	q.DisableBorder = true
	dark := q.Bitmap()
	return &symbol{N: len(dark), dark: dark}, nil
}

// QRModules returns the modules of payload's QR code (dark[y][x]), without
// quiet zone: 21 across for version 1, 25 for version 2.
func QRModules(payload string) ([][]bool, error) {
	s, err := encodeQR(payload)
	if err != nil {
		return nil, err
	}
	return s.dark, nil
}

// runs calls fn for each horizontal run of dark modules: row y, columns x0..x1-1.
func (s *symbol) runs(fn func(y, x0, x1 int)) {
	for y, row := range s.dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			x0 := x
			for x < len(row) && row[x] {
				x++
			}
			fn(y, x0, x)
		}
	}
}
