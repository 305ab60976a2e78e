package risk

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Limits on the work done for one message. A message longer than
// MaxScanBytes is scanned at its first and last MaxScanBytes/2 bytes only, so
// a megabyte of padding costs no more than a long message and text hidden
// after padding at the end is still seen.
const (
	MaxScanBytes = 8 << 10
	MaxTokens    = 1024
)

// normalizer turns chat text into lower-case word tokens: NFKD-folded with
// accents removed, look-alike letters mapped to Latin, emoji named, leetspeak
// undone where that yields a known word, repeated letters collapsed, slang
// expanded and one-letter typos in long words corrected against the
// lexicons' vocabulary.
type normalizer struct {
	slang map[string][]string // token -> replacement tokens
	emoji map[rune]string
	vocab map[string]bool     // every word the patterns know
	fuzzy map[string][]string // one-deletion variants of long vocabulary words
	// future holds the verbs after which "going to" is the future tense
	// (the lexicon's class future_verb): "is going to see" reads "will see".
	future map[string]bool
}

// confusables maps Cyrillic and Greek letters that look like Latin ones.
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ɡ': 'g',
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
	'υ': 'u', 'χ': 'x', 'ѵ': 'v', 'ı': 'i',
}

// leet maps characters used for letters in leetspeak.
var leet = map[rune]rune{
	'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i', '|': 'l', '+': 't',
}

// tokens normalises text into at most MaxTokens tokens. truncated reports
// that the text was longer than MaxScanBytes: then only its head and its tail
// are scanned, each for half the tokens.
func (n *normalizer) tokens(text string) (toks []string, truncated bool) {
	if len(text) <= MaxScanBytes {
		return n.scan(text, MaxTokens), false
	}
	// Cutting may split a rune at either end; ToValidUTF8 drops the pieces.
	half := MaxScanBytes / 2
	head := n.scan(strings.ToValidUTF8(text[:half], ""), MaxTokens/2)
	tail := n.scan(strings.ToValidUTF8(text[len(text)-half:], ""), MaxTokens)
	if len(tail) > MaxTokens/2 {
		tail = tail[len(tail)-MaxTokens/2:]
	}
	return append(head, tail...), true
}

// scan normalises text into at most limit tokens.
func (n *normalizer) scan(text string, limit int) []string {
	text = norm.NFKD.String(text)
	st := &scanState{n: n}
	for _, r := range text {
		if len(st.toks) >= limit {
			break
		}
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
			// accents, emoji presentation selectors, and what shows nothing:
			// zero-width spaces and joiners, soft hyphens, direction marks,
			// so that "pa\u200by" is read as "pay"
			continue
		}
		r = unicode.ToLower(r)
		if c, ok := confusables[r]; ok {
			r = c
		}
		st.add(r)
	}
	st.flush()
	toks := n.canon(n.spelt(st.toks, &st.sp))
	if len(toks) > limit {
		toks = toks[:limit]
	}
	return toks
}

// scanState is one scan's work in progress: the tokens so far, the run of
// letters, digits and leet symbols being read, and lone letters that may
// spell a word.
type scanState struct {
	n     *normalizer
	toks  []string
	chunk []rune
	sp    spaced
	// gap counts the separators since the last chunk; chunkGap those
	// before the chunk being read.
	gap, chunkGap int
}

// add reads one folded, lower-case rune.
func (st *scanState) add(r rune) {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		st.start()
		st.chunk = append(st.chunk, r)
	case r == '\'' || r == '’' || r == '‘' || r == '`':
		// apostrophes join: don't -> dont
	case r == '£' || r == '€' || (r == '$' && len(st.chunk) == 0):
		st.flush()
		st.toks = append(st.n.spelt(st.toks, &st.sp), "£")
	case leet[r] != 0 && len(st.chunk) > 0:
		st.chunk = append(st.chunk, r)
	case leet[r] != 0 && r != '!' && r != '|':
		st.start()
		st.chunk = append(st.chunk, r) // @ or $ or + starting a word
	default:
		st.flush()
		st.gap++
		if w, ok := st.n.emoji[r]; ok {
			st.toks = append(st.n.spelt(st.toks, &st.sp), strings.Fields(w)...)
		}
	}
}

// start notes the separators before a chunk about to begin.
func (st *scanState) start() {
	if len(st.chunk) == 0 {
		st.chunkGap, st.gap = st.gap, 0
	}
}

