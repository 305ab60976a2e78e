package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/golden"
)

// images are conformance images (see ../../pdq/testdata/README.md) whose
// hashes do not depend on the JPEG decoder; the golden output is the same in
// the pure Go and the turbojpeg builds.
var pdqImages = []string{
	"../../pdq/testdata/images/misc-images/wee.jpg",
	"../../pdq/testdata/images/misc-images/c.png",
	"../../pdq/testdata/images/reg-test-input/labelme-subset/q0291.jpg",
}

func runPDQ(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), append([]string{"pdq"}, args...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	return fmt.Sprintf("$ safeguard pdq %s\n-- stdout --\n%s-- stderr --\n%s-- exit %d --\n", strings.Join(args, " "), stdout.String(), stderr.String(), code)
}

func TestPDQHash(t *testing.T) {
	var out strings.Builder
	out.WriteString(runPDQ(t, append([]string{"hash"}, pdqImages...)...))
	out.WriteString(runPDQ(t, append([]string{"hash", "--pipeline", "cli"}, pdqImages[1])...))
	out.WriteString(runPDQ(t, "hash", "--dihedral", pdqImages[0]))
	out.WriteString(runPDQ(t, "hash", pdqImages[0], "testdata/no-such-file.jpg", "testdata/not-an-image.jpg"))
	out.WriteString(runPDQ(t, "hash"))
	out.WriteString(runPDQ(t, "hash", "--pipeline", "fast", pdqImages[0]))
	out.WriteString(runPDQ(t, "sign"))
	golden.Check(t, filepath.Join("testdata", "pdq-hash.golden"), []byte(out.String()))
}

// TestPDQHashEnvironment: --pipeline is what the command is to do, so
// $SAFEGUARD_PIPELINE does not set it.
func TestPDQHashEnvironment(t *testing.T) {
	var viaFlag, viaEnv bytes.Buffer
	getenv := func(k string) string {
		if k == "SAFEGUARD_PIPELINE" {
			return "cli"
		}
		return ""
	}
	if code := run(t.Context(), []string{"pdq", "hash", "--pipeline", "cli", pdqImages[1]}, func(string) string { return "" }, nil, &viaFlag, &viaFlag); code != 0 {
		t.Fatalf("exit %d: %s", code, viaFlag.String())
	}
	if code := run(t.Context(), []string{"pdq", "hash", pdqImages[1]}, getenv, nil, &viaEnv, &viaEnv); code != 0 {
		t.Fatalf("exit %d: %s", code, viaEnv.String())
	}
	if viaFlag.String() == viaEnv.String() {
		t.Errorf("$SAFEGUARD_PIPELINE chose the pipeline: %s", viaEnv.String())
	}
}
