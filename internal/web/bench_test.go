package web_test

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
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// BenchmarkSendText measures text messages per second through the HTTP API
// on SQLite: real TCP on 127.0.0.1, the load generator in the same process
// (so on the same cores), rate limits off, 32 concurrent senders in 16
// one-to-one conversations. It reports msgs/s and latency percentiles.
//
//	go test ./internal/web -run '^$' -bench SendText -benchtime 20000x
func BenchmarkSendText(b *testing.B) {
	const senders = 32
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := newStack(b, db, func(c *messaging.Config) { c.Limits = messaging.Limits{} })
	ctx := context.Background()

	type pair struct {
		c    *client.Client
		conv int64
	}
	var pairs []pair
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders * 2}}
	for i := range senders / 2 {
		a := s.user(fmt.Sprintf("bench_a%d", i), 30, "")
		c := s.user(fmt.Sprintf("bench_b%d", i), 30, "")
		a.HTTP, c.HTTP = httpc, httpc
		req, err := a.RequestContact(ctx, c.Handle)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.AcceptContact(ctx, req.ID); err != nil {
			b.Fatal(err)
		}
		conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{c.Handle}})
		if err != nil {
			b.Fatal(err)
		}
		pairs = append(pairs, pair{a, conv.ID}, pair{c, conv.ID})
	}

	latencies := make([][]time.Duration, senders)
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pairs[w]
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := p.c.SendText(ctx, p.conv, "benchmark message with a few words in it"); err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		}()
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
