package lawreport_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/internal/golden"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

// syntheticImage returns testdata/synthetic.png, the committed copy of
// lawreporttest.Image(1): the goldens carry its hashes, so they hold still
// even if the PNG encoder's output changes.
func syntheticImage(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join("testdata", "synthetic.png")
	if golden.Update() {
		if err := os.WriteFile(p, lawreporttest.Image(1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func buildGolden(t *testing.T) *lawreport.Package {
	t.Helper()
	pkg, err := lawreporttest.Builder().Build(lawreporttest.Incident(syntheticImage(t)))
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

func TestGolden(t *testing.T) {
	pkg := buildGolden(t)
	checkGolden(t, "nca-report.golden.json", pkg.NCA)
	checkGolden(t, "ncmec-report.golden.xml", pkg.NCMEC)
	if len(pkg.Files) != 1 {
		t.Fatalf("files = %d, want 1", len(pkg.Files))
	}
	fd, err := pkg.Files[0].NCMECFileDetails(4711, "f-0001")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ncmec-filedetails.golden.xml", fd)
	checkGolden(t, "thread.golden.csv", pkg.Thread)

	// Every document of a test package says so.
	for name, doc := range map[string][]byte{"nca": pkg.NCA, "ncmec": pkg.NCMEC, "filedetails": fd} {
		if !bytes.Contains(doc, []byte(`"test": true`)) && !bytes.Contains(doc, []byte(lawreport.TestMarker)) {
			t.Errorf("%s document does not carry the test marking", name)
		}
	}
}

func TestGoldenRouting(t *testing.T) {
	pkg := buildGolden(t)
	want := []lawreport.RoutedUser{
		{AccountID: "2001", Role: "child", Force: lawreport.Force{Code: "E23000026", Name: "Bedfordshire Police"}},
		{AccountID: "1001", Role: "reported_user", Force: lawreport.Force{Code: "E23000023", Name: "Cambridgeshire Constabulary"}},
	}
	if diff := cmp.Diff(want, pkg.Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	if f, ok := pkg.PrimaryForce(); !ok || f.Code != "E23000026" {
		t.Errorf("PrimaryForce = %v, %v; want the child's force E23000026", f, ok)
	}
	if pkg.Priority.Level != 1 {
		t.Errorf("priority = %+v, want level 1", pkg.Priority)
	}
}
