package listfmt

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
)

const (
	pdqHex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6339c4e9c9b22"
	md5Hex = "d41d8cd98f00b204e9800998ecf8427e"
	shaHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func pdq(t *testing.T) hashbank.PDQ {
	h, err := hashbank.ParsePDQ(pdqHex)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParseGood(t *testing.T) {
	p := pdq(t)
	md, _ := hashbank.ParseMD5(md5Hex)
	sh, _ := hashbank.ParseSHA256(shaHex)
	P := hashbank.Hashes{Kinds: hashbank.KindPDQ, PDQ: p}
	M := hashbank.Hashes{Kinds: hashbank.KindMD5, MD5: md}
	S := hashbank.Hashes{Kinds: hashbank.KindSHA256, SHA256: sh}
	tests := []struct {
		name   string
		format Format
		kind   hashbank.HashKind
		in     string
		want   []Record
	}{
		{"text prefixed", Text, 0,
			"# list of 2024-05-01\n\npdq:" + pdqHex + " IWF-1 # a comment\nMD5:" + strings.ToUpper(md5Hex) + "\nsha256:" + shaHex + "\t# only a comment\n",
			[]Record{{1 + 2, P, -1, "IWF-1"}, {4, M, -1, ""}, {5, S, -1, ""}}},
		{"text declared", Text, hashbank.KindPDQ, "\ufeff" + pdqHex + "\r\n  " + pdqHex + " x\n",
			[]Record{{1, P, -1, ""}, {2, P, -1, "x"}}},
		{"text threatexchange dataset -P", Text, 0, "pdq " + pdqHex + "\nvideo_md5 " + md5Hex + "\n",
			[]Record{{1, P, -1, ""}, {2, M, -1, ""}}},
		{"csv any order", CSV, 0, "quality,Notes,PDQ,id\n90,x,\"" + pdqHex + "\",a1\n,y,,\n",
			nil}, // replaced below: the second row has no hash
		{"csv several hashes", CSV, 0, "md5,sha256,pdq\n" + md5Hex + "," + shaHex + "," + pdqHex + "\n" + md5Hex + ",,\n",
			[]Record{{2, hashbank.Hashes{Kinds: hashbank.KindPDQ | hashbank.KindMD5 | hashbank.KindSHA256, PDQ: p, MD5: md, SHA256: sh}, -1, ""}, {3, M, -1, ""}}},
		{"csv hash column declared", CSV, hashbank.KindMD5, "hash,id\n" + md5Hex + ",7\n\n# note\n" + md5Hex + ",8\n",
			[]Record{{2, M, -1, "7"}, {5, M, -1, "8"}}},
		{"csv threatexchange dataset --csv", CSV, 0,
			"signal_type,signal_str,collab,category,tags\npdq," + pdqHex + ",Sample,ADVERSARIAL,a b\nvideo_md5," + md5Hex + ",Sample,ADVERSARIAL,\n",
			[]Record{{2, P, -1, ""}, {3, M, -1, ""}}},
		{"pdq-hasher", PDQHasher, 0, pdqHex + ",100,images/a,b.jpg\n" + pdqHex + ",49\n",
			[]Record{{1, P, 100, "images/a,b.jpg"}, {2, P, 49, ""}}},
		{"hma array", HMAJSON, 0,
			"[\n  {\"id\": 12, \"signals\": {\"pdq\": \"" + pdqHex + "\", \"vpdq\": \"ignored\"}, \"note\": null},\n  {\"id\": \"x\", \"signals\": {\"video_md5\": \"" + md5Hex + "\"}}\n]\n",
			[]Record{{2, P, -1, "12"}, {3, M, -1, "x"}}},
		{"hma lines", HMAJSON, 0,
			"{\"signals\": {\"pdq\": \"" + pdqHex + "\"}}\n\n{\"id\": 3, \"signals\": {\"video_sha256\": \"" + shaHex + "\", \"pdq\": \"" + pdqHex + "\"}}\n",
			[]Record{{1, P, -1, ""}, {3, hashbank.Hashes{Kinds: hashbank.KindPDQ | hashbank.KindSHA256, PDQ: p, SHA256: sh}, -1, "3"}}},
		{"empty", Text, 0, "", nil},
	}
	tests[3].in = "quality,Notes,PDQ,id\n90,x,\"" + pdqHex + "\",a1\n"
	tests[3].want = []Record{{2, P, 90, "a1"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), tt.format, Options{Kind: tt.kind})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		kind   hashbank.HashKind
		in     string
		line   int
		msg    string
	}{
		{"text untyped", Text, 0, "pdq:" + pdqHex + "\n" + pdqHex + "\n", 2, "declare the list's type"},
		{"text short", Text, 0, "# c\npdq:" + pdqHex[:63] + "\n", 2, "64 hex digits"},
		{"text not hex", Text, hashbank.KindMD5, md5Hex + "\n" + strings.Repeat("g", 32) + "\n", 2, "hex digits only"},
		{"text unknown type", Text, 0, "\n\nsha1:" + md5Hex + "\n", 3, `unknown hash type "sha1"`},
		{"text md5 declared as pdq", Text, hashbank.KindPDQ, md5Hex + "\n", 1, "64 hex digits, not 32"},
		{"text too long", Text, hashbank.KindPDQ, pdqHex + "\n" + strings.Repeat("a", 70000) + "\n", 2, "longer than"},
		{"text bad utf8", Text, hashbank.KindPDQ, pdqHex + " \xff\n", 1, "UTF-8"},
		{"csv no header hash", CSV, 0, "id,quality\n1,2\n", 1, "no hash column"},
		{"csv duplicate column", CSV, 0, "pdq,pdq_hash\n", 1, "mean the same"},
		{"csv empty", CSV, 0, "", 1, "no header"},
		{"csv bad quality", CSV, 0, "pdq,quality\n" + pdqHex + ",80\n" + pdqHex + ",101\n", 3, "quality"},
		{"csv no hash in row", CSV, 0, "pdq,md5\n" + pdqHex + ",\n,\n", 3, "no hash"},
		{"csv extra field", CSV, 0, "pdq\n" + pdqHex + ",x\n", 2, "2 fields"},
		{"csv bad quote", CSV, 0, "pdq,id\n" + pdqHex + ",ok\n" + pdqHex + ",\"x\n", 3, ""},
		{"csv unsupported signal", CSV, 0, "signal_type,signal_str\npdq," + pdqHex + "\nurl,http://x\n", 3, `unsupported hash type "url"`},
		{"pdq-hasher no quality", PDQHasher, 0, pdqHex + ",90,a\n" + pdqHex + "\n", 2, "hash,quality"},
		{"pdq-hasher bad hash", PDQHasher, 0, "zz,90\n", 1, "64 hex digits"},
		{"hma bad json", HMAJSON, 0, "[\n{\"signals\": {\"pdq\": \"" + pdqHex + "\"}},\n{\"signals\": \n]\n", 3, "line 3"},
		{"hma no signal", HMAJSON, 0, "{\"signals\": {\"pdq\": \"" + pdqHex + "\"}}\n{\"id\": 2, \"signals\": {\"vpdq\": \"x\"}}\n", 2, "no pdq"},
		{"hma bad pdq", HMAJSON, 0, "[{\"signals\": {\"pdq\": \"" + pdqHex + "\"}},\n {\"signals\": {\"pdq\": \"abc\"}}]", 2, "signal pdq"},
		{"hma wrong type", HMAJSON, 0, "\n{\"signals\": [1]}\n", 2, "wrong type"},
		{"hma truncated", HMAJSON, 0, "[\n{\"signals\": {}}", 2, ""},
		{"hma trailing", HMAJSON, 0, "[]\n]", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), tt.format, Options{Kind: tt.kind})
			if err == nil {
				t.Fatalf("no error; records %v", got)
			}
			if got != nil {
				t.Errorf("records returned with an error: %v", got)
			}
			if !errors.Is(err, safeguard.ErrInvalid) || safeguard.ErrorCode(err) != "hash_list_invalid" {
				t.Errorf("error %v is not a hash_list_invalid ErrInvalid", err)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v carries no LineError", err)
			}
			if le.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", le.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(strings.ToUpper(string(f))); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("xml"); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("ParseFormat(xml) = %v, want ErrInvalid", err)
	}
	if _, err := Parse(strings.NewReader(""), "xml", Options{}); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("Parse with format xml = %v, want ErrInvalid", err)
	}
}

