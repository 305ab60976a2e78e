package listfmt

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/safeguard-dev/safeguard/internal/hashbank"
)

// column roles in a CSV header.
type role int

const (
	roleIgnored role = iota
	roleHash         // a hash whose type is declared, given by a type column or prefixed
	roleType         // the type of the hash column
	rolePDQ
	roleMD5
	roleSHA256
	roleID
	roleQuality
)

// headerNames maps header names (lower case) to roles. They include the
// columns of `threatexchange dataset -P --csv` (signal_type, signal_str).
var headerNames = map[string]role{
	"hash": roleHash, "signal_str": roleHash, "indicator": roleHash,
	"type": roleType, "hash_type": roleType, "signal_type": roleType,
	"pdq": rolePDQ, "pdq_hash": rolePDQ, "hash_pdq": rolePDQ,
	"md5": roleMD5, "md5_hash": roleMD5, "hash_md5": roleMD5, "video_md5": roleMD5, "photo_md5": roleMD5,
	"sha256": roleSHA256, "sha-256": roleSHA256, "sha256_hash": roleSHA256, "hash_sha256": roleSHA256, "video_sha256": roleSHA256,
	"id": roleID, "external_id": roleID, "indicator_id": roleID, "content_id": roleID,
	"quality": roleQuality, "pdq_quality": roleQuality,
}

// parseCSV reads CSV with a header naming its columns in any order, or,
// with hasher set, the headerless hash,quality,filename lines that Meta's
// pdq-photo-hasher prints.
func parseCSV(r io.Reader, opts Options, hasher bool, emit func(Record) error) error {
	if hasher {
		return parseHasher(r, opts, emit)
	}
	cr := csv.NewReader(&limitedLines{r: bufio.NewReader(r), max: opts.MaxLine})
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	cr.Comment = '#'
	var roles []role
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if roles == nil {
			if roles, err = header(row); err != nil {
				return invalid(line, "%v", err)
			}
			continue
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // a blank line
		}
		if len(row) > len(roles) {
			return invalid(line, "%d fields, but the header names %d", len(row), len(roles))
		}
		rec, err := csvRecord(row, roles, opts)
		if err != nil {
			return invalid(line, "%v", err)
		}
		rec.Line = line
		if err := emit(rec); err != nil {
			return err
		}
	}
	if roles == nil {
		return invalid(1, "no header: a CSV list starts with a line naming its columns, e.g. pdq,id")
	}
	return nil
}

func header(row []string) ([]role, error) {
	roles := make([]role, len(row))
	seen := map[role]string{}
	hashes := 0
	for i, name := range row {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		ro := headerNames[name]
		if ro == roleIgnored {
			continue
		}
		if prev, dup := seen[ro]; dup {
			return nil, errors.New("columns " + prev + " and " + name + " mean the same")
		}
		seen[ro] = name
		roles[i] = ro
		if ro == roleHash || ro == rolePDQ || ro == roleMD5 || ro == roleSHA256 {
			hashes++
		}
	}
	if hashes == 0 {
		return nil, errors.New("the header names no hash column (hash, pdq, md5, sha256 or signal_str)")
	}
	return roles, nil
}

func csvRecord(row []string, roles []role, opts Options) (Record, error) {
	rec := Record{Quality: -1}
	kind := opts.Kind
	var generic string
	for i, v := range row {
		v = strings.TrimSpace(v)
		if !utf8.ValidString(v) {
			return rec, errors.New("not UTF-8 text")
		}
		var err error
		switch roles[i] {
		case roleType:
			if v == "" {
				continue
			}
			k, ok := kindNames[strings.ToLower(v)]
			if !ok {
				return rec, errors.New("unsupported hash type " + quote(v))
			}
			kind = k
		case roleHash:
			generic = v
		case rolePDQ:
			if v != "" {
				err = setHash(&rec.Hashes, hashbank.KindPDQ, v)
			}
		case roleMD5:
			if v != "" {
				err = setHash(&rec.Hashes, hashbank.KindMD5, v)
			}
		case roleSHA256:
			if v != "" {
				err = setHash(&rec.Hashes, hashbank.KindSHA256, v)
			}
		case roleID:
			rec.ExternalID = v
		case roleQuality:
			if v != "" {
				rec.Quality, err = parseQuality(v)
			}
		}
		if err != nil {
			return rec, err
		}
	}
	if generic != "" {
		if name, hex, ok := strings.Cut(generic, ":"); ok {
			k, known := kindNames[strings.ToLower(name)]
			if !known {
				return rec, errors.New("unknown hash type " + quote(name))
			}
			kind, generic = k, hex
		}
		if err := setHash(&rec.Hashes, kind, generic); err != nil {
			return rec, err
		}
	}
	if rec.Kinds == 0 {
		return rec, errors.New("no hash in this row")
	}
	return rec, nil
}

// parseHasher reads pdq-photo-hasher output: hash,quality,filename.
func parseHasher(r io.Reader, opts Options, emit func(Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), opts.MaxLine)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if !utf8.ValidString(s) {
			return invalid(line, "not UTF-8 text")
		}
		f := strings.SplitN(s, ",", 3)
		if len(f) < 2 {
			return invalid(line, "want hash,quality[,filename]")
		}
		rec := Record{Line: line}
		if err := setHash(&rec.Hashes, hashbank.KindPDQ, strings.TrimSpace(f[0])); err != nil {
			return invalid(line, "%v", err)
		}
		q, err := parseQuality(f[1])
		if err != nil {
			return invalid(line, "%v", err)
		}
		rec.Quality = q
		if len(f) == 3 {
			rec.ExternalID = f[2]
		}
		if err := emit(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return invalid(line+1, "longer than %d bytes", opts.MaxLine)
		}
		return err
	}
	return nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalid(pe.Line, "%v", pe.Err)
	}
	var le *lineTooLong
	if errors.As(err, &le) {
		return invalid(le.line, "longer than %d bytes", le.max)
	}
	return err
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}

// limitedLines passes its reader through, failing on a line longer than
// max bytes, so one huge line cannot exhaust memory.
type limitedLines struct {
	r    *bufio.Reader
	max  int
	cur  int // bytes in the current line so far
	line int
}

type lineTooLong struct{ line, max int }

func (e *lineTooLong) Error() string { return "line too long" }

func (l *limitedLines) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.line++
			l.cur = 0
			continue
		}
		l.cur++
		if l.cur > l.max {
			return 0, &lineTooLong{line: l.line + 1, max: l.max}
		}
	}
	return n, err
}
