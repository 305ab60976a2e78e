package cases

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus/natstest"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// load is a set of detections for the cases service to handle: senders
// each writing to their own recipient, perDetection detections per case.
type load struct {
	senders, perSender, perCase int
	prefix                      string // of the handles, for a second load in one database
}

func (l load) detections() int { return l.senders * l.perSender }
func (l load) cases() int      { return l.senders * l.perSender / l.perCase }

// write stores the accounts, conversations, messages and detections of l
// (each detection about its own message, in its sender's conversation).
func (l load) write(tb testing.TB, st store.Store) {
	tb.Helper()
	ctx := tb.Context()
	born, _ := safeguard.ParseDate("1990-01-01")
	for s := range l.senders {
		err := st.Update(ctx, func(tx store.Tx) error {
			var ids [2]int64
			for i, h := range []string{"sender", "recipient"} {
				a := &safeguard.Account{Handle: fmt.Sprintf("%s%s%d", l.prefix, h, s), BirthDate: born, Status: safeguard.Active,
					App: safeguard.DefaultApp, CreatedAt: t0}
				if err := tx.CreateAccount(ctx, a, "x"); err != nil {
					return err
				}
				ids[i] = a.ID
			}
			c := &safeguard.Conversation{Kind: safeguard.Group, Title: "pair", App: safeguard.DefaultApp, CreatedAt: t0, CreatedBy: ids[0],
				Members: []safeguard.Member{{AccountID: ids[0], State: safeguard.MemberJoined, UpdatedAt: t0},
					{AccountID: ids[1], State: safeguard.MemberJoined, UpdatedAt: t0}}}
			if err := tx.CreateConversation(ctx, c); err != nil {
				return err
			}
			for i := range l.perSender {
				at := t0.Add(time.Duration(i) * time.Second)
				m := &safeguard.Message{ConversationID: c.ID, SenderID: ids[0], App: safeguard.DefaultApp, Kind: safeguard.TextMessage,
					Text: fmt.Sprintf("TEST message %d", i), Status: safeguard.Delivered, CreatedAt: at}
				if err := tx.CreateMessage(ctx, m); err != nil {
					return err
				}
				d := &safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL, At: at, SenderID: ids[0],
					ConversationID: c.ID, MessageID: m.ID, RecipientIDs: []int64{ids[1]},
					ContentKey: fmt.Sprintf("url:test-%d", i/l.perCase), Summary: "TEST"}
				if err := store.RecordDetection(ctx, tx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// memItems is a media.Store in memory: the evidence items of a benchmark
// that measures the database's part of the work alone.
type memItems struct {
	mu sync.Mutex
	m  map[string][]byte
	n  int
}

func (s *memItems) Put(_ context.Context, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	key := strconv.Itoa(s.n)
	s.m[key] = data
	return key, nil
}

func (s *memItems) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[key]; ok {
		return b, nil
	}
	return nil, safeguard.ErrNotFound
}

func (s *memItems) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// newService returns a cases service over st, with its own evidence
// directory and signing key: a server of its own.
func newService(tb testing.TB, st store.Store) *Service {
	tb.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	items, err := media.OpenDisk(filepath.Join(tb.TempDir(), "evidence"), key)
	if err != nil {
		tb.Fatal(err)
	}
	return newServiceItems(tb, st, items)
}

// newServiceItems returns a cases service over st that keeps evidence
// items in items.
func newServiceItems(tb testing.TB, st store.Store, items media.Store) *Service {
	tb.Helper()
	clock := func() time.Time { return t0.Add(time.Hour) }
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	svc, err := New(Config{TestReports: true}, Deps{Store: st, Vault: evidence.New(items, priv, clock),
		Builder: lawreporttest.Builder(), Submitter: &lawreport.FileExport{Dir: tb.TempDir()}, Now: clock})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// named gives each service a server name of its own, "server-1" and on,
// which it records with each occurrence, and returns them.
func named(svcs ...*Service) []*Service {
	for i, svc := range svcs {
		svc.cfg.Node = fmt.Sprintf("server-%d", i+1)
	}
	return svcs
}

// checkNodes checks that each server recorded, under its name, as many
// occurrences as its Process says it handled detections: perNode is what
// checkCases counted of each name.
func checkNodes(t *testing.T, counts []int, perNode map[string]int) {
	t.Helper()
	for i, n := range counts {
		name := fmt.Sprintf("server-%d", i+1)
		if perNode[name] != n {
			t.Errorf("%s: handled %d detections, recorded %d occurrences under its name", name, n, perNode[name])
		}
		delete(perNode, name)
	}
	if len(perNode) > 0 {
		t.Errorf("occurrences recorded under other names: %v", perNode)
	}
}

// processConcurrently runs Process on each service at once until the queue
// is empty, and returns how many detections each handled.
func processConcurrently(tb testing.TB, svcs ...*Service) []int {
	tb.Helper()
	counts := make([]int, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		wg.Go(func() {
			n, err := svc.Process(tb.Context())
			if err != nil {
				tb.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	return counts
}

// TestTwoServersShareDetections has two servers, each with its own
// connections to one PostgreSQL database, process the same queue at once.
// Each detection must become exactly one occurrence, each piece of content
// one case, and both servers must have done part of the work.
func TestTwoServersShareDetections(t *testing.T) {
	dsn := pgtest.Schema(t)
	l := load{senders: 500, perSender: 20, perCase: 2}
	if testing.Short() || raceDetector {
		l.senders = 50 // 1,000 detections
	}
	st1, st2 := pgtest.OpenDSN(t, dsn), pgtest.OpenDSN(t, dsn)
	l.write(t, st1)
	counts := processConcurrently(t, named(newService(t, st1), newService(t, st2))...)
	if counts[0]+counts[1] != l.detections() {
		t.Errorf("the servers handled %d + %d detections, want %d in all", counts[0], counts[1], l.detections())
	}
	if counts[0] == 0 || counts[1] == 0 {
		t.Errorf("the servers handled %d and %d detections: one did none of the work", counts[0], counts[1])
	}
	checkNodes(t, counts, checkCases(t, st1, l))
}

// TestProcessSQLite is the same on SQLite, one writer at a time: two
// services on one database file handle each detection once.
func TestProcessSQLite(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cases.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l := load{senders: 20, perSender: 10, perCase: 2}
	l.write(t, st)
	counts := processConcurrently(t, named(newService(t, st), newService(t, st))...)
	if counts[0]+counts[1] != l.detections() {
		t.Errorf("the services handled %d + %d detections, want %d in all", counts[0], counts[1], l.detections())
	}
	checkNodes(t, counts, checkCases(t, st, l))
}

// checkCases checks that every detection of l is one occurrence of the one
// case of its content, and that nothing is left in the queue. It returns
// how many occurrences each server recorded, by the name it recorded.
func checkCases(t *testing.T, st store.Store, l load) map[string]int {
	t.Helper()
	ctx := t.Context()
	perNode := map[string]int{}
	err := st.View(ctx, func(tx store.Tx) error {
		var cs []*safeguard.Case
		for after := int64(0); ; {
			page, err := tx.Cases(ctx, store.CaseQuery{ByID: true, AfterID: after, Limit: 1000})
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			cs = append(cs, page...)
			after = page[len(page)-1].ID
		}
		if len(cs) != l.cases() {
			t.Errorf("%d cases, want %d", len(cs), l.cases())
		}
		perDetection := map[int64]int{}
		keys := map[string]bool{}
		for _, c := range cs {
			key := fmt.Sprintf("%d %s", c.SenderID, c.ContentKey)
			if keys[key] {
				t.Errorf("two cases of %s", key)
			}
			keys[key] = true
			occ, err := tx.Occurrences(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(occ) != l.perCase || c.Occurrences != l.perCase {
				t.Errorf("case %d: %d occurrences, counted %d, want %d", c.ID, len(occ), c.Occurrences, l.perCase)
			}
			for _, o := range occ {
				perDetection[o.DetectionID]++
				perNode[o.Node]++
			}
		}
		if len(perDetection) != l.detections() {
			t.Errorf("%d detections in cases, want %d", len(perDetection), l.detections())
		}
		for id, n := range perDetection {
			if n != 1 {
				t.Errorf("detection %d: %d occurrences", id, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		left, err := tx.ClaimEvents(ctx, Consumer, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), 10)
		if err == nil && len(left) > 0 {
			t.Errorf("%d detections left in the queue, first event %d", len(left), left[0].ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return perNode
}

// BenchmarkDetectionsToCases measures detections turned into cases on
// PostgreSQL, by one server and by two at once, with the evidence items on
// disk (each written and synced to its own file, as media.Disk does) or in
// memory (the database's part of the work alone). Each iteration handles a
// fresh queue of detections; the figure to read is detections/s.
func BenchmarkDetectionsToCases(b *testing.B) {
	for _, vault := range []string{"disk", "nats", "memory"} {
		for _, servers := range []int{1, 2} {
			b.Run(fmt.Sprintf("vault=%s/servers=%d", vault, servers), func(b *testing.B) {
				benchDetections(b, vault, servers)
			})
		}
	}
}

// natsItems is an evidence store in the JetStream object store of srv, as
// a cluster keeps it, with its own connection.
func natsItems(tb testing.TB, srv *natstest.Server) media.Store {
	tb.Helper()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	files, err := natsblob.Open(tb.Context(), js, natsblob.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, media.KeySize)
	rand.Read(key)
	items, err := media.New(blob.Sub(files, "evidence/"), key)
	if err != nil {
		tb.Fatal(err)
	}
	return items
}

func benchDetections(b *testing.B, vault string, servers int) {
	dsn := pgtest.Schema(b)
	var svcs []*Service
	var st store.Store
	var srv *natstest.Server
	if vault == "nats" {
		srv = natstest.Start(b)
	}
	for range servers {
		db := pgtest.OpenDSN(b, dsn)
		st = db
		switch vault {
		case "disk":
			svcs = append(svcs, newService(b, db))
		case "nats":
			svcs = append(svcs, newServiceItems(b, db, natsItems(b, srv)))
		default:
			svcs = append(svcs, newServiceItems(b, db, &memItems{m: map[string][]byte{}}))
		}
	}
	l := load{senders: 100, perSender: 20, perCase: 2}
	total := 0
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		l.prefix = fmt.Sprintf("r%d", i)
		l.write(b, st)
		start := time.Now()
		b.StartTimer()
		counts := processConcurrently(b, svcs...)
		elapsed += time.Since(start)
		for _, n := range counts {
			total += n
		}
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "detections/s")
}

// TestCaseAcrossBatches: the detections of one case that come in two
// batches, the second read while the first is recorded, keep each item of
// the case once — the sender's and the recipient's accounts among them.
func TestCaseAcrossBatches(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cases.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := claimBatch + claimBatch/2
	l := load{senders: 1, perSender: n, perCase: n}
	l.write(t, st)
	if got := processConcurrently(t, newService(t, st)); got[0] != n {
		t.Fatalf("handled %d detections, want %d", got[0], n)
	}
	checkCases(t, st, l)
	err = st.View(t.Context(), func(tx store.Tx) error {
		cs, err := tx.Cases(t.Context(), store.CaseQuery{ByID: true, Limit: 10})
		if err != nil || len(cs) != 1 {
			return fmt.Errorf("cases: %d, %v", len(cs), err)
		}
		es, err := tx.CaseEvidence(t.Context(), cs[0].ID)
		if err != nil {
			return err
		}
		refs := map[string]int{}
		for _, e := range es {
			if e.Kind == safeguard.EvidenceItem {
				refs[e.Ref]++
			}
		}
		for ref, k := range refs {
			if k != 1 {
				t.Errorf("item %s kept %d times", ref, k)
			}
		}
		if k := refs[fmt.Sprintf("account:%d", cs[0].SenderID)]; k != 1 {
			t.Errorf("the sender's account kept %d times, want once", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
