package lease_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/store/postgres"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const ttl = 30 * time.Second

// server is one server's lease manager, with the ticks that pace its Run
// in the test's hands.
type server struct {
	m    *lease.Manager
	tick chan time.Time
}

// servers returns n managers on one PostgreSQL schema, each with a store of
// its own (as servers have), dated by c.
func servers(t *testing.T, c *clock, n int) []*server {
	t.Helper()
	dsn := pgtest.Schema(t)
	var out []*server
	for i := range n {
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s := &server{tick: make(chan time.Time)}
		s.m, err = lease.New(lease.Config{Holder: string(rune('a' + i)), TTL: ttl},
			lease.Deps{Driver: lease.Store{Store: st}, Now: c.Now,
				Tick: func(time.Duration) (<-chan time.Time, func()) { return s.tick, func() {} }})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestOneHolder(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ss := servers(t, c, 4)
	// All try at once, on the same clock: exactly one takes the lease.
	got := make([]bool, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() { got[i] = s.m.Try(t.Context(), "retention") })
	}
	wg.Wait()
	holder := -1
	for i, ok := range got {
		if ok && holder >= 0 {
			t.Fatalf("servers %d and %d both took the lease", holder, i)
		}
		if ok {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatal("no server took a free lease")
	}
	// The holder renews within its term; the others keep trying in vain.
	for range 5 {
		c.Add(ttl / 3)
		for i, s := range ss {
			if ok := s.m.Try(t.Context(), "retention"); ok != (i == holder) {
				t.Fatalf("server %d: Try = %v, holder is %d", i, ok, holder)
			}
			if s.m.Held("retention") != (i == holder) {
				t.Fatalf("server %d: Held = %v, holder is %d", i, !(i == holder), holder)
			}
		}
	}
	// Another lease is apart.
	if other := (holder + 1) % len(ss); !ss[other].m.Try(t.Context(), "e2ee-sweep") {
		t.Error("another lease was not free")
	}
}

func TestTakeOverAfterExpiry(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ss := servers(t, c, 2)
	a, b := ss[0].m, ss[1].m
	if !a.Try(t.Context(), "ages") {
		t.Fatal("a did not take a free lease")
	}
	// a stops renewing.
	c.Add(2 * ttl / 3)
	if a.Held("ages") {
		t.Error("a still counts the lease as held two thirds into its term without a renewal")
	}
	if b.Try(t.Context(), "ages") {
		t.Fatal("b took the lease before its term ended")
	}
	c.Add(ttl/3 + time.Millisecond)
	if !b.Try(t.Context(), "ages") {
		t.Fatal("b did not take the lease after its term ended")
	}
	if a.Try(t.Context(), "ages") || a.Held("ages") {
		t.Fatal("a renewed a lease b had taken over")
	}
}

// job records its runs: started when it starts, stopped when its context
// ends.
type job struct{ started, stopped chan string }

func newJob() *job { return &job{started: make(chan string, 4), stopped: make(chan string, 4)} }

func (j *job) on(name string) func(ctx context.Context) {
	return func(ctx context.Context) {
		j.started <- name
		<-ctx.Done()
		j.stopped <- name
	}
}

func TestRunStopsWhenLost(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ss := servers(t, c, 2)
	a, b := ss[0], ss[1]
	j := newJob()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ranA := make(chan struct{})
	go func() { defer close(ranA); a.m.Run(ctx, "relay", j.on("a")) }()
	if got := <-j.started; got != "a" {
		t.Fatalf("started on %s, want a", got)
	}
	ranB := make(chan struct{})
	go func() { defer close(ranB); b.m.Run(ctx, "relay", j.on("b")) }()
	// b tries at each tick; while a renews, b never starts.
	for range 3 {
		c.Add(ttl / 3)
		a.tick <- c.Now()
		b.tick <- c.Now()
	}
	select {
	case got := <-j.started:
		t.Fatalf("the job started on %s while a held the lease", got)
	default:
	}
	// a's renewals stop reaching the database (its ticks stop); b takes the
	// lease once its term ends, and a's next tick stops a's run.
	c.Add(ttl + time.Millisecond)
	b.tick <- c.Now()
	if got := <-j.started; got != "b" {
		t.Fatalf("started on %s, want b", got)
	}
	a.tick <- c.Now()
	if got := <-j.stopped; got != "a" {
		t.Fatalf("stopped on %s, want a", got)
	}
	cancel()
	<-ranA
	<-ranB
}

func TestRunReleases(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ss := servers(t, c, 2)
	a, b := ss[0], ss[1]
	j := newJob()
	ctxA, stopA := context.WithCancel(t.Context())
	ranA := make(chan struct{})
	go func() { defer close(ranA); a.m.Run(ctxA, "sweep", j.on("a")) }()
	<-j.started
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ranB := make(chan struct{})
	go func() { defer close(ranB); b.m.Run(ctx, "sweep", j.on("b")) }()
	stopA() // a stops: its job ends and it frees the lease
	<-ranA
	if got := <-j.stopped; got != "a" {
		t.Fatalf("stopped on %s, want a", got)
	}
	b.tick <- c.Now() // well within a's term
	if got := <-j.started; got != "b" {
		t.Fatalf("started on %s, want b", got)
	}
	cancel()
	<-ranB
}

func TestLocalAlwaysHolds(t *testing.T) {
	m, err := lease.New(lease.Config{Holder: lease.Identity()}, lease.Deps{Driver: lease.Local{}})
	if err != nil {
		t.Fatal(err)
	}
	j := newJob()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, "ages", j.on("local")) }()
	<-j.started
	if got := m.Leases(); len(got) != 1 || got[0] != "ages" {
		t.Errorf("Leases = %v, want [ages]", got)
	}
	cancel()
	<-done
	<-j.stopped
	if got := m.Leases(); len(got) != 0 {
		t.Errorf("Leases after the end = %v, want none", got)
	}
}

