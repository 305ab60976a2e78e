package cases

import (
	"fmt"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
)

// TestAroundFlagged keeps the flagged messages and n on each side, counts
// what it leaves out, and numbers each flagged one by its occurrence.
func TestAroundFlagged(t *testing.T) {
	var msgs []messageRecord
	for i := range 40 {
		msgs = append(msgs, messageRecord{ID: int64(100 + i), At: time.Unix(int64(i), 0)})
	}
	tests := []struct {
		flagged map[int64]int // message ID → occurrence
		n       int
		want    string // kept IDs' offsets, with skipped counts, and After
	}{
		{map[int64]int{110: 1}, 2, "8 8,9,10*1,11,12 after 27"},
		{map[int64]int{101: 1, 138: 2}, 2, "0 0,1*1,2,3 skipped 32 36,37,38*2,39 after 0"},
		{map[int64]int{110: 1, 113: 2}, 2, "8 8,9,10*1,11,12,13*2,14,15 after 24"},
		{map[int64]int{}, 1, "37 37,38,39 after 0"}, // nothing flagged: the latest
	}
	for _, tt := range tests {
		th := aroundFlagged(msgs, tt.flagged, tt.n)
		got := ""
		for i, m := range th.Messages {
			switch {
			case i == 0:
				got = fmt.Sprint(m.Skipped, " ")
			case m.Skipped > 0:
				got += fmt.Sprint(" skipped ", m.Skipped, " ")
			default:
				got += ","
			}
			got += fmt.Sprint(m.ID - 100)
			if m.Flagged() {
				got += fmt.Sprint("*", m.Occurrence)
			}
		}
		got += fmt.Sprint(" after ", th.After)
		if got != tt.want {
			t.Errorf("flagged %v, n %d: %s, want %s", tt.flagged, tt.n, got, tt.want)
		}
	}
}

// TestThreadRecords merges message and context items: each message once,
// oldest first, deleted items skipped.
func TestThreadRecords(t *testing.T) {
	data := [][]byte{
		[]byte(`[{"id":3,"at":"2026-01-01T00:00:03Z","text":"c"},{"id":1,"at":"2026-01-01T00:00:01Z","text":"a"}]`),
		nil, // deleted at the end of its retention
		[]byte(`{"id":2,"at":"2026-01-01T00:00:02Z","text":"b","status":"held"}`),
		[]byte(`[{"id":2,"at":"2026-01-01T00:00:02Z","text":"b","status":"held"},{"id":4,"at":"2026-01-01T00:00:04Z","text":"d"}]`),
	}
	ms, err := threadRecords(data)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, m := range ms {
		got += m.Text
	}
	if got != "abcd" || ms[1].Status != string(safeguard.Held) {
		t.Errorf("merged %q, %+v", got, ms)
	}
	if _, err := threadRecords([][]byte{[]byte(`[{"id":`)}); err == nil {
		t.Error("a damaged record was read")
	}
}

// TestQueueRowMatches searches by case ID, handle and category.
func TestQueueRowMatches(t *testing.T) {
	r := QueueRow{Case: &safeguard.Case{ID: 12, Category: safeguard.CategoryKnownImage},
		Sender: &safeguard.Account{Handle: "mallory_35.11"}, Young: &YoungPerson{Handle: "Tess_15.02"}}
	for q, want := range map[string]bool{
		"": true, "12": true, "#12": true, "case 12": true, "Case 12": true, "13": false, "1": false,
		"@mallory": true, "tess": true, "@TESS_15": true, "ollie": false,
		"csam known": true, "csam_known": true, "grooming": false,
	} {
		if got := r.matches(q); got != want {
			t.Errorf("matches(%q) = %v, want %v", q, got, want)
		}
	}
	if _, err := ParseSearch("a\x07b"); err == nil {
		t.Error("a search with a control character was taken")
	}
	if q, err := ParseSearch("  grooming "); err != nil || q != "grooming" {
		t.Errorf("ParseSearch: %q, %v", q, err)
	}
}
