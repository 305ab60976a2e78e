package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

func TestReloadOnSignal(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "x.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := filepath.Join(dir, "rules.yaml")
	rule := "version: 1\nrules:\n  - id: local.x\n    description: d\n    category: contact\n    severity: SEVERITY\n    mode: shadow\n    expr: sender.adult\n"
	write := func(s string) {
		if err := os.WriteFile(rules, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(rule, "SEVERITY", "low", 1))
	r, err := riskscan.New(riskscan.Config{Rules: []string{rules}}, riskscan.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	sig := make(chan os.Signal) // unbuffered: a second send waits for the first reload
	done := make(chan struct{})
	go func() { reloadOnSignal(ctx, sig, r); close(done) }()
	signal := func() {
		sig <- syscall.SIGHUP
		sig <- syscall.SIGHUP
	}

	first := r.RuleSet().Version()
	write(strings.Replace(rule, "SEVERITY", "nonsense", 1))
	signal()
	if r.RuleSet().Version() != first {
		t.Errorf("a bad file replaced the rules in force")
	}
	write(strings.Replace(rule, "SEVERITY", "high", 1))
	signal()
	if v := r.RuleSet(); v.Version() == first || v.Rules()[0].Severity != "high" {
		t.Errorf("SIGHUP did not reload: %s", v.Version())
	}
	cancel()
	<-done
}
