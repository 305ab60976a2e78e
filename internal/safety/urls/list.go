package urls

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// maxListProblems bounds the problems one failed parse reports.
const maxListProblems = 20

// ListProblem is one thing wrong on one line of a URL list file.
type ListProblem struct {
	Line int
	Msg  string
}

// ListError lists the problems of a URL list file; nothing of a file with a
// problem is imported.
type ListError struct {
	File     string
	Problems []ListProblem
	More     int // problems found beyond those listed
}

func (e *ListError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: %s", e.File, p.Line, p.Msg)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n… and %d more", e.More)
	}
	return b.String()
}

// Unwrap makes a ListError an ErrInvalid.
func (e *ListError) Unwrap() error { return safeguard.ErrInvalid }

// ParseList reads a URL list file, one entry a line, in the shape of the
// IWF URL list (full URLs, and whole domains or paths):
//
//	# comments and blank lines are ignored
//	https://bad.example/a/page.html     a URL: matches that URL only
//	worse.example                       a host alone: the domain and every subdomain
//	host.example/dir/                   ending in / or /*: every URL under the path
//	url    host.example/dir/            a kind first (url, domain or path) says it outright
//
// Entries are normalised as links are (see Link); an entry that appears
// twice counts once. Every problem is reported with its line number, and a
// file with any problem gives no entries.
func ParseList(name string, data []byte) ([]safeguard.URLEntry, error) {
	le := &ListError{File: name}
	problem := func(line int, format string, args ...any) {
		if len(le.Problems) < maxListProblems {
			le.Problems = append(le.Problems, ListProblem{Line: line, Msg: fmt.Sprintf(format, args...)})
		} else {
			le.More++
		}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxBytes+256)
	var out []safeguard.URLEntry
	seen := map[[2]string]bool{}
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		kind := safeguard.URLEntryKind("")
		if k := safeguard.URLEntryKind(strings.ToLower(fields[0])); k.Valid() {
			kind, fields = k, fields[1:]
		}
		if len(fields) == 0 {
			problem(line, "%s without an address", kind)
			continue
		}
		if len(fields) > 1 && !strings.HasPrefix(fields[1], "#") {
			problem(line, "unexpected text after the address: %q", fields[1])
			continue
		}
		e, err := parseEntry(kind, fields[0])
		if err != nil {
			problem(line, "%s", safeguard.ErrorMessage(err))
			continue
		}
		e.Line = line
		if k := [2]string{string(e.Kind), e.Key}; !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			problem(line+1, "line longer than %d bytes", MaxBytes+256)
		} else {
			return nil, err
		}
	}
	if len(le.Problems) > 0 {
		return nil, le
	}
	return out, nil
}

// parseEntry normalises one entry and decides its kind when none is given.
func parseEntry(kind safeguard.URLEntryKind, raw string) (safeguard.URLEntry, error) {
	star := strings.HasSuffix(raw, "/*")
	written := strings.TrimSuffix(raw, "*")
	if strings.Contains(written, "*") {
		return safeguard.URLEntry{}, safeguard.Invalid("invalid_url", "Wildcards are allowed only as a final /*.")
	}
	l, err := Normalize(written)
	if err != nil {
		return safeguard.URLEntry{}, err
	}
	if kind == "" {
		rest := written
		if i := strings.Index(rest, "://"); i >= 0 {
			rest = rest[i+3:]
		}
		_, pathPart, hasPath := strings.Cut(rest, "/")
		switch {
		case l.Query != "":
			kind = safeguard.URLExact
		case star || hasPath && strings.HasSuffix(pathPart, "/") && l.Path != "":
			kind = safeguard.URLPath
		case l.Path == "":
			kind = safeguard.URLDomain
		default:
			kind = safeguard.URLExact
		}
	}
	switch kind {
	case safeguard.URLDomain:
		if l.Path != "" || l.Query != "" {
			return safeguard.URLEntry{}, safeguard.Invalid("invalid_url", "A domain entry has no path or query.")
		}
		if _, err := netip.ParseAddr(strings.Trim(l.Host, "[]")); err != nil && !strings.Contains(l.Host, ".") {
			return safeguard.URLEntry{}, safeguard.Invalid("invalid_url", "A domain entry needs a name with a dot (%q would match a whole top-level domain).", l.Host)
		}
		return safeguard.URLEntry{Kind: kind, Key: l.Host}, nil
	case safeguard.URLPath:
		if l.Query != "" {
			return safeguard.URLEntry{}, safeguard.Invalid("invalid_url", "A path entry has no query.")
		}
		return safeguard.URLEntry{Kind: kind, Key: l.hostPort() + l.Path}, nil
	}
	return safeguard.URLEntry{Kind: kind, Key: l.Key()}, nil
}

// ListImport is what to record about an imported list.
type ListImport struct {
	Name        string
	Source      string
	Description string
	ImportedBy  string
	// Replace allows a list of the same name to be replaced, in the same
	// transaction.
	Replace bool
}

// Import parses data (see ParseList) and stores it as one list, all
// or nothing; with Replace set a list of the same name is replaced in the
// same transaction. It returns the stored list.
func Import(ctx context.Context, st store.Store, in ListImport, file string, data []byte, now time.Time) (*safeguard.URLList, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, safeguard.Invalid("invalid_list_name", "Give the list a name.")
	}
	entries, err := ParseList(file, data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	l := &safeguard.URLList{Name: strings.TrimSpace(in.Name), Source: in.Source, Description: in.Description,
		SHA256: hex.EncodeToString(sum[:]), ImportedAt: now, ImportedBy: in.ImportedBy}
	err = updateTx(ctx, st, func(tx Tx) error {
		old, err := tx.URLListByName(ctx, l.Name)
		switch {
		case errors.Is(err, safeguard.ErrNotFound):
		case err != nil:
			return err
		case !in.Replace:
			return safeguard.Errorf(safeguard.ErrConflict, "list_exists", "There is already a list named %q; replace it explicitly.", l.Name)
		default:
			if err := tx.DeleteURLList(ctx, old.ID); err != nil {
				return err
			}
		}
		return tx.CreateURLList(ctx, l, entries)
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}
