package web_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/client/e2ee"
	"github.com/safeguard-dev/safeguard/client/secure"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/bus"
	sge2ee "github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// fastKDF keeps the sealing of device state quick in tests.
var fastKDF = e2ee.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// backend is a store to run the end-to-end encryption tests on. raw is a
// second handle on the same database, to read every table as they are
// stored and to play a server that misbehaves.
type backend struct {
	name string
	open func(t *testing.T) (st store.Store, raw *sql.DB, tables string)
}

// cell is one stored value and where it is.
type cell struct {
	table, column string
	value         []byte
}

func backends(t *testing.T) []backend {
	bs := []backend{{"sqlite", func(t *testing.T) (store.Store, *sql.DB, string) {
		path := filepath.Join(t.TempDir(), "test.db")
		db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return db, raw, `SELECT name FROM sqlite_master WHERE type = 'table'`
	}}}
	if pgtest.Enabled() {
		bs = append(bs, backend{"postgres", func(t *testing.T) (store.Store, *sql.DB, string) {
			dsn := pgtest.Schema(t)
			db := pgtest.OpenDSN(t, dsn)
			raw, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			return db, raw, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
		}})
	}
	return bs
}

// dump reads every text and byte value of every table of the database.
func (s *e2eeStack) dump(t *testing.T) []cell {
	t.Helper()
	db := s.raw
	rows, err := db.QueryContext(t.Context(), s.tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if len(names) < 10 {
		t.Fatalf("only %d tables found: %v", len(names), names)
	}
	var out []cell
	for _, name := range names {
		rows, err := db.QueryContext(t.Context(), `SELECT * FROM `+name)
		if err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				switch v := v.(type) {
				case string:
					out = append(out, cell{name, cols[i], []byte(v)})
				case []byte:
					out = append(out, cell{name, cols[i], slices.Clone(v)})
				}
			}
		}
		rows.Close()
	}
	return out
}

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.b.Bytes())
}

// offsetClock is real time moved by an offset tests set.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// e2eeStack is a running server with end-to-end encryption over a real
// store, with everything the tests look at: the e2ee service, its key ring
// and clock, the media directory and every log line.
type e2eeStack struct {
	*stack
	raw      *sql.DB // the same database, outside the store
	tables   string  // the query that lists its tables
	postgres bool
	md       media.Store
	vault    *evidence.Vault // where reported texts are kept
	items    media.Store     // the vault's encrypted items
	svc      *sge2ee.Service
	ring     *franking.KeyRing
	clock    *offsetClock
	mediaDir string
	logs     *syncBuffer
	b        bus.Bus
	close    func()
}

// newE2EEStack starts a server on st. ring may be nil for a fresh key ring;
// save, if not nil, persists it.
func newE2EEStack(t testing.TB, st store.Store, ring *franking.KeyRing, save sge2ee.KeySaver) *e2eeStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	mediaDir := filepath.Join(t.TempDir(), "media")
	md, err := media.OpenDisk(mediaDir, key)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &offsetClock{}
	if ring == nil {
		ring = franking.NewKeyRing(franking.KeyRingConfig{Now: clock.Now})
	}
	b := bus.NewLocal()
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, evKey, _ := ed25519.GenerateKey(rand.Reader)
	vault := evidence.New(items, evKey, clock.Now)
	svc, err := sge2ee.New(sge2ee.Config{Limits: &sge2ee.Limits{}, MaxBlobBytes: 4 << 20},
		sge2ee.Deps{Store: st, Media: md, Evidence: vault, Keys: ring, SaveKeys: save, Notify: web.E2EENotifier(b, log), Now: clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Limits: testLimits, Apps: []string{"chat"}}
	msvc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, log), Relay: svc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { msvc.Close() }) // the queued refusals, before the store closes
	srv := httptest.NewServer(web.New(web.Config{AdminToken: adminToken}, msvc, b, log, prometheus.NewRegistry(), web.WithE2EE(svc)).Handler())
	closed := false
	closeFn := func() {
		if !closed {
			closed = true
			b.Close()
			srv.Close()
		}
	}
	t.Cleanup(closeFn)
	return &e2eeStack{
		stack: &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st},
		md:    md, vault: vault, items: items, svc: svc, ring: ring, clock: clock, mediaDir: mediaDir, logs: logs, b: b, close: closeFn,
	}
}

