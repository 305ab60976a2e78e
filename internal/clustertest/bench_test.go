package clustertest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/safeguard-dev/safeguard/client"
)

// BenchmarkCluster sends b.N text messages through clusters of one, two
// and three nodes on PostgreSQL and NATS (processes, as in TestCluster3):
// 32 senders in 16 one-to-one conversations, each sending through its own
// node, and each recipient's live stream on the next node, so that with
// two or three nodes every event crosses from one node to another. It
// reports messages a second, the send's p50 and p99, the CPU time of the
// server processes (from /proc/<pid>/stat) and of NATS per message, the
// bytes PostgreSQL and the stream hold per message, and the delay from a
// send's start to its event on the recipient's stream (p50, p99). It needs
// SAFEGUARD_TEST_POSTGRES; docs/benchmarks.md has the command and figures.
func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) { benchCluster(b, n) })
	}
}

// benchAccount is a sender of the benchmark and the arrivals on its live
// stream of what the other member sent.
type benchAccount struct {
	c    *client.Client
	conv int64
	home int
}

func benchCluster(b *testing.B, nodes int) {
	b.StopTimer()
	loadBefore := loadAvg()
	cl := StartCluster(b, nodes, Options{Env: []string{"SAFEGUARD_LIMIT_MESSAGES=0"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var accounts []*benchAccount
	for i := range loadPairs {
		x := Adult(b, cl.Nodes[(2*i)%nodes], fmt.Sprintf("bench_%02d", 2*i))
		y := Adult(b, cl.Nodes[(2*i+1)%nodes], fmt.Sprintf("bench_%02d", 2*i+1))
		conv := Connect(b, x, y)
		accounts = append(accounts, &benchAccount{c: x, conv: conv, home: (2 * i) % nodes},
			&benchAccount{c: y, conv: conv, home: (2*i + 1) % nodes})
	}

	// Live streams: each records the delay of the other member's messages,
	// whose text is the send's start in Unix nanoseconds.
	var dmu sync.Mutex
	var delays []time.Duration
	arrived := make(chan struct{}, b.N)
	for _, a := range accounts {
		live := On(a.c, cl.Nodes[(a.home+1)%nodes])
		ch, err := live.Events(ctx)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for ev := range ch {
				if ev.Type != "message.created" || ev.Message == nil || ev.Message.Sender == a.c.Handle {
					continue
				}
				sent, err := strconv.ParseInt(strings.TrimPrefix(ev.Message.Text, "bench "), 10, 64)
				if err != nil {
					continue
				}
				dmu.Lock()
				delays = append(delays, time.Since(time.Unix(0, sent)))
				dmu.Unlock()
				arrived <- struct{}{}
			}
		}()
	}

	js := streamOf(b, cl)
	seqBefore := streamInfo(b, ctx, js).State.LastSeq
	bytesBefore := schemaBytes(b, cl.DB)
	cpuBefore, natsBefore := clusterCPU(b, cl)
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	latencies := make([][]time.Duration, len(accounts))
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.StartTimer()
	start := time.Now()
	for i, a := range accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				_, err := sendVia(ctx, hc, cl.Nodes[a.home].URL, a.c.Token, newKey(), a.conv, "bench "+strconv.FormatInt(t0.UnixNano(), 10))
				if err != nil {
					failed.Add(1)
					continue
				}
				latencies[i] = append(latencies[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpuAfter, natsAfter := clusterCPU(b, cl)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d sends failed", f, b.N)
	}
	for range b.N {
		select {
		case <-arrived:
		case <-time.After(time.Minute):
			b.Fatalf("only %d of %d events reached the recipients' streams", len(delays), b.N)
		}
	}
	bytesAfter := schemaBytes(b, cl.DB)
	info := streamInfo(b, ctx, js)

	all := slices.Concat(latencies...)
	msgs := float64(b.N)
	b.ReportMetric(msgs/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(ms(percentile(all, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 0.99)), "p99-ms")
	b.ReportMetric(float64((cpuAfter-cpuBefore).Microseconds())/msgs, "cpu-µs/msg")
	b.ReportMetric(float64((natsAfter-natsBefore).Microseconds())/msgs, "nats-cpu-µs/msg")
	b.ReportMetric(float64(bytesAfter-bytesBefore)/msgs, "pg-B/msg")
	b.ReportMetric(float64(info.State.LastSeq-seqBefore)/msgs, "events/msg")
	if info.State.Msgs > 0 {
		b.ReportMetric(float64(info.State.Bytes)/float64(info.State.Msgs), "stream-B/event")
	}
	b.ReportMetric(ms(percentile(delays, 0.50)), "e2e-p50-ms")
	b.ReportMetric(ms(percentile(delays, 0.99)), "e2e-p99-ms")
	b.Logf("nodes=%d: %d messages in %s; load average %s before, %s after", nodes, b.N, elapsed.Round(time.Millisecond),
		loadBefore, loadAvg())
}

// clusterCPU is the CPU time the nodes have used, and NATS.
func clusterCPU(tb testing.TB, cl *Cluster) (nodes, natsCPU time.Duration) {
	tb.Helper()
	for _, n := range cl.Nodes {
		d, err := cpuTime(n.Pid())
		if err != nil {
			tb.Fatal(err)
		}
		nodes += d
	}
	natsCPU, err := cpuTime(cl.NATS.Pid())
	if err != nil {
		tb.Fatal(err)
	}
	return nodes, natsCPU
}

// streamOf connects to the cluster's NATS, to read the events stream.
func streamOf(tb testing.TB, cl *Cluster) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(cl.NATS.URL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}

func streamInfo(tb testing.TB, ctx context.Context, js jetstream.JetStream) *jetstream.StreamInfo {
	tb.Helper()
	s, err := js.Stream(ctx, "SAFEGUARD_EVENTS")
	if err != nil {
		tb.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return info
}

// schemaBytes is the size on disk of the tables (with their indexes and
// TOAST) of the cluster's schema.
func schemaBytes(tb testing.TB, dsn string) int64 {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int64
	err = db.QueryRow(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind IN ('r', 'm')`,
		u.Query().Get("search_path")).Scan(&n)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadAvg is the machine's load average over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
