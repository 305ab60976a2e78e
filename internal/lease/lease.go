// Package lease lets one server of a cluster at a time run each background
// job. A lease is a named row in the database the servers share: a server
// takes it when it is free or expired, holds it for a TTL, and renews it at a
// third of the TTL; a server that stops renewing (it stopped, hung or lost
// the database) loses it when the TTL ends, and another takes it over. One
// server alone holds every lease at once (Local).
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// DefaultTTL is how long a lease lasts unless renewed: it is renewed every
// third of it, so a server that stops holds a job up for at most this long.
const DefaultTTL = 30 * time.Second

// Driver takes and frees leases.
type Driver interface {
	// Take gives the lease name to holder until until if it is free at now
	// or holder has it already, and reports whether holder has it.
	Take(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// Release frees the lease name if holder has it.
	Release(ctx context.Context, name, holder string) error
}

// Local is the driver of one server alone: every lease is always its own.
type Local struct{}

// Take implements Driver.
func (Local) Take(context.Context, string, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

// Release implements Driver.
func (Local) Release(context.Context, string, string) error { return nil }

// Store is the driver over the store the servers share (PostgreSQL in a
// cluster): table leases, one statement per take.
type Store struct{ Store store.Store }

// Take implements Driver.
func (s Store) Take(ctx context.Context, name, holder string, now, until time.Time) (ok bool, err error) {
	err = s.Store.Update(ctx, func(tx store.Tx) (err error) {
		ok, err = tx.TakeLease(ctx, name, holder, now, until)
		return err
	})
	return ok, err
}

// Release implements Driver.
func (s Store) Release(ctx context.Context, name, holder string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return tx.ReleaseLease(ctx, name, holder) })
}

// Identity returns a name for this server that no other shares: its host
// name, process ID and a random part (a restarted process is another
// holder). It is shown in logs and metrics.
func Identity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Config configures a Manager.
type Config struct {
	// Holder names this server (Identity); required.
	Holder string
	// TTL is how long a lease lasts unless renewed; DefaultTTL if zero.
	TTL time.Duration
}

// Deps are what a Manager works with. Now, Tick and Log are optional.
type Deps struct {
	Driver Driver
	// Now is the clock leases are dated by (time.Now if nil). The servers'
	// clocks must agree to well within the TTL.
	Now func() time.Time
	// Tick returns the channel that paces the tries of one lease, every
	// d (a time.Ticker's if nil), and a function that stops it.
	Tick func(d time.Duration) (<-chan time.Time, func())
	Log  *slog.Logger
}

// Manager takes, renews and frees the leases of one server.
type Manager struct {
	cfg  Config
	d    Deps
	mu   sync.Mutex
	held map[string]time.Time // lease → until when it is held, as last taken
}

// New returns a manager of cfg.Holder's leases.
func New(cfg Config, d Deps) (*Manager, error) {
	if cfg.Holder == "" {
		return nil, fmt.Errorf("lease: a holder name is required")
	}
	if d.Driver == nil {
		return nil, fmt.Errorf("lease: a driver is required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Tick == nil {
		d.Tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, d: d, held: map[string]time.Time{}}, nil
}

// Holder returns the name this manager holds leases under.
func (m *Manager) Holder() string { return m.cfg.Holder }

// Try takes or renews the lease name once, and reports whether this server
// holds it now. An error of the driver is logged and counts as not taken
// (the lease is still held until its last term ends: see Held).
func (m *Manager) Try(ctx context.Context, name string) bool {
	now := m.d.Now()
	until := now.Add(m.cfg.TTL)
	ok, err := m.d.Driver.Take(ctx, name, m.cfg.Holder, now, until)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			m.d.Log.Warn("lease not renewed", "lease", name, "holder", m.cfg.Holder, "err", err)
		}
		return false
	case ok:
		if _, had := m.held[name]; !had {
			m.d.Log.Info("lease taken", "lease", name, "holder", m.cfg.Holder)
		}
		m.held[name] = until
	default:
		if _, had := m.held[name]; had {
			m.d.Log.Warn("lease lost", "lease", name, "holder", m.cfg.Holder)
		}
		delete(m.held, name)
	}
	return ok
}

// Held reports whether this server holds the lease name: taken, and its
// term not ended by the clock (less a third of the TTL, the margin for a
// renewal that could not reach the database).
func (m *Manager) Held(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.held[name]
	return ok && m.d.Now().Before(until.Add(-m.cfg.TTL/3))
}

