package pdq_test

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/safeguard-dev/safeguard/pdq"
)

func Example() {
	// A synthetic picture: soft waves over a gradient.
	img := image.NewNRGBA(image.Rect(0, 0, 200, 150))
	for y := range 150 {
		for x := range 200 {
			v := 120 + 60*math.Sin(float64(x)/5)*math.Cos(float64(y)/7) + 40*math.Sin(float64(x*y)/300)
			img.SetNRGBA(x, y, color.NRGBA{uint8(v), uint8(x), uint8(150 - y), 255})
		}
	}
	r := pdq.HashImage(img, pdq.Options{})
	fmt.Println(r.Hash, r.Quality, r.Matchable())

	// A known hash, one bit away.
	known := r.Hash
	known[0] ^= 0x80
	fmt.Println(pdq.Distance(r.Hash, known) <= 31)
	// Output:
	// ecec8ccc99cc739ce39ccf3c9e381c78f0704ffb0fe137c1ff81f4010803201f 100 true
	// true
}
