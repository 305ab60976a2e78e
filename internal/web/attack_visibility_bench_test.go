package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// BenchmarkVisibility times the answer to a stranger adult who names a young
// person against the answer for a handle nobody has, through the HTTP API on
// SQLite (real TCP on 127.0.0.1, one request at a time, rate limits off):
// a lookup and a contact request each. The two answers must cost the same;
// it reports the median and 90th percentile latency.
//
//	go test ./internal/web -run '^$' -bench Visibility -benchtime 2000x -count 3
func BenchmarkVisibility(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := newVisibilityStack(b, db, func(c *messaging.Config) { c.Limits = messaging.Limits{} })
	ctx := context.Background()
	adult := s.signUp("bench_adult", 35)
	adult.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	teen := s.signUp("bench_teen", 15)
	unknown := s.nobody(teen.handle)

	for _, probe := range []struct {
		name string
		ask  func(handle string) error
	}{
		{"Lookup", func(h string) error { _, err := adult.Lookup(ctx, h); return err }},
		{"ContactRequest", func(h string) error { _, err := adult.RequestContact(ctx, h); return err }},
	} {
		for _, target := range []struct{ name, handle string }{{"child", teen.handle}, {"unknown", unknown}} {
			b.Run(probe.name+"/"+target.name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					t0 := time.Now()
					if err := probe.ask(target.handle); err == nil {
						b.Fatal("a stranger adult reached the account")
					}
					lat = append(lat, time.Since(t0))
				}
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Nanoseconds()) / 1e6 }
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.90), "p90-ms")
			})
		}
	}
	// The refusals are recorded by the service's writer; let it finish
	// before the store closes.
	s.svc.Close()
}
