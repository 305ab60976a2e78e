// Package listfmt reads hash lists ("banks") in the shapes hotlines and
// Meta's ThreatExchange tools publish them: plain text, CSV with a header,
// the headerless output of Meta's pdq-photo-hasher, and the bank content
// JSON of Hasher-Matcher-Actioner (HMA). See docs/hashbank.md for examples.
//
// Every parser is all-or-nothing: the first malformed line stops it, the
// error names the line, and Parse returns no record. Scan streams the records
// of a long list to a callback instead of returning them.
package listfmt

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
)

// Record is one item of a list.
type Record struct {
	Line int // where the item starts, from 1
	hashbank.Hashes
	Quality    int    // PDQ quality 0–100 if the list gives it, else -1
	ExternalID string // the list's own id or label for the item, if any
}

// Format is a list format.
type Format string

// The formats.
const (
	Text      Format = "text"       // one hash a line: [type:]hex [id or # comment]
	CSV       Format = "csv"        // a header naming the columns, any order
	PDQHasher Format = "pdq-hasher" // hash,quality,filename lines, no header
	HMAJSON   Format = "hma-json"   // HMA bank content objects: an array, one object, or one per line
)

// Formats lists the formats ParseFormat knows.
var Formats = []Format{Text, CSV, PDQHasher, HMAJSON}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", safeguard.Invalid("unknown_list_format", "Unknown list format %q (known: text, csv, pdq-hasher, hma-json).", s)
}

// Options tune a parser.
type Options struct {
	// Kind is the type of hashes that carry no type of their own (no
	// "pdq:" prefix in text, a "hash" column in CSV). Zero means such
	// hashes are an error: 64 hex digits may be PDQ or SHA-256.
	Kind hashbank.HashKind
	// MaxLine bounds a line's length in bytes; 0 means 64 KiB.
	MaxLine int
}

// LineError is what is wrong with one line of a list.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// invalid wraps a LineError as the ErrInvalid the edges show to users.
func invalid(line int, format string, args ...any) error {
	le := &LineError{Line: line, Msg: fmt.Sprintf(format, args...)}
	return &safeguard.Error{Kind: safeguard.ErrInvalid, Code: "hash_list_invalid", Message: le.Error(), Err: le}
}

// Parse reads a whole list in format f.
func Parse(r io.Reader, f Format, opts Options) ([]Record, error) {
	var recs []Record
	err := Scan(r, f, opts, func(rec Record) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// Scan reads a list in format f and calls fn with each record in turn, so
// that a list of millions of hashes need not be held in memory. It stops at
// the first malformed line, or at the first error fn returns, and returns
// that error. Records before a malformed line have already been passed to
// fn: a caller that must import all or nothing does its work in a
// transaction it rolls back on an error.
func Scan(r io.Reader, f Format, opts Options, fn func(Record) error) error {
	if opts.MaxLine == 0 {
		opts.MaxLine = 64 << 10
	}
	if opts.Kind != 0 && opts.Kind != hashbank.KindPDQ && opts.Kind != hashbank.KindMD5 && opts.Kind != hashbank.KindSHA256 {
		return safeguard.Invalid("hash_list_invalid", "A list's declared hash type is one type, not %v.", opts.Kind)
	}
	switch f {
	case Text:
		return parseText(r, opts, fn)
	case CSV:
		return parseCSV(r, opts, false, fn)
	case PDQHasher:
		return parseCSV(r, opts, true, fn)
	case HMAJSON:
		return parseHMA(r, opts, fn)
	}
	_, err := ParseFormat(string(f))
	return err
}

// kindNames maps the type names lists use to kinds: ours, and the signal
// type names of python-threatexchange (VideoMD5Signal is "video_md5").
var kindNames = map[string]hashbank.HashKind{
	"pdq":          hashbank.KindPDQ,
	"md5":          hashbank.KindMD5,
	"video_md5":    hashbank.KindMD5,
	"photo_md5":    hashbank.KindMD5,
	"sha256":       hashbank.KindSHA256,
	"sha-256":      hashbank.KindSHA256,
	"video_sha256": hashbank.KindSHA256,
}

// setHash parses s as a hash of kind k into h.
func setHash(h *hashbank.Hashes, k hashbank.HashKind, s string) error {
	if h.Kinds&k != 0 {
		return fmt.Errorf("two %v hashes for one item", k)
	}
	var err error
	switch k {
	case hashbank.KindPDQ:
		h.PDQ, err = hashbank.ParsePDQ(s)
	case hashbank.KindMD5:
		h.MD5, err = hashbank.ParseMD5(s)
	case hashbank.KindSHA256:
		h.SHA256, err = hashbank.ParseSHA256(s)
	default:
		return fmt.Errorf("no hash type for %q: declare the list's type or write it with a prefix (pdq, md5 or sha256 and a colon)", s)
	}
	if err != nil {
		return err
	}
	h.Kinds |= k
	return nil
}

// parseQuality parses a PDQ quality, 0–100.
func parseQuality(s string) (int, error) {
	q, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || q < 0 || q > 100 {
		return 0, errors.New("quality is a whole number from 0 to 100, not " + strconv.Quote(s))
	}
	return q, nil
}