// flush ends the chunk being read. A letter alone may be part of a word
// spelt out ("d e l e t e") and waits with the others; anything else ends
// such a run first.
func (st *scanState) flush() {
	if len(st.chunk) == 0 {
		return
	}
	r := st.chunk[0]
	switch {
	case len(st.chunk) == 1 && unicode.IsLetter(r):
		st.sp.add(r, r, st.chunkGap)
	case len(st.chunk) == 1 && len(st.sp.letters) > 0 && leet[r] != 0 && unicode.IsDigit(r):
		// a digit for a letter among letters spelt out: "s 3 c r 3 t"
		st.sp.add(leet[r], r, st.chunkGap)
	default:
		st.toks = st.n.spelt(st.toks, &st.sp)
		st.toks = st.n.chunk(st.toks, st.chunk)
	}
	st.chunk = st.chunk[:0]
}

// spaced is a run of letters each standing alone ("d e l e t e  t h e
// c h a t", "s.e.c.r.e.t"), with where a wider gap than the others fell.
type spaced struct {
	letters []rune
	orig    []rune // as written: a digit read as a letter stays a digit if no word is found
	gaps    []int  // the separators before each letter but the first
}

func (sp *spaced) add(r, orig rune, gap int) {
	if len(sp.letters) > 0 {
		sp.gaps = append(sp.gaps, gap)
	}
	sp.letters = append(sp.letters, r)
	sp.orig = append(sp.orig, orig)
}

// Bounds on joining letters spelt out one by one.
const (
	minSpelt = 3  // letters; "p i c"
	maxSpelt = 64 // a longer run is left as letters
	maxWord  = 20 // the longest word looked for in a run
)

// spelt appends the tokens of the run of lone letters in sp and empties it.
// The letters are joined back into words when they spell known words
// exactly ("deletethechat" -> delete the chat) or, failing that, when wider
// gaps mark the words and at least one of them is known; otherwise each
// letter stays a token of its own, so "u r a star" and "i m a" are read as
// before.
func (n *normalizer) spelt(toks []string, sp *spaced) []string {
	if len(sp.letters) == 0 {
		return toks
	}
	defer func() { sp.letters, sp.orig, sp.gaps = sp.letters[:0], sp.orig[:0], sp.gaps[:0] }()
	if words := n.joinSpelt(sp); words != nil {
		for _, w := range words {
			toks = n.word(toks, w)
		}
		return toks
	}
	for _, r := range sp.orig {
		toks = n.word(toks, string(r))
	}
	return toks
}

// joinSpelt returns the words a run of lone letters spells, or nil.
func (n *normalizer) joinSpelt(sp *spaced) []string {
	k := len(sp.letters)
	if k < minSpelt || k > maxSpelt || k == minSpelt && oneLetterWord(sp.letters[0]) {
		return nil
	}
	if words := n.segment(string(sp.letters)); words != nil {
		return words
	}
	// Wider gaps between some letters than between the others mark words.
	narrow := sp.gaps[0]
	for _, g := range sp.gaps {
		narrow = min(narrow, g)
	}
	var words []string
	known := false
	start := 0
	for i := 1; i <= k; i++ {
		if i < k && sp.gaps[i-1] == narrow {
			continue
		}
		w := string(sp.letters[start:i])
		words = append(words, w)
		known = known || len(w) >= minSpelt && n.known(n.collapse(w))
		start = i
	}
	if len(words) < 2 || !known {
		return nil
	}
	return words
}

// segment splits s into the fewest known words, or returns nil if it cannot
// be split or has no word of three letters or more. Words of one letter are
// only a, i and u.
func (n *normalizer) segment(s string) []string {
	if !isASCIIWord(s) {
		return nil
	}
	best := make([]int, len(s)+1) // fewest words for s[:i], 0 if none
	from := make([]int, len(s)+1)
	best[0] = 1
	for i := 1; i <= len(s); i++ {
		for j := max(0, i-maxWord); j < i; j++ {
			if best[j] == 0 || !n.segmentWord(s[j:i]) {
				continue
			}
			if c := best[j] + 1; best[i] == 0 || c < best[i] {
				best[i], from[i] = c, j
			}
		}
	}
	if best[len(s)] == 0 {
		return nil
	}
	var words []string
	long := false
	for i := len(s); i > 0; i = from[i] {
		w := s[from[i]:i]
		words = append(words, w)
		long = long || len(w) >= minSpelt
	}
	if !long {
		return nil
	}
	slices.Reverse(words)
	return words
}

func (n *normalizer) segmentWord(w string) bool {
	if len(w) == 1 {
		return oneLetterWord(rune(w[0]))
	}
	return n.known(w)
}

func oneLetterWord(r rune) bool { return r == 'a' || r == 'i' || r == 'u' }