func TestDo(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	ss := servers(t, c, 2)
	a, b := ss[0], ss[1]
	inside, leave := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- a.m.Do(t.Context(), "ncmec:SG-TEST-2026-000001", func(ctx context.Context) error {
			close(inside)
			<-leave
			return nil
		})
	}()
	<-inside
	if err := b.m.Do(t.Context(), "ncmec:SG-TEST-2026-000001", func(context.Context) error {
		t.Error("b ran while a held the lease")
		return nil
	}); err != lease.ErrHeld {
		t.Errorf("b.Do while a holds: err = %v, want ErrHeld", err)
	}
	// a renews while it works: past the first term, b still cannot.
	c.Add(ttl / 3)
	a.tick <- c.Now()
	c.Add(ttl)
	a.tick <- c.Now()
	if b.m.Try(t.Context(), "ncmec:SG-TEST-2026-000001") {
		t.Error("b took the lease a renewed")
	}
	close(leave)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := b.m.Do(t.Context(), "ncmec:SG-TEST-2026-000001", func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Errorf("b.Do after a freed the lease: err = %v, ran = %v", err, ran)
	}
}

// TestHold: Hold waits while another holds the name, takes it once freed,
// gives up when its context ends, and takes a name whose holder died once
// its time is over.
func TestHold(t *testing.T) {
	dsn := pgtest.Schema(t)
	var d [2]lease.Driver
	for i := range d {
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		d[i] = lease.Store{Store: st}
	}
	ctx := t.Context()
	release, err := lease.Hold(ctx, d[0], "report-export:X", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	waiting, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := lease.Hold(waiting, d[1], "report-export:X", time.Minute); err != context.DeadlineExceeded {
		t.Fatalf("Hold while another holds: %v, want it to wait until its context ends", err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := lease.Hold(ctx, d[1], "report-export:X", time.Minute)
		if err == nil {
			r()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Hold returned %v while the other held it", err)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Hold did not take the name once it was freed")
	}
	// A holder that never frees it: the name is free once its time is over.
	if _, err := lease.Hold(ctx, d[0], "report-export:Y", 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	after, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if r, err := lease.Hold(after, d[1], "report-export:Y", time.Minute); err != nil {
		t.Fatalf("Hold after the holder's time: %v", err)
	} else {
		r()
	}
}

// lostAnswers is a driver whose takes are stored but whose answers are
// lost: the store holds the lease, the server never hears so.
type lostAnswers struct {
	mu     sync.Mutex
	holder map[string]string
	taken  chan struct{}
}

func (d *lostAnswers) Take(_ context.Context, name, holder string, _, _ time.Time) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holder[name] == "" {
		d.holder[name] = holder
		close(d.taken)
	}
	return false, errors.New("connection lost before the answer")
}

func (d *lostAnswers) Release(_ context.Context, name, holder string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.holder[name] == holder {
		delete(d.holder, name)
	}
	return nil
}

// TestRunReleasesWhatItDidNotKnow: a server whose take of a lease was
// stored but whose answer was lost frees it all the same when it stops,
// so another server takes it at once rather than after its term.
func TestRunReleasesWhatItDidNotKnow(t *testing.T) {
	d := &lostAnswers{holder: map[string]string{}, taken: make(chan struct{})}
	m, err := lease.New(lease.Config{Holder: "a", TTL: ttl}, lease.Deps{Driver: d, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, "age-relay", func(context.Context) {}) }()
	<-d.taken
	cancel()
	<-done
	d.mu.Lock()
	defer d.mu.Unlock()
	if h := d.holder["age-relay"]; h != "" {
		t.Errorf("the lease is still %s's after it stopped", h)
	}
}
