//go:build ignore

// Genicons draws the dashboard's app icons, static/app/icon-192.png and
// icon-512.png: a white freezer on the top bar's blue. They are committed;
// run it again (go generate ./api/web) only to change them.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

func main() {
	for _, size := range []int{192, 512} {
		name := fmt.Sprintf("static/app/icon-%d.png", size)
		f, err := os.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, icon(size)); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}

type rgb struct{ r, g, b float64 }

var (
	blue  = rgb{0x14, 0x32, 0x5c}
	white = rgb{0xff, 0xff, 0xff}
	frost = rgb{0xc9, 0xda, 0xf5}
)

// icon draws the icon at size × size, 4 × 4 samples a pixel for smooth edges.
func icon(size int) *image.NRGBA {
	const samples = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var sum rgb
			for sy := 0; sy < samples; sy++ {
				for sx := 0; sx < samples; sx++ {
					c := colorAt((float64(x)+(float64(sx)+.5)/samples)/float64(size), (float64(y)+(float64(sy)+.5)/samples)/float64(size))
					sum.r, sum.g, sum.b = sum.r+c.r, sum.g+c.g, sum.b+c.b
				}
			}
			n := float64(samples * samples)
			img.SetNRGBA(x, y, color.NRGBA{uint8(math.Round(sum.r / n)), uint8(math.Round(sum.g / n)), uint8(math.Round(sum.b / n)), 0xff})
		}
	}
	return img
}

// colorAt is the colour at (u, v) in [0, 1]². The background fills the
// square and the drawing stays in the middle 64 %, inside the safe zone of
// a maskable icon, so that any launcher's mask keeps it whole.
func colorAt(u, v float64) rgb {
	if !inRoundRect(u, v, 0.30, 0.18, 0.70, 0.82, 0.06) {
		return blue
	}
	switch {
	case v > 0.400 && v < 0.425: // the gap between the freezer's two doors
		return blue
	case u > 0.36 && u < 0.385 && (v > 0.25 && v < 0.35 || v > 0.48 && v < 0.63): // handles
		return blue
	case v < 0.400 && inFlake(u-0.55, v-0.29, 0.07): // a snowflake on the top door
		return frost
	}
	return white
}

// inRoundRect reports whether (u, v) is inside a rectangle with rounded corners.
func inRoundRect(u, v, x0, y0, x1, y1, r float64) bool {
	if u < x0 || u > x1 || v < y0 || v > y1 {
		return false
	}
	cx, cy := math.Max(x0+r, math.Min(u, x1-r)), math.Max(y0+r, math.Min(v, y1-r))
	return math.Hypot(u-cx, v-cy) <= r
}

// inFlake reports whether (dx, dy) from its centre is on a six-armed
// snowflake of radius r.
func inFlake(dx, dy, r float64) bool {
	d := math.Hypot(dx, dy)
	if d > r {
		return false
	}
	for k := 0; k < 6; k++ {
		a := float64(k) * math.Pi / 3
		along := dx*math.Cos(a) + dy*math.Sin(a)
		across := -dx*math.Sin(a) + dy*math.Cos(a)
		if along >= 0 && math.Abs(across) < r*0.13 {
			return true
		}
	}
	return false
}
