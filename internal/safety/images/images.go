package images

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/pdq"
)

// Defaults of Config.
const (
	DefaultRetroDays  = 30
	DefaultIndexWait  = 30 * time.Second
	DefaultRetroEvery = time.Minute
)

// Config configures the image scanner. The zero value means the
// defaults.
type Config struct {
	// Radius is the PDQ match radius in bits; 0 means 31.
	Radius int
	// NegativeRadius is the radius within which a negative-bank entry
	// suppresses a match; 0 means 16.
	NegativeRadius int
	// SingleHash matches only the image as given. By default the hashes of
	// its eight rotations and flips are matched, so rotated and mirrored
	// copies are found too.
	SingleHash bool
	// Limits bound what is decoded.
	Limits imaging.Limits
	// IndexWait is how long a scan waits for the index while the server
	// starts and loads it; after that the image counts as unscanned
	// (held toward a minor). 0 means 30 s.
	IndexWait time.Duration
	// RetroDays is how far back media is checked against entries added to
	// a bank, and how long media hashes are kept. 0 means 30 days.
	RetroDays int
	// RetroEvery is how often Run looks for bank changes and media not yet
	// checked against them, besides right after a change it sees. 0 means
	// one minute.
	RetroEvery time.Duration
}

func (c *Config) setDefaults() {
	if c.Radius == 0 {
		c.Radius = hashbank.DefaultRadius
	}
	if c.NegativeRadius == 0 {
		c.NegativeRadius = hashbank.DefaultNegativeRadius
	}
	if c.IndexWait <= 0 {
		c.IndexWait = DefaultIndexWait
	}
	if c.RetroDays <= 0 {
		c.RetroDays = DefaultRetroDays
	}
	if c.RetroEvery <= 0 {
		c.RetroEvery = DefaultRetroEvery
	}
}

// Deps are what the image scanner is built on. Log and Now are
// optional.
type Deps struct {
	Store store.Store
	Log   *slog.Logger
	Now   func() time.Time
}

// Scanner is the image scanner: a messaging.Scanner that matches images
// against the hash banks. Create it with New, then Load the index (or
// let Run load it).
type Scanner struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	now     func() time.Time
	ix      *bankIndex
	kick    chan struct{}
	retroMu sync.Mutex
}

