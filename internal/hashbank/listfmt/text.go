package listfmt

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// parseText reads one hash a line. A line is a hash, with its type as a
// prefix ("pdq:…", "md5:…", "sha256:…") or as a first word ("pdq …", as
// `threatexchange dataset -P` prints it) or declared for the whole list;
// then, after white space, optionally an external id (one word) and a
// comment. Blank lines and lines starting with # are skipped.
func parseText(r io.Reader, opts Options, emit func(Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), opts.MaxLine)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		if !utf8.ValidString(s) {
			return invalid(line, "not UTF-8 text")
		}
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.Fields(s)
		rec := Record{Line: line, Quality: -1}
		tok, rest := f[0], f[1:]
		kind := opts.Kind
		if name, hex, ok := strings.Cut(tok, ":"); ok {
			k, known := kindNames[strings.ToLower(name)]
			if !known {
				return invalid(line, "unknown hash type %q", name)
			}
			kind, tok = k, hex
		} else if k, known := kindNames[strings.ToLower(tok)]; known {
			if len(rest) == 0 {
				return invalid(line, "%q with no hash after it", tok)
			}
			kind, tok, rest = k, rest[0], rest[1:]
		}
		if err := setHash(&rec.Hashes, kind, tok); err != nil {
			return invalid(line, "%v", err)
		}
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "#") {
			rec.ExternalID = rest[0]
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
