// Package nudityscan is the new-image scanner: it classifies for nudity
// every image a young person sends or receives (never one between adults, and
// never an end-to-end encrypted one, which only adults have), and answers by
// the policy of internal/nudity — an adult's image to a young person, or a
// young person's to an adult, held and cased at priority 1; one between young
// people asked about first and delivered blurred — with a new_image detection
// recording the scores. Every frame of an animated GIF is classified, as a
// viewer sees it, and the worst stands for the image. Toward a young person
// an image that cannot be classified is held, as one that cannot be hashed:
// so is an animated PNG or WebP, and a GIF with more frames than are
// classified.
package nudityscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/budget"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/notice"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Config configures the scanner. The zero value means the defaults.
type Config struct {
	// Thresholds are when scores count as nudity; zero means
	// nudity.DefaultThresholds.
	Thresholds nudity.Thresholds
	// Policy is the answer to an image that counts (shadow mode, repeats).
	Policy nudity.Policy
	// Model names the classifier in each detection, e.g. "nsfwjs
	// mobilenet_v2".
	Model string
	// Limits bound what is decoded (the images scanner's, with its memory
	// budget).
	Limits imaging.Limits
	// MaxFrames is how many frames of an animated GIF are classified at
	// most; toward a young person one with more is held as an image that
	// cannot be classified. 0 means imaging.DefaultMaxFrames.
	MaxFrames int
}

// Deps are what the scanner is built on. Notify, Log and Metrics are
// optional.
type Deps struct {
	Store      store.Store
	Classifier nudity.Classifier
	Notify     messaging.Notifier // shows young people their notices live
	Log        *slog.Logger
	// Metrics, when set, is given safeguard_nudity_shadow_decisions_total.
	Metrics prometheus.Registerer
}

// Scanner is the new-image scanner, a messaging.Scanner.
type Scanner struct {
	cfg    Config
	st     store.Store
	cl     nudity.Classifier
	notify messaging.Notifier
	log    *slog.Logger
	// shadow counts, in shadow mode only, what would have been done with
	// each image classified (or not) toward a young person. Outside shadow
	// mode nothing is counted: a held or delivered outcome is not a
	// metric (internal/web, metrics); the cases and detections say it.
	shadow *prometheus.CounterVec
}

// Outcomes of safeguard_nudity_shadow_decisions_total: what would have
// been done had shadow mode been off.
const (
	WouldDeliver = "delivered" // classified, not nudity
	WouldAsk     = "confirm"   // the young sender would have been asked first
	WouldBlur    = "blurred"
	WouldHold    = "held"
	// BranchFailed is the branch label of an image not classified.
	BranchFailed = "failed"
)

// New returns the scanner.
func New(cfg Config, d Deps) (*Scanner, error) {
	if d.Store == nil || d.Classifier == nil {
		return nil, errors.New("nudity scanner: a store and a classifier are required")
	}
	if cfg.Thresholds == (nudity.Thresholds{}) {
		cfg.Thresholds = nudity.DefaultThresholds()
	}
	if err := nudity.CheckThresholds(cfg.Thresholds); err != nil {
		return nil, err
	}
	cfg.Policy = cfg.Policy.WithDefaults()
	if cfg.Model == "" {
		cfg.Model = "unnamed"
	}
	if cfg.MaxFrames <= 0 {
		cfg.MaxFrames = imaging.DefaultMaxFrames
	}
	s := &Scanner{cfg: cfg, st: d.Store, cl: d.Classifier, notify: d.Notify, log: d.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.shadow = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "safeguard_nudity_shadow_decisions_total",
		Help: "In shadow mode (--nudity-shadow), images toward young people by branch (adult_to_minor, minor_to_adult, minor_to_minor, failed) and what would have been done (delivered, confirm, blurred, held).",
	}, []string{"branch", "outcome"})
	if d.Metrics != nil {
		if err := d.Metrics.Register(s.shadow); err != nil {
			return nil, fmt.Errorf("nudity scanner metrics: %w", err)
		}
	}
	return s, nil
}

// Config returns the scanner's configuration after defaults.
func (s *Scanner) Config() Config { return s.cfg }

