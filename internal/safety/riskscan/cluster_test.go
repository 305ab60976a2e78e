package riskscan_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// files are rule files in memory, which a test rewrites.
type files struct {
	mu sync.Mutex
	m  map[string]string
}

func (f *files) read(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []byte(f.m[name]), nil
}

func (f *files) set(name, data string) { f.mu.Lock(); f.m[name] = data; f.mu.Unlock() }

func oneRule(severity string) string {
	return "version: 1\nrules:\n  - id: local.shared\n    description: d\n    category: contact\n    severity: " + severity +
		"\n    mode: shadow\n    expr: sender.adult\n"
}

func severityOf(r *riskscan.Scanner) risk.Severity {
	for _, rule := range r.RuleSet().Rules() {
		if rule.ID == "local.shared" {
			return rule.Severity
		}
	}
	return ""
}

// TestSharedRules: two scanners on one store (two servers) converge on the
// newest generation stored, whichever files each read; a file that does not
// compile is never stored.
func TestSharedRules(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fa, fb := &files{m: map[string]string{"a.yaml": oneRule("low")}}, &files{m: map[string]string{"b.yaml": oneRule("high")}}
	a, err := riskscan.New(riskscan.Config{Rules: []string{"a.yaml"}}, riskscan.Deps{Store: st, ReadFile: fa.read})
	if err != nil {
		t.Fatal(err)
	}
	b, err := riskscan.New(riskscan.Config{Rules: []string{"b.yaml"}}, riskscan.Deps{Store: st, ReadFile: fb.read})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Join(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Join(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := severityOf(b); got != "low" {
		t.Fatalf("b joined with %q in force, want a's low (the first stored)", got)
	}
	if a.Generation() != b.Generation() || a.Generation() == 0 {
		t.Fatalf("generations %d, %d", a.Generation(), b.Generation())
	}

	// b reloads its file: stored, in force on b at once, on a when it looks.
	if _, gen, err := b.Publish(ctx, "b"); err != nil || gen <= a.Generation() {
		t.Fatalf("Publish: generation %d, err %v", gen, err)
	}
	if got := severityOf(b); got != "high" {
		t.Fatalf("b after its reload: %q", got)
	}
	if changed, err := a.Converge(ctx); err != nil || !changed || severityOf(a) != "high" {
		t.Fatalf("a after Converge: changed %v, err %v, severity %q", changed, err, severityOf(a))
	}
	if changed, err := a.Converge(ctx); err != nil || changed {
		t.Fatalf("a converged again on the same generation: changed %v, err %v", changed, err)
	}

	// A file with a problem is not stored: the rules in force stay
	// everywhere.
	gen := a.Generation()
	fa.set("a.yaml", strings.Replace(oneRule("low"), "low", "nonsense", 1))
	if _, _, err := a.Publish(ctx, "a"); err == nil {
		t.Fatal("a rule file with a problem was published")
	}
	if changed, _ := b.Converge(ctx); changed || b.Generation() != gen || severityOf(b) != "high" {
		t.Fatalf("b after a's failed reload: generation %d (was %d), severity %q", b.Generation(), gen, severityOf(b))
	}
}

// TestSharedCounters: the counts each server stored are summed, with the
// asking server's own as they are now.
func TestSharedCounters(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := riskscan.New(riskscan.Config{}, riskscan.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	id := r.RuleSet().Rules()[0].ID
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.PutRuleCounts(ctx, "other", time.Unix(0, 0), []store.RuleCount{{Rule: id, Evaluated: 7, Fired: 2, Errors: 1}})
	}); err != nil {
		t.Fatal(err)
	}
	cs, err := r.SharedCounters(ctx, "this")
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].ID != id || cs[0].Evaluated != 7 || cs[0].Fired != 2 || cs[0].Errors != 1 {
		t.Fatalf("summed counts of %s: %+v, want the other server's 7, 2, 1 (this one's are 0)", id, cs[0])
	}
}
