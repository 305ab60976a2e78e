package pdq

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The conformance data in testdata/ (see testdata/README.md) was computed
// with Meta's C++ reference. Tiers, as testdata/CONFORMANCE.md describes:
//  1. decoder-independent PNGs: exactly the reference's hashes;
//  2. every image decoded by Go's standard library: exactly the go_* columns
//     (the reference algorithm on Go's pixels);
//  3. reference hashes (ImageMagick's pixels) within distance 10 when the
//     quality is at least 80.

// table is a tab-separated file with a header line.
type table struct {
	header []string
	rows   []map[string]string
	lines  []int // line number of each row
}

// readTable reads a TSV file, failing on a row whose field count differs
// from the header's, with its line number.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	t := &table{}
	line := 0
	for sc.Scan() {
		line++
		if sc.Text() == "" {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if t.header == nil {
			t.header = fields
			continue
		}
		if len(fields) != len(t.header) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), len(t.header))
		}
		row := map[string]string{}
		for i, h := range t.header {
			row[h] = fields[i]
		}
		t.rows = append(t.rows, row)
		t.lines = append(t.lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return t, nil
}

func loadTable(t *testing.T, name string) *table {
	t.Helper()
	tab, err := readTable(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// want is an expected hash and quality from a table row.
type want struct {
	hash    Hash
	quality int
}

func (tab *table) want(t *testing.T, i int, hashCol, qualityCol string) want {
	t.Helper()
	h, err := ParseHash(tab.rows[i][hashCol])
	if err != nil {
		t.Fatalf("line %d, %s: %v", tab.lines[i], hashCol, err)
	}
	q, err := strconv.Atoi(tab.rows[i][qualityCol])
	if err != nil {
		t.Fatalf("line %d, %s: %v", tab.lines[i], qualityCol, err)
	}
	return want{h, q}
}

var decoded sync.Map // path → image.Image

// decodeGo decodes a conformance image with the standard library's decoder
// for its extension, once per test binary.
func decodeGo(t testing.TB, rel string) image.Image {
	t.Helper()
	if img, ok := decoded.Load(rel); ok {
		return img.(image.Image)
	}
	f, err := os.Open(filepath.Join("testdata", "images", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image.Image
	switch filepath.Ext(rel) {
	case ".png":
		img, err = png.Decode(f)
	case ".jpg":
		img, err = jpeg.Decode(f)
	default:
		t.Fatalf("%s: no decoder", rel)
	}
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	decoded.Store(rel, img)
	return img
}

func check(t *testing.T, what string, got Result, w want) {
	t.Helper()
	if got.Hash != w.hash || got.Quality != w.quality {
		t.Errorf("%s:\n got %v %d\nwant %v %d (distance %d)", what, got.Hash, got.Quality, w.hash, w.quality, Distance(got.Hash, w.hash))
	}
}

func TestConformanceTier1PNG(t *testing.T) {
	t.Parallel()
	tab := loadTable(t, "expected.tsv")
	n := 0
	for i, row := range tab.rows {
		if filepath.Ext(row["path"]) != ".png" {
			continue
		}
		n++
		img := decodeGo(t, row["path"])
		check(t, row["path"]+" full", HashImage(img, Options{}), tab.want(t, i, "full_hash", "full_quality"))
		check(t, row["path"]+" cli", HashImage(img, Options{Pipeline: CLI}), tab.want(t, i, "cli_hash", "cli_quality"))
	}
	if n != 4 {
		t.Errorf("%d PNG rows, want 4", n)
	}
}

func TestConformanceTier2GoDecoder(t *testing.T) {
	t.Parallel()
	tab := loadTable(t, "expected.tsv")
	for i, row := range tab.rows {
		img := decodeGo(t, row["path"])
		if b := img.Bounds(); strconv.Itoa(b.Dx()) != row["width"] || strconv.Itoa(b.Dy()) != row["height"] {
			t.Errorf("%s: decoded %v, table says %s×%s", row["path"], b.Size(), row["width"], row["height"])
		}
		check(t, row["path"]+" full", HashImage(img, Options{}), tab.want(t, i, "go_full_hash", "go_full_quality"))
		check(t, row["path"]+" cli", HashImage(img, Options{Pipeline: CLI}), tab.want(t, i, "go_cli_hash", "go_cli_quality"))
	}
}

func TestConformanceTier3Tolerance(t *testing.T) {
	t.Parallel()
	tab := loadTable(t, "expected.tsv")
	for i, row := range tab.rows {
		img := decodeGo(t, row["path"])
		for _, c := range []struct {
			p    Pipeline
			hash string
			q    string
		}{{Full, "full_hash", "full_quality"}, {CLI, "cli_hash", "cli_quality"}} {
			w := tab.want(t, i, c.hash, c.q)
			if w.quality < 80 {
				continue
			}
			got := HashImage(img, Options{Pipeline: c.p})
			if d := Distance(got.Hash, w.hash); d > 10 {
				t.Errorf("%s %v: distance %d from the reference, want ≤ 10", row["path"], c.p, d)
			}
		}
	}
}

// TestConformanceDihedral checks the eight hashes against dihedral.tsv,
// which the reference computed on ImageMagick's pixels. PNG pixels do not
// depend on the decoder, so those rows must be exact; for JPEGs, whose
// Go-decoded pixels differ, the Original hash must equal the go_* column and
// every hash must be within the tier-3 distance.
func TestConformanceDihedral(t *testing.T) {
	t.Parallel()
	exp := loadTable(t, "expected.tsv")
	goHash := map[string]string{}
	for _, row := range exp.rows {
		goHash[row["path"]+" full"] = row["go_full_hash"]
		goHash[row["path"]+" cli"] = row["go_cli_hash"]
	}
	tab := loadTable(t, "dihedral.tsv")
	exact := 0
	for i, row := range tab.rows {
		p, err := ParsePipeline(row["pipeline"])
		if err != nil {
			t.Fatalf("line %d: %v", tab.lines[i], err)
		}
		img := decodeGo(t, row["path"])
		got := Dihedral(img, Options{Pipeline: p})
		if single := HashImage(img, Options{Pipeline: p}); got.Hashes[Original] != single.Hash || got.Quality != single.Quality {
			t.Errorf("%s %v: dihedral orig %v %d, single hash %v %d", row["path"], p, got.Hashes[Original], got.Quality, single.Hash, single.Quality)
		}
		isPNG := filepath.Ext(row["path"]) == ".png"
		same := true
		for tr := range Transform(8) {
			w, err := ParseHash(row[tr.String()])
			if err != nil {
				t.Fatalf("line %d, %v: %v", tab.lines[i], tr, err)
			}
			d := Distance(got.Hashes[tr], w)
			same = same && d == 0
			switch {
			case isPNG && d != 0:
				t.Errorf("%s %v %v: got %v, want %v (distance %d)", row["path"], p, tr, got.Hashes[tr], w, d)
			case got.Quality >= 80 && d > 10:
				t.Errorf("%s %v %v: distance %d from the reference, want ≤ 10", row["path"], p, tr, d)
			}
		}
		if want := goHash[row["path"]+" "+row["pipeline"]]; got.Hashes[Original].String() != want {
			t.Errorf("%s %v: orig %v, go column %s", row["path"], p, got.Hashes[Original], want)
		}
		if same {
			exact++
		}
	}
	t.Logf("%d of %d dihedral rows exact with Go's decoders", exact, len(tab.rows))
}

func TestBitOrder(t *testing.T) {
	tab := loadTable(t, "bitorder.tsv")
	for i, row := range tab.rows {
		k, err1 := strconv.Atoi(row["bit_index"])
		r, err2 := strconv.Atoi(row["dct_row_i"])
		c, err3 := strconv.Atoi(row["dct_col_j"])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("line %d: bad numbers", tab.lines[i])
		}
		if k != r*16+c {
			t.Errorf("line %d: bit %d is not row %d col %d", tab.lines[i], k, r, c)
		}
		var h Hash
		h.SetBit(k)
		if h.String() != row["hash_hex"] {
			t.Errorf("bit %d: %v, want %s", k, h, row["hash_hex"])
		}
		// The same bit must come from DCT coefficient (r, c) alone being above
		// the median.
		var b [256]float32
		b[r*16+c] = 1
		if got := bitsFromDCT(&b); got != h {
			t.Errorf("coefficient (%d,%d): %v, want %v", r, c, got, h)
		}
		for j := range 256 {
			if h.Bit(j) != (j == k) {
				t.Errorf("bit %d: Bit(%d) = %v", k, j, h.Bit(j))
			}
		}
	}
	if len(tab.rows) < 10 {
		t.Errorf("only %d rows", len(tab.rows))
	}
}

// TestSyntheticReference checks generated images (synthetic_test.go)
// against hashes that Meta's C++ reference library computed from the same
// pixels (testdata/README.md says how): the full hash and the eight dihedral
// hashes, exactly.
func TestSyntheticReference(t *testing.T) {
	t.Parallel()
	tab := loadTable(t, "synthetic-reference.tsv")
	byName := map[string]int{}
	for i, row := range tab.rows {
		byName[row["name"]] = i
	}
	cases := syntheticCases()
	if len(cases) != len(tab.rows) {
		t.Errorf("%d cases, %d reference rows", len(cases), len(tab.rows))
	}
	for _, c := range cases {
		i, ok := byName[c.name]
		if !ok {
			t.Errorf("%s: no reference row", c.name)
			continue
		}
		check(t, c.name, HashImage(c.img, Options{}), tab.want(t, i, "hash", "quality"))
		got := Dihedral(c.img, Options{})
		for tr := range Transform(8) {
			check(t, c.name+" "+tr.String(), Result{got.Hashes[tr], got.Quality}, tab.want(t, i, tr.String(), "dihedral_quality"))
		}
	}
}

// TestDocumentedLimits pins the limits docs/pdq.md states, on the
// conformance photo: small crops stay within the match threshold, a crop of
// 5% does not, a 90° rotation needs the dihedral hashes, a border breaks the
// match.
func TestDocumentedLimits(t *testing.T) {
	t.Parallel()
	img := decodeGo(t, "bridge-mods/aaa-orig.jpg").(*image.YCbCr)
	b := img.Bounds()
	base := HashImage(img, Options{}).Hash
	crop := func(pct int) int {
		dx, dy := b.Dx()*pct/200, b.Dy()*pct/200
		return Distance(base, HashImage(img.SubImage(image.Rect(dx, dy, b.Dx()-dx, b.Dy()-dy)), Options{}).Hash)
	}
	if d := crop(1); d > 31 {
		t.Errorf("1%% crop: distance %d, docs say within 31", d)
	}
	if d := crop(5); d <= 31 {
		t.Errorf("5%% crop: distance %d, docs say past 31", d)
	}
	rotated := decodeGo(t, "reg-test-input/dih/bridge-2-rotate-90.jpg")
	r := HashImage(rotated, Options{}).Hash
	if d := Distance(base, r); d <= 31 {
		t.Errorf("rotated 90°: distance %d, docs say no match without dihedral hashes", d)
	}
	if d := Distance(Dihedral(img, Options{}).Hashes[Rotate90], r); d > 10 {
		t.Errorf("rotated 90° against the rot90 dihedral hash: distance %d", d)
	}
	framed := image.NewNRGBA(image.Rect(0, 0, b.Dx()*11/10, b.Dy()*11/10))
	for y := range b.Dy() {
		for x := range b.Dx() {
			framed.Set(x+b.Dx()/20, y+b.Dy()/20, img.At(x, y))
		}
	}
	if d := Distance(base, HashImage(framed, Options{}).Hash); d <= 31 {
		t.Errorf("5%% black border: distance %d, docs say past 31", d)
	}
}
