package risk

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testLexicon(t testing.TB) *lexicon {
	t.Helper()
	rs, err := Default()
	if err != nil {
		t.Fatalf("default rule set: %v", err)
	}
	return rs.lex
}

func TestTokens(t *testing.T) {
	lx := testLexicon(t)
	tests := []struct {
		in   string
		want string
	}{
		{"Send me a PIC", "send me a pic"},
		{"don't tell ur mum", "dont tell your mum"},
		{"how old r u", "how old are you"},
		{"s3nd m3 a p1c", "send me a pic"},
		{"pleeeease", "please"},
		{"piccs", "pics"},
		{"ＳＥＮＤ ｍｅ", "send me"},       // fullwidth
		{"ѕеnd а рiс", "send a pic"}, // Cyrillic look-alikes
		{"séñd", "send"},             // accents
		{"𝐬𝐞𝐧𝐝 me", "send me"},       // mathematical bold
		{"im14", "im 14"},            // letters and digits split
		{"14yo", "14 yo"},
		{"fourteen", "14"},
		{"send £100 now", "send £ 100 now"},
		{"$50", "£ 50"},
		{"📸 now", "pic now"},
		{"🤫", "secret"},
		{"telegarm", "telegram"}, // one transposition
		{"secrte", "secret"},     // transposition
		{"wyd rn", "what you doing right now"},
		{"b4 l8r", "before later"},
		{"lol!!! ok...", "lol ok"},
		{"add me on sc", "add me on snapchat"},
		{"pa\u200by or i po\u00adst th\u2060em", "pay or i post them"}, // zero-width space, soft hyphen, word joiner
		{"del\u200cete\ufeff", "delete"},                               // zero-width non-joiner, BOM
		// Letters spelt out one by one are joined back into words when
		// they spell known words, or when wider gaps mark the words.
		{"d e l e t e  t h e  c h a t", "delete the chat"},
		{"deletethechat", "delete the chat"}, // words run together are split into known words
		{"donttellurmum", "dont tell your mum"},
		{"keepthisbetweenyouandme", "keep this between you and me"},
		{"together", "together"}, // no word of four letters: to get her
		{"nowhere", "nowhere"},   // two words need four letters each
		{"ur class is gonna see", "your class will see"},
		{"im going to post it", "i will post it"},
		{"we were going to see a film", "we were going to see a film"},
		{"im going to school", "im going to school"},
		{"im uploading what u sent to ur gc", "i will upload what you sent to your group chat"},
		{"she is sharing it", "she will share it"},
		{"im going home", "im going home"},
		{"im dropping it off", "i will drop it off"},
		{"talk 2 me", "talk to me"},
		{"me 2 lol", "me too lol"},
		{"send 2 pics in 4 hours", "send 2 pics in 4 hours"},
		{"just 4 you", "just for you"},
		{"im fiveteen", "im 15"},
		{"im forteen", "im 14"},
		{"twenty one", "21"},
		{"im 1 4 too", "im 14 too"},
		{"give me 1 4 now", "give me 1 4 now"},
		{"s 3 c r 3 t", "secret"},
		{"d e l 3 t e", "delete"},
		{"me n u 4 ever", "me and you for ever"},
		{"delet it", "delete it"},
		{"come along", "come along"}, // a changed letter in a five-letter word is no typo
		{"dont tel ur dad abot us", "dont tell your dad about us"},
		{"keep it s.e.c.r.e.t", "keep it secret"},
		{"s-e-n-d m-e a p-i-c", "send me a pic"},
		{"s e n d m e a p i c", "send me a pic"},
		{"c o m e  t o  m y  h o u s e  b a b e", "come to my house babe"},
		{"p i c 📸", "pic pic"},
		// Ordinary lone letters stay as they were.
		{"u r a star", "you are a star"},
		{"i m a teacher", "i m a teacher"},
		{"options a b c or d", "options a b c or d"},
		{"x x x", "x x x"},
		{"o m g", "o m g"},
		{"plan b", "plan b"},
		{"", ""},
	}
	for _, tt := range tests {
		toks, _ := lx.norm.tokens(tt.in)
		if got := strings.Join(toks, " "); got != tt.want {
			t.Errorf("tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokensBounded(t *testing.T) {
	lx := testLexicon(t)
	big := strings.Repeat("blah ", 200_000) + "send me a pic"
	toks, truncated := lx.norm.tokens(big)
	if !truncated {
		t.Error("a 1 MB message was not reported as truncated")
	}
	if len(toks) > MaxTokens {
		t.Errorf("%d tokens, want at most %d", len(toks), MaxTokens)
	}
	// The tail is scanned too, so text hidden after padding is still seen:
	// the token cap applies to the head, so the tail must survive it.
	small := strings.Repeat("x", MaxScanBytes) + " send me a pic"
	toks, _ = lx.norm.tokens(small)
	if got := strings.Join(toks[len(toks)-4:], " "); got != "send me a pic" {
		t.Errorf("tail of a long message = %q, want the last words scanned", got)
	}
}

func TestCollapseRuns(t *testing.T) {
	tests := []struct {
		in        string
		min, keep int
		want      string
	}{
		{"soooo", 3, 2, "soo"},
		{"good", 3, 2, "good"},
		{"good", 2, 1, "god"},
		{"aaabbbccc", 3, 1, "abc"},
	}
	for _, tt := range tests {
		if got := collapseRuns(tt.in, tt.min, tt.keep); got != tt.want {
			t.Errorf("collapseRuns(%q, %d, %d) = %q, want %q", tt.in, tt.min, tt.keep, got, tt.want)
		}
	}
}

func TestWithinOneEdit(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"secret", "secret", true},
		{"secrte", "secret", true},
		{"secet", "secret", true},
		{"secrett", "secret", true},
		{"sacret", "secret", true},
		{"scerte", "secret", false},
		{"abc", "xyz", false},
	}
	for _, tt := range tests {
		if got := withinOneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzTokens(f *testing.F) {
	lx := testLexicon(f)
	for _, s := range []string{"send me a p1c 📸", "ＳＥＮＤ", "im14 £100", "\xff\xfe", "pleeeeeease", strings.Repeat("a", 9000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks, _ := lx.norm.tokens(s)
		if len(toks) > MaxTokens {
			t.Fatalf("%d tokens", len(toks))
		}
		for _, tok := range toks {
			if tok == "" {
				t.Fatalf("empty token from %q", s)
			}
		}
		_ = lx.detect(nil, toks, 0)
	})
}

var _ = cmp.Diff
