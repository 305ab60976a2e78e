package risk

import (
	"fmt"
	"strconv"
	"strings"
)

// A pattern is a sequence of token matchers written in a small language:
//
//	send        the token "send"
//	pic*        any token starting with "pic"
//	{image}     any entry of the word class "image" (entries may be phrases)
//	*           any one token
//	...  ...5   a gap of up to 3 (or 5) tokens
//	#n          a number
//	#age        a number from 5 to 99, captured as a claimed age
//	#year       a school year from 1 to 13, captured as the age it implies
//	(a b|c)     a group of alternative sequences: "a b" or "c"
//	x?          an optional token or group
type pattern struct {
	src   string
	nodes []node
	// first holds the tokens a match can start with, firstNum whether it can
	// start with a number; a nil first means any token.
	first    map[string]struct{}
	firstNum bool
}

// canStart reports whether a match of p can begin with token t.
func (p *pattern) canStart(t string) bool {
	if p.first == nil {
		return true
	}
	if _, ok := p.first[t]; ok {
		return true
	}
	return p.firstNum && isNumber(t)
}

type nodeKind uint8

const (
	nLit nodeKind = iota
	nPrefix
	nAny
	nGap
	nGroup
	nNum
	nAge
	nYear
)

type node struct {
	kind   nodeKind
	opt    bool
	words  map[string]struct{} // nLit
	prefix string              // nPrefix
	max    int                 // nGap
	alts   [][]node            // nGroup
}

// defaultGap is the width of "..." without a number.
const defaultGap = 3

// maxPatternLen bounds a pattern's source, which bounds its matching work.
const maxPatternLen = 1000

// patternError is a problem in a pattern at a byte offset of its source.
type patternError struct {
	off int
	msg string
}

func (e *patternError) Error() string { return e.msg }

// patternParser compiles pattern sources against a lexicon's classes.
type patternParser struct {
	classes map[string][][]node // compiled class entries
	slang   map[string][]string
	src     string
	pos     int
}

func (pp *patternParser) compile(src string) (*pattern, error) {
	if len(src) > maxPatternLen {
		return nil, &patternError{0, fmt.Sprintf("pattern is longer than %d bytes", maxPatternLen)}
	}
	pp.src, pp.pos = src, 0
	alts, err := pp.alternatives(false)
	if err != nil {
		return nil, err
	}
	if len(alts) != 1 {
		return nil, &patternError{0, "a top-level | must be inside a group: (a|b)"}
	}
	nodes := alts[0]
	if len(nodes) == 0 {
		return nil, &patternError{0, "empty pattern"}
	}
	if k := nodes[0].kind; k == nAny || k == nGap {
		return nil, &patternError{0, "a pattern cannot start with * or ..."}
	}
	if canBeEmpty(nodes) {
		return nil, &patternError{0, "pattern can match nothing"}
	}
	p := &pattern{src: src, nodes: nodes}
	p.first, p.firstNum = firstSet(nodes)
	return p, nil
}

// alternatives parses seq ('|' seq)* up to ')' (inGroup) or the end.
func (pp *patternParser) alternatives(inGroup bool) ([][]node, error) {
	var alts [][]node
	var seq []node
	for {
		pp.skipSpace()
		if pp.pos >= len(pp.src) {
			if inGroup {
				return nil, &patternError{pp.pos, "missing )"}
			}
			return append(alts, seq), nil
		}
		switch c := pp.src[pp.pos]; c {
		case ')':
			if !inGroup {
				return nil, &patternError{pp.pos, "unexpected )"}
			}
			pp.pos++
			return append(alts, seq), nil
		case '|':
			pp.pos++
			alts = append(alts, seq)
			seq = nil
		case '(':
			start := pp.pos
			pp.pos++
			g, err := pp.alternatives(true)
			if pe, ok := err.(*patternError); ok && pe.msg == "missing )" {
				pe.off = start // point at the ( that is not closed
			}
			if err != nil {
				return nil, err
			}
			n := mergeGroup(g)
			if pp.optional() {
				n.opt = true
			} else if canBeEmpty([]node{n}) {
				return nil, &patternError{start, "group can match nothing; mark it optional with ?"}
			}
			seq = append(seq, n)
		case '?':
			return nil, &patternError{pp.pos, "? must follow a word or a group"}
		default:
			start := pp.pos
			for pp.pos < len(pp.src) && !strings.ContainsRune(" \t()?|", rune(pp.src[pp.pos])) {
				pp.pos++
			}
			n, err := pp.atom(pp.src[start:pp.pos], start)
			if err != nil {
				return nil, err
			}
			if pp.optional() {
				if n.kind == nGap {
					return nil, &patternError{start, "a gap is already optional"}
				}
				n.opt = true
			}
			seq = append(seq, n)
		}
	}
}

