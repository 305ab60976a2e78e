package banks

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

const (
	pdqA = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22"
	md5A = "d41d8cd98f00b204e9800998ecf8427e"
	shaA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// now is the tests' clock.
var now = time.Date(2026, time.May, 4, 12, 0, 0, 0, time.UTC)

// eachStore runs fn on SQLite, and on PostgreSQL when
// SAFEGUARD_TEST_POSTGRES is set.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	opens := map[string]func(t *testing.T) store.Store{"sqlite": func(t *testing.T) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
	if os.Getenv(pgtest.EnvDSN) != "" {
		opens["postgres"] = func(t *testing.T) store.Store { return pgtest.OpenDSN(t, pgtest.Schema(t)) }
	}
	for name, open := range opens {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

func bankList(t *testing.T, b *Service) map[string]*safeguard.HashBank {
	t.Helper()
	banks, _, err := b.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*safeguard.HashBank{}
	for _, bk := range banks {
		m[bk.Name] = bk
	}
	return m
}

// TestBanksImport: lists in each format are imported with their
// provenance, audited, at a new generation.
func TestBanksImport(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := t.Context()
		b := newService(t, Deps{Store: st, Now: func() time.Time { return now }})
		lists := []struct {
			format listfmt.Format
			kind   hashbank.HashKind
			in     string
			n      int
		}{
			{listfmt.Text, 0, "# test list\npdq:" + pdqA + " T-1\nmd5:" + md5A + " T-2\n", 2},
			{listfmt.CSV, 0, "id,pdq,md5,quality\nC-1," + pdqA + "," + md5A + ",30\nC-2,,," + "\n", 0}, // second row has no hash: refused below
			{listfmt.CSV, hashbank.KindSHA256, "id,hash\nC-1," + shaA + "\n", 1},
			{listfmt.HMAJSON, 0, `[{"id":1,"signals":{"pdq":"` + pdqA + `"}},{"id":2,"signals":{"video_md5":"` + md5A + `"}}]`, 2},
			{listfmt.PDQHasher, 0, pdqA + ",40,a.jpg\n" + pdqA + ",90,b.jpg\n", 2},
		}
		total := 0
		for i, l := range lists {
			c, err := b.Import(ctx, ListImport{Spec: Spec{Bank: "iwf", Source: "IWF", Version: "v" + string(rune('1'+i)), By: "alice"},
				Format: l.format, Kind: l.kind}, strings.NewReader(l.in))
			if l.n == 0 {
				if safeguard.ErrorCode(err) != "hash_list_invalid" {
					t.Errorf("%s: %v", l.format, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", l.format, err)
			}
			total += l.n
			if c.Added != l.n || c.Bank.Entries != total || c.Bank.Version != "v"+string(rune('1'+i)) || c.Bank.Source != "IWF" ||
				c.Import.Format != string(l.format) || len(c.Import.SHA256) != 64 || c.Import.By != "alice" || c.Created != (i == 0) {
				t.Errorf("%s: %+v %+v %+v", l.format, c, c.Bank, c.Import)
			}
			if l.format == listfmt.PDQHasher && c.LowQuality != 1 {
				t.Errorf("low-quality entries: %d", c.LowQuality)
			}
		}
		banks, gen, err := b.List(ctx)
		if err != nil || len(banks) != 1 || gen != 4 || banks[0].Entries != 7 || banks[0].Negative || !banks[0].Enabled {
			t.Errorf("List: %+v %d %v", banks, gen, err)
		}
		var entries []*safeguard.AuditEntry
		st.View(ctx, func(tx store.Tx) error {
			es, err := tx.AuditEntries(ctx, banks[0].ID, 10)
			for i := range es {
				if strings.HasPrefix(es[i].Action, "hash_bank.") {
					entries = append(entries, &es[i])
				}
			}
			return err
		})
		if len(entries) != 4 || entries[0].Actor != "operator" || !entries[0].At.Equal(now) {
			t.Fatalf("audit: %+v", entries)
		}
		var d map[string]any
		json.Unmarshal([]byte(entries[0].Detail), &d)
		if d["by"] != "alice" || d["bank"] != "iwf" || d["entries"] != float64(2) || d["generation"] != float64(4) || d["format"] != "pdq-hasher" {
			t.Errorf("audit detail: %s", entries[0].Detail)
		}
	})
}

// TestBanksImportAllOrNothing: a malformed line stops an import, names the
// line, and leaves nothing behind: no entry, no new bank, an existing bank
// as it was. Large lists go in many batches and are just as atomic.
func TestBanksImportAllOrNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := t.Context()
		b := newService(t, Deps{Store: st})
		var big bytes.Buffer
		hashbanktest.WriteRandomList(&big, importBatch+100, 1)
		good := big.String()
		bad := good + "pdq:nothex r-bad\n"
		_, err := b.Import(ctx, ListImport{Spec: Spec{Bank: "new"}, Format: listfmt.Text}, strings.NewReader(bad))
		var le *listfmt.LineError
		if !errors.As(err, &le) || le.Line != importBatch+101 || !errors.Is(err, safeguard.ErrInvalid) {
			t.Fatalf("malformed line %d: %v", importBatch+101, err)
		}
		if !strings.Contains(err.Error(), "line 16485") {
			t.Errorf("the error does not name the line: %v", err)
		}
		if banks := bankList(t, b); len(banks) != 0 {
			t.Errorf("a failed import left a bank: %+v", banks)
		}
		st.View(ctx, func(tx store.Tx) error {
			ims, err := tx.BankImports(ctx, 0)
			if len(ims) != 0 {
				t.Errorf("a failed import left imports: %+v", ims)
			}
			return err
		})
		c, err := b.Import(ctx, ListImport{Spec: Spec{Bank: "kept", Source: "first"}, Format: listfmt.Text}, strings.NewReader(good))
		if err != nil || c.Added != importBatch+100 {
			t.Fatalf("large import: %+v %v", c, err)
		}
		_, err = b.Import(ctx, ListImport{Spec: Spec{Bank: "kept", Source: "second"}, Format: listfmt.Text, Replace: true}, strings.NewReader(bad))
		if safeguard.ErrorCode(err) != "hash_list_invalid" {
			t.Fatal(err)
		}
		if k := bankList(t, b)["kept"]; k == nil || k.Entries != importBatch+100 || k.Source != "first" {
			t.Errorf("a failed replacing import changed the bank: %+v", k)
		}
		for name, in := range map[string]string{"empty": "", "comments only": "# nothing\n\n"} {
			_, err := b.Import(ctx, ListImport{Spec: Spec{Bank: "kept"}, Format: listfmt.Text}, strings.NewReader(in))
			if safeguard.ErrorCode(err) != "empty_list" {
				t.Errorf("%s list: %v", name, err)
			}
		}
		for _, name := range []string{"", "has space", "-dash", strings.Repeat("x", 65), "semi;colon"} {
			_, err := b.Import(ctx, ListImport{Spec: Spec{Bank: name}, Format: listfmt.Text}, strings.NewReader("md5:"+md5A))
			if safeguard.ErrorCode(err) != "invalid_bank_name" {
				t.Errorf("bank name %q: %v", name, err)
			}
		}
		_, err = b.Import(ctx, ListImport{Spec: Spec{Bank: "kept"}, Format: "xml"}, strings.NewReader("md5:"+md5A))
		if safeguard.ErrorCode(err) != "unknown_list_format" {
			t.Errorf("unknown format: %v", err)
		}
	})
}

