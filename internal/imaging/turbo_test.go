//go:build turbojpeg && cgo

package imaging

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/pdq"
)

// conformanceDir holds Meta's PDQ conformance data (see its README).
const conformanceDir = "../../pdq/testdata"

// readTSV reads a tab-separated file with a header line into maps, failing
// the test with the line number of a malformed row.
func readTSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var header []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = fields
			continue
		}
		if len(fields) != len(header) {
			t.Fatalf("%s:%d: %d fields, want %d", name, line, len(fields), len(header))
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = fields[i]
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func decodeConformance(t *testing.T, rel string) *Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir, "images", rel))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return img
}

// TestTurboJPEGMatchesReference: JPEGs decoded by libjpeg-turbo hash as the
// reference hashed them (it decoded them with ImageMagick, which calls
// libjpeg-turbo with the same settings). Every row must be exact.
func TestTurboJPEGMatchesReference(t *testing.T) {
	if JPEGDecoder != "libjpeg-turbo" {
		t.Fatalf("JPEGDecoder = %s", JPEGDecoder)
	}
	exact, total := 0, 0
	for _, row := range readTSV(t, "expected.tsv") {
		if filepath.Ext(row["path"]) != ".jpg" {
			continue
		}
		img := decodeConformance(t, row["path"])
		for _, c := range []struct {
			p       pdq.Pipeline
			hash, q string
		}{{pdq.Full, "full_hash", "full_quality"}, {pdq.CLI, "cli_hash", "cli_quality"}} {
			total++
			got := pdq.HashImage(img.Image, pdq.Options{Pipeline: c.p})
			want, err := pdq.ParseHash(row[c.hash])
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash == want && strconv.Itoa(got.Quality) == row[c.q] {
				exact++
				continue
			}
			t.Errorf("%s %v: %v %d, reference %v %s (distance %d)", row["path"], c.p, got.Hash, got.Quality, want, row[c.q], pdq.Distance(got.Hash, want))
		}
	}
	t.Logf("%d of %d JPEG hashes exactly equal to the reference's", exact, total)
}

// TestTurboJPEGDihedral: the eight dihedral hashes of every JPEG, decoded by
// libjpeg-turbo, equal the reference's.
func TestTurboJPEGDihedral(t *testing.T) {
	for _, row := range readTSV(t, "dihedral.tsv") {
		if filepath.Ext(row["path"]) != ".jpg" {
			continue
		}
		p, err := pdq.ParsePipeline(row["pipeline"])
		if err != nil {
			t.Fatal(err)
		}
		got := pdq.Dihedral(decodeConformance(t, row["path"]).Image, pdq.Options{Pipeline: p})
		for tr := range pdq.Transform(8) {
			if got.Hashes[tr].String() != row[tr.String()] {
				t.Errorf("%s %v %v: %v, reference %s", row["path"], p, tr, got.Hashes[tr], row[tr.String()])
			}
		}
	}
}