func (pp *patternParser) skipSpace() {
	for pp.pos < len(pp.src) && (pp.src[pp.pos] == ' ' || pp.src[pp.pos] == '\t') {
		pp.pos++
	}
}

func (pp *patternParser) optional() bool {
	if pp.pos < len(pp.src) && pp.src[pp.pos] == '?' {
		pp.pos++
		return true
	}
	return false
}

// atom parses one space-free item. A word|word list is a single-token choice.
func (pp *patternParser) atom(s string, off int) (node, error) {
	switch {
	case s == "*":
		return node{kind: nAny}, nil
	case strings.HasPrefix(s, "..."):
		n := defaultGap
		if rest := s[3:]; rest != "" {
			v, err := strconv.Atoi(rest)
			if err != nil || v < 1 || v > 12 {
				return node{}, &patternError{off, fmt.Sprintf("bad gap %q: want ... or ...N with N from 1 to 12", s)}
			}
			n = v
		}
		return node{kind: nGap, max: n}, nil
	case s == "#n":
		return node{kind: nNum}, nil
	case s == "#age":
		return node{kind: nAge}, nil
	case s == "#year":
		return node{kind: nYear}, nil
	case strings.HasPrefix(s, "#"):
		return node{}, &patternError{off, fmt.Sprintf("unknown %q: want #n, #age or #year", s)}
	case strings.HasPrefix(s, "{"):
		if !strings.HasSuffix(s, "}") {
			return node{}, &patternError{off, fmt.Sprintf("bad class reference %q: want {name}", s)}
		}
		name := s[1 : len(s)-1]
		entries, ok := pp.classes[name]
		if !ok {
			return node{}, &patternError{off, fmt.Sprintf("unknown class {%s}", name)}
		}
		return node{kind: nGroup, alts: entries}, nil
	case strings.HasSuffix(s, "*"):
		p := s[:len(s)-1]
		if err := pp.checkWord(p, off); err != nil {
			return node{}, err
		}
		if len(p) < 2 {
			return node{}, &patternError{off, fmt.Sprintf("prefix %q is too short", s)}
		}
		return node{kind: nPrefix, prefix: p}, nil
	}
	if err := pp.checkWord(s, off); err != nil {
		return node{}, err
	}
	return node{kind: nLit, words: map[string]struct{}{s: {}}}, nil
}

// mergeGroup turns a group whose alternatives are all single words into one
// word-set node, which matches in one map look-up.
func mergeGroup(alts [][]node) node {
	words := map[string]struct{}{}
	for _, a := range alts {
		if len(a) != 1 || a[0].kind != nLit || a[0].opt {
			return node{kind: nGroup, alts: alts}
		}
		for w := range a[0].words {
			words[w] = struct{}{}
		}
	}
	return node{kind: nLit, words: words}
}

