package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	safeguard "github.com/safeguard-dev/safeguard"
)

func TestNumbered(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x IN (?,?,?)", "x IN ($1,$2,$3)"},
		{"s = '?' AND t = ?", "s = '?' AND t = $1"},
		{`"odd?name" = ? AND u = 'it''s ?'`, `"odd?name" = $1 AND u = 'it''s ?'`},
		{"?", "$1"},
		{strings.Repeat("?,", 11) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
	}
	for _, tt := range tests {
		if got := numbered(tt.in); got != tt.want {
			t.Errorf("numbered(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	d := &Dialect{Numbered: true}
	if got := d.Rebind("a = ?"); got != "a = $1" || d.Rebind("a = ?") != got {
		t.Errorf("Rebind = %q", got)
	}
	if got := (&Dialect{}).Rebind("a = ?"); got != "a = ?" {
		t.Errorf("Rebind without Numbered = %q", got)
	}
}

func TestTimes(t *testing.T) {
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Unix(0, 0), time.Unix(0, 0).UTC()},
		{time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", -5*3600)), time.Date(2026, 1, 2, 8, 4, 5, 6000, time.UTC)},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got := fromMicro(micro(tt.in))
		if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) || got.IsZero() != tt.want.IsZero() {
			t.Errorf("round trip of %v = %v, want %v in UTC", tt.in, got, tt.want)
		}
	}
	if zeroMicro != (time.Time{}).UnixMicro() {
		t.Errorf("zeroMicro = %d, want %d", zeroMicro, (time.Time{}).UnixMicro())
	}
}

func TestOrigin(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"192.0.2.1:0", "[2001:db8::1]:65535", "[fe80::1%eth0]:80", "[::ffff:192.0.2.1]:8080"} {
		ap := netip.MustParseAddrPort(s)
		addr, port := addrText(ap)
		o, err := origin(addr, port, at)
		if err != nil || o.Addr != ap || !o.At.Equal(at) {
			t.Errorf("origin round trip of %s = %v, %v", s, o, err)
		}
	}
	if addr, port := addrText(netip.AddrPort{}); addr != "" || port != 0 {
		t.Errorf("addrText(invalid) = %q, %d", addr, port)
	}
	if o, err := origin("", 0, at); err != nil || o != (safeguard.Origin{}) {
		t.Errorf("origin of no address = %v, %v; want the zero Origin", o, err)
	}
	for _, bad := range []struct {
		addr string
		port int64
	}{{"not an address", 1}, {"192.0.2.1", 70000}, {"192.0.2.1", -1}} {
		if _, err := origin(bad.addr, bad.port, at); err == nil {
			t.Errorf("origin(%q, %d) succeeded", bad.addr, bad.port)
		}
	}
}

