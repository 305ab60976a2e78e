package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nsfw"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
)

const nudityClassifySynopsis = "nudity classify [--nudity-porn P] [--nudity-hentai H] [--nudity-combined C] FILE…"

// nudityCommands are the subcommands of "safeguard nudity".
var nudityCommands = []command{
	{name: "classify", summary: "classify image files for nudity, with the server's thresholds", args: "FILE…",
		example: "nudity classify photo.jpg", access: local, run: cmdNudityClassify},
}

// nudityConfig is how the server classifies new images (serve's --nudity-*
// flags; the thresholds are nudity classify's too).
type nudityConfig struct {
	thresholds   nudity.Thresholds
	shadow       bool
	repeatLimit  int
	repeatWindow time.Duration
	// classifier, when set (tests), stands in for the built-in model.
	classifier nudity.Classifier
}

// bindNudityThresholds defines the thresholds' flags.
func bindNudityThresholds(fs *flag.FlagSet, t *nudity.Thresholds) {
	fs.Float64Var(&t.Porn, "nudity-porn", nudity.DefaultPorn, "an image counts as nudity when the classifier's porn score is at least this")
	fs.Float64Var(&t.Hentai, "nudity-hentai", nudity.DefaultHentai, "… or its hentai score is at least this")
	fs.Float64Var(&t.Combined, "nudity-combined", nudity.DefaultCombined, "… or porn, hentai and sexy together are at least this")
}

// checkNudityThresholds checks the thresholds' flags, naming the one that is
// wrong and its value.
func checkNudityThresholds(t nudity.Thresholds) error {
	d := nudity.DefaultThresholds()
	for _, f := range []struct {
		flag  string
		value float64
		alone nudity.Thresholds // t's value for this flag, the defaults for the others
	}{
		{"--nudity-porn", t.Porn, nudity.Thresholds{Porn: t.Porn, Hentai: d.Hentai, Combined: d.Combined}},
		{"--nudity-hentai", t.Hentai, nudity.Thresholds{Porn: d.Porn, Hentai: t.Hentai, Combined: d.Combined}},
		{"--nudity-combined", t.Combined, nudity.Thresholds{Porn: d.Porn, Hentai: d.Hentai, Combined: t.Combined}},
	} {
		if err := nudity.CheckThresholds(f.alone); err != nil {
			return fmt.Errorf("%s %g: %w", f.flag, f.value, err)
		}
	}
	return nudity.CheckThresholds(t)
}

// bindNudityFlags defines serve's flags for new images.
func bindNudityFlags(fs *flag.FlagSet, c *nudityConfig) {
	bindNudityThresholds(fs, &c.thresholds)
	fs.BoolVar(&c.shadow, "nudity-shadow", false, "classify and record every decision about new images, but act on none (to measure the thresholds first)")
	fs.IntVar(&c.repeatLimit, "nudity-repeats", nudity.DefaultRepeatLimit, "images that may show nudity from one young person to others within --nudity-repeat-window that open a case")
	fs.DurationVar(&c.repeatWindow, "nudity-repeat-window", nudity.DefaultRepeatWindow, "see --nudity-repeats")
}

// checkThresholds refuses thresholds out of range, 0 included (serve, demo
// and nudity classify alike: 0 never means the default).
func (c nudityConfig) checkThresholds() error {
	if err := checkNudityThresholds(c.thresholds); err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

// builtinModel names the built-in classifier in detections.
const builtinModel = "nsfwjs 4.4.0 mobilenet_v2"

// defaultClassifier is the built-in nudity classifier and its name: the one
// place the model is chosen, for serve, the demo and nudity classify. The
// model is embedded in the binary (internal/nudity/nsfw) and parsed once.
func defaultClassifier() (nudity.Classifier, string, error) {
	m, err := nsfw.Default()
	if err != nil {
		return nil, "", fmt.Errorf("the nudity model: %w", err)
	}
	return nsfwClassifier{m}, builtinModel, nil
}

// nsfwClassifier is the embedded model as a nudity.Classifier.
type nsfwClassifier struct{ m *nsfw.Model }

// Classify implements nudity.Classifier.
func (c nsfwClassifier) Classify(ctx context.Context, img image.Image) (nudity.Scores, error) {
	if err := ctx.Err(); err != nil {
		return nudity.Scores{}, err
	}
	s, err := c.m.Classify(img)
	if err != nil {
		return nudity.Scores{}, err
	}
	return nudity.Scores{Drawing: s.Drawing, Hentai: s.Hentai, Neutral: s.Neutral, Porn: s.Porn, Sexy: s.Sexy}, nil
}

// classifier returns the classifier to use: the one a test gave, or the
// built-in model.
func (c nudityConfig) classifierOrDefault() (nudity.Classifier, string, error) {
	if c.classifier != nil {
		return c.classifier, "injected", nil
	}
	return defaultClassifier()
}

// classifyLine is one line of nudity classify's output.
type classifyLine struct {
	File   string        `json:"file"`
	Scores nudity.Scores `json:"scores"`
	Nudity bool          `json:"nudity"`
	// Frame and Frames, for an animated GIF: the frame (from 1) whose
	// scores these are, the worst, and how many were classified.
	Frame  int `json:"frame,omitempty"`
	Frames int `json:"frames,omitempty"`
}

// cmdNudityClassify classifies image files as the server would: one JSON line
// per file with its five scores and whether they count as nudity under the
// thresholds. Files are decoded as the server decodes uploads. A file that
// fails is reported on stderr and the others go on; the exit status is then
// 1.
func cmdNudityClassify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "nudity classify", nudityClassifySynopsis)
	c := nudityConfig{classifier: e.classifier}
	bindNudityThresholds(fs, &c.thresholds)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if err := checkNudityThresholds(c.thresholds); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, err: fmt.Errorf("no files; usage: safeguard %s", nudityClassifySynopsis)}
	}
	cl, _, err := c.classifierOrDefault()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	failed := 0
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := classifyFile(ctx, cl, c.thresholds, path)
		if err != nil {
			fmt.Fprintf(e.stderr, "safeguard nudity: %s: %v\n", path, err)
			failed++
			continue
		}
		enc.Encode(classifyLine{File: path, Scores: r.Scores, Nudity: c.thresholds.Nudity(r.Scores), Frame: r.Frame, Frames: r.Frames})
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files failed", failed, fs.NArg())}
	}
	return nil
}

// classifyFile decodes a file as the server decodes uploads and classifies
// it as the server does: every frame of an animated GIF, the worst
// standing for the image; an image the server would hold as not classified
// (an animated PNG or WebP, a GIF over the frame limit) is an error naming
// the reason.
func classifyFile(ctx context.Context, cl nudity.Classifier, t nudity.Thresholds, path string) (nudityscan.Result, error) {
	f, err := openRegular(path)
	if err != nil {
		return nudityscan.Result{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, imaging.DefaultMaxBytes+1))
	if err != nil {
		return nudityscan.Result{}, err
	}
	r, err := nudityscan.Classify(ctx, cl, t, data, imaging.Limits{}, 0)
	switch {
	case err != nil:
		return r, err
	case r.Reason != "" && r.Err != nil:
		return r, fmt.Errorf("not classified (%s): %w", r.Reason, r.Err)
	case r.Reason != "":
		return r, fmt.Errorf("not classified (%s)", r.Reason)
	}
	return r, nil
}
