// Command imagegen draws the generated conformance images (the gen-*
// files of ../images; SOURCES.md lists them): charts, simple drawings,
// gradients and patterns, in the pixel formats the classifier must read
// like the reference does (8- and 16-bit, grey, palette with transparent
// entries, RGBA whose transparent pixels keep a colour, a 4,000-pixel
// JPEG, an image already 224×224). It uses the standard library only and
// a fixed seed, so a run gives the same files.
//
//	go run ./internal/nudity/nsfw/testdata/imagegen -out DIR
//	go run ./internal/nudity/nsfw/testdata/imagegen -png2jpeg IN.png OUT.jpg
package main

import (
	"flag"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"image/png"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", ".", "directory to write the images to")
	toJPEG := flag.Bool("png2jpeg", false, "instead, re-encode the PNG named by the first argument as the JPEG named by the second")
	flag.Parse()
	if *toJPEG {
		if err := png2jpeg(flag.Arg(0), flag.Arg(1)); err != nil {
			log.Fatal(err)
		}
		return
	}
	write := func(name string, img image.Image) {
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			log.Fatal(err)
		}
		if filepath.Ext(name) == ".jpg" {
			err = jpeg.Encode(f, img, &jpeg.Options{Quality: 88})
		} else {
			err = png.Encode(f, img)
		}
		if err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	write("gen-bars.png", bars(800, 600))
	write("gen-landscape-drawing.png", landscape(960, 640))
	write("gen-landscape-drawing-4000.jpg", landscape(4000, 2667))
	write("gen-small-64.png", landscape(64, 43))
	write("gen-exact-224.png", bars(224, 224))
	write("gen-gradient-16bit.png", gradient16(640, 400))
	write("gen-gray-16bit.png", gray16(300, 500))
	write("gen-palette-transparent.png", paletted(400, 300))
	write("gen-rgba-hidden-colour.png", hidden(480, 360))
	write("gen-noise.png", noise(256, 256))
	write("gen-stripes-gray.jpg", stripes(700, 500))
	write("gen-tall-checker.png", checker(96, 900))
	write("gen-circles.jpg", circles(1024, 768))
}

func png2jpeg(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return err
	}
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(w, img, &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	return w.Close()
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

// bars is a bar chart with axes and grid lines.
func bars(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{250, 250, 250, 255})
	left, bottom := w/10, h-h/10
	for y := bottom; y > h/10; y -= h / 10 {
		fill(img, image.Rect(left, y, w-w/20, y+1), color.RGBA{210, 210, 210, 255})
	}
	fill(img, image.Rect(left, h/10, left+2, bottom), color.Black)
	fill(img, image.Rect(left, bottom, w-w/20, bottom+2), color.Black)
	cols := []color.RGBA{{66, 133, 244, 255}, {219, 68, 55, 255}, {244, 180, 0, 255}, {15, 157, 88, 255}}
	vals := []float64{0.35, 0.8, 0.55, 0.65, 0.25, 0.9, 0.45}
	bw := (w - left - w/20) / (2*len(vals) + 1)
	for i, v := range vals {
		x := left + bw + 2*i*bw
		top := bottom - int(v*float64(bottom-h/10))
		fill(img, image.Rect(x, top, x+bw, bottom), cols[i%len(cols)])
	}
	return img
}

// landscape is a flat drawing: sky, sun, hills, a house and a tree.
func landscape(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/fw, float64(y)/fh
			c := color.RGBA{uint8(120 + 80*fy), uint8(180 + 50*fy), 255, 255}
			if math.Hypot(fx-0.8, (fy-0.2)*fh/fw) < 0.07 {
				c = color.RGBA{255, 215, 40, 255}
			}
			if fy > 0.6+0.08*math.Sin(fx*7) {
				c = color.RGBA{60, uint8(150 + 40*math.Sin(fx*13)), 60, 255}
			}
			switch {
			case fx > 0.2 && fx < 0.4 && fy > 0.5 && fy < 0.75:
				c = color.RGBA{200, 90, 60, 255}
				if fx > 0.27 && fx < 0.33 && fy > 0.62 {
					c = color.RGBA{90, 60, 30, 255}
				}
			case fy > 0.35 && fy <= 0.5 && math.Abs(fx-0.3) < (fy-0.35)*0.75:
				c = color.RGBA{120, 40, 40, 255}
			case fx > 0.6 && fx < 0.63 && fy > 0.55 && fy < 0.78:
				c = color.RGBA{110, 70, 30, 255}
			case math.Hypot(fx-0.615, (fy-0.48)*fh/fw) < 0.09:
				c = color.RGBA{30, 120, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func gradient16(w, h int) image.Image {
	img := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA64(x, y, color.RGBA64{uint16(x * 65535 / w), uint16(y * 65535 / h), uint16((x + y) * 65535 / (w + h)), 65535})
		}
	}
	return img
}

func gray16(w, h int) image.Image {
	img := image.NewGray16(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 0.5 + 0.5*math.Sin(float64(x)/17)*math.Cos(float64(y)/23)
			img.SetGray16(x, y, color.Gray16{uint16(v * 65535)})
		}
	}
	return img
}

// paletted is a web-palette drawing whose first entry is transparent.
func paletted(w, h int) image.Image {
	pal := append(color.Palette{color.NRGBA{0, 200, 0, 0}}, palette.WebSafe...)
	img := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		for x := range w {
			i := uint8(1 + (x/20+y/15)%(len(pal)-1))
			if math.Hypot(float64(x-w/2), float64(y-h/2)) < float64(h)/3 {
				i = 0
			}
			img.SetColorIndex(x, y, i)
		}
	}
	return img
}

// hidden is an RGBA drawing whose transparent areas still hold colours:
// the reference reads the stored colour of a transparent pixel.
func hidden(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), 200, 255}
			if (x/40+y/40)%2 == 0 {
				c.A = 0
				c.R, c.G = 255-c.R, 40
			} else if x > w/2 {
				c.A = 128
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func noise(w, h int) image.Image {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func stripes(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8(128 + 100*math.Sin(float64(x+2*y)/9))})
		}
	}
	return img
}

func checker(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{240, 240, 240, 255}
			if (x/12+y/12)%2 == 0 {
				c = color.RGBA{30, 30, 90, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func circles(w, h int) image.Image {
	rng := rand.New(rand.NewPCG(3, 4))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.RGBA{245, 240, 225, 255})
	for range 40 {
		cx, cy, r := rng.IntN(w), rng.IntN(h), 20+rng.IntN(120)
		c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		for y := max(cy-r, 0); y < min(cy+r, h); y++ {
			for x := max(cx-r, 0); x < min(cx+r, w); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
	return img
}
