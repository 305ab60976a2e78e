package stats

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/safeguard-dev/safeguard/internal/police"
)

// incidentRows writes a synthetic incident-level file of n offences, the
// same for the same n: forces in turn under their own names, dates through
// 2019, a handful of apps and some offences with no app recorded.
type incidentRows struct {
	n, i   int
	forces []string
	buf    []byte
}

var benchApps = []string{"Instagram", "Facebook", "Snapchat", "WhatsApp", "Kik", "TikTok", "Discord", "", "Facebook Messenger"}

func newIncidentRows(n int) *incidentRows {
	r := &incidentRows{n: n}
	for _, f := range police.Forces() {
		r.forces = append(r.forces, f.Name)
	}
	r.buf = []byte("police_force,offence_date,app\n")
	return r
}

func (r *incidentRows) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i < r.n {
		i := r.i
		r.buf = fmt.Appendf(r.buf, "%s,2019-%02d-%02d,%s\n", r.forces[i%len(r.forces)], 1+i%12, 1+i%28, benchApps[(i/7)%len(benchApps)])
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// BenchmarkImportIncidents imports a file of one million offences from
// memory and reports rows per second.
func BenchmarkImportIncidents(b *testing.B) {
	const rows = 1_000_000
	data, err := io.ReadAll(newIncidentRows(rows))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := Import(b.Context(), bytes.NewReader(data), ImportOptions{Size: int64(len(data)), Progress: func(read, total int64) {}})
		if err != nil {
			b.Fatal(err)
		}
		if got := NewTable(d).Computed[0].N; got != rows {
			b.Fatalf("counted %d offences, want %d", got, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkImportTable imports a force × app table of every force.
func BenchmarkImportTable(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("police_force,total,instagram,facebook,whatsapp\n")
	for _, f := range police.Forces() {
		fmt.Fprintf(&buf, "%s,\"1,234\",100,200,n/a\n", f.Name)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import(b.Context(), bytes.NewReader(data), ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImportStreams imports a large incident-level file produced on the fly
// and checks that the heap stays far below the file's size: the importer
// streams and keeps only the counts.
func TestImportStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 24 MB")
	}
	const rows = 600_000
	var (
		peak    uint64
		samples int
		nextAt  int64
		ms      runtime.MemStats
	)
	runtime.GC()
	d, err := Import(t.Context(), newIncidentRows(rows), ImportOptions{Progress: func(read, _ int64) {
		if read < nextAt {
			return
		}
		nextAt = read + 2<<20
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		samples++
	}})
	if err != nil {
		t.Fatal(err)
	}
	read := int64(0)
	for _, r := range d.Rows {
		read += r.Values[0].N
	}
	if read != rows {
		t.Fatalf("counted %d offences, want %d", read, rows)
	}
	const size = rows * 38 // bytes per row, at least
	if samples < 5 {
		t.Fatalf("only %d progress samples", samples)
	}
	if peak > size/2 {
		t.Errorf("peak heap %d bytes while reading a file of over %d bytes: the import does not stream", peak, size)
	}
	t.Logf("peak heap %.1f MB over %d samples", float64(peak)/(1<<20), samples)
}