// Leases returns the names of the leases this server holds, sorted.
func (m *Manager) Leases() []string {
	m.mu.Lock()
	var out []string
	for name := range m.held {
		out = append(out, name)
	}
	m.mu.Unlock()
	slices.Sort(out)
	var held []string
	for _, name := range out {
		if m.Held(name) {
			held = append(held, name)
		}
	}
	return held
}

// release frees the lease name, and forgets it. It frees it in the store
// even when this server did not know it held it: a take whose answer was
// lost (its context ended as the store committed it) holds it all the same.
func (m *Manager) release(name string) {
	m.mu.Lock()
	delete(m.held, name)
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), max(m.cfg.TTL/3, 5*time.Second))
	defer cancel()
	if err := m.d.Driver.Release(ctx, name, m.cfg.Holder); err != nil {
		m.d.Log.Warn("lease not released; it expires", "lease", name, "err", err)
	}
}

// Run runs job while this server holds the lease name, until ctx ends. It
// tries to take the lease every third of the TTL; once it has it, it starts
// job with a context that ends when the lease is lost (another server took
// it after this one failed to renew it in time, or its term ran out while
// the database could not be reached) or ctx ends, and renews it at the same
// pace. After a loss it waits for the lease again, and starts job afresh.
// job should return when its context ends; its work must be safe to stop
// half-way, as the server running it may stop at any point. When ctx ends
// the lease is released, so that another server takes it at once.
func (m *Manager) Run(ctx context.Context, name string, job func(ctx context.Context)) {
	tick, stop := m.d.Tick(m.cfg.TTL / 3)
	defer stop()
	defer m.release(name)
	var (
		stopJob func()          // ends the job and waits for it; nil when none runs
		wait    <-chan struct{} // closed when the job returns by itself
	)
	end := func() {
		if stopJob != nil {
			stopJob()
			stopJob, wait = nil, nil
		}
	}
	defer end()
	for {
		switch held := m.Try(ctx, name) || m.Held(name); {
		case held && stopJob == nil:
			stopJob, wait = start(ctx, job)
		case !held && stopJob != nil:
			end()
		}
		select {
		case <-ctx.Done():
			return
		case <-wait:
			// The job returned by itself: hold on, without running it
			// again, until the lease is lost or ctx ends.
			wait = nil
		case <-tick:
		}
	}
}

// start runs job in a goroutine of its own, with a context of its own; stop
// ends that context and waits for job to return, and done is closed when it
// returns.
func start(ctx context.Context, job func(context.Context)) (stop func(), done <-chan struct{}) {
	jctx, cancel := context.WithCancel(ctx)
	d := make(chan struct{})
	go func() {
		defer close(d)
		job(jctx)
	}()
	return func() { cancel(); <-d }, d
}

// ErrHeld is Do's answer when another server holds the lease.
var ErrHeld = errors.New("lease: held by another server")

// Do runs fn once under the lease name: it takes the lease (or answers
// ErrHeld at once if another server holds it), renews it every third of the
// TTL while fn runs, ends fn's context if the lease is lost, and frees it
// when fn returns. It returns fn's error.
func (m *Manager) Do(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if !m.Try(ctx, name) {
		return ErrHeld
	}
	defer m.release(name)
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tick, stop := m.d.Tick(m.cfg.TTL / 3)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- fn(fctx) }()
	for {
		select {
		case err := <-done:
			return err
		case <-tick:
			// Renewed, it is held (whatever the clock says by now); not
			// renewed, held while its last term lasts.
			if !m.Try(ctx, name) && !m.Held(name) {
				cancel()
				return <-done
			}
		}
	}
}

// Hold takes the lease name on d for a holder of its own, waiting while
// another has it (polling every 50 ms) until ctx ends, and returns the
// function that frees it. ttl bounds how long a holder that died keeps the
// others waiting; Hold does not renew it, so it is for work that ends well
// within it.
func Hold(ctx context.Context, d Driver, name string, ttl time.Duration) (release func(), err error) {
	holder := Identity()
	for {
		now := time.Now()
		ok, err := d.Take(ctx, name, holder, now, now.Add(ttl))
		if err != nil {
			return nil, err
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				defer cancel()
				d.Release(ctx, name, holder) // if not, it expires
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