// eachE2EE runs fn as a subtest on every back-end.
func eachE2EE(t *testing.T, fn func(t *testing.T, s *e2eeStack)) {
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			st, raw, tables := be.open(t)
			s := newE2EEStack(t, st, nil, nil)
			s.raw, s.tables, s.postgres = raw, tables, be.name == "postgres"
			fn(t, s)
		})
	}
}

// person is a verified adult with devices, each a login of its own.
type person struct {
	handle string
	id     int64
	api    *client.Client // the first device's login
	devs   []*secure.Session
	dirs   []string // where each device keeps its sealed state
}

// adult signs up a verified adult with n devices.
func (s *e2eeStack) adult(handle string, n int) *person {
	s.t.Helper()
	c := s.verified(handle)
	me, err := c.Me(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	p := &person{handle: c.Handle, id: me.ID, api: c}
	for i := range n {
		s.device(p, fmt.Sprintf("%s-%d", strings.ToUpper(handle), i+1))
	}
	return p
}

// device logs the person in again and opens a device on that login.
func (s *e2eeStack) device(p *person, name string) *secure.Session {
	s.t.Helper()
	c := client.New(s.url)
	if _, err := c.Login(s.t.Context(), p.handle, pw); err != nil {
		s.t.Fatal(err)
	}
	dir := s.t.TempDir()
	d, err := secure.Open(s.t.Context(), c, secure.Options{Dir: dir, Passphrase: passphraseOf(name),
		KDF: fastKDF, DeviceName: name, OneTimeKeys: 10})
	if err != nil {
		s.t.Fatalf("open device %s: %v", name, err)
	}
	s.t.Cleanup(func() { d.Close() })
	p.devs = append(p.devs, d)
	p.dirs = append(p.dirs, dir)
	return d
}

func passphraseOf(device string) []byte { return []byte("passphrase of " + device) }

// deviceState opens the sealed state of a person's device i, as someone
// holding the device and its passphrase could.
func deviceState(t *testing.T, p *person, i int) *e2ee.Device {
	t.Helper()
	d, _, sealer, err := e2ee.LoadBundle(filepath.Join(p.dirs[i], secure.StateFile), passphraseOf(p.devs[i].Device().Device), e2ee.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sealer.Close()
	return d
}

// contacts makes every pair of people contacts.
func (s *e2eeStack) contacts(ps ...*person) {
	s.t.Helper()
	for i, a := range ps {
		for _, b := range ps[i+1:] {
			s.connect(a.api, b.handle, b.api)
		}
	}
}

// group starts an end-to-end encrypted conversation of owner with others
// (a one-to-one chat when there is one other and no title).
func (s *e2eeStack) group(owner *person, title string, others ...*person) *client.Conversation {
	s.t.Helper()
	var handles []string
	for _, o := range others {
		handles = append(handles, o.handle)
	}
	c, err := owner.api.CreateConversation(s.t.Context(), client.ConversationRequest{Members: handles, E2EE: true, Title: title})
	if err != nil {
		s.t.Fatal(err)
	}
	if !c.E2EE {
		s.t.Fatal("conversation is not end-to-end encrypted")
	}
	return c
}

// received syncs a device and returns the texts it decrypted, failing on
// any problem.
func received(t testing.TB, d *secure.Session) []secure.Message {
	t.Helper()
	up, err := d.Sync(t.Context())
	if err != nil {
		t.Fatalf("%s sync: %v", d.Device(), err)
	}
	for _, p := range up.Problems {
		t.Errorf("%s refused a message from %s: %v", d.Device(), p.SenderDevice, p.Err)
	}
	return up.Messages
}

func textsOf(ms []secure.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Text)
	}
	return out
}

// syntheticPNG returns a harmless generated image with texture, followed by
// extra bytes (which PNG decoders ignore).
func syntheticPNG(t testing.TB, seed byte, extra string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: byte(x*4) ^ seed, G: byte(y*5) + seed, B: byte(x*y) ^ seed, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return append(buf.Bytes(), extra...)
}
