package risk

import (
	"fmt"
	"testing"

	"github.com/safeguard-dev/safeguard"
)

// BenchmarkScore measures signals and rules for one message scored on top of
// a 50-message history: the per-message cost on the server.
func BenchmarkScore(b *testing.B) {
	e := defaultEngine(b)
	members := []Member{{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 38}, {ID: "c", AgeBand: safeguard.Teen, DeclaredAge: 14}}
	lines := []string{
		"hey wyd", "nm just got home from school", "u play fortnite?", "ye sometimes", "ur really good tbh",
		"lol thanks", "how old r u", "14 hbu", "haha nice, ur so mature 4 ur age", "what music do u like",
	}
	var base Conversation
	for i := range 50 {
		from := "ac"[i%2 : i%2+1]
		if _, err := e.Score(&base, members, Message{From: from, Text: lines[i%len(lines)]}); err != nil {
			b.Fatal(err)
		}
	}
	for _, text := range []string{"ok cool see u later then", "send me a pic and dont tell ur mum, add me on snap"} {
		b.Run(fmt.Sprintf("%d-bytes", len(text)), func(b *testing.B) {
			msg := Message{From: "a", Text: text}
			b.ReportAllocs()
			for b.Loop() {
				c := base.Clone()
				if _, err := e.Score(c, members, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClone is the part of BenchmarkScore that only copies the state.
func BenchmarkClone(b *testing.B) {
	e := defaultEngine(b)
	members := []Member{{ID: "a", AgeBand: safeguard.Adult}, {ID: "c", AgeBand: safeguard.Teen}}
	var base Conversation
	for i := range 50 {
		if _, err := e.Score(&base, members, Message{From: "ac"[i%2 : i%2+1], Text: "how old r u, ur so mature"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		_ = base.Clone()
	}
}

// BenchmarkScoreUnknownWords is the worst case of the typo and
// words-run-together steps: an 8 KiB message of long words no lexicon
// knows, each tried for a typo and for a split.
func BenchmarkScoreUnknownWords(b *testing.B) {
	e := defaultEngine(b)
	members := []Member{{ID: "a", AgeBand: safeguard.Adult, DeclaredAge: 38}, {ID: "c", AgeBand: safeguard.Teen, DeclaredAge: 14}}
	var sb []byte
	x := uint32(1)
	for len(sb) < MaxScanBytes-40 {
		n := 12 + int(x%12)
		for range n {
			x = x*1664525 + 1013904223
			sb = append(sb, byte('a'+(x>>24)%26))
		}
		sb = append(sb, ' ')
	}
	msg := Message{From: "a", Text: string(sb)}
	b.ReportAllocs()
	for b.Loop() {
		var c Conversation
		if _, err := e.Score(&c, members, msg); err != nil {
			b.Fatal(err)
		}
	}
}
