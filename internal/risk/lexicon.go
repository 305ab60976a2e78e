package risk

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Signals computed by the package itself rather than matched by lexicon
// patterns. A lexicon cannot define them.
const (
	SignalImageSent    = "image_sent"    // the message carries an image
	SignalAgeClaim     = "age_claim"     // the sender states an age (lexicon patterns with #age or #year)
	SignalAgeDeception = "age_deception" // a stated age contradicts the sender's profile
	SignalOversized    = "oversized"     // the text was longer than MaxScanBytes and only partly scanned
	SignalNight        = "night"         // sent at night, local time, between a minor and someone older
	SignalOwnAsk       = "own_ask"       // an ask (secrecy from carers, a meeting alone, a camera, …) in a message that is no lesson or advice
)

var builtinSignals = []string{SignalImageSent, SignalAgeDeception, SignalOversized, SignalNight, SignalOwnAsk}

// defaultWindow is how many tokens either side of a match an exception
// ("unless") pattern is looked for when a signal gives no window.
const defaultWindow = 4

// negationWindow is how many tokens before a match a negator cancels it.
const negationWindow = 5

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// signalDef is one text signal: its patterns and the context that cancels
// them.
type signalDef struct {
	name        string
	description string
	negatable   bool
	window      int
	patterns    []*pattern
	unless      []*pattern
}

// lexicon is the merged, compiled form of every lexicon file.
type lexicon struct {
	norm     *normalizer
	signals  []*signalDef
	byName   map[string]*signalDef
	index    map[string][]patRef // by first token
	numeric  []patRef            // patterns that can start with a number
	wild     []patRef            // patterns that can start with any token
	negators map[string]struct{}
}

type patRef struct {
	sig *signalDef
	p   *pattern
}

// rawLexicon is one file's content with the node of each item, kept until
// every file is read so that later files can extend earlier ones.
type rawLexicon struct {
	src     Source
	lines   []string
	slang   [][2]*yaml.Node
	emoji   [][2]*yaml.Node
	classes []rawClass
	signals []rawSignal
}

type rawClass struct {
	key     *yaml.Node
	entries []*yaml.Node
}

type rawSignal struct {
	key               *yaml.Node
	description       *yaml.Node
	negatable, window *yaml.Node
	patterns, unless  []*yaml.Node
}

func readLexicon(src Source, list *[]Problem) *rawLexicon {
	p := problems{file: src.Name, list: list}
	root := parseYAML(src, p)
	if root == nil {
		return nil
	}
	raw := &rawLexicon{src: src, lines: sourceLines(src.Data)}
	f := fields(root, p, "version", "slang", "emoji", "classes", "signals")
	checkVersion(f, root, p)
	pairs := func(n *yaml.Node, what string) [][2]*yaml.Node {
		if n == nil {
			return nil
		}
		if n.Kind != yaml.MappingNode {
			p.at(n, "%s: want a mapping", what)
			return nil
		}
		var out [][2]*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
				p.at(k, "%s: want word: replacement", what)
				continue
			}
			out = append(out, [2]*yaml.Node{k, v})
		}
		return out
	}
	raw.slang = pairs(f["slang"], "slang")
	raw.emoji = pairs(f["emoji"], "emoji")
	if c := f["classes"]; c != nil {
		if c.Kind != yaml.MappingNode {
			p.at(c, "classes: want a mapping of name: [words]")
		} else {
			for i := 0; i+1 < len(c.Content); i += 2 {
				raw.classes = append(raw.classes, rawClass{key: c.Content[i], entries: stringList(c.Content[i+1], p, "class "+c.Content[i].Value)})
			}
		}
	}
	if s := f["signals"]; s != nil {
		if s.Kind != yaml.MappingNode {
			p.at(s, "signals: want a mapping of name: {patterns: [...]}")
		} else {
			for i := 0; i+1 < len(s.Content); i += 2 {
				k := s.Content[i]
				sf := fields(s.Content[i+1], p, "description", "negatable", "window", "patterns", "unless")
				raw.signals = append(raw.signals, rawSignal{
					key: k, description: sf["description"], negatable: sf["negatable"], window: sf["window"],
					patterns: stringList(sf["patterns"], p, "patterns"),
					unless:   stringList(sf["unless"], p, "unless"),
				})
			}
		}
	}
	return raw
}

