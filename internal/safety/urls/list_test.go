package urls

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

const testList = "\uFEFF# A synthetic list in the IWF URL-list shape.\n" +
	"https://Bad.Example/a/page.html\n" +
	"worse.example\n" +
	"\n" +
	"host.example/dir/\n" +
	"host.example/other/*   # a comment after the entry\n" +
	"url    host.example/dir/exact.html\n" +
	"domain sub.host.example\n" +
	"path   paths.example/p\n" +
	"https://www.bad.example/a/page.html?utm_source=x\n" + // the first entry again
	"query.example/search?q=1\n" +
	"ports.example:8080/x\n"

func TestParseURLList(t *testing.T) {
	got, err := ParseList("list.txt", []byte(testList))
	if err != nil {
		t.Fatal(err)
	}
	want := []safeguard.URLEntry{
		{Kind: safeguard.URLExact, Key: "bad.example/a/page.html", Line: 2},
		{Kind: safeguard.URLDomain, Key: "worse.example", Line: 3},
		{Kind: safeguard.URLPath, Key: "host.example/dir", Line: 5},
		{Kind: safeguard.URLPath, Key: "host.example/other", Line: 6},
		{Kind: safeguard.URLExact, Key: "host.example/dir/exact.html", Line: 7},
		{Kind: safeguard.URLDomain, Key: "sub.host.example", Line: 8},
		{Kind: safeguard.URLPath, Key: "paths.example/p", Line: 9},
		{Kind: safeguard.URLExact, Key: "query.example/search?q=1", Line: 11},
		{Kind: safeguard.URLExact, Key: "ports.example:8080/x", Line: 12},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseList (-want +got):\n%s", d)
	}
}

func TestParseURLListErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string // file:line: prefixes, in order
	}{
		{"bad entries", "ok.example\nftp://x.example/a\nok2.example\nbad example.com\n", []string{"l:2: Only web addresses", "l:4: unexpected text"}},
		{"kind alone", "domain\n", []string{"l:1: domain without an address"}},
		{"domain with a path", "domain x.example/a\n", []string{"l:1: A domain entry has no path"}},
		{"top-level domain", "domain com\n", []string{"l:1: A domain entry needs a name with a dot"}},
		{"path with a query", "path x.example/a?b=1\n", []string{"l:1: A path entry has no query"}},
		{"wildcards", "x.example/*/a\n*.x.example\n", []string{"l:1: Wildcards", "l:2: Wildcards"}},
		{"long line", "ok.example\n" + strings.Repeat("a", MaxBytes+300) + "\n", []string{"l:2: line longer"}},
	}
	for _, tt := range tests {
		got, err := ParseList("l", []byte(tt.data))
		var le *ListError
		if !errors.As(err, &le) || !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("%s: entries %v, error %v; want a ListError", tt.name, got, err)
			continue
		}
		if got != nil {
			t.Errorf("%s: entries returned with an error: %v", tt.name, got)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(tt.want) {
			t.Errorf("%s: %d problems, want %d:\n%v", tt.name, len(lines), len(tt.want), err)
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s: problem %d = %q, want %q…", tt.name, i, lines[i], w)
			}
		}
	}
	var many strings.Builder
	for range maxListProblems + 5 {
		many.WriteString("ftp://x.example\n")
	}
	_, err := ParseList("l", []byte(many.String()))
	var le *ListError
	if !errors.As(err, &le) || len(le.Problems) != maxListProblems || le.More != 5 || !strings.HasSuffix(err.Error(), "and 5 more") {
		t.Errorf("many problems: %v", err)
	}
}

