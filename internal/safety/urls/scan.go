package urls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// MaxScanBytes bounds the text searched for links. The API refuses text
// over safeguard.MaxTextBytes long before this; a longer text reaching the
// scanner is an error (held toward a minor), never a partial check.
const MaxScanBytes = 64 << 10

// ExtractLinks returns the web addresses written in text, normalised, each
// once, in order: with a scheme (https://…), starting "www.", or a host
// name with a dot and a top-level label of letters ("bad.example/page"),
// including obfuscated forms ("bad[.]example"). E-mail addresses are not
// links.
func ExtractLinks(text string) []Link {
	text = deobfuscate.Replace(text)
	var out []Link
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(text, linkSeparator) {
		f = strings.TrimLeft(f, "([{")
		f = strings.TrimRight(f, ")]}.,;:!?*")
		if !looksLikeLink(f) {
			continue
		}
		l, err := Normalize(f)
		if err != nil || seen[l.Key()] {
			continue
		}
		seen[l.Key()] = true
		out = append(out, l)
	}
	return out
}

func linkSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' || r == '\'' || r == '`' || r == '|' || r == '^' ||
		r == '“' || r == '”' || r == '‘' || r == '’' || r == '«' || r == '»'
}

// looksLikeLink tells a written address from a word with a dot in it.
func looksLikeLink(f string) bool {
	if len(f) < 4 || len(f) > MaxBytes {
		return false
	}
	lower := strings.ToLower(f)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "www.") {
		return true
	}
	host := f
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if strings.Contains(host, "@") {
		return false // an e-mail address, or credentials nobody types in a chat
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	host = strings.TrimRight(host, ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return strings.Count(host, ".") == 3
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return true
	}
	if utf8.RuneCountInString(tld) < 2 || len(tld) > 63 {
		return false
	}
	for _, r := range tld {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Match is one link of a message found on a URL list.
type Match struct {
	Link  Link
	Entry safeguard.URLEntry
	List  *safeguard.URLList
}

// MatchLinks looks links up in the URL lists of tx: exact entries by the
// whole link, domain entries by the host and its parents, path entries by
// the path's prefixes. It returns every match, in the order of links.
func MatchLinks(ctx context.Context, tx Tx, links []Link) ([]Match, error) {
	if len(links) == 0 {
		return nil, nil
	}
	var keys []string
	cands := make([]map[candidate]bool, len(links))
	for i, l := range links {
		cands[i] = map[candidate]bool{}
		for _, c := range l.candidates() {
			cands[i][c] = true
			keys = append(keys, c.key)
		}
	}
	entries, err := tx.URLEntriesByKey(ctx, keys)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	lists, err := tx.URLLists(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*safeguard.URLList{}
	for _, l := range lists {
		byID[l.ID] = l
	}
	var out []Match
	for i, l := range links {
		for _, e := range entries {
			if cands[i][candidate{e.Kind, e.Key}] && byID[e.ListID] != nil {
				out = append(out, Match{Link: l, Entry: e, List: byID[e.ListID]})
			}
		}
	}
	return out, nil
}

// Scanner holds messages whose text (or image caption) has a link on a
// URL list, like a known image: the recipients never get it, the sender sees
// it sent, and a detection (source url_match, category url) opens a case. It
// is a messaging.Scanner. End-to-end encrypted conversations are never
// scanned: the server cannot read them.
//
// The lists are held in memory and checked for changes in the store every
// DefaultURLRefresh; lists larger than DefaultURLIndexMax entries are looked
// up in the store instead.
type Scanner struct {
	index *urlIndex
}

// Config tunes a URL scanner. The zero value gives the defaults.
type Config struct {
	Refresh  time.Duration // DefaultURLRefresh if zero
	IndexMax int           // DefaultURLIndexMax if zero
}

// Deps are what a Scanner is built on. Now and Log are optional.
type Deps struct {
	Store store.Store
	Now   func() time.Time // time.Now if nil
	Log   *slog.Logger
}

// New returns a scanner over the URL lists in d.Store.
func New(cfg Config, d Deps) (*Scanner, error) {
	if d.Store == nil {
		return nil, errors.New("urls: a store is required")
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultURLRefresh
	}
	if cfg.IndexMax <= 0 {
		cfg.IndexMax = DefaultURLIndexMax
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{index: &urlIndex{store: d.Store, now: d.Now, refresh: cfg.Refresh, max: cfg.IndexMax, log: d.Log}}, nil
}

// Scan implements messaging.Scanner.
func (s *Scanner) Scan(ctx context.Context, c *messaging.Content) (messaging.Verdict, error) {
	if c.Conversation == nil || c.Conversation.E2EE || c.Message == nil || c.Message.Text == "" {
		return messaging.Verdict{}, nil
	}
	if len(c.Message.Text) > MaxScanBytes {
		return messaging.Verdict{}, fmt.Errorf("url scan: text of %d bytes is over %d", len(c.Message.Text), MaxScanBytes)
	}
	links := ExtractLinks(c.Message.Text)
	if len(links) == 0 {
		return messaging.Verdict{}, nil
	}
	matches, err := s.index.lookup(ctx, links)
	if err != nil {
		return messaging.Verdict{}, fmt.Errorf("url scan: %w", err)
	}
	if len(matches) == 0 {
		return messaging.Verdict{}, nil
	}
	return messaging.Verdict{
		Hold:   true,
		Reason: string(safeguard.URLMatch),
		Record: func(ctx context.Context, tx messaging.VerdictTx, m *safeguard.Message) error {
			return recordURLMatches(ctx, tx, c, m, matches)
		},
	}, nil
}

// recordURLMatches writes one detection per matched link (the first entry
// that matched it) with the outbox event that opens a case.
func recordURLMatches(ctx context.Context, tx messaging.VerdictTx, c *messaging.Content, m *safeguard.Message, matches []Match) error {
	done := map[string]bool{}
	for _, mt := range matches {
		key := mt.Link.Key()
		if done[key] {
			continue
		}
		done[key] = true
		detail := &safeguard.URLFinding{URL: key,
			List:  safeguard.URLListRef{ID: mt.List.ID, Name: mt.List.Name, Source: mt.List.Source, SHA256: mt.List.SHA256},
			Entry: safeguard.URLEntryRef{Kind: mt.Entry.Kind, Key: mt.Entry.Key, Line: mt.Entry.Line}}
		det := safety.NewDetection(c, m)
		det.Source, det.ContentKey = safeguard.URLMatch, key
		det.Severity, det.Category = safeguard.SeverityHigh, safeguard.CategoryURL
		det.Summary = fmt.Sprintf("link on URL list %q (%s entry, line %d)", mt.List.Name, mt.Entry.Kind, mt.Entry.Line)
		if err := det.SetFinding(safeguard.Finding{URL: detail}); err != nil {
			return err
		}
		if err := store.RecordDetection(ctx, tx, det); err != nil {
			return err
		}
	}
	return nil
}
