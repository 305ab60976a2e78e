package risk

import (
	"strconv"
	"strings"

	"github.com/safeguard-dev/safeguard"
)

// Signal is one signal that fired: which message it fired in and which
// pattern matched what, so that an alert explains itself. Facts about the
// accounts (sender.connected, …) that a fired rule used appear with
// MessageIndex -1 and the value as Evidence.
type Signal = safeguard.RiskSignal

// hit is a signal found in one message, with the age it states, if any.
type hit struct {
	Signal
	age int
}

// maxEvidence bounds the evidence kept for one hit.
const maxEvidence = 120

// detect finds the text signals of one message. tail holds the last tokens of
// the sender's previous message, so that a request split over two messages
// ("send me a" / "pic") is seen; a match must end in the new message. Each
// signal fires at most once per message.
func (lx *lexicon) detect(tail, toks []string, index int) []hit {
	all := toks
	if len(tail) > 0 {
		all = make([]string, 0, len(tail)+len(toks))
		all = append(append(all, tail...), toks...)
	}
	base := len(tail)
	m := &matcher{toks: all}
	var hits []hit
	fired := map[string]bool{}
	try := func(refs []patRef, i int) {
		for _, ref := range refs {
			if fired[ref.sig.name] {
				continue
			}
			end := m.match(ref.p, i)
			if end <= base {
				continue // no match, or a match wholly inside the previous message
			}
			age := m.age
			if lx.cancelled(m, ref.sig, i, end) {
				continue
			}
			ev := strings.Join(all[i:end], " ")
			if len(ev) > maxEvidence {
				ev = ev[:maxEvidence]
			}
			fired[ref.sig.name] = true
			hits = append(hits, hit{Signal{Name: ref.sig.name, MessageIndex: index, Pattern: ref.p.src, Evidence: ev}, age})
		}
	}
	for i, t := range all {
		try(lx.index[t], i)
		if isNumber(t) {
			try(lx.numeric, i)
		}
		try(lx.wild, i)
	}
	return hits
}

// cancelled reports whether the context of a match at [start, end) cancels
// it: a negator just before it ("i would never ask for a pic"), or one of the
// signal's exception patterns nearby ("a photo of your homework").
func (lx *lexicon) cancelled(m *matcher, sig *signalDef, start, end int) bool {
	toks := m.toks
	if sig.negatable {
		for k := max(0, start-negationWindow); k < start; k++ {
			if _, ok := lx.negators[toks[k]]; !ok {
				continue
			}
			// "why dont you send" and "if you dont send" are not negations.
			if k > 0 && toks[k-1] == "why" || k > 1 && toks[k-2] == "if" || k > 0 && toks[k-1] == "if" {
				continue
			}
			return true
		}
	}
	if len(sig.unless) == 0 {
		return false
	}
	lo, hi := max(0, start-sig.window), min(len(toks), end+sig.window)
	saved := m.age
	defer func() { m.age = saved }()
	// An exception counts if it overlaps the window, even if it begins a
	// little before it ("this guy keeps asking me to send pics").
	sub := &matcher{toks: toks[:hi]}
	for _, u := range sig.unless {
		for s := max(0, lo-unlessReach); s < hi; s++ {
			if !u.canStart(toks[s]) {
				continue
			}
			if e := sub.match(u, s); e > lo {
				return true
			}
		}
	}
	return false
}

// unlessReach is how far before a signal's window an exception may begin.
const unlessReach = 6

func isNumber(t string) bool {
	if t == "" || len(t) > 6 {
		return false
	}
	_, err := strconv.Atoi(t)
	return err == nil
}