func TestInList(t *testing.T) {
	tests := []struct {
		ids      []int64
		marks    int
		lastArgs int64
	}{
		{[]int64{7}, 1, 7},
		{[]int64{1, 2}, 2, 2},
		{[]int64{1, 2, 3}, 4, 3},
		{[]int64{1, 2, 3, 4, 5}, 8, 5},
	}
	for _, tt := range tests {
		in, args := inList(tt.ids)
		if strings.Count(in, "?") != tt.marks || len(args) != tt.marks || args[len(args)-1] != tt.lastArgs {
			t.Errorf("inList(%v) = %q, %v", tt.ids, in, args)
		}
	}
	var many []int64
	for i := range int64(maxInList*2 + 3) {
		many = append(many, i, i) // every ID twice
	}
	cs := chunks(many)
	if len(cs) != 3 || len(cs[0]) != maxInList || len(cs[2]) != 3 {
		t.Errorf("chunks of %d IDs (each twice): %d chunks", len(many), len(cs))
	}
	if chunks(nil) != nil {
		t.Errorf("chunks(nil) not empty")
	}
}

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: defaultLimit, 0: defaultLimit, 1: 1, maxLimit: maxLimit, maxLimit + 1: maxLimit} {
		if got := limit(in); got != want {
			t.Errorf("limit(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestErr(t *testing.T) {
	errUnique, errFK, errBusy, errRetry := errors.New("unique"), errors.New("fk"), errors.New("busy"), errors.New("retry")
	d := &Dialect{Name: "test", Classify: func(err error) Class {
		switch {
		case errors.Is(err, errUnique):
			return Unique
		case errors.Is(err, errFK):
			return ForeignKey
		case errors.Is(err, errBusy):
			return Busy
		case errors.Is(err, errRetry):
			return Retry
		}
		return Other
	}}
	other := errors.New("other")
	tests := []struct {
		in    error
		kind  error
		code  string
		cause error
	}{
		{sql.ErrNoRows, safeguard.ErrNotFound, "not_found", nil},
		{fmt.Errorf("x: %w", errUnique), safeguard.ErrConflict, "conflict", errUnique},
		{errFK, safeguard.ErrNotFound, "not_found", errFK},
		{errBusy, safeguard.ErrUnavailable, "unavailable", errBusy},
		{errRetry, safeguard.ErrUnavailable, "unavailable", errRetry},
		{context.Canceled, context.Canceled, "internal", context.Canceled},
		{safeguard.Invalid("bad", "Bad."), safeguard.ErrInvalid, "bad", nil},
		{other, other, "internal", other},
	}
	for _, tt := range tests {
		err := d.Err(tt.in, "do it")
		if !errors.Is(err, tt.kind) || safeguard.ErrorCode(err) != tt.code || !strings.HasPrefix(err.Error(), "do it") && !strings.HasPrefix(err.Error(), "test do it") {
			t.Errorf("Err(%v) = %v (code %q), want kind %v, code %q", tt.in, err, safeguard.ErrorCode(err), tt.kind, tt.code)
		}
		if tt.cause != nil && !errors.Is(err, tt.cause) {
			t.Errorf("Err(%v) = %v lost its cause", tt.in, err)
		}
	}
	if d.Err(nil, "x") != nil {
		t.Errorf("Err(nil) != nil")
	}
}

func TestParseMigrationName(t *testing.T) {
	tests := []struct {
		in      string
		version int
		name    string
		wantErr string
	}{
		{"0001_core.sql", 1, "core", ""},
		{"0012_hash_banks.sql", 12, "hash_banks", ""},
		{"10000_big.sql", 10000, "big", ""},
		{"0001_core.SQL", 0, "", "want NNNN_name.sql"},
		{"001_core.sql", 0, "", "want NNNN_name.sql"},
		{"0001.sql", 0, "", "want NNNN_name.sql"},
		{"0001_.sql", 0, "", "want NNNN_name.sql"},
		{"00a1_core.sql", 0, "", "not a number"},
		{"0000_zero.sql", 0, "", "from 1"},
		{"0001_Core.sql", 0, "", "a-z"},
		{"0001_co-re.sql", 0, "", "a-z"},
	}
	for _, tt := range tests {
		v, name, err := ParseMigrationName(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseMigrationName(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || v != tt.version || name != tt.name {
			t.Errorf("ParseMigrationName(%q) = %d, %q, %v; want %d, %q", tt.in, v, name, err, tt.version, tt.name)
		}
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, s := range []string{"0001_core.sql", "0002_x.sql", "1_a.sql", "", "_.sql", "00000000000000000000001_a.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, name, err := ParseMigrationName(s)
		if err != nil {
			return
		}
		if v < 1 || name == "" {
			t.Fatalf("ParseMigrationName(%q) = %d, %q without error", s, v, name)
		}
		if again := fmt.Sprintf("%04d_%s.sql", v, name); strings.TrimLeft(again, "0") != strings.TrimLeft(s, "0") {
			t.Fatalf("ParseMigrationName(%q) = %d, %q: does not name the same file (%q)", s, v, name, again)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []Migration
		wantErr string
	}{
		{"in order", fstest.MapFS{
			"m/0002_more.sql": {Data: []byte("B")},
			"m/0001_core.sql": {Data: []byte("A")},
			"m/README.md":     {Data: []byte("ignored")},
		}, []Migration{{1, "core", "A"}, {2, "more", "B"}}, ""},
		{"gap", fstest.MapFS{"m/0001_a.sql": {Data: []byte("A")}, "m/0003_c.sql": {Data: []byte("C")}},
			[]Migration{{1, "a", "A"}, {3, "c", "C"}}, ""},
		{"repeat", fstest.MapFS{"m/0001_a.sql": {}, "m/0001_b.sql": {}}, nil, "found version 1 after version 1"},
		{"bad name", fstest.MapFS{"m/1_a.sql": {}}, nil, "want NNNN_name.sql"},
		{"no dir", fstest.MapFS{}, nil, "read migrations"},
	}
	for _, tt := range tests {
		got, err := LoadMigrations(tt.files, "m")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}