// chunk normalises one run of letters, digits and leet symbols and appends
// the resulting tokens.
func (n *normalizer) chunk(out []string, c []rune) []string {
	raw := strings.TrimRight(string(c), "!|+@$")
	if raw == "" {
		return out
	}
	if _, ok := n.slang[raw]; ok {
		return n.word(out, raw)
	}
	hasLetter, hasOther := false, false
	for _, r := range raw {
		if unicode.IsLetter(r) {
			hasLetter = true
		} else {
			hasOther = true
		}
	}
	if hasLetter && hasOther {
		// Leetspeak: take the letters-only reading if it is a known word
		// (after collapsing repeats), or if a symbol sits between letters.
		orig := []rune(raw)
		d := []rune(raw)
		inner := false
		for i, r := range orig {
			if l, ok := leet[r]; ok {
				if i > 0 && i < len(orig)-1 && unicode.IsLetter(orig[i-1]) && unicode.IsLetter(orig[i+1]) {
					inner = true
				}
				d[i] = l
			}
		}
		if w := n.collapse(string(d)); n.known(w) || inner {
			return n.word(out, string(d))
		}
		// Otherwise split letters from digits: "14yo" -> 14 yo, "im14" -> im 14.
		start := 0
		rs := []rune(raw)
		for i := 1; i <= len(rs); i++ {
			if i == len(rs) || unicode.IsDigit(rs[i]) != unicode.IsDigit(rs[i-1]) {
				part := strings.Map(func(r rune) rune {
					if unicode.IsLetter(r) || unicode.IsDigit(r) {
						return r
					}
					return -1
				}, string(rs[start:i]))
				if part != "" {
					out = n.word(out, part)
				}
				start = i
			}
		}
		return out
	}
	raw = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, raw)
	if raw == "" {
		return out
	}
	return n.word(out, raw)
}

// word appends one word after collapsing repeats, expanding slang and
// correcting a typo.
func (n *normalizer) word(out []string, w string) []string {
	if !n.known(w) {
		w = n.collapse(w)
	}
	if rep, ok := n.slang[w]; ok {
		return append(out, rep...)
	}
	if !n.vocab[w] {
		if v, ok := numberWord(w); ok {
			return append(out, v)
		}
		c := n.correct(w)
		if rep, ok := n.slang[c]; ok {
			return append(out, rep...)
		}
		if c == w {
			if parts := n.runTogether(w); parts != nil {
				for _, p := range parts {
					out = n.word(out, p)
				}
				return out
			}
		}
		w = c
	}
	return append(out, w)
}

// Bounds on splitting words run together ("donttellurmum").
const (
	minRun    = 6  // letters
	maxRunLen = 32 // a longer token is left as it is
)

// runTogether splits a token that is not a known word into known words
// run together ("donttellurmum" -> dont tell ur mum, "deletethechat"), or
// returns nil. The split has the fewest words; words of one letter are only
// those the slang or the vocabulary knows (u, n, i, a). So that an ordinary
// word the lexicons do not list is not cut into pieces that happen to be
// known, a split into two words needs both of four letters or more, and a
// longer split a word of four letters or more.
func (n *normalizer) runTogether(w string) []string {
	if len(w) < minRun || len(w) > maxRunLen || !isASCIIWord(w) {
		return nil
	}
	var best, from [maxRunLen + 1]int // fewest words for w[:i], 0 if none
	best[0] = 1
	for i := 1; i <= len(w); i++ {
		for j := max(0, i-maxWord); j < i; j++ {
			if best[j] == 0 || !n.known(w[j:i]) || i-j == 1 && !strings.ContainsRune("uian", rune(w[j])) {
				continue
			}
			if c := best[j] + 1; best[i] == 0 || c < best[i] {
				best[i], from[i] = c, j
			}
		}
	}
	if best[len(w)] < 3 { // not split, or one word
		return nil
	}
	var words []string
	longest, shortest := 0, len(w)
	for i := len(w); i > 0; i = from[i] {
		p := w[from[i]:i]
		words = append(words, p)
		longest, shortest = max(longest, len(p)), min(shortest, len(p))
	}
	if longest < 4 || len(words) == 2 && shortest < 4 {
		return nil
	}
	slices.Reverse(words)
	return words
}

// numberWord reads an age-like number word, spelt as it sounds or run
// together: "fiveteen", "fourten", "forteen" (14), "thirty", "twentyone".
// Words the slang lists (fourteen, twenty) never reach it.
func numberWord(w string) (string, bool) {
	for _, suf := range [...]string{"teen", "ten", "tean"} {
		if stem, ok := strings.CutSuffix(w, suf); ok {
			if v, ok := teenStems[stem]; ok {
				return strconv.Itoa(10 + v), true
			}
		}
	}
	for t, v := range tensWords {
		rest, ok := strings.CutPrefix(w, t)
		if !ok {
			continue
		}
		if rest == "" {
			return strconv.Itoa(v), true
		}
		if u, ok := unitWords[rest]; ok {
			return strconv.Itoa(v + u), true
		}
	}
	return "", false
}