// Scan implements messaging.Scanner.
func (s *Scanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	if c.Data == nil || c.Media == nil || c.Conversation == nil || c.Conversation.E2EE || c.Sender == nil {
		return messaging.Verdict{}, nil
	}
	var to []safeguard.AgeBand
	for _, r := range c.Recipients {
		to = append(to, r.Band(c.Now))
	}
	branch := nudity.BranchOf(c.Sender.Band(c.Now), to)
	if branch == nudity.NotScanned {
		return messaging.Verdict{}, nil // adults: not classified at all
	}
	j := &job{s: s, c: c, branch: branch}
	res, err := Classify(ctx, s.cl, s.cfg.Thresholds, c.Data, s.cfg.Limits, s.cfg.MaxFrames)
	switch {
	case errors.Is(err, ErrUndecodable):
		// The known-image check answers for it: held toward a young
		// person, with its scan_failed detection; refused otherwise.
		return messaging.Verdict{}, nil
	case err != nil:
		return messaging.Verdict{}, err // no room to decode now: asked to try again
	}
	if res.Reason != "" {
		s.countShadow(BranchFailed, WouldHold)
		return j.unclassified(ctx, res.Reason, res.Err), nil
	}
	j.res = res
	if !s.cfg.Thresholds.Nudity(res.Scores) {
		s.countShadow(string(branch), WouldDeliver)
		return messaging.Verdict{}, nil
	}
	if err := j.readContext(ctx); err != nil {
		return messaging.Verdict{}, fmt.Errorf("nudity scan: %w", err)
	}
	facts := nudity.Facts{Branch: branch, Nudity: true, Confirmed: c.Confirmed, RiskRules: j.risk, Earlier: j.earlier}
	j.d = s.cfg.Policy.Decide(facts)
	if s.cfg.Policy.Shadow {
		enforcing := s.cfg.Policy
		enforcing.Shadow = false
		s.countShadow(string(branch), would(enforcing.Decide(facts).Action))
	}
	return j.verdict(), nil
}

// countShadow counts an image's would-be outcome, in shadow mode only.
func (s *Scanner) countShadow(branch, outcome string) {
	if s.cfg.Policy.Shadow {
		s.shadow.WithLabelValues(branch, outcome).Inc()
	}
}

// would names an action as an outcome of the shadow counter.
func would(a nudity.Action) string {
	switch a {
	case nudity.ActHold:
		return WouldHold
	case nudity.ActAsk:
		return WouldAsk
	case nudity.ActBlur:
		return WouldBlur
	}
	return WouldDeliver
}

// ErrUndecodable is the error of Classify for a file that is not an image
// the server decodes.
var ErrUndecodable = errors.New("not a decodable image")

// Reasons an image toward a young person is not classified, and is held.
const (
	ReasonNotClassified = "not_classified" // the classifier failed
	// An animated PNG or WebP: only its first or default image could be
	// classified, and a viewer shows the others.
	ReasonAnimatedPNG  = "animated_png"
	ReasonAnimatedWebP = "animated_webp"
	// An animated GIF with more frames than Config.MaxFrames, or frames ×
	// size over the decoding limits.
	ReasonAnimationTooLarge = "animation_too_large"
	// An animated GIF whose first frame decodes and the others do not.
	ReasonAnimationUnreadable = "animation_unreadable"
)

// Result is what the classifier said of one image file.
type Result struct {
	// Scores are the image's, or for an animated GIF its worst frame's.
	Scores nudity.Scores
	// Frame and Frames, for an animated GIF: which frame (counted from 1)
	// gave Scores, and how many were classified. 0 for a still image.
	Frame, Frames int
	// Reason says why the image was not classified, "" when it was: one
	// of the Reason constants. Err is the error behind it, if any.
	Reason string
	Err    error
}

