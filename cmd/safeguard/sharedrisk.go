package main

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// How the servers of a cluster share the risk rules and their counts.
const (
	// controlReload is the control message (safeguard.control.reload)
	// that tells every server a new generation of the rules is stored.
	controlReload = "reload"
	// convergeEvery is how often a server looks for a newer generation
	// unasked, in case it missed the control message (NATS was down).
	convergeEvery = 30 * time.Second
	// countsEvery is how often a server stores its counts of the rules.
	countsEvery = 15 * time.Second
	// sharedTimeout bounds the reading of the summed counts.
	sharedTimeout = 5 * time.Second
)

// announcer sends control messages to every server of the cluster.
type announcer interface {
	Announce(ctx context.Context, name string, data []byte) error
	Listen(name string, fn func(data []byte)) (stop func(), err error)
}

// reloader reloads the risk rules (SIGHUP).
type reloader interface {
	Reload(ctx context.Context) (*risk.RuleSet, error)
}

// sharedRisk is the risk scanner of a server of a cluster, as the operator
// API and SIGHUP see it: a reload on this server is a reload on every one,
// and the counters are summed over every server.
type sharedRisk struct {
	*riskscan.Scanner
	node string
	ctl  announcer
	log  *slog.Logger
}

var _ web.RiskRules = sharedRisk{}

// Reload reads this server's rule files, stores them as the rules in force
// in the cluster, and tells every server. The rules are in force here when
// it returns, and on each other server once it has heard (or within
// convergeEvery).
func (r sharedRisk) Reload(ctx context.Context) (*risk.RuleSet, error) {
	rs, gen, err := r.Publish(ctx, r.node)
	if err != nil {
		return nil, err
	}
	if err := r.ctl.Announce(ctx, controlReload, []byte(strconv.FormatInt(gen, 10))); err != nil {
		r.log.WarnContext(ctx, "risk rules stored; the other servers put them in force within their next look", "generation", gen, "err", err)
	}
	return rs, nil
}

// Counters returns the counts summed over every server; this server's own
// when the database cannot be asked.
func (r sharedRisk) Counters() []risk.RuleCounter {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	cs, err := r.SharedCounters(ctx, r.node)
	if err != nil {
		r.log.Warn("risk rule counts of the cluster not read; this server's own are shown", "err", err)
		return r.Scanner.Counters()
	}
	return cs
}

// NodeCounters returns this server's own counts, for its /metrics (which
// each server serves of itself).
func (r sharedRisk) NodeCounters() []risk.RuleCounter { return r.Scanner.Counters() }

// run keeps this server's rules the cluster's and stores its counts, until
// ctx ends; then it stores them one last time.
func (r sharedRisk) run(ctx context.Context) {
	heard := make(chan struct{}, 1)
	stop, err := r.ctl.Listen(controlReload, func([]byte) {
		select {
		case heard <- struct{}{}:
		default:
		}
	})
	if err != nil {
		r.log.Warn("not listening for risk rule reloads; looking every "+convergeEvery.String(), "err", err)
	} else {
		defer stop()
	}
	converge, counts := time.NewTicker(convergeEvery), time.NewTicker(countsEvery)
	defer converge.Stop()
	defer counts.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
			r.storeCounts(fctx)
			cancel()
			return
		case <-heard:
			r.converge(ctx)
		case <-converge.C:
			r.converge(ctx)
		case <-counts.C:
			r.storeCounts(ctx)
		}
	}
}

func (r sharedRisk) converge(ctx context.Context) {
	if _, err := r.Converge(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("risk rules of the cluster not put in force; the rules in force stay", "err", err)
	}
}

func (r sharedRisk) storeCounts(ctx context.Context) {
	if err := r.StoreCounts(ctx, r.node); err != nil && ctx.Err() == nil {
		r.log.Warn("risk rule counts not stored", "err", err)
	}
}
