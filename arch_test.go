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
		"internal/hashbank/mih": true, "internal/hashbank/listfmt": true, "internal/notice": true, "internal/police": true,
		"internal/nudity": true}
	forbiddenForPure := []string{"internal/store", "internal/web", "internal/messaging", "internal/bus", "internal/media",
		"internal/cases", "internal/safety", "internal/e2ee", "internal/console"}
	// safetyParts are the scanners and the bank administration, each with
	// the parts it may use (none).
	safetyParts := map[string][]string{"internal/safety/images": {}, "internal/safety/urls": {},
		"internal/safety/riskscan": {}, "internal/safety/banks": {}, "internal/safety/nudityscan": {}}
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
		checkUseCaseImports(t, rel, p.Imports)
		// The storage contract knows the vocabulary, not what is built on
		// it: statistics are stored as safeguard.Dataset.
		if rel == "internal/store" || strings.HasPrefix(rel, "internal/store/") {
			for _, d := range internalDeps(p) {
				if d == "internal/stats" || strings.HasPrefix(d, "internal/stats/") {
					t.Errorf("%s depends on %s: the store must not know internal/stats", rel, d)
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

// useCasePackages are the use-case packages (each with its sub-packages), and the
// console, which goes through them.
var useCasePackages = []string{"internal/messaging", "internal/cases", "internal/e2ee", "internal/safety",
	"internal/lawreport", "internal/stats/platform", "internal/moderators", "internal/evidence", "internal/console"}

// useCaseEdges are the imports allowed from one use case to another. A use
// case declares the small interface it needs of another; an edge here is a
// shared vocabulary or a part it composes. Adding one is a choice to make
// on purpose.
var useCaseEdges = map[[2]string]bool{
	// The scanners speak messaging's Scanner contract (Content, Verdict),
	// and cases sends the Notification messaging defines.
	{"internal/safety", "internal/messaging"}: true,
	{"internal/cases", "internal/messaging"}:  true,
	// Cases preserves evidence, files reports, and asks the one model of a
	// moderator's permissions.
	{"internal/cases", "internal/evidence"}:   true,
	{"internal/cases", "internal/lawreport"}:  true,
	{"internal/cases", "internal/moderators"}: true,
	// E2EE preserves a reported message as evidence.
	{"internal/e2ee", "internal/evidence"}: true,
	// The console shows what the use cases hold.
	{"internal/console", "internal/cases"}:          true,
	{"internal/console", "internal/evidence"}:       true,
	{"internal/console", "internal/lawreport"}:      true,
	{"internal/console", "internal/moderators"}:     true,
	{"internal/console", "internal/stats/platform"}: true,
}

// useCaseOf returns the use case a package belongs to, or "".
func useCaseOf(rel string) string {
	for _, u := range useCasePackages {
		if rel == u || strings.HasPrefix(rel, u+"/") {
			return u
		}
	}
	return ""
}

// checkUseCaseImports fails a use-case import not in useCaseEdges, and any
// import of the store by the console, which goes through the use cases.
func checkUseCaseImports(t *testing.T, rel string, imports []string) {
	t.Helper()
	from := useCaseOf(rel)
	if from == "" {
		return
	}
	for _, imp := range imports {
		d, ok := strings.CutPrefix(imp, module+"/")
		if !ok {
			continue
		}
		if from == "internal/console" && (d == "internal/store" || strings.HasPrefix(d, "internal/store/")) {
			t.Errorf("%s imports %s: the console goes through the use cases", rel, d)
		}
		if to := useCaseOf(d); to != "" && to != from && !useCaseEdges[[2]string{from, to}] {
			t.Errorf("%s imports %s: use cases declare the interfaces they need of each other (or add the edge to useCaseEdges)", rel, d)
		}
	}
}