// checkWord rejects words that normalised text can never contain.
func (pp *patternParser) checkWord(w string, off int) error {
	if w == "" {
		return &patternError{off, "empty word"}
	}
	if w == "£" {
		return nil
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return &patternError{off, fmt.Sprintf("word %q: patterns use lower-case letters and digits only (text is normalised before matching)", w)}
		}
	}
	if rep, ok := pp.slang[w]; ok && (len(rep) != 1 || rep[0] != w) {
		return &patternError{off, fmt.Sprintf("word %q never reaches the matcher: slang rewrites it to %q", w, strings.Join(rep, " "))}
	}
	return nil
}

// canBeEmpty reports whether nodes can match zero tokens.
func canBeEmpty(nodes []node) bool {
	for _, n := range nodes {
		if n.opt || n.kind == nGap {
			continue
		}
		if n.kind == nGroup {
			empty := false
			for _, a := range n.alts {
				if canBeEmpty(a) {
					empty = true
					break
				}
			}
			if empty {
				continue
			}
		}
		return false
	}
	return true
}

// firstSet returns the literal tokens a match of nodes can start with, and
// whether it can also start with a number. A nil set means any token.
func firstSet(nodes []node) (map[string]struct{}, bool) {
	set := map[string]struct{}{}
	num := false
	for _, n := range nodes {
		switch n.kind {
		case nLit:
			for w := range n.words {
				set[w] = struct{}{}
			}
		case nNum, nAge, nYear:
			num = true
		case nGap:
			continue
		case nGroup:
			for _, a := range n.alts {
				s, nm := firstSet(a)
				if s == nil {
					return nil, true
				}
				for w := range s {
					set[w] = struct{}{}
				}
				num = num || nm
			}
			empty := n.opt
			for _, a := range n.alts {
				empty = empty || canBeEmpty(a)
			}
			if empty {
				continue
			}
			return set, num
		default:
			return nil, true
		}
		if !n.opt {
			return set, num
		}
	}
	return set, num
}

// matcher holds the state of one match attempt.
type matcher struct {
	toks []string
	age  int // captured claimed age, 0 if none
}

// match reports the end of the first match of p starting at i, or -1.
func (m *matcher) match(p *pattern, i int) int {
	end := -1
	m.age = 0
	m.seq(p.nodes, i, func(j int) bool { end = j; return true })
	return end
}

// seq matches nodes from token i and calls k with each possible end until k
// returns true. Gaps try the shortest span first.
func (m *matcher) seq(nodes []node, i int, k func(int) bool) bool {
	if len(nodes) == 0 {
		return k(i)
	}
	n, rest := &nodes[0], nodes[1:]
	if n.opt {
		if m.one(n, i, func(j int) bool { return m.seq(rest, j, k) }) {
			return true
		}
		return m.seq(rest, i, k)
	}
	return m.one(n, i, func(j int) bool { return m.seq(rest, j, k) })
}

func (m *matcher) one(n *node, i int, k func(int) bool) bool {
	if n.kind == nGap {
		for g := 0; g <= n.max && i+g <= len(m.toks); g++ {
			if k(i + g) {
				return true
			}
		}
		return false
	}
	if n.kind == nGroup {
		for _, a := range n.alts {
			if m.seq(a, i, k) {
				return true
			}
		}
		return false
	}
	if i >= len(m.toks) {
		return false
	}
	t := m.toks[i]
	switch n.kind {
	case nLit:
		if _, ok := n.words[t]; !ok {
			return false
		}
	case nPrefix:
		if !strings.HasPrefix(t, n.prefix) {
			return false
		}
	case nNum:
		if _, err := strconv.Atoi(t); err != nil {
			return false
		}
	case nAge, nYear:
		v, err := strconv.Atoi(t)
		if err != nil {
			return false
		}
		if n.kind == nYear {
			if v < 1 || v > 13 {
				return false
			}
			v += 5 // in England, year 9 is ages 13 to 14
		} else if v < 5 || v > 99 {
			return false
		}
		old := m.age
		m.age = v
		if k(i + 1) {
			return true
		}
		m.age = old
		return false
	}
	return k(i + 1)
}
