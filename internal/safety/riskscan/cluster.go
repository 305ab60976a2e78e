package riskscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// In a cluster the rules in force are the newest generation stored: a
// reload on any server (Publish) reads that server's files and stores them
// as a new generation, and every server puts the newest generation in
// force (Converge) when told of it, and now and then in case it was not
// told. Each server's counts of the rules are stored too (StoreCounts), and
// the operator sees their sums (SharedCounters).

// Generation returns the stored generation of the rules in force; 0 when
// they were never stored (one server, or none stored yet).
func (r *Scanner) Generation() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gen
}

// Publish reads the rule and lexicon files again and, if they compile,
// stores them as the newest generation and puts them in force; node names
// the server that read them. On any problem the rules in force stay, and
// the error is Reload's.
func (r *Scanner) Publish(ctx context.Context, node string) (*risk.RuleSet, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	src, err := r.readSources()
	var rs *risk.RuleSet
	if err == nil {
		rs, err = src.compile()
	}
	if err != nil {
		r.log.WarnContext(ctx, "risk rules not reloaded; the rules in force stay", "err", err)
		return nil, 0, err
	}
	gen, err := r.storeSet(ctx, src, rs, node)
	if err != nil {
		r.log.WarnContext(ctx, "risk rules not stored for the cluster; the rules in force stay", "err", err)
		return nil, 0, err
	}
	r.engine.Swap(rs)
	r.gen = gen
	r.log.InfoContext(ctx, "risk rules reloaded for the cluster", "version", rs.Version(), "rules", len(rs.Rules()), "generation", gen)
	return rs, gen, nil
}

func (r *Scanner) storeSet(ctx context.Context, src *sources, rs *risk.RuleSet, node string) (int64, error) {
	b, err := json.Marshal(src)
	if err != nil {
		return 0, err
	}
	set := &store.RiskRuleSet{Version: rs.Version(), Sources: b, Node: node, CreatedAt: time.Now()}
	if err := updateTx(ctx, r.store, func(tx Tx) error { return tx.AddRiskRuleSet(ctx, set) }); err != nil {
		return 0, err
	}
	return set.Generation, nil
}

// Converge puts the newest stored generation in force if it is newer than
// the one in force, and reports whether it did. A generation that does not
// compile here (a server of another version stored it) is an error, and the
// rules in force stay.
func (r *Scanner) Converge(ctx context.Context) (bool, error) {
	var set *store.RiskRuleSet
	err := viewTx(ctx, r.store, func(tx Tx) (err error) { set, err = tx.LatestRiskRuleSet(ctx); return err })
	if errors.Is(err, safeguard.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if set.Generation <= r.gen {
		return false, nil
	}
	var src sources
	if err := json.Unmarshal(set.Sources, &src); err != nil {
		return false, fmt.Errorf("risk rules of generation %d: %w", set.Generation, err)
	}
	rs, err := src.compile()
	if err != nil {
		return false, fmt.Errorf("risk rules of generation %d: %w", set.Generation, err)
	}
	r.engine.Swap(rs)
	r.gen = set.Generation
	r.log.InfoContext(ctx, "risk rules of the cluster put in force", "version", rs.Version(), "rules", len(rs.Rules()),
		"generation", set.Generation, "from", set.Node)
	return true, nil
}

// Join makes the scanner one of a cluster's at start: with no rules stored
// yet, it stores its own (Publish); else it puts the newest generation in
// force, and warns when its own files differ from it (a reload puts them in
// force everywhere). A newest generation that does not compile here leaves
// this server's own files in force, logged as an error.
func (r *Scanner) Join(ctx context.Context, node string) error {
	var stored bool
	err := viewTx(ctx, r.store, func(tx Tx) error {
		_, err := tx.LatestRiskRuleSet(ctx)
		stored = err == nil
		if errors.Is(err, safeguard.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if !stored {
		_, _, err := r.Publish(ctx, node)
		return err
	}
	own := r.RuleSet().Version()
	if _, err := r.Converge(ctx); err != nil {
		// Stored by a server of another version, say: this server's own
		// files stay in force, and it tries again as it looks.
		r.log.ErrorContext(ctx, "risk rules of the cluster not put in force; this server's own files are", "err", err)
		return nil
	}
	if v := r.RuleSet().Version(); v != own {
		r.log.WarnContext(ctx, "this server's risk rule files differ from the rules in force in the cluster; reload to put them in force everywhere",
			"files", own, "in_force", v)
	}
	return nil
}

// StoreCounts stores this server's counts of the rules, as node's.
func (r *Scanner) StoreCounts(ctx context.Context, node string) error {
	cs := r.Counters()
	out := make([]store.RuleCount, len(cs))
	for i, c := range cs {
		out[i] = store.RuleCount{Rule: c.ID, Evaluated: c.Evaluated, Fired: c.Fired, Errors: c.Errors}
	}
	return updateTx(ctx, r.store, func(tx Tx) error { return tx.PutRuleCounts(ctx, node, time.Now(), out) })
}

// SharedCounters returns the counts of the rules in force summed over every
// server of the cluster, this one's (node's) as they are now.
func (r *Scanner) SharedCounters(ctx context.Context, node string) ([]risk.RuleCounter, error) {
	if err := r.StoreCounts(ctx, node); err != nil {
		return nil, err
	}
	var sums []store.RuleCount
	if err := viewTx(ctx, r.store, func(tx Tx) (err error) { sums, err = tx.RuleCounts(ctx); return err }); err != nil {
		return nil, err
	}
	by := map[string]store.RuleCount{}
	for _, c := range sums {
		by[c.Rule] = c
	}
	out := r.Counters()
	for i := range out {
		c := by[out[i].ID]
		out[i].Evaluated, out[i].Fired, out[i].Errors = c.Evaluated, c.Fired, c.Errors
	}
	return out, nil
}