func FuzzParseURLList(f *testing.F) {
	f.Add([]byte(testList))
	f.Add([]byte("domain x.example\npath y.example/a/*\nurl z.example/?a=1\n# c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseList("f", data)
		if err != nil {
			if !errors.Is(err, safeguard.ErrInvalid) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		seen := map[[2]string]bool{}
		for _, e := range es {
			if !e.Kind.Valid() || e.Key == "" || e.Line < 1 {
				t.Fatalf("bad entry %+v", e)
			}
			k := [2]string{string(e.Kind), e.Key}
			if seen[k] {
				t.Fatalf("duplicate entry %+v", e)
			}
			seen[k] = true
		}
	})
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)

func TestImportAndMatch(t *testing.T) {
	ctx := t.Context()
	st := openSQLite(t)
	l, err := Import(ctx, st, ListImport{Name: "iwf", Source: "IWF URL List", ImportedBy: "ops"}, "list.txt", []byte(testList), t0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Entries != 9 || len(l.SHA256) != 64 || l.Source != "IWF URL List" {
		t.Errorf("imported list: %+v", l)
	}

	tests := []struct {
		link string
		want []string // kind key of the entries that match
	}{
		{"HTTPS://www.bad.example/a/page.html#top", []string{"url bad.example/a/page.html"}},
		{"bad.example/a/page.html?fbclid=1", []string{"url bad.example/a/page.html"}},
		{"bad.example/a/other.html", nil},
		{"worse.example", []string{"domain worse.example"}},
		{"http://deep.sub.worse.example:8080/x?y=1", []string{"domain worse.example"}},
		{"notworse.example", nil},
		{"host.example/dir", []string{"path host.example/dir"}},
		{"host.example/dir/a/b", []string{"path host.example/dir"}},
		{"host.example/directory", nil},
		{"host.example/dir/exact.html", []string{"path host.example/dir", "url host.example/dir/exact.html"}},
		{"a.sub.host.example/z", []string{"domain sub.host.example"}},
		{"host.example/", nil},
		{"paths.example/p/q", []string{"path paths.example/p"}},
		{"query.example/search?q=1&utm_medium=x", []string{"url query.example/search?q=1"}},
		{"query.example/search?q=2", nil},
		{"ports.example:8080/x", []string{"url ports.example:8080/x"}},
		{"ports.example/x", nil},
	}
	for _, tt := range tests {
		link, err := Normalize(tt.link)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = st.View(ctx, func(tx store.Tx) error {
			ms, err := MatchLinks(ctx, tx, []Link{link})
			for _, m := range ms {
				got = append(got, string(m.Entry.Kind)+" "+m.Entry.Key)
				if m.List.Name != "iwf" || m.Link != link {
					t.Errorf("%s: match %+v", tt.link, m)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("MatchLinks(%s) (-want +got):\n%s", tt.link, d)
		}
	}

	// A second import under the same name is refused unless it replaces;
	// a file with a problem changes nothing.
	_, err = Import(ctx, st, ListImport{Name: "iwf"}, "b.txt", []byte("new.example\n"), t0)
	if safeguard.ErrorCode(err) != "list_exists" {
		t.Errorf("second import without replace: %v", err)
	}
	_, err = Import(ctx, st, ListImport{Name: "iwf", Replace: true}, "b.txt", []byte("new.example\nftp://x\n"), t0)
	if !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("bad file: %v", err)
	}
	if _, err := Import(ctx, st, ListImport{Name: " "}, "b.txt", []byte("new.example\n"), t0); safeguard.ErrorCode(err) != "invalid_list_name" {
		t.Errorf("no name: %v", err)
	}
	worse, _ := Normalize("worse.example")
	countMatches := func() int {
		var n int
		st.View(ctx, func(tx store.Tx) error {
			ms, err := MatchLinks(ctx, tx, []Link{worse})
			n = len(ms)
			return err
		})
		return n
	}
	if n := countMatches(); n != 1 {
		t.Errorf("after refused imports, %d matches for worse.example, want 1", n)
	}
	l2, err := Import(ctx, st, ListImport{Name: "iwf", Replace: true}, "b.txt", []byte("new.example\n"), t0.Add(time.Hour))
	if err != nil || l2.Entries != 1 {
		t.Fatalf("replace: %+v %v", l2, err)
	}
	if n := countMatches(); n != 0 {
		t.Errorf("after replacing the list, %d matches for worse.example", n)
	}
}