// TestBanksRemove: entries are removed by number, external id or hash; a
// selector that finds nothing removes nothing.
func TestBanksRemove(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	b := newService(t, Deps{Store: st})
	list := "pdq:" + pdqA + " A\nmd5:" + md5A + " B\nsha256:" + shaA + " C\nmd5:" + strings.Repeat("1", 32) + " D\n"
	if _, err := b.Import(ctx, ListImport{Spec: Spec{Bank: "x"}, Format: listfmt.Text}, strings.NewReader(list)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Remove(ctx, "x", []string{"A", "no-such"}, "bob"); safeguard.ErrorCode(err) != "no_such_entry" {
		t.Errorf("an unknown entry: %v", err)
	}
	if k := bankList(t, b)["x"]; k.Entries != 4 {
		t.Errorf("a failed removal removed entries: %d left", k.Entries)
	}
	c, err := b.Remove(ctx, "x", []string{"A", "md5:" + md5A, "sha256:" + strings.ToUpper(shaA), "#4"}, "bob")
	if err != nil || c.Removed != 4 || c.Bank.Entries != 0 {
		t.Fatalf("remove: %+v %v", c, err)
	}
	for _, sel := range []string{"#0", "#x", "pdq:12"} {
		if _, err := b.Remove(ctx, "x", []string{sel}, "bob"); !errors.Is(err, safeguard.ErrInvalid) {
			t.Errorf("selector %q: %v", sel, err)
		}
	}
	if _, err := b.Remove(ctx, "nobank", []string{"A"}, "bob"); !errors.Is(err, safeguard.ErrNotFound) {
		t.Errorf("a missing bank: %v", err)
	}
	if c, err := b.SetEnabled(ctx, "x", true, "bob"); err != nil || c.Generation != 2 {
		t.Errorf("enabling an enabled bank changes nothing: %+v %v", c, err)
	}
}

func TestParseHashArg(t *testing.T) {
	tests := []struct {
		in       string
		ok, bad  bool
		wantKind hashbank.HashKind
	}{
		{"pdq:" + pdqA, true, false, hashbank.KindPDQ},
		{"PDQ:" + strings.ToUpper(pdqA), true, false, hashbank.KindPDQ},
		{"md5:" + md5A, true, false, hashbank.KindMD5},
		{"sha256:" + shaA, true, false, hashbank.KindSHA256},
		{"sha-256:" + shaA, true, false, hashbank.KindSHA256},
		{"md5:" + shaA, true, true, 0},
		{"pdq:zz", true, true, 0},
		{"IWF-123", false, false, 0},
		{"url:http", false, false, 0},
		{"photo.jpg", false, false, 0},
	}
	for _, tt := range tests {
		h, ok, err := ParseHashArg(tt.in)
		if ok != tt.ok || (err != nil) != tt.bad || (!tt.bad && ok && h.Kinds != tt.wantKind) {
			t.Errorf("ParseHashArg(%q) = %v, %v, %v", tt.in, h.Kinds, ok, err)
		}
	}
}

func FuzzParseHashArg(f *testing.F) {
	for _, s := range []string{"pdq:" + pdqA, "md5:" + md5A, "sha256:" + shaA, "x:y", ":", "pdq:", "#12", "#", "IWF-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok, err := ParseHashArg(s)
		if !ok && err != nil {
			t.Fatalf("not a hash, yet an error: %v", err)
		}
		if ok && err == nil {
			if h.Kinds != hashbank.KindPDQ && h.Kinds != hashbank.KindMD5 && h.Kinds != hashbank.KindSHA256 {
				t.Fatalf("kinds %v", h.Kinds)
			}
			if _, ok2, err2 := ParseHashArg(h.Kinds.String() + ":" + hexOf(h)); !ok2 || err2 != nil {
				t.Fatalf("round trip of %q: %v", s, err2)
			}
		}
		if err != nil && !errors.Is(err, safeguard.ErrInvalid) {
			t.Fatalf("error of the wrong kind: %v", err)
		}
		// A selector of bank remove is an entry number, a hash or an
		// external id: never anything else, never two of them.
		f, err := entrySelector(1, s)
		if err != nil {
			if !errors.Is(err, safeguard.ErrInvalid) {
				t.Fatalf("selector %q: %v", s, err)
			}
			return
		}
		n := len(f.IDs) + len(f.ExternalIDs) + len(f.PDQ) + len(f.MD5) + len(f.SHA256)
		if n != 1 || f.BankID != 1 {
			t.Fatalf("selector %q selects %+v", s, f)
		}
	})
}

func hexOf(h hashbank.Hashes) string {
	switch h.Kinds {
	case hashbank.KindPDQ:
		return h.PDQ.String()
	case hashbank.KindMD5:
		return h.MD5.String()
	}
	return h.SHA256.String()
}

// newService returns a bank manager over d.
func newService(t *testing.T, d Deps) *Service {
	t.Helper()
	b, err := New(Config{}, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