// buildLexicon merges lexicon files in order: later files add slang, emoji,
// class entries and patterns, and may add signals.
func buildLexicon(srcs []Source, list *[]Problem) *lexicon {
	var raws []*rawLexicon
	for _, s := range srcs {
		if r := readLexicon(s, list); r != nil {
			raws = append(raws, r)
		}
	}
	if len(*list) > 0 {
		return nil
	}
	n := &normalizer{slang: map[string][]string{}, emoji: map[rune]string{}, vocab: map[string]bool{}, fuzzy: map[string][]string{}, future: map[string]bool{}}
	pp := &patternParser{classes: map[string][][]node{}, slang: n.slang}
	lx := &lexicon{norm: n, byName: map[string]*signalDef{}, index: map[string][]patRef{}, negators: map[string]struct{}{}}

	// Slang and emoji first: patterns are checked against them.
	for _, r := range raws {
		addSlangAndEmoji(n, r, problems{file: r.src.Name, list: list})
	}
	classWords := map[string][]string{}
	for _, r := range raws {
		addClasses(pp, classWords, r, problems{file: r.src.Name, list: list})
	}
	// One class, "negator", lists the words that cancel a negatable signal.
	for _, w := range classWords["negator"] {
		lx.negators[w] = struct{}{}
	}
	// Another, "future_verb", the verbs after which "going to" is the
	// future tense ("is going to see" reads "will see").
	for _, w := range classWords["future_verb"] {
		n.future[w] = true
	}
	for _, r := range raws {
		p := problems{file: r.src.Name, list: list}
		for _, rs := range r.signals {
			lx.addSignal(pp, r, rs, p)
		}
	}
	if len(*list) > 0 {
		return nil
	}
	lx.indexPatterns()
	for _, rep := range n.slang {
		for _, w := range rep {
			n.vocab[w] = true
		}
	}
	for w := range n.vocab {
		n.addFuzzy(w)
	}
	return lx
}

// addSlangAndEmoji adds the slang and emoji of lexicon file r to n.
func addSlangAndEmoji(n *normalizer, r *rawLexicon, p problems) {
	for _, kv := range r.slang {
		k := kv[0].Value
		rep := strings.Fields(kv[1].Value)
		if !isASCIIWordOrDigits(k) || len(rep) == 0 {
			p.at(kv[0], "slang %q: want a lower-case word mapped to one or more words", k)
			continue
		}
		n.slang[k] = rep
	}
	for _, kv := range r.emoji {
		rn, size := utf8.DecodeRuneInString(kv[0].Value)
		if rn == utf8.RuneError || size != len(kv[0].Value) {
			p.at(kv[0], "emoji %q: want a single character", kv[0].Value)
			continue
		}
		n.emoji[rn] = kv[1].Value
	}
}

// addClasses compiles the class entries of lexicon file r into pp, and
// keeps their words in classWords.
func addClasses(pp *patternParser, classWords map[string][]string, r *rawLexicon, p problems) {
	for _, c := range r.classes {
		name := c.key.Value
		if !nameRE.MatchString(name) {
			p.at(c.key, "class name %q: want lower-case letters, digits and _", name)
			continue
		}
		for _, e := range c.entries {
			if strings.ContainsAny(e.Value, "{}") {
				p.at(e, "class entries cannot refer to other classes")
				continue
			}
			cp, err := pp.compile(e.Value)
			if err != nil {
				reportPattern(p, e, r.lines, err)
				continue
			}
			pp.classes[name] = append(pp.classes[name], cp.nodes)
			classWords[name] = append(classWords[name], e.Value)
		}
	}
}

