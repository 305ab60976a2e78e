package sqlstore

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// zeroMicro is time.Time{} in Unix microseconds, so that the zero time
// survives a round trip and stays distinct from the Unix epoch.
const zeroMicro = -62135596800_000_000

// micro converts t for storage.
func micro(t time.Time) int64 { return t.UnixMicro() }

// fromMicro converts a stored time back, in UTC.
func fromMicro(us int64) time.Time {
	if us == zeroMicro {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// dateText converts d for storage: YYYY-MM-DD, or empty for the zero Date.
func dateText(d safeguard.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// parseDate converts a stored date back.
func parseDate(s string) (safeguard.Date, error) {
	if s == "" {
		return safeguard.Date{}, nil
	}
	d, err := safeguard.ParseDate(s)
	if err != nil {
		return d, fmt.Errorf("stored date: %w", err)
	}
	return d, nil
}

// addrText splits an address for storage; an invalid one is ("", 0).
func addrText(ap netip.AddrPort) (string, int64) {
	if !ap.IsValid() {
		return "", 0
	}
	return ap.Addr().String(), int64(ap.Port())
}

// origin rebuilds an Origin from its stored columns. At is set only when
// there is an address, so that an empty Origin reads back empty.
func origin(addr string, port int64, at time.Time) (safeguard.Origin, error) {
	if addr == "" {
		return safeguard.Origin{}, nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return safeguard.Origin{}, fmt.Errorf("stored address: %w", err)
	}
	if port < 0 || port > 0xffff {
		return safeguard.Origin{}, fmt.Errorf("stored port %d out of range", port)
	}
	return safeguard.Origin{Addr: netip.AddrPortFrom(a, uint16(port)), At: at}, nil
}

// createdAt is the time stored as a row's created_at: CreatedAt, or the
// origin's time when CreatedAt is zero.
func createdAt(created time.Time, o safeguard.Origin) time.Time {
	if created.IsZero() {
		return o.At
	}
	return created
}

// blob converts an optional byte string for storage: empty is NULL.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// required converts a byte string for a NOT NULL column.
func required(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// bytesOut normalises a stored byte string: empty reads back as nil.
func bytesOut(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// maxInList is the most IDs one IN list carries; longer lists are queried
// in chunks.
const maxInList = 512

// inList returns "?,?,…" and the arguments for the IDs of one chunk (at most
// maxInList). The list is padded to a power of two by repeating the last ID,
// which changes nothing in an IN test, so that only a few distinct query
// strings exist for the Rebind cache and the statement caches.
func inList(ids []int64) (string, []any) {
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return strings.TrimSuffix(strings.Repeat("?,", n), ","), args
}

// chunks splits ids into pieces of at most maxInList, dropping duplicates.
func chunks(ids []int64) [][]int64 {
	seen := make(map[int64]bool, len(ids))
	var uniq []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	var out [][]int64
	for len(uniq) > 0 {
		n := min(len(uniq), maxInList)
		out = append(out, uniq[:n])
		uniq = uniq[n:]
	}
	return out
}

// idSet returns ids as a set.
func idSet(ids []int64) map[int64]bool {
	s := make(map[int64]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// pair returns a and b in order.
func pair(a, b int64) (lo, hi int64) {
	if a < b {
		return a, b
	}
	return b, a
}

// Default and largest limits of list queries.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// limit bounds a caller's limit: zero or less means the default.
func limit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}
