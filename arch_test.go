package safeguard_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/safeguard-dev/safeguard"

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Doc        string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var ps []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestArchitecture keeps the arrows of docs/architecture.md honest: the
// vocabulary and the pure packages depend on nothing that stores, serves or
// scans; only cmd/ picks a concrete store; every package says what it is for.
func TestArchitecture(t *testing.T) {
	ps := listPackages(t)
	internalDeps := func(p pkg) []string {
		var out []string
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module) {
				out = append(out, strings.TrimPrefix(strings.TrimPrefix(d, module), "/"))
			}
		}
		return out
	}
	stdOnly := map[string]bool{"": true, "pdq": true, "franking": true}
	pure := map[string]bool{"internal/policy": true, "internal/risk": true, "internal/hashbank": true,
		"internal/hashbank/mih": true, "internal/hashbank/listfmt": true, "internal/notice": true, "internal/police": true}
	forbiddenForPure := []string{"internal/store", "internal/web", "internal/messaging", "internal/bus", "internal/media",
		"internal/cases", "internal/safety", "internal/e2ee", "internal/console"}
	// safetyParts are the scanners and the bank administration, each with
	// the parts it may use (none).
	safetyParts := map[string][]string{"internal/safety/images": {}, "internal/safety/urls": {},
		"internal/safety/riskscan": {}, "internal/safety/banks": {}}
	for _, p := range ps {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if p.Doc == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
		if stdOnly[rel] {
			for _, d := range p.Deps {
				if !strings.HasPrefix(d, module) && strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
					t.Errorf("%s must depend on the standard library only, imports %s", p.ImportPath, d)
				}
			}
		}
		if pure[rel] {
			for _, d := range internalDeps(p) {
				for _, f := range forbiddenForPure {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("pure package %s depends on %s", rel, d)
					}
				}
			}
		}
		if !strings.HasPrefix(rel, "cmd/") && !strings.HasPrefix(rel, "internal/store/") {
			for _, imp := range p.Imports {
				for _, concrete := range []string{"/internal/store/sqlite", "/internal/store/postgres", "modernc.org/sqlite", "github.com/jackc/pgx"} {
					if strings.HasSuffix(imp, concrete) || strings.HasPrefix(imp, strings.TrimPrefix(concrete, "/")) {
						t.Errorf("%s imports the concrete store %s: only cmd/ and tests may", rel, imp)
					}
				}
			}
		}
		// The safety pipeline composes scanners that know nothing of each
		// other: a scanner package, and the banks administration, depends on
		// no other of them, and internal/safety on none of them.
		if parts := safetyParts[rel]; parts != nil || rel == "internal/safety" {
			for _, d := range internalDeps(p) {
				if safetyParts[d] != nil && d != rel && !slices.Contains(parts, d) {
					t.Errorf("%s depends on %s: the scanners and bank administration stand apart", rel, d)
				}
			}
		}
		if strings.HasPrefix(rel, "internal/web") || rel == "internal/console" {
			for _, d := range internalDeps(p) {
				if d == "internal/store/sqlite" || d == "internal/store/postgres" {
					t.Errorf("%s depends on %s: the web layer knows the store contract only", rel, d)
				}
			}
		}
	}
}
