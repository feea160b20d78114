package labels

import (
	"image"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ReadCode returns the text of the first code it finds in img: a label's
// QR code, else a retail barcode (EAN-8, EAN-13, UPC-A, UPC-E). It is the
// decoder of the scan page for the browsers that have none of their own.
func ReadCode(img image.Image) (string, bool) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", false
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	for _, r := range []gozxing.Reader{qrcode.NewQRCodeReader(), oned.NewMultiFormatUPCEANReader(hints)} {
		if res, err := r.Decode(bmp, hints); err == nil {
			return res.GetText(), true
		}
	}
	return "", false
}