// addSignal defines signal rs of lexicon file r, or adds to the signal of
// that name an earlier file defined.
func (lx *lexicon) addSignal(pp *patternParser, r *rawLexicon, rs rawSignal, p problems) {
	name := rs.key.Value
	if !nameRE.MatchString(name) {
		p.at(rs.key, "signal name %q: want lower-case letters, digits and _", name)
		return
	}
	if slices.Contains(builtinSignals, name) {
		p.at(rs.key, "signal %q is computed by the scorer and cannot be defined in a lexicon", name)
		return
	}
	def := lx.byName[name]
	if def == nil {
		def = &signalDef{name: name, window: defaultWindow}
		lx.byName[name] = def
		lx.signals = append(lx.signals, def)
	}
	if rs.description != nil {
		def.description = rs.description.Value
	}
	if rs.negatable != nil {
		b, err := strconv.ParseBool(rs.negatable.Value)
		if err != nil {
			p.at(rs.negatable, "negatable: want true or false")
		}
		def.negatable = b
	}
	if rs.window != nil {
		w, err := strconv.Atoi(rs.window.Value)
		if err != nil || w < 1 || w > 12 {
			p.at(rs.window, "window: want a number of tokens from 1 to 12")
		}
		def.window = w
	}
	broken := false
	for _, pn := range rs.patterns {
		cp, err := pp.compile(pn.Value)
		if err != nil {
			reportPattern(p, pn, r.lines, err)
			broken = true
			continue
		}
		def.patterns = append(def.patterns, cp)
	}
	for _, pn := range rs.unless {
		cp, err := pp.compile(pn.Value)
		if err != nil {
			reportPattern(p, pn, r.lines, err)
			continue
		}
		def.unless = append(def.unless, cp)
	}
	if len(def.patterns) == 0 && !broken {
		p.at(rs.key, "signal %q has no patterns", name)
	}
}

// indexPatterns indexes every signal's patterns by the words they can
// start with, and adds the words they use to the vocabulary.
func (lx *lexicon) indexPatterns() {
	n := lx.norm
	for _, def := range lx.signals {
		for _, cp := range def.patterns {
			ref := patRef{def, cp}
			set, num := firstSet(cp.nodes)
			switch {
			case set == nil:
				lx.wild = append(lx.wild, ref)
			default:
				for w := range set {
					lx.index[w] = append(lx.index[w], ref)
				}
				if num {
					lx.numeric = append(lx.numeric, ref)
				}
			}
			addVocab(n, cp.nodes)
		}
		for _, cp := range def.unless {
			addVocab(n, cp.nodes)
		}
	}
}

func isASCIIWordOrDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if !(w[i] >= 'a' && w[i] <= 'z' || w[i] >= '0' && w[i] <= '9') {
			return false
		}
	}
	return w != ""
}

func addVocab(n *normalizer, nodes []node) {
	for _, nd := range nodes {
		switch nd.kind {
		case nLit:
			for w := range nd.words {
				n.vocab[w] = true
			}
		case nGroup:
			for _, a := range nd.alts {
				addVocab(n, a)
			}
		}
	}
}

// reportPattern reports a pattern error at its position inside the scalar.
func reportPattern(p problems, n *yaml.Node, lines []string, err error) {
	off := 0
	if pe, ok := err.(*patternError); ok {
		off = utf8.RuneCountInString(n.Value[:min(pe.off, len(n.Value))])
	}
	line, col := scalarPos(n, lines, off)
	p.atPos(line, col, "pattern %q: %v", n.Value, err)
}

// signalNames returns every signal a rule may name: the lexicon's and the
// built-in ones.
func (lx *lexicon) signalNames() []string {
	names := slices.Clone(builtinSignals)
	for _, d := range lx.signals {
		names = append(names, d.name)
	}
	if _, ok := lx.byName[SignalAgeClaim]; !ok {
		names = append(names, SignalAgeClaim)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (lx *lexicon) String() string {
	return fmt.Sprintf("lexicon(%d signals, %d words)", len(lx.signals), len(lx.norm.vocab))
}