var (
	teenStems = map[string]int{"thir": 3, "four": 4, "for": 4, "fif": 5, "five": 5, "six": 6, "sev": 7, "seven": 7,
		"eigh": 8, "eight": 8, "nin": 9, "nine": 9}
	tensWords = map[string]int{"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
		"seventy": 70, "eighty": 80, "ninety": 90}
	unitWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
)

// canon rewrites a message's tokens into the forms the patterns are written
// in, where a word's reading depends on its neighbours:
//
//   - the future with "going to" before a verb of the future_verb class
//     becomes "will", with its auxiliary dropped: "your class is going to
//     see" -> your class will see, "im going to post" -> i will post,
//     "your going to" (ur gonna) -> you will; not after "was" or "were";
//   - the present progressive of such a verb after im, am, is or are is a
//     plan and reads the same: "im uploading them" -> i will upload them;
//   - "2" between words is "to" ("talk 2 me") or, at the end, "too" ("me
//     2"); "4" before a pronoun or a determiner is "for" ("4 you"); before a
//     noun or a unit they stay numbers ("2 pics", "4 hours");
//   - a tens word and a unit word make one number ("twenty one" -> 21),
//     and the digits of a teenage age spaced out after "im", "am", "aged",
//     "turned" one ("im 1 4" -> im 14).
func (n *normalizer) canon(toks []string) []string {
	out := toks[:0:0]
	for i := 0; i < len(toks); i++ {
		prev, next, next2 := "", "", ""
		if len(out) > 0 {
			prev = out[len(out)-1]
		}
		if i+1 < len(toks) {
			next = toks[i+1]
		}
		if i+2 < len(toks) {
			next2 = toks[i+2]
		}
		var used int
		out, used = n.canonAt(out, prev, toks[i], next, next2)
		i += used
	}
	return out
}

// canonAt appends the reading of token t, with prev the last token out and
// next, next2 the tokens after t, and returns how many of those it used.
func (n *normalizer) canonAt(out []string, prev, t, next, next2 string) ([]string, int) {
	switch {
	case t == "going" && next == "to" && n.future[next2] && prev != "was" && prev != "were":
		return append(futureSubject(out), "will"), 1 // the verb follows
	case progressiveAux[prev] && n.progressive(t) != "":
		return append(futureSubject(out), "will", n.progressive(t)), 0 // "im uploading them"
	case (t == "2" || t == "4") && prev != "" && !isNumber(prev) && prev != "£":
		return append(out, numberWordFor(t, next)), 0
	case t == "1" && len(next) == 1 && isNumber(next) && ageLead[prev]:
		return append(out, "1"+next), 1 // "im 1 4" -> im 14
	case unitWords[t] > 0 && tensValue(prev):
		v, _ := strconv.Atoi(prev)
		out[len(out)-1] = strconv.Itoa(v + unitWords[t])
		return out, 0
	}
	return append(out, t), 0
}

// futureSubject rewrites the token before a future reading: the auxiliary
// goes ("is going to" -> will), and "im", "your" (ur gonna), "theyre"
// become their subject.
func futureSubject(out []string) []string {
	k := len(out) - 1
	if k < 0 {
		return out
	}
	switch out[k] {
	case "is", "are", "am", "s", "re", "m", "be":
		return out[:k]
	case "im":
		out[k] = "i"
	case "your", "youre":
		out[k] = "you"
	case "theyre":
		out[k] = "they"
	}
	return out
}

// numberWordFor reads a lone 2 or 4 by the word after it.
func numberWordFor(t, next string) string {
	switch {
	case t == "4" && forNext[next]:
		return "for"
	case t == "2" && toNext[next]:
		return "to"
	case t == "2" && (next == "" || tooNext[next]):
		return "too"
	}
	return t
}

// progressive returns the verb of a present participle of the future_verb
// class ("uploading" -> upload, "sharing" -> share, "dropping" -> drop), or
// "". "going" is left alone: "going to" has its own reading.
func (n *normalizer) progressive(t string) string {
	stem, ok := strings.CutSuffix(t, "ing")
	if !ok || len(stem) < 2 || stem == "go" {
		return ""
	}
	if n.future[stem] {
		return stem
	}
	if n.future[stem+"e"] {
		return stem + "e"
	}
	if k := len(stem); k >= 3 && stem[k-1] == stem[k-2] && n.future[stem[:k-1]] {
		return stem[:k-1]
	}
	return ""
}

