package stats

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard"
)

// FuzzImport feeds the importer arbitrary files. It must never panic; it
// either refuses the file with an ErrInvalid error or returns a dataset that
// holds together and renders in every format.
func FuzzImport(f *testing.F) {
	east, err := os.ReadFile("testdata/east-of-england-2019.csv")
	if err != nil {
		f.Fatal(err)
	}
	incidents, err := os.ReadFile("testdata/incidents-sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(east, false)
	f.Add(incidents, false)
	f.Add([]byte("\ufeffForce,Total,App\r\nEssex,\"1,234\",n/a\r\nEssex,1,2\r\n"), true)
	f.Add([]byte("Force,Total\n\"Essex\nPolice\",1\nTotal,1\n"), false)
	f.Add([]byte("force,date,app\nKent,14/03/2019,\nKent,2019-02-29,x\n"), false)
	f.Add([]byte(""), false)
	f.Fuzz(func(t *testing.T, in []byte, sum bool) {
		d, err := Import(t.Context(), bytes.NewReader(in), ImportOptions{Sum: sum, Now: fixedNow})
		if err != nil {
			if !errors.Is(err, safeguard.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if len(d.Rows) == 0 || len(d.Columns) == 0 {
			t.Fatalf("dataset with %d rows and %d columns", len(d.Rows), len(d.Columns))
		}
		for _, r := range d.Rows {
			if r.ForceCode == "" || len(r.Values) != len(d.Columns) || r.Line < 2 {
				t.Fatalf("bad row %+v", r)
			}
			for _, v := range r.Values {
				if v.State == Count && v.N < 0 {
					t.Fatalf("negative count in %+v", r)
				}
			}
		}
		tb := NewTable(d)
		for _, f := range Formats {
			if err := tb.Render(&bytes.Buffer{}, f); err != nil {
				t.Fatalf("render %s: %v", f, err)
			}
		}
	})
}

// FuzzParseCell checks that a cell is a count, not provided, or an error, and
// that a count written back reads the same.
func FuzzParseCell(f *testing.F) {
	for _, s := range []string{"0", "1,234", " 12 ", "n/a", "-", "–", "-5", "1.5", "abc", "12,34", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseCell(s)
		if err != nil {
			if v != (Value{}) {
				t.Fatalf("parseCell(%q) returned %+v with error %v", s, v, err)
			}
			return
		}
		switch v.State {
		case Count:
			if v.N < 0 {
				t.Fatalf("parseCell(%q) = %d", s, v.N)
			}
			back, err := parseCell(v.String())
			if err != nil || back != v {
				t.Fatalf("parseCell(%q) = %v, written back reads %v, %v", s, v, back, err)
			}
		case NotProvided:
			if !notProvidedWords[strings.ToLower(strings.TrimSpace(s))] {
				t.Fatalf("parseCell(%q) = not provided", s)
			}
		default:
			t.Fatalf("parseCell(%q) = %+v", s, v)
		}
	})
}

// FuzzRecordReader checks the CSV reader never panics and always ends.
func FuzzRecordReader(f *testing.F) {
	f.Add("a,b\n\"c\"\"d\", e \n")
	f.Add("\"open\n")
	f.Add(" \"x\" ,\"y\"\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := newRecordReader(strings.NewReader(s))
		for i := 0; ; i++ {
			rec, err := r.Read()
			if err != nil {
				return
			}
			if len(rec) == 0 {
				t.Fatal("empty record")
			}
			if i > len(s)+1 {
				t.Fatalf("%d records from %d bytes", i, len(s))
			}
		}
	})
}

// FuzzValueJSON checks that a stored or published value reads as a count,
// "not provided", a suppressed count or "withheld", or is refused — and
// that what reads writes back the same.
func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`0`, `1234`, `"not provided"`, `"<3"`, `"withheld"`, `-1`, `1.5`, `"<1"`, `null`, `"x"`, `"<99999999999999999999"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v Value
		if err := v.UnmarshalJSON([]byte(s)); err != nil {
			return
		}
		switch {
		case v.State == Count && v.N >= 0, v == Value{}, v.State == Withheld && v.N == 0, v.State == Suppressed && v.N > 1:
		default:
			t.Fatalf("%s reads as %+v", s, v)
		}
		b, err := v.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Value
		if err := back.UnmarshalJSON(b); err != nil || back != v {
			t.Fatalf("%s reads as %+v, writes %s, reads back %+v, %v", s, v, b, back, err)
		}
	})
}