// fuzzParse checks what must hold for any input: an error names a line
// within the input and returns no records; records carry a hash and a line
// within the input, in order.
func fuzzParse(t *testing.T, f Format, kind hashbank.HashKind, in string) {
	recs, err := Parse(strings.NewReader(in), f, Options{Kind: kind, MaxLine: 4096})
	lines := strings.Count(in, "\n") + 1
	if err != nil {
		var le *LineError
		if recs != nil || !errors.As(err, &le) || le.Line < 1 || le.Line > lines+1 {
			t.Fatalf("error %v (records %v) for %q", err, recs, in)
		}
		return
	}
	prev := 0
	for _, r := range recs {
		if r.Kinds == 0 || r.Line < 1 || r.Line > lines || r.Line < prev {
			t.Fatalf("bad record %+v for %q", r, in)
		}
		if r.Quality < -1 || r.Quality > 100 {
			t.Fatalf("quality %d for %q", r.Quality, in)
		}
		prev = r.Line
	}
}

var fuzzKinds = [4]hashbank.HashKind{0, hashbank.KindPDQ, hashbank.KindMD5, hashbank.KindSHA256}

func FuzzText(f *testing.F) {
	f.Add("pdq:"+pdqHex+" id # c\nmd5:"+md5Hex+"\n", uint8(0))
	f.Add(pdqHex+"\n\n# x\n", uint8(hashbank.KindPDQ))
	f.Add("sha256 "+shaHex, uint8(0))
	f.Fuzz(func(t *testing.T, in string, kind uint8) {
		fuzzParse(t, Text, fuzzKinds[kind%4], in)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add("pdq,id,quality\n"+pdqHex+",a,90\n", uint8(0))
	f.Add("signal_type,signal_str\nvideo_md5,"+md5Hex+"\n", uint8(0))
	f.Add("hash\n\""+md5Hex+"\"\n", uint8(hashbank.KindMD5))
	f.Fuzz(func(t *testing.T, in string, kind uint8) {
		fuzzParse(t, CSV, fuzzKinds[kind%4], in)
	})
}

func FuzzPDQHasher(f *testing.F) {
	f.Add(pdqHex + ",100,a.jpg\n" + pdqHex + ",0\n")
	f.Fuzz(func(t *testing.T, in string) {
		fuzzParse(t, PDQHasher, 0, in)
	})
}

func FuzzHMAJSON(f *testing.F) {
	f.Add(`[{"id": 1, "signals": {"pdq": "` + pdqHex + `"}}]`)
	f.Add(`{"signals": {"video_md5": "` + md5Hex + `"}}` + "\n" + `{"id": "x", "signals": {"pdq": "` + pdqHex + `"}}`)
	f.Fuzz(func(t *testing.T, in string) {
		fuzzParse(t, HMAJSON, 0, in)
	})
}

// TestScanStreams: Scan passes the records Parse returns, one at a time, in
// every format, and stops at the first error of its callback.
func TestScanStreams(t *testing.T) {
	lists := map[Format]string{
		Text:      "pdq:" + pdqHex + " a\nmd5:" + md5Hex + " b\nsha256:" + shaHex + " c\n",
		CSV:       "id,pdq,md5\na," + pdqHex + ",\nb,," + md5Hex + "\nc," + pdqHex + "," + md5Hex + "\n",
		PDQHasher: pdqHex + ",90,a\n" + pdqHex + ",80,b\n" + pdqHex + ",70,c\n",
		HMAJSON:   `[{"id":"a","signals":{"pdq":"` + pdqHex + `"}},{"id":"b","signals":{"video_md5":"` + md5Hex + `"}},{"id":"c","signals":{"pdq":"` + pdqHex + `"}}]`,
	}
	for f, in := range lists {
		t.Run(string(f), func(t *testing.T) {
			want, err := Parse(strings.NewReader(in), f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []Record
			if err := Scan(strings.NewReader(in), f, Options{}, func(r Record) error {
				got = append(got, r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" || len(got) != 3 {
				t.Errorf("Scan differs from Parse (-parse +scan):\n%s", diff)
			}
			stop := errors.New("stop")
			n := 0
			err = Scan(strings.NewReader(in), f, Options{}, func(Record) error {
				n++
				if n == 2 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) || n != 2 {
				t.Errorf("after the callback's error: err %v, %d calls", err, n)
			}
		})
	}
}