// Classify decodes data under lim and classifies it as the scanner does: a
// still image, or every frame of an animated GIF (at most maxFrames, 0 for
// imaging.DefaultMaxFrames) as a viewer sees it, the worst frame under t
// standing for the image. An image that cannot be classified — the
// classifier failed, an animated PNG or WebP, a GIF over the limits — is a
// Result with a Reason. The error is ErrUndecodable (wrapping the imaging
// refusal) for a file that is not a decodable image; a safeguard.ErrUnavailable
// one when the decode budget has no room now; or ctx's.
func Classify(ctx context.Context, cl nudity.Classifier, t nudity.Thresholds, data []byte, lim imaging.Limits, maxFrames int) (Result, error) {
	img, err := imaging.Decode(data, lim)
	if err != nil {
		if safeguard.ErrorCode(err) == budget.CodeBusy {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	anim := imaging.Animated(data)
	if anim.Type == imaging.GIF {
		img.Release()
		return classifyFrames(ctx, cl, t, data, lim, maxFrames)
	}
	defer img.Release()
	switch anim.Type {
	case imaging.PNG:
		return Result{Reason: ReasonAnimatedPNG}, nil
	case imaging.WebP:
		return Result{Reason: ReasonAnimatedWebP}, nil
	}
	scores, err := classifySeen(ctx, cl, t, img.Image)
	if err != nil {
		return Result{Reason: ReasonNotClassified, Err: err}, nil
	}
	return Result{Scores: scores}, nil
}

// classifySeen classifies img as a viewer may see it. The classifier drops
// alpha, so an image with any pixel not fully opaque is classified three
// ways — as it is (alpha dropped), and composited over white and over
// black, as an app may show it — and the worst scores under t stand for it:
// nothing can hide behind transparency, and hidden pixels cannot dilute
// visible ones.
func classifySeen(ctx context.Context, cl nudity.Classifier, t nudity.Thresholds, img image.Image) (nudity.Scores, error) {
	scores, err := cl.Classify(ctx, img)
	if err != nil || opaque(img) {
		return scores, err
	}
	for _, bg := range []color.Color{color.White, color.Black} {
		if err := ctx.Err(); err != nil {
			return nudity.Scores{}, err
		}
		b := img.Bounds()
		over := image.NewRGBA(b)
		draw.Draw(over, b, image.NewUniform(bg), image.Point{}, draw.Src)
		draw.Draw(over, b, img, b.Min, draw.Over)
		s, err := cl.Classify(ctx, over)
		if err != nil {
			return nudity.Scores{}, err
		}
		if worse(t, s, scores) {
			scores = s
		}
	}
	return scores, nil
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// errFrame wraps the classifier's failure on a frame.
type errFrame struct{ err error }

func (e errFrame) Error() string { return e.err.Error() }

// classifyFrames classifies every frame of an animated GIF, within the
// frame and decoding limits, and keeps the worst.
func classifyFrames(ctx context.Context, cl nudity.Classifier, t nudity.Thresholds, data []byte, lim imaging.Limits, maxFrames int) (Result, error) {
	var r Result
	err := imaging.DecodeFrames(data, lim, maxFrames, func(i int, frame image.Image) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		scores, err := classifySeen(ctx, cl, t, frame)
		if err != nil {
			return errFrame{fmt.Errorf("frame %d: %w", i+1, err)}
		}
		r.Frames++
		if r.Frame == 0 || worse(t, scores, r.Scores) {
			r.Scores, r.Frame = scores, i+1
		}
		return nil
	})
	var ef errFrame
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &ef):
		return Result{Reason: ReasonNotClassified, Err: ef.err}, nil
	case ctx.Err() != nil, safeguard.ErrorCode(err) == budget.CodeBusy:
		return Result{}, err
	case safeguard.ErrorCode(err) == imaging.CodeTooLarge:
		return Result{Reason: ReasonAnimationTooLarge, Err: err}, nil
	}
	return Result{Reason: ReasonAnimationUnreadable, Err: err}, nil
}

// worse reports whether scores a are worse than b: nudity where b is not,
// or else more belief in the three sexual classes.
func worse(t nudity.Thresholds, a, b nudity.Scores) bool {
	if na, nb := t.Nudity(a), t.Nudity(b); na != nb {
		return na
	}
	return a.Porn+a.Hentai+a.Sexy > b.Porn+b.Hentai+b.Sexy
}

// job is the scan of one image.
type job struct {
	s       *Scanner
	c       *messaging.Content
	branch  nudity.Branch
	res     Result
	risk    []string // risk rules fired in the conversation
	earlier int      // the sender's earlier peer images in the window
	d       nudity.Decision
}

