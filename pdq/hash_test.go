package pdq

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHash(t *testing.T) {
	const good = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
	tests := []struct {
		in      string
		want    string // "" for an error
		errText string
	}{
		{in: good, want: good},
		{in: strings.ToUpper(good), want: good},
		{in: strings.Repeat("0", 64), want: strings.Repeat("0", 64)},
		{in: "", errText: "want 64 hex digits, got 0 characters"},
		{in: good[:63], errText: "got 63 characters"},
		{in: good + "0", errText: "got 65 characters"},
		{in: " " + good[1:], errText: `character 1 is ' '`},
		{in: good[:10] + "g" + good[11:], errText: `character 11 is 'g'`},
		{in: good[:63] + "\n", errText: `character 64 is '\n'`},
	}
	for _, tt := range tests {
		h, err := ParseHash(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrInvalidHash) || !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("ParseHash(%q): error %v, want one containing %q", tt.in, err, tt.errText)
			}
			continue
		}
		if err != nil || h.String() != tt.want {
			t.Errorf("ParseHash(%q) = %v, %v; want %s", tt.in, h, err, tt.want)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	f.Add("")
	f.Add(strings.Repeat("G", 64))
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHash(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("error %v does not wrap ErrInvalidHash", err)
			}
			return
		}
		if !strings.EqualFold(h.String(), s) {
			t.Fatalf("%q parsed to %v", s, h)
		}
		again, err := ParseHash(h.String())
		if err != nil || again != h {
			t.Fatalf("round trip of %v: %v, %v", h, again, err)
		}
	})
}

func TestHashText(t *testing.T) {
	h, _ := ParseHash("d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22")
	b, err := json.Marshal(struct{ H Hash }{h})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"H":"d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back struct{ H Hash }
	if err := json.Unmarshal(b, &back); err != nil || back.H != h {
		t.Errorf("JSON round trip: %v, %v", back.H, err)
	}
	if err := json.Unmarshal([]byte(`{"H":"xyz"}`), &back); !errors.Is(err, ErrInvalidHash) {
		t.Errorf("bad JSON hash: %v", err)
	}
}

func TestDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 200 {
		var a, b Hash
		for i := range a {
			a[i], b[i] = uint8(r.IntN(256)), uint8(r.IntN(256))
		}
		want := 0
		for k := range 256 {
			if a.Bit(k) != b.Bit(k) {
				want++
			}
		}
		if got := Distance(a, b); got != want || Distance(b, a) != want {
			t.Fatalf("Distance = %d, want %d", got, want)
		}
		if Distance(a, a) != 0 {
			t.Fatal("Distance(a, a) != 0")
		}
	}
	var zero, ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	if Distance(zero, ones) != 256 || !zero.IsZero() || ones.IsZero() {
		t.Error("extremes")
	}
}

func TestPipelineText(t *testing.T) {
	for _, p := range []Pipeline{Full, CLI} {
		back, err := ParsePipeline(p.String())
		if err != nil || back != p {
			t.Errorf("%v: %v, %v", p, back, err)
		}
	}
	if _, err := ParsePipeline("fast"); err == nil {
		t.Error("ParsePipeline(fast) succeeded")
	}
	got := []string{}
	for tr := range Transform(8) {
		got = append(got, tr.String())
	}
	want := []string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transform names (-want +got):\n%s", diff)
	}
}

// TestDivideIsExact checks the float64 reciprocal against float32 division
// for every window length an image of up to 2^20 pixels a side can have,
// on random sums across magnitudes and on values next to multiples of w.
func TestDivideIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 4000
	if testing.Short() {
		n = 300
	}
	for w := 1; w <= 8192; w++ {
		inv := 1 / float64(w)
		fw := float32(w)
		for range n / 10 {
			var x float32
			switch r.IntN(3) {
			case 0:
				x = r.Float32() * 255 * fw
			case 1:
				x = float32(math.Ldexp(r.Float64(), r.IntN(60)-30))
			default:
				x = math.Nextafter32(float32(r.IntN(1<<16))*fw+float32(w)/2, float32(math.Inf(r.IntN(2)*2-1)))
			}
			if r.IntN(2) == 0 {
				x = -x
			}
			if got, want := divide(x, inv), x/fw; got != want {
				t.Fatalf("divide(%v, 1/%d) = %v, want %v", x, w, got, want)
			}
		}
	}
}