func tensValue(t string) bool {
	v, err := strconv.Atoi(t)
	return err == nil && len(t) == 2 && v >= 20 && v%10 == 0
}

var (
	// forNext are the words after which a lone 4 reads "for".
	forNext = set("me", "you", "your", "my", "us", "him", "her", "them", "the", "a", "real", "free", "sure", "ever", "now", "it", "this", "that")
	// toNext are the words after which a lone 2 reads "to".
	toNext = set("me", "you", "your", "my", "us", "him", "her", "them", "the", "a", "school", "bed", "sleep", "see", "send",
		"talk", "meet", "come", "go", "do", "be", "get", "tell", "keep", "delete", "show", "chat", "know", "mine", "yours", "anyone", "nobody")
	// progressiveAux are the words before a present participle that make it
	// a plan: "im sending", "your mum is getting".
	progressiveAux = set("im", "am", "is", "are", "s", "re")
	// ageLead are the words after which "1 4" is an age spaced out.
	ageLead = set("im", "am", "aged", "age", "turned", "turning")
	// tooNext are the words after which a lone 2 at the end of a phrase reads "too".
	tooNext = set("lol", "haha", "x", "xx", "and", "but", "though", "tho", "btw", "lmao")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func (n *normalizer) known(w string) bool {
	if n.vocab[w] {
		return true
	}
	_, ok := n.slang[w]
	return ok
}

// collapse shortens runs of a repeated letter: runs of three or more become
// two, and if that is not a known word, every run becomes one letter
// ("pleeease" -> "please", "piccs" -> "pics", "soooo" -> "so").
func (n *normalizer) collapse(w string) string {
	two := collapseRuns(w, 3, 2)
	if n.known(two) {
		return two
	}
	one := collapseRuns(w, 2, 1)
	if n.known(one) {
		return one
	}
	return two
}

// collapseRuns replaces each run of at least min equal letters by keep of
// them. Digits are left alone: 100 is not 10.
func collapseRuns(w string, min, keep int) string {
	var b strings.Builder
	rs := []rune(w)
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		k := j - i
		if k >= min && unicode.IsLetter(rs[i]) {
			k = keep
		}
		for range k {
			b.WriteRune(rs[i])
		}
		i = j
	}
	return b.String()
}

// minFuzzy is the shortest word corrected for a typo, and the shortest
// vocabulary word it may become: shorter words have too many real
// neighbours ("pics" and "pigs"). A letter changed or two swapped is only
// corrected in words of minSubst letters or more: among five-letter words
// too many real ones differ by a letter ("along" is not "alone", "same" not
// "shame"); a letter missing or doubled is ("delet", "secrt").
const (
	minFuzzy = 5
	minSubst = 6
)

// correct returns the one vocabulary word within one edit (insertion,
// deletion, substitution or transposition) of w, or w itself when there is
// none or more than one.
func (n *normalizer) correct(w string) string {
	if len(w) < minFuzzy || len(n.fuzzy) == 0 {
		return w
	}
	found := ""
	try := func(key string) bool {
		for _, c := range n.fuzzy[key] {
			if c == found || !withinOneEdit(w, c) || len(c) == len(w) && len(w) < minSubst {
				continue
			}
			if found != "" {
				return false // ambiguous
			}
			found = c
		}
		return true
	}
	if !try(w) {
		return w
	}
	for _, d := range deletions(w) {
		if !try(d) {
			return w
		}
	}
	if found == "" {
		return w
	}
	return found
}

// addFuzzy indexes a vocabulary word by itself and its one-deletion variants.
func (n *normalizer) addFuzzy(w string) {
	if len(w) < minFuzzy || !isASCIIWord(w) {
		return
	}
	n.fuzzy[w] = appendUnique(n.fuzzy[w], w)
	for _, d := range deletions(w) {
		n.fuzzy[d] = appendUnique(n.fuzzy[d], w)
	}
}

func appendUnique(s []string, w string) []string {
	for _, x := range s {
		if x == w {
			return s
		}
	}
	return append(s, w)
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func deletions(w string) []string {
	out := make([]string, 0, len(w))
	for i := range len(w) {
		out = append(out, w[:i]+w[i+1:])
	}
	return out
}

// withinOneEdit reports whether a and b (ASCII) differ by at most one
// insertion, deletion, substitution or adjacent transposition.
func withinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	switch {
	case la == lb:
		i := 0
		for i < la && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case la == lb+1:
		a, b = b, a
		fallthrough
	case lb == la+1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}
