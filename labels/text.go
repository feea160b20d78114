package labels

import (
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// Ellipsis ends a text shortened to fit.
const Ellipsis = "…"

// goFonts are the embedded Go fonts, parsed once.
var goFonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return [2]*opentype.Font{}, err
	}
	bold, err := opentype.Parse(gobold.TTF)
	return [2]*opentype.Font{regular, bold}, err
})

// newFace returns a face of the regular or bold Go font whose em is size
// pixels. A face is not safe for concurrent use: each render makes its own.
func newFace(bold bool, size float64) (font.Face, error) {
	fonts, err := goFonts()
	if err != nil {
		return nil, err
	}
	f := fonts[0]
	if bold {
		f = fonts[1]
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// measurer returns the width of s in the layout's unit.
type measurer func(s string) float64

// Fit returns s when it fits in width, or else its longest prefix followed
// by Ellipsis that does, or "" when not even Ellipsis fits.
func Fit(s string, width float64, measure func(string) float64) string {
	if measure(s) <= width {
		return s
	}
	if measure(Ellipsis) > width {
		return ""
	}
	// The longest prefix whose shortened form fits, cut where a rune starts: binary search.
	starts := make([]int, 0, len(s))
	for i := range s {
		starts = append(starts, i)
	}
	lo, hi := 0, len(starts)-1 // the prefix of lo runes fits; more than hi do not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(shortened(s[:starts[mid]])) <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return shortened(s[:starts[lo]])
}

func shortened(prefix string) string {
	return strings.TrimRight(prefix, " ") + Ellipsis
}

// Wrap breaks s into at most maxLines lines that fit in width, at spaces
// when it can; the last line is shortened with Ellipsis when text is left.
func Wrap(s string, width float64, maxLines int, measure func(string) float64) []string {
	words := strings.Fields(s)
	if len(words) == 0 || maxLines < 1 {
		return nil
	}
	var lines []string
	for len(words) > 0 {
		if len(lines) == maxLines-1 {
			return append(lines, Fit(strings.Join(words, " "), width, measure))
		}
		line := words[0]
		if measure(line) > width { // a word longer than the line: break it
			line, words[0] = breakWord(line, width, measure)
		} else {
			words = words[1:]
			for len(words) > 0 && measure(line+" "+words[0]) <= width {
				line, words = line+" "+words[0], words[1:]
			}
		}
		if line == "" { // not even one character fits
			return append(lines, Fit(strings.Join(words, " "), width, measure))
		}
		lines = append(lines, line)
	}
	return lines
}

// breakWord splits a word into its longest fitting head and the rest.
func breakWord(w string, width float64, measure func(string) float64) (head, rest string) {
	end := 0
	for i := range w { // i: where each rune starts
		if i > 0 {
			if measure(w[:i]) > width {
				return w[:end], w[end:]
			}
			end = i
		}
	}
	if measure(w) <= width {
		end = len(w)
	}
	return w[:end], w[end:]
}