// New returns an image scanner whose index is not loaded yet.
func New(cfg Config, d Deps) (*Scanner, error) {
	cfg.setDefaults()
	if d.Store == nil {
		return nil, errors.New("safety: the image scanner needs a store")
	}
	if cfg.Radius < 0 || cfg.Radius > 64 {
		return nil, fmt.Errorf("PDQ match radius %d: want 0 to 64", cfg.Radius)
	}
	s := &Scanner{cfg: cfg, st: d.Store, log: d.Log, now: d.Now, kick: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.ix = newBankIndex(d.Store, hashbank.Options{Radius: cfg.Radius, NegativeRadius: cfg.NegativeRadius})
	s.ix.changed = s.Kick
	return s, nil
}

// Config returns the scanner's configuration after defaults.
func (s *Scanner) Config() Config { return s.cfg }

// Load builds the index from the store's banks. Scans wait for the first
// load (at most IndexWait).
func (s *Scanner) Load(ctx context.Context) (LoadStats, error) { return s.ix.load(ctx) }

// Generation returns the bank generation the index is at.
func (s *Scanner) Generation() uint64 { return s.ix.x.Generation() }

// Entries returns the number of entries in the index, and the bytes its
// arrays take.
func (s *Scanner) Entries() (int, int64) { return s.ix.x.Len(), s.ix.x.Bytes() }

// Kick asks RunRetro for a retroactive pass soon.
func (s *Scanner) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run loads the index (LoadIndex), then runs retroactive passes
// (RunRetro), until ctx ends.
func (s *Scanner) Run(ctx context.Context) {
	if s.LoadIndex(ctx) {
		s.RunRetro(ctx)
	}
}

// LoadIndex loads the index, retrying until it succeeds or ctx ends, and
// reports whether it did. Every server loads its own.
func (s *Scanner) LoadIndex(ctx context.Context) bool {
	for wait := time.Second; !s.ix.loaded(); wait = min(2*wait, 30*time.Second) {
		st, err := s.ix.load(ctx)
		if err == nil {
			// The entries read for the build, about as large as the index,
			// are garbage now: give their memory back rather than keep it
			// for the life of the process.
			debug.FreeOSMemory()
			s.log.Info("hash-bank index loaded", "generation", st.Generation, "banks", st.Banks, "entries", st.Entries,
				"read", st.Read.Round(time.Millisecond), "build", st.Build.Round(time.Millisecond), "bytes", st.Bytes)
			break
		}
		s.log.Error("hash-bank index not loaded; images toward minors are held meanwhile", "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
	return true
}

// RunRetro runs retroactive passes now, after every change it is told of
// (Kick) and every RetroEvery, until ctx ends. In a cluster one server at a
// time runs it; a pass is safe alongside another all the same (see Retro).
func (s *Scanner) RunRetro(ctx context.Context) {
	t := time.NewTicker(s.cfg.RetroEvery)
	defer t.Stop()
	for {
		if r, err := s.Retro(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retroactive matching", "err", err)
		} else if r.Detections > 0 {
			s.log.Info("retroactive matching", "checked", r.Checked, "detections", r.Detections, "generation", r.Generation)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// Result is what the banks say about one image.
type Result struct {
	Hashes     Hashes
	Generation uint64                // the bank generation that answered
	Matches    []safeguard.BankMatch // positive matches, nearest first
	Suppressed []safeguard.BankMatch // positive matches withheld by a negative bank
	Negative   []safeguard.BankMatch // the negative-bank entries that withheld them
}

// Match hashes an image and matches it against the banks, as a scan does.
// An error means the index is not available (or could not be brought up
// to date: the result then comes from the index as it was).
func (s *Scanner) Match(ctx context.Context, data []byte) (*Result, error) {
	h := Hash(data, s.cfg.Limits, !s.cfg.SingleHash)
	return s.match(ctx, &h)
}

// MatchHashes matches hashes computed before (by Hash) as Match does:
// the store's generation checked, the index brought up to it, then the
// lookup.
func (s *Scanner) MatchHashes(ctx context.Context, h Hashes) (*Result, error) {
	return s.match(ctx, &h)
}

// match brings the index up to the store's generation and matches h.
func (s *Scanner) match(ctx context.Context, h *Hashes) (*Result, error) {
	if err := s.ix.await(ctx, s.cfg.IndexWait); err != nil {
		return nil, err
	}
	_, syncErr := s.ix.sync(ctx)
	res := s.ix.x.Match(h.query())
	out, err := s.describe(ctx, res, h)
	if err != nil {
		return nil, err
	}
	out.Hashes = *h
	if syncErr != nil {
		return out, fmt.Errorf("hash-bank index behind the store: %w", syncErr)
	}
	return out, nil
}

// describe names the banks and entries of a result. An entry whose SHA-256
// or MD5 is the image's own is reported as that exact match, the strongest
// evidence, even when its PDQ hash matched too.
func (s *Scanner) describe(ctx context.Context, res hashbank.Result, h *Hashes) (*Result, error) {
	out := &Result{Generation: res.Generation}
	var ids []int64
	for _, ms := range [][]hashbank.Match{res.Matches, res.Suppressed, res.Negative} {
		for _, m := range ms {
			ids = append(ids, m.EntryID)
		}
	}
	entries := map[int64]*safeguard.BankEntry{}
	if len(ids) > 0 {
		if err := viewTx(ctx, s.st, func(tx Tx) (err error) {
			entries, err = tx.BankEntriesByID(ctx, ids)
			return err
		}); err != nil {
			return nil, fmt.Errorf("bank entries: %w", err)
		}
	}
	conv := func(ms []hashbank.Match) []safeguard.BankMatch {
		var out []safeguard.BankMatch
		for _, m := range ms {
			bm := safeguard.BankMatch{BankID: m.BankID, EntryID: m.EntryID, Kind: m.Kind.String(), Distance: m.Distance}
			if b := s.ix.bank(m.BankID); b != nil {
				bm.Bank = b.Name
			}
			e := entries[m.EntryID]
			switch {
			case e == nil:
			case bytes.Equal(e.SHA256, h.SHA256[:]):
				bm.Kind, bm.Distance = "sha256", 0
			case bytes.Equal(e.MD5, h.MD5[:]):
				bm.Kind, bm.Distance = "md5", 0
			}
			if e != nil {
				bm.Entry = e.ExternalID
			}
			if bm.Kind == "pdq" {
				bm.Transform = pdq.Transform(m.Transform).String()
			}
			out = append(out, bm)
		}
		return out
	}
	out.Matches, out.Suppressed, out.Negative = conv(res.Matches), conv(res.Suppressed), conv(res.Negative)
	return out, nil
}

// Scan implements messaging.Scanner for images; other content passes.
//
// A match with an enabled positive bank, not suppressed by a negative bank,
// holds the message: a hash_match detection (csam_known, critical) is written
// with it. Toward a minor an image that cannot be checked — not an image,
// damaged, too large, PDQ quality below 50, or the index not available — is
// held explicitly, with a scan_failed detection that names the reason (the
// exact digests are still matched, and a match wins). Between adults a file
// that is not a decodable image is refused (an ErrInvalid error), and a
// low-quality image is delivered after exact matching. The image's hashes are
// stored with the message in every case, for retroactive matching.
func (s *Scanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	if c.Data == nil || c.Media == nil {
		return messaging.Verdict{}, nil
	}
	h := Hash(c.Data, s.cfg.Limits, !s.cfg.SingleHash)
	if errors.Is(h.Err, safeguard.ErrUnavailable) {
		// The decode memory budget is taken: nothing is checked or kept,
		// and the sender is asked to try again, whoever the recipients.
		return messaging.Verdict{}, h.Err
	}
	minor := c.MinorRecipient()
	res, err := s.match(ctx, &h)
	mh := h.mediaHashes()
	if res != nil {
		mh.Generation = res.Generation
	}
	switch {
	case res != nil && len(res.Matches) > 0:
		return s.hold(c, mh, func(m *safeguard.Message) *safeguard.Detection {
			return matchDetection(c, m, res, s.cfg.Radius, false)
		}, "hash_match"), nil
	case err != nil:
		s.log.WarnContext(ctx, "image not checked against the hash banks", "conversation", c.Conversation.ID, "minor", minor, "err", err)
		mh.Generation = 0 // check it again once the index is back
		if minor {
			return s.hold(c, mh, func(m *safeguard.Message) *safeguard.Detection {
				return unscannedDetection(c, m, &h, "index_unavailable")
			}, "scan_failed"), nil
		}
		if !h.Decoded {
			return messaging.Verdict{}, h.Err
		}
	case !h.Decoded:
		if !minor {
			return messaging.Verdict{}, h.Err
		}
		return s.hold(c, mh, func(m *safeguard.Message) *safeguard.Detection {
			return unscannedDetection(c, m, &h, h.Code())
		}, "scan_failed"), nil
	case !h.Matchable() && minor:
		return s.hold(c, mh, func(m *safeguard.Message) *safeguard.Detection {
			return unscannedDetection(c, m, &h, h.Code())
		}, "scan_failed"), nil
	}
	return messaging.Verdict{Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		return storeHashes(ctx, tx, mh, m)
	}}, nil
}

// hold is the verdict that holds a message, storing its hashes and the
// detection made by detect.
func (s *Scanner) hold(c *messaging.Content, mh *safeguard.MediaHashes, detect func(*safeguard.Message) *safeguard.Detection, reason string) messaging.Verdict {
	return messaging.Verdict{Hold: true, Reason: reason, Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
		if err := storeHashes(ctx, tx, mh, m); err != nil {
			return err
		}
		return store.RecordDetection(ctx, tx, detect(m))
	}}
}

func storeHashes(ctx context.Context, tx messaging.VerdictTx, mh *safeguard.MediaHashes, m *safeguard.Message) error {
	mh.MediaID, mh.MessageID, mh.ConversationID, mh.SenderID, mh.At = m.MediaID, m.ID, m.ConversationID, m.SenderID, m.CreatedAt
	return tx.CreateMediaHashes(ctx, mh)
}

// matchDetection describes a match of the message's image.
func matchDetection(c *messaging.Content, m *safeguard.Message, res *Result, radius int, retro bool) *safeguard.Detection {
	best := res.Matches[0]
	detail := &safeguard.KnownImage{BankMatch: best, Radius: radius, Generation: res.Generation, Quality: res.Hashes.Quality,
		MD5: res.Hashes.MD5.String(), SHA256: res.Hashes.SHA256.String(), Matches: res.Matches[1:],
		Suppressed: len(res.Suppressed), Retroactive: retro}
	if res.Hashes.Decoded {
		detail.PDQ = res.Hashes.PDQ[0].String()
	}
	how := "exact " + best.Kind
	if best.Kind == "pdq" {
		how = fmt.Sprintf("PDQ distance %d (%s)", best.Distance, best.Transform)
	}
	entry := best.Entry
	if entry == "" {
		entry = fmt.Sprintf("#%d", best.EntryID)
	}
	summary := fmt.Sprintf("known image: bank %s, entry %s, %s", best.Bank, entry, how)
	if retro {
		summary = "delivered earlier, matched later: " + summary
	}
	d := safety.NewDetection(c, m)
	d.Source, d.Held, d.ContentKey = safeguard.HashMatch, m.Status == safeguard.Held, fmt.Sprintf("bank_entry:%d", best.EntryID)
	d.Severity, d.Category, d.Summary = safeguard.SeverityCritical, safeguard.CategoryKnownImage, summary
	d.SetFinding(safeguard.Finding{KnownImage: detail}) // one part: cannot fail
	return d
}

// unscannedDetection describes an image held toward a minor because it could
// not be checked.
func unscannedDetection(c *messaging.Content, m *safeguard.Message, h *Hashes, reason string) *safeguard.Detection {
	detail := &safeguard.Unscanned{Reason: reason, Quality: h.Quality, MD5: h.MD5.String(), SHA256: h.SHA256.String()}
	if h.Decoded {
		detail.PDQ = hex.EncodeToString(h.PDQ[0][:])
	}
	d := safety.NewDetection(c, m)
	d.Source, d.Held, d.ContentKey = safeguard.ScanFailure, true, fmt.Sprintf("message:%d", m.ID)
	d.Severity, d.Category, d.Summary = safeguard.SeverityMedium, safeguard.CategoryUnscanned, "image held for review: "+reason
	d.SetFinding(safeguard.Finding{Unscanned: detail}) // one part: cannot fail
	return d
}
