package images_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/hashbank/hashbanktest"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
	"github.com/safeguard-dev/safeguard/internal/web"

	"net/http/httptest"
)

// benchBank is the size of the bank the benchmarks load:
// SAFEGUARD_BENCH_BANK, default 1,000,000.
func benchBank(b *testing.B) int {
	n := 1_000_000
	if s := os.Getenv("SAFEGUARD_BENCH_BANK"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("SAFEGUARD_BENCH_BANK=%q", s)
		}
	}
	return n
}

// importRandom imports n random PDQ hashes into a bank, streaming the list
// through a pipe, and returns how long it took.
func importRandom(b *testing.B, st store.Store, n int) time.Duration {
	b.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(hashbanktest.WriteRandomList(pw, n, 1)) }()
	start := time.Now()
	bm, err := banks.New(banks.Config{}, banks.Deps{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	c, err := bm.Import(context.Background(),
		banks.ListImport{Spec: banks.Spec{Bank: "bench", Source: "random"}, Format: listfmt.Text}, pr)
	if err != nil {
		b.Fatal(err)
	}
	if c.Added != n {
		b.Fatalf("imported %d of %d", c.Added, n)
	}
	return time.Since(start)
}

// heap returns the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBankImport imports SAFEGUARD_BENCH_BANK random PDQ hashes as a
// text list (as `safeguard bank import` does) and loads them into the
// index (as the server does at start), on SQLite and, with
// SAFEGUARD_TEST_POSTGRES, PostgreSQL. It reports entries/s of the import,
// the seconds of the load (reading, building) and the live heap per hash
// the loaded index adds.
//
//	SAFEGUARD_BENCH_BANK=10000000 go test ./internal/safety/images -run '^$' -bench BankImport -benchtime 1x
func BenchmarkBankImport(b *testing.B) {
	n := benchBank(b)
	stores := map[string]func(b *testing.B) store.Store{
		"sqlite": func(b *testing.B) store.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
	}
	if pgtest.Enabled() {
		stores["postgres"] = func(b *testing.B) store.Store { return pgtest.Open(b) }
	}
	for name, open := range stores {
		b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
			for range b.N {
				st := open(b)
				took := importRandom(b, st, n)
				img, err := images.New(images.Config{}, images.Deps{Store: st})
				if err != nil {
					b.Fatal(err)
				}
				before := heap()
				ls, err := img.Load(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				after := heap()
				_, bytes := img.Entries()
				b.ReportMetric(float64(n)/took.Seconds(), "import-entries/s")
				b.ReportMetric(took.Seconds(), "import-s")
				b.ReportMetric(ls.Read.Seconds(), "load-read-s")
				b.ReportMetric(ls.Build.Seconds(), "load-build-s")
				b.ReportMetric(float64(after-before)/float64(n), "heap-bytes/hash")
				b.ReportMetric(float64(bytes)/float64(n), "index-bytes/hash")
				runtime.KeepAlive(img)
			}
		})
	}
}

// BenchmarkImageMessage sends a JPEG through the HTTP API to another adult
// and to a teen, with SAFEGUARD_BENCH_BANK random hashes in the index: the
// whole path of an image message (upload, rate and policy checks, decode,
// PDQ and its dihedral hashes, MD5, SHA-256, match, media written encrypted,
// message and media hashes stored on SQLite, answer). One sender at a time.
// The match-only runs time the generation check and the dihedral lookup of
// hashes computed beforehand.
//
//	go test ./internal/safety/images -run '^$' -bench ImageMessage -benchtime 200x
func BenchmarkImageMessage(b *testing.B) {
	ctx := context.Background()
	n := benchBank(b)
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	importRandom(b, db, n)
	img, err := images.New(images.Config{}, images.Deps{Store: db})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := img.Load(ctx); err != nil {
		b.Fatal(err)
	}
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(b.TempDir(), "media"), key)
	if err != nil {
		b.Fatal(err)
	}
	bs := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: db, Media: md, Notify: web.Notifier(bs, nil), Scanner: img})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{}, svc, bs, nil, prometheus.NewRegistry()).Handler())
	defer srv.Close()
	user := func(nickname string, years int) *client.Client {
		c := client.New(srv.URL)
		born := time.Now().AddDate(-years, 0, -1).Format(time.DateOnly)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: "correct horse battery", BirthDate: born})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Login(ctx, a.Handle, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
		return c
	}
	sender, adult, teen := user("bench_sender", 40), user("bench_adult", 35), user("bench_teen", 15)
	convs := map[string]int64{}
	for name, c := range map[string]*client.Client{"adult": adult, "teen": teen} {
		req, err := c.RequestContact(ctx, sender.Handle)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sender.AcceptContact(ctx, req.ID); err != nil {
			b.Fatal(err)
		}
		me, _ := c.Me(ctx)
		conv, err := sender.CreateConversation(ctx, client.ConversationRequest{Members: []string{me.Handle}})
		if err != nil {
			b.Fatal(err)
		}
		convs[name] = conv.ID
	}
	for _, size := range [][2]int{{640, 480}, {1024, 768}} {
		jpg := hashbanktest.JPEG(hashbanktest.Image(uint64(size[0]), size[0], size[1]), 85)
		if h := images.Hash(jpg, imaging.Limits{}, true); !h.Matchable() {
			b.Fatalf("the benchmark image is not matchable: quality %d", h.Quality)
		}
		h := images.Hash(jpg, imaging.Limits{}, true)
		b.Run(fmt.Sprintf("%dx%d/match-only/bank-%d", size[0], size[1], n), func(b *testing.B) {
			for range b.N {
				if _, err := img.MatchHashes(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, to := range []string{"adult", "teen"} {
			b.Run(fmt.Sprintf("%dx%d/to-%s/bank-%d", size[0], size[1], to, n), func(b *testing.B) {
				b.SetBytes(int64(len(jpg)))
				for range b.N {
					m, err := sender.SendImage(ctx, convs[to], "photo.jpg", "image/jpeg", jpg, "")
					if err != nil {
						b.Fatal(err)
					}
					if m.Status != "sent" {
						b.Fatalf("status %q", m.Status)
					}
				}
			})
		}
	}
}

// BenchmarkHashImage is the decoding and hashing part of the path alone:
// decode, PDQ with its 8 dihedral hashes, MD5, SHA-256.
func BenchmarkHashImage(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {1024, 768}} {
		jpg := hashbanktest.JPEG(hashbanktest.Image(uint64(size[0]), size[0], size[1]), 85)
		for _, dihedral := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dx%d/dihedral=%v", size[0], size[1], dihedral), func(b *testing.B) {
				b.SetBytes(int64(len(jpg)))
				for range b.N {
					if h := images.Hash(jpg, imaging.Limits{}, dihedral); !h.Decoded {
						b.Fatal(h.Err)
					}
				}
			})
		}
	}
}
