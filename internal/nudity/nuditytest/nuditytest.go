// Package nuditytest is for tests of what follows a nudity classification: a
// Classifier that answers as it is told and counts its calls, and harmless
// generated images to send. No test needs an image that shows anything: the
// fake says what a real model would.
package nuditytest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/nudity"
)

// Scores a test tells the fake to answer.
var (
	// Nude are scores that count as nudity under the default thresholds.
	Nude = nudity.Scores{Porn: 0.91, Hentai: 0.01, Sexy: 0.05, Neutral: 0.02, Drawing: 0.01}
	// Neutral are scores of an ordinary photo.
	Neutral = nudity.Scores{Neutral: 0.93, Drawing: 0.04, Sexy: 0.02, Porn: 0.005, Hentai: 0.005}
)

// Classifier is a nudity.Classifier that answers what it was last told
// (Neutral until told otherwise), and counts its calls. Safe for concurrent
// use.
type Classifier struct {
	mu     sync.Mutex
	scores nudity.Scores
	err    error
	told   bool
	calls  int
}

// Answer tells c to answer scores from now on.
func (c *Classifier) Answer(s nudity.Scores) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scores, c.err, c.told = s, nil, true
}

// Fail tells c to fail with err from now on.
func (c *Classifier) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Calls returns how many images c was asked about.
func (c *Classifier) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Classify implements nudity.Classifier.
func (c *Classifier) Classify(ctx context.Context, img image.Image) (nudity.Scores, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.err != nil {
		return nudity.Scores{}, c.err
	}
	if !c.told {
		return Neutral, nil
	}
	return c.scores, nil
}

// PNG returns a harmless generated image: coloured noise over soft
// gradients, w×h, from seed. Its texture gives it a PDQ quality high enough
// to be matched, so the known-image check lets it through toward a minor.
func PNG(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x*255/w) ^ uint8(r.IntN(64)), G: uint8(y*255/h) ^ uint8(r.IntN(64)), B: uint8(r.IntN(256)), A: 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