// readContext reads the conversation's risk context and the sender's
// earlier images, for a young sender's image.
func (j *job) readContext(ctx context.Context) error {
	if j.branch == nudity.AdultToMinor {
		return nil
	}
	c := j.c
	return j.s.st.View(ctx, func(tx store.Tx) error {
		ds, err := tx.Detections(ctx, store.DetectionQuery{ConversationID: c.Conversation.ID, Source: safeguard.RiskRule, Limit: 50})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range ds {
			f, _ := d.Finding() // a detail that does not read names no rule
			if f.Risk == nil {
				continue
			}
			for _, r := range f.Risk.Rules {
				if !seen[r.ID] {
					seen[r.ID] = true
					j.risk = append(j.risk, r.ID)
				}
			}
		}
		if j.branch != nudity.MinorToMinor {
			return nil
		}
		ds, err = tx.Detections(ctx, store.DetectionQuery{SenderID: c.Sender.ID, Source: safeguard.NewImage,
			Since: c.Now.Add(-j.s.cfg.Policy.RepeatWindow), Limit: 100})
		if err != nil {
			return err
		}
		for _, d := range ds {
			f, _ := d.Finding()
			if f.Nudity != nil && f.Nudity.Branch == string(nudity.MinorToMinor) && f.Nudity.Action == string(nudity.ActBlur) {
				j.earlier++
			}
		}
		return nil
	})
}

// verdict is the answer of the decision.
func (j *job) verdict() messaging.Verdict {
	switch j.d.Action {
	case nudity.ActAsk:
		n, _ := notice.Get(policy.NoticeNudityConfirm)
		return messaging.Verdict{Ask: safeguard.Errorf(safeguard.ErrConflict, "confirm_image", "%s", n.Text)}
	case nudity.ActHold:
		return messaging.Verdict{Hold: true, Reason: "new_image", Record: j.record, After: j.after}
	case nudity.ActBlur:
		return messaging.Verdict{Blur: true, Record: j.record, After: j.after}
	}
	return messaging.Verdict{Record: j.record} // shadow: recorded only
}

// noticeFor returns the notice of the decision and who is shown it.
func (j *job) noticeFor() (string, []int64) {
	var minors []int64
	for _, r := range j.c.Recipients {
		if r.Band(j.c.Now).Minor() {
			minors = append(minors, r.ID)
		}
	}
	switch {
	case j.d.Action == nudity.ActHold && j.branch == nudity.AdultToMinor:
		return policy.NoticeNudityStopped, minors
	case j.d.Action == nudity.ActHold && j.branch == nudity.MinorToAdult:
		return policy.NoticeNudityNotSent, []int64{j.c.Sender.ID}
	case j.d.Action == nudity.ActBlur:
		return policy.NoticeNudityBlurred, minors
	}
	return "", nil
}

// record writes the detection — with the event that opens a case when the
// decision opens one — and the notices, in the message's transaction.
func (j *job) record(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
	d := j.detection(m)
	if j.d.Case {
		if err := store.RecordDetection(ctx, tx, d); err != nil {
			return err
		}
	} else if err := tx.CreateDetection(ctx, d); err != nil {
		return err
	}
	code, to := j.noticeFor()
	for _, id := range to {
		if err := tx.AddSafetyNotice(ctx, &safeguard.SafetyNotice{AccountID: id, ConversationID: m.ConversationID,
			MessageID: m.ID, Code: code, DetectionID: d.ID, At: j.c.Now}); err != nil {
			return err
		}
	}
	return nil
}

// detection describes the decision about message m.
func (j *job) detection(m *safeguard.Message) *safeguard.Detection {
	c := j.c
	finding := &safeguard.NudityFinding{Model: j.s.cfg.Model, Scores: j.res.Scores, Frame: j.res.Frame, Frames: j.res.Frames, Thresholds: j.s.cfg.Thresholds, Nudity: true,
		Branch: string(j.branch), Action: string(j.d.Action), Shadow: j.s.cfg.Policy.Shadow, Confirmed: c.Confirmed,
		RiskRules: j.risk, Repeats: j.earlier, CaseReason: j.d.CaseReason, Signals: j.d.Signals, SHA256: sha256Hex(c.Data)}
	d := safety.NewDetection(c, m)
	d.Source, d.Category = safeguard.NewImage, safeguard.CategoryNudity
	d.ContentKey = "image:" + finding.SHA256
	if j.d.CaseReason == nudity.CaseRepeats {
		// One case gathers a young person's repeated images.
		d.ContentKey = "nudity_repeats"
	}
	d.Severity = safeguard.SeverityMedium
	if j.branch != nudity.MinorToMinor {
		d.Severity = safeguard.SeverityCritical
	}
	sc := j.res.Scores
	d.Summary = fmt.Sprintf("new image: may show nudity (porn %.4g, hentai %.4g, sexy %.4g), %s, %s",
		sc.Porn, sc.Hentai, sc.Sexy, words(j.branch), actionWords(j.d.Action))
	if j.res.Frames > 0 {
		d.Summary += fmt.Sprintf("; animated: frame %d of %d", j.res.Frame, j.res.Frames)
	}
	if j.s.cfg.Policy.Shadow {
		d.Summary += " (shadow mode)"
	}
	d.SetFinding(safeguard.Finding{Nudity: finding}) // one part: cannot fail
	return d
}

