package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/nudity/nuditytest"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"
)

const (
	supportContact = "help@safeguard.example"
	adminToken     = "test-operator-token"
	pw             = "correct horse battery"
)

// stores lists the back-ends: SQLite always, PostgreSQL when
// SAFEGUARD_TEST_POSTGRES is set.
func stores() map[string]func(t *testing.T) store.Store {
	m := map[string]func(t *testing.T) store.Store{"sqlite": func(t *testing.T) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}}
	if os.Getenv(pgtest.EnvDSN) != "" {
		m["postgres"] = func(t *testing.T) store.Store { return pgtest.Open(t) }
	}
	return m
}

// eachStore runs f once per back-end, as a subtest.
func eachStore(t *testing.T, f func(t *testing.T, s *stack)) {
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) { f(t, newStack(t, open(t))) })
	}
}

// stack is the real API and the app over a real store, with the risk, URL
// and nudity scanners on the message path as serve wires them (the nudity
// classifier a fake, see pictures).
type stack struct {
	t     *testing.T
	url   string
	st    store.Store
	admin *client.Client
	media *mediaLog
	nudes *pictures
}

// pictures is the stack's nudity classifier: a fake that says "may show
// nudity" of the pictures a test flagged (harmless generated textures, by
// their pixels) and gives ordinary scores for every other.
type pictures struct {
	mu      sync.Mutex
	flagged map[[32]byte]bool
}

func pixels(img image.Image) [32]byte {
	h := sha256.New()
	b := img.Bounds()
	fmt.Fprint(h, b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			h.Write([]byte{c.R, c.G, c.B, c.A})
		}
	}
	return [32]byte(h.Sum(nil))
}

func (p *pictures) classify(_ context.Context, img image.Image) (nudity.Scores, error) {
	sum := pixels(img)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flagged[sum] {
		return nuditytest.Nude, nil
	}
	return nuditytest.Neutral, nil
}

// flag makes the classifier say the PNG may show nudity.
func (s *stack) flag(pngBytes []byte) {
	s.t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		s.t.Fatal(err)
	}
	s.nudes.mu.Lock()
	defer s.nudes.mu.Unlock()
	s.nudes.flagged[pixels(img)] = true
}

// mediaLog counts the requests for each photo's bytes (GET
// /api/v1/media/ID), as the server saw them.
type mediaLog struct {
	mu    sync.Mutex
	byID  map[string]int
	inner http.Handler
}

func (l *mediaLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/media/"); ok && r.Method == http.MethodGet {
		l.mu.Lock()
		l.byID[id]++
		l.mu.Unlock()
	}
	l.inner.ServeHTTP(w, r)
}

// mediaFetches is how many times a browser asked for the bytes of the
// photo with this media ID.
func (s *stack) mediaFetches(mediaID int64) int {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	return s.media.byID[fmt.Sprint(mediaID)]
}

func newStack(t *testing.T, st store.Store) *stack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	b := bus.NewLocal()
	notify := web.Notifier(b, nil)
	risk, err := riskscan.New(riskscan.Config{Rules: []string{riskscan.DefaultRules}}, riskscan.Deps{Store: st, Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	us, err := urls.New(urls.Config{}, urls.Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	nudes := &pictures{flagged: map[[32]byte]bool{}}
	ns, err := nudityscan.New(nudityscan.Config{Model: "test classifier"},
		nudityscan.Deps{Store: st, Classifier: nudity.ClassifierFunc(nudes.classify), Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: md, Notify: notify, Scanner: safety.Scanners{risk, us, ns}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() }) // the queued refusals, before the store closes
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	reportDir := filepath.Join(t.TempDir(), "reports")
	cs, err := cases.New(cases.Config{TestReports: true, PrepareDir: reportDir},
		cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: notify, Lookup: svc})
	if err != nil {
		t.Fatal(err)
	}
	media := &mediaLog{byID: map[string]int{}, inner: web.New(web.Config{AdminToken: adminToken, SupportContact: supportContact}, svc, b, nil, prometheus.NewRegistry(),
		web.WithRisk(risk), web.WithCases(cs)).Handler()}
	srv := httptest.NewServer(media)
	// The cases service takes detections and reports from the outbox, as
	// serve runs it.
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cs.Run(runCtx, 100*time.Millisecond) }()
	t.Cleanup(func() {
		stop()
		<-done
		b.Close()
		srv.Close()
	})
	return &stack{t: t, url: srv.URL, st: st, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, media: media, nudes: nudes}
}

// born returns the birth date of someone aged years today (their birthday
// was yesterday).
func born(years int) string { return time.Now().AddDate(-years, 0, -1).Format(time.DateOnly) }

// account signs up an account through the API and returns its handle; the
// browser logs in with it.
func (s *stack) account(nickname string, age int) string {
	s.t.Helper()
	a, err := client.New(s.url).SignUp(context.Background(), client.SignUpRequest{Nickname: nickname, Password: pw,
		BirthDate: born(age), LocalAuthority: "Bedford"})
	if err != nil {
		s.t.Fatalf("sign up %s: %v", nickname, err)
	}
	return a.Handle
}

// testImage is a harmless generated picture with texture: colour bands,
// rings and noise.
func testImage(w, h int, seed uint32) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	x := seed*2654435761 + 7
	for py := range h {
		for px := range w {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			noise := float64(x%40) - 20
			fx, fy := float64(px)/float64(w), float64(py)/float64(h)
			ring := 50 * math.Cos(math.Hypot(fx-0.3, fy-0.6)*35)
			c := func(base, k float64) uint8 { return uint8(math.Max(0, math.Min(255, base+ring*k+noise))) }
			img.SetNRGBA(px, py, color.NRGBA{R: c(40+180*fy, 0.8), G: c(120+100*fx, -0.5), B: c(200-120*fx*fy, 0.6), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
