package safety_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// BenchmarkSendText measures text messages through the HTTP API on SQLite,
// as internal/web's BenchmarkSendText does, but in one-to-one conversations
// between an adult and a 13-year-old, so that every message is scored: with
// the safety pipeline (risk rules and URL lists) and without it (baseline),
// with one sender at a time and with 32 at once. It reports msgs/s and
// latency percentiles; the pipeline's added latency is the difference.
//
//	go test ./internal/safety -run '^$' -bench SendText -benchtime 5000x
func BenchmarkSendText(b *testing.B) {
	for _, senders := range []int{1, 32} {
		for _, mode := range []string{"baseline", "pipeline"} {
			b.Run(fmt.Sprintf("%s/senders=%d", mode, senders), func(b *testing.B) {
				benchSend(b, mode == "pipeline", senders, "benchmark message with a few words in it")
			})
		}
		b.Run(fmt.Sprintf("pipeline-link/senders=%d", senders), func(b *testing.B) {
			benchSend(b, true, senders, "benchmark message with a link www.example.org/a/b?utm_source=x in it")
		})
	}
}

func benchSend(b *testing.B, scanners bool, senders int, text string) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := newStack(b, db, scanners, messaging.Limits{})
	s.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	if scanners {
		// A list to look links up in.
		if _, err := urls.Import(context.Background(), db, urls.ListImport{Name: "bench"}, "bench.txt",
			[]byte("bad.example\nhost.example/dir/\nworse.example/a/b.html\n"), s.clock.now()); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	type pair struct {
		c    *client.Client
		conv int64
	}
	var pairs []pair
	for i := range max(senders/2, 1) {
		adult := s.user(fmt.Sprintf("bench_adult%d", i), 35)
		teen := s.user(fmt.Sprintf("bench_teen%d", i), 13)
		s.connect(teen, adult.Handle, adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teen.Handle}})
		if err != nil {
			b.Fatal(err)
		}
		pairs = append(pairs, pair{adult, conv.ID}, pair{teen, conv.ID})
	}
	pairs = pairs[:senders]
	latencies := make([][]time.Duration, senders)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			p := pairs[w]
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := p.c.SendText(ctx, p.conv, text); err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