func words(b nudity.Branch) string {
	switch b {
	case nudity.AdultToMinor:
		return "adult to young person"
	case nudity.MinorToAdult:
		return "young person to adult"
	}
	return "young person to young person"
}

// actionWords says what was done, for a moderator.
func actionWords(a nudity.Action) string {
	switch a {
	case nudity.ActHold:
		return "held"
	case nudity.ActBlur:
		return "delivered blurred"
	case nudity.ActAsk:
		return "the sender was asked to think first"
	case nudity.ActNone:
		return "not acted on"
	}
	return string(a)
}

// after shows the notice live, once the message is committed. A young
// person shown that an adult's image was stopped is told of the
// conversation only: the message is one they never receive.
func (j *job) after(ctx context.Context, m *safeguard.Message) {
	code, to := j.noticeFor()
	if code == "" || len(to) == 0 || j.s.notify == nil {
		return
	}
	n := messaging.Notification{Type: safeguard.EventSafetyNotice, To: to, Notice: code}
	if code == policy.NoticeNudityStopped {
		accounts := map[int64]*safeguard.Account{j.c.Sender.ID: j.c.Sender}
		for _, r := range j.c.Recipients {
			accounts[r.ID] = r
		}
		n.Conversation = &messaging.ConversationView{Conversation: j.c.Conversation, Accounts: accounts, Notice: j.c.Notice}
	} else {
		n.Message = &messaging.MessageView{Message: m, Sender: j.c.Sender, Blurred: j.d.Action == nudity.ActBlur}
	}
	j.s.notify.Notify(ctx, n)
}

// unclassified is the verdict on an image that could not be classified:
// held toward a young person, with a scan_failed detection that opens a
// case, exactly as an image that cannot be hashed. In shadow mode it is
// recorded (no case) and goes on as the other checks say.
func (j *job) unclassified(ctx context.Context, reason string, cause error) messaging.Verdict {
	c := j.c
	j.s.log.WarnContext(ctx, "image toward a young person not classified", "conversation", c.Conversation.ID, "reason", reason,
		"err", cause, "shadow", j.s.cfg.Policy.Shadow)
	record := func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		d := safety.NewDetection(c, m)
		d.Source, d.ContentKey = safeguard.ScanFailure, fmt.Sprintf("message:%d", m.ID)
		d.Severity, d.Category, d.Summary = safeguard.SeverityMedium, safeguard.CategoryUnscanned, "image held for review: "+reason+reasonWords(reason)
		d.SetFinding(safeguard.Finding{Unscanned: &safeguard.Unscanned{Reason: reason, SHA256: sha256Hex(c.Data)}})
		if j.s.cfg.Policy.Shadow {
			d.Summary = "image not classified (shadow mode): " + reason
			return tx.CreateDetection(ctx, d)
		}
		return store.RecordDetection(ctx, tx, d)
	}
	if j.s.cfg.Policy.Shadow {
		return messaging.Verdict{Record: record}
	}
	return messaging.Verdict{Hold: true, Reason: "nudity_unclassified", Record: record}
}

// reasonWords says, for a moderator, why an animated image was not
// classified.
func reasonWords(reason string) string {
	switch reason {
	case ReasonAnimatedPNG:
		return " (an animated PNG: only its default image can be classified)"
	case ReasonAnimatedWebP:
		return " (an animated WebP: its frames cannot be classified)"
	case ReasonAnimationTooLarge:
		return " (an animated GIF with more frames, or more pixels in all, than are classified)"
	case ReasonAnimationUnreadable:
		return " (an animated GIF whose later frames could not be read)"
	}
	return ""
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
