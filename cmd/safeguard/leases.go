package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// The leases of the background jobs: in a cluster, one server at a time
// runs each.
const (
	leaseRetention       = "evidence-retention"
	leaseRetro           = "retro-matching"
	leaseAges            = "ages"
	leaseRelay           = "age-relay"
	leaseE2EESweep       = "e2ee-sweep"
	leaseConsoleSessions = "console-sessions"
)

// jobLeases lists every job lease, as /metrics shows them.
var jobLeases = []string{leaseRetention, leaseRetro, leaseAges, leaseRelay, leaseE2EESweep, leaseConsoleSessions}

// newLeases returns the manager of this server's leases: in the store
// the servers share with --nats, else held always (one server).
func newLeases(c serveConfig, node string, st store.Store, log *slog.Logger) (*lease.Manager, error) {
	var d lease.Driver = lease.Local{}
	if c.nats != "" {
		d = lease.Store{Store: st}
	}
	return lease.New(lease.Config{Holder: node, TTL: c.leaseTTL}, lease.Deps{Driver: d, Log: log})
}

// hold runs job under the lease name until the background work ends; the
// store closes after it has released the lease.
func (s *stack) hold(name string, job func(ctx context.Context)) {
	s.held.Go(func() { s.leases.Run(s.jobs, name, job) })
}

// nodeCollector exports this server's name and the job leases it holds.
type nodeCollector struct{ m *lease.Manager }

var (
	nodeInfo = prometheus.NewDesc("safeguard_node_info",
		"This server's name in the cluster (host, process and a random part), as its logs give it.", []string{"node"}, nil)
	leaseHeld = prometheus.NewDesc("safeguard_lease_held",
		"1 while this server holds the lease of a background job (one server of a cluster at a time runs each), else 0.", []string{"lease"}, nil)
)

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- nodeInfo
	ch <- leaseHeld
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(nodeInfo, prometheus.GaugeValue, 1, c.m.Holder())
	for _, name := range jobLeases {
		v := 0.0
		if c.m.Held(name) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(leaseHeld, prometheus.GaugeValue, v, name)
	}
}

// exportTTL bounds how long a server that died while it exported a report
// package keeps the others from exporting the same reference.
const exportTTL = 5 * time.Minute

// exportLock holds a report reference in the leases the servers share
// (prefix + reference) while its package is written: servers exporting one
// reference at once take turns, and the second finds the first's receipt.
func exportLock(st store.Store, prefix string) func(ctx context.Context, reference string) (func(), error) {
	return func(ctx context.Context, reference string) (func(), error) {
		return lease.Hold(ctx, lease.Store{Store: st}, prefix+reference, exportTTL)
	}
}
