// Package nudity is the policy for new images: which images a nudity
// classifier sees (every image a young person sends or receives, never one
// between adults), when its scores count as nudity (Thresholds), and what
// follows, by who sends to whom (Decide). It is pure: the classifier is an
// interface (Classifier), and internal/safety/nudityscan runs it on the
// message path.
package nudity

import (
	"context"
	"image"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Scores are a classifier's five class probabilities for one image: drawing,
// hentai, neutral, porn and sexy (the classes of the nsfwjs models).
type Scores = safeguard.NudityScores

// Classifier scores images. An error means the image was not classified:
// toward a young person it is held, as an image that cannot be hashed.
type Classifier interface {
	Classify(ctx context.Context, img image.Image) (Scores, error)
}

// ClassifierFunc is a function that is a Classifier.
type ClassifierFunc func(ctx context.Context, img image.Image) (Scores, error)

// Classify implements Classifier.
func (f ClassifierFunc) Classify(ctx context.Context, img image.Image) (Scores, error) {
	return f(ctx, img)
}

// Thresholds are when scores count as nudity: porn ≥ Porn, or hentai ≥
// Hentai, or porn + hentai + sexy ≥ Combined.
type Thresholds = safeguard.NudityThresholds

// The default thresholds.
//
// Porn and hentai at 0.5: the model then puts at least half of its belief in
// an explicit class, more than in all the others together. "Sexy" alone
// (swimwear, underwear, a pose) is not nudity: a teenager's beach photo sent
// to a parent must not be held and cased, nor one sent to a friend put behind
// a question. But an image the model spreads over the three sexual classes,
// leaving a tenth or less to neutral and drawing, is very unlikely to be an
// ordinary photo: Combined 0.9 catches it. These are starting points: the
// operator tunes them with --nudity-porn, --nudity-hentai and
// --nudity-combined, measuring first in shadow mode (--nudity-shadow), where
// every decision is recorded and none acted on.
const (
	DefaultPorn     = 0.5
	DefaultHentai   = 0.5
	DefaultCombined = 0.9
)

// DefaultThresholds returns the default thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{Porn: DefaultPorn, Hentai: DefaultHentai, Combined: DefaultCombined}
}

// CheckThresholds reports an ErrInvalid error unless every threshold is in
// (0, 1] for porn and hentai and (0, 3] for the combined sum. NaN is in no
// range (no score is ever at least NaN: it would turn detection off).
func CheckThresholds(t Thresholds) error {
	switch {
	case !(t.Porn > 0 && t.Porn <= 1):
		return safeguard.Invalid("invalid_threshold", "The porn threshold must be above 0 and at most 1.")
	case !(t.Hentai > 0 && t.Hentai <= 1):
		return safeguard.Invalid("invalid_threshold", "The hentai threshold must be above 0 and at most 1.")
	case !(t.Combined > 0 && t.Combined <= 3):
		return safeguard.Invalid("invalid_threshold", "The combined threshold must be above 0 and at most 3.")
	}
	return nil
}
