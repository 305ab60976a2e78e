package risk

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func names(hits []hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Name)
	}
	slices.Sort(out)
	return out
}

func TestDetect(t *testing.T) {
	lx := testLexicon(t)
	tests := []struct {
		text string
		want []string
	}{
		// image requests, with slang and leetspeak
		{"send me a pic", []string{"image_request"}},
		{"snap me", []string{"image_request"}},
		{"show me what u look like", []string{"image_request"}},
		{"can i see a selfie pls", []string{"image_request"}},
		// negation and context cancel them
		{"i would never ask you to send a pic", nil},
		{"why dont you send me a pic", []string{"image_request"}},
		{"send me a photo of your homework", nil},
		{"can you send more pics of the bike", nil},
		{"this guy keeps asking me to send pics", []string{"disclosure"}},
		// age probing and claims
		{"how old r u", []string{"age_probe"}},
		{"what year are you in", []string{"age_probe"}},
		{"im 14 too", []string{"age_claim"}},
		{"im 5 mins away", nil},
		{"my son is 14", nil},
		// secrecy, and the surprise that excuses it
		{"dont tell anyone", []string{"secrecy"}},
		{"this is our secret 🤫", []string{"hide_from_carers", "secrecy"}},
		{"delete this chat", []string{"delete_chat", "secrecy"}},
		{"dont tell your mum its a surprise party", []string{"surprise_plan"}},
		// isolation
		{"your parents wouldnt understand", []string{"isolation"}},
		{"they dont get you like i do", []string{"isolation"}},
		// moving apps
		{"add me on snap", []string{"hidden_channel", "platform_move"}},
		{"lets go on telegram", []string{"hidden_channel", "platform_move"}},
		{"turn on disappearing messages", []string{"hidden_channel", "platform_move"}},
		{"lets move the group chat to whatsapp", nil},
		// meeting
		{"we should meet up sometime", []string{"meet_request"}},
		{"come alone", []string{"alone_meet", "meet_alone"}},
		{"ill pick u up", []string{"meet_alone"}},
		{"ill pick you up, your mum said its fine", []string{"parent_aware"}},
		// gifts
		{"ill send you vbucks", []string{"gift"}},
		{"want a gift card", []string{"gift"}},
		{"ill send you £20 for your birthday", nil},
		// flattery and pressure
		{"ur so mature for ur age", []string{"flattery", "maturity"}},
		{"if you really trusted me you would", []string{"pressure"}},
		// sextortion
		{"ill send them to all your friends", []string{"threat"}},
		{"everyone will see your pics", []string{"exposure_threat", "threat"}},
		{"everyone will see", nil}, // an announcement: a threat names what is seen
		{"ill share the holiday photos with the family", nil},
		{"send £100 or else", []string{"money_demand"}},
		{"pay me now", []string{"money_demand"}},
		{"you can pay for the bike on collection", nil},
	}
	for _, tt := range tests {
		toks, _ := lx.norm.tokens(tt.text)
		got := names(lx.detect(nil, toks, 0))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("detect(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

func TestDetectRecordsPattern(t *testing.T) {
	lx := testLexicon(t)
	toks, _ := lx.norm.tokens("hey, s3nd me a p1c")
	hits := lx.detect(nil, toks, 7)
	want := []hit{{Signal: Signal{Name: "image_request", MessageIndex: 7, Pattern: "{send} (me|us)? {det}? {image_noun}", Evidence: "send me a pic"}}}
	if diff := cmp.Diff(want, hits, cmp.AllowUnexported(hit{})); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}
}

func TestDetectAcrossMessages(t *testing.T) {
	lx := testLexicon(t)
	first, _ := lx.norm.tokens("send me a")
	if hits := lx.detect(nil, first, 0); len(hits) != 0 {
		t.Fatalf("first half fired %v", names(hits))
	}
	second, _ := lx.norm.tokens("pic")
	if got := names(lx.detect(first, second, 1)); !slices.Equal(got, []string{"image_request"}) {
		t.Errorf("request split over two messages: got %v", got)
	}
	// A match wholly in the previous message is not counted again.
	whole, _ := lx.norm.tokens("send me a pic")
	next, _ := lx.norm.tokens("ok")
	if hits := lx.detect(whole, next, 1); len(hits) != 0 {
		t.Errorf("previous message counted again: %v", names(hits))
	}
}

func TestAgeCapture(t *testing.T) {
	lx := testLexicon(t)
	for _, tt := range []struct {
		text string
		age  int
	}{{"im 14 too", 14}, {"i am fourteen", 14}, {"im in year 9", 14}, {"15 f", 15}} {
		toks, _ := lx.norm.tokens(tt.text)
		hits := lx.detect(nil, toks, 0)
		if len(hits) != 1 || hits[0].age != tt.age {
			t.Errorf("detect(%q) = %+v, want one age claim of %d", tt.text, hits, tt.age)
		}
	}
}

func TestPatternErrors(t *testing.T) {
	pp := &patternParser{classes: map[string][][]node{"x": {{{kind: nLit, words: map[string]struct{}{"a": {}}}}}}, slang: map[string][]string{"u": {"you"}}}
	tests := []struct{ src, want string }{
		{"", "empty pattern"},
		{"(a", "missing )"},
		{"a)", "unexpected )"},
		{"a|b", "top-level |"},
		{"* a", "cannot start"},
		{"{nope}", "unknown class"},
		{"Send", "lower-case"},
		{"u", "slang rewrites"},
		{"a ...99", "bad gap"},
		{"#x", "unknown"},
		{"(a)? b", ""},
		{"(a)? b?", "can match nothing"},
		{"(a?)", "can match nothing"},
		{strings.Repeat("a ", 600), "longer than"},
	}
	for _, tt := range tests {
		_, err := pp.compile(tt.src)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("compile(%q): %v", tt.src, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("compile(%q) = %v, want error containing %q", tt.src, err, tt.want)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	pp := &patternParser{classes: map[string][][]node{"img": {{{kind: nLit, words: map[string]struct{}{"pic": {}}}}, {{kind: nLit, words: map[string]struct{}{"a": {}}}, {kind: nLit, words: map[string]struct{}{"photo": {}}}}}}}
	tests := []struct {
		pat, text string
		end       int
	}{
		{"send me", "send me now", 2},
		{"send (me|us)? {img}", "send pic", 2},
		{"send (me|us)? {img}", "send us a photo", 4},
		{"send ... {img}", "send it over pic", 4},
		{"send ...1 {img}", "send it over pic", -1},
		{"pic*", "pictures", 1},
		{"im #age", "im 14", 2},
		{"im #age", "im 140", -1},
		{"year #year", "year 9", 2},
		{"(a b|c) d", "c d", 2},
		{"(a b|c) d", "a b d", 3},
	}
	for _, tt := range tests {
		p, err := pp.compile(tt.pat)
		if err != nil {
			t.Fatalf("compile(%q): %v", tt.pat, err)
		}
		m := &matcher{toks: strings.Fields(tt.text)}
		if got := m.match(p, 0); got != tt.end {
			t.Errorf("match(%q, %q) = %d, want %d", tt.pat, tt.text, got, tt.end)
		}
	}
}
