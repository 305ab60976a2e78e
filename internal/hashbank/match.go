package hashbank

import (
	"cmp"
	"slices"
	"sync"

	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

// Match is one bank entry that a query matched.
type Match struct {
	EntryID  int64
	BankID   int64
	Kind     HashKind // the kind of hash that matched
	Distance int      // Hamming distance for PDQ; 0 for exact hashes
	// Transform is, for a dihedral query, which of the 8 query hashes
	// matched (the one nearest the entry; 0 is the image as given).
	Transform int
}

// Result is the answer to a query.
type Result struct {
	Generation uint64  // the generation of the state that answered
	Matches    []Match // positive matches, one per entry, by distance then entry id
	// Suppressed are the positive matches withheld because the same query
	// hash matched a negative bank, and Negative the negative-bank entries
	// that did it.
	Suppressed []Match
	Negative   []Match
}

// Query is what to look up: any of the hashes of one image.
type Query struct {
	Kinds HashKind // which of the hashes below are set
	// PDQ[0] is the image's PDQ hash. With Dihedral, PDQ holds the hashes
	// of its 8 dihedral transforms (PDQ[0] the image as given), and each
	// entry is reported once, for the transform nearest it.
	PDQ      [8]PDQ
	Dihedral bool
	MD5      MD5
	SHA256   SHA256
}

// MatchPDQ matches one PDQ hash.
func (x *Index) MatchPDQ(h PDQ) Result {
	return x.Match(Query{Kinds: KindPDQ, PDQ: [8]PDQ{h}})
}

// MatchDihedral matches the 8 dihedral PDQ hashes of one image.
func (x *Index) MatchDihedral(hs [8]PDQ) Result {
	return x.Match(Query{Kinds: KindPDQ, PDQ: hs, Dihedral: true})
}

// MatchMD5 matches an MD5 digest exactly.
func (x *Index) MatchMD5(h MD5) Result { return x.Match(Query{Kinds: KindMD5, MD5: h}) }

// MatchSHA256 matches a SHA-256 digest exactly.
func (x *Index) MatchSHA256(h SHA256) Result { return x.Match(Query{Kinds: KindSHA256, SHA256: h}) }

var hitsPool = sync.Pool{New: func() any { return new([]mih.Hit) }}

// Match answers q against one snapshot, so every part of the answer comes
// from the same generation.
func (x *Index) Match(q Query) Result {
	s := x.cur.Load()
	var acc accumulator
	if q.Kinds.Has(KindPDQ) {
		n := 1
		if q.Dihedral {
			n = 8
		}
		hp := hitsPool.Get().(*[]mih.Hit)
		for t := range n {
			*hp = s.matchPDQ(&acc, q.PDQ[t], t, x.opts, (*hp)[:0])
		}
		hitsPool.Put(hp)
	}
	if q.Kinds.Has(KindMD5) {
		acc.begin()
		for _, seg := range s.segments() {
			seg.findMD5(q.MD5, func(row uint32) { s.addRow(&acc, seg, row, KindMD5, 0, 0, x.opts) })
		}
		acc.end()
	}
	if q.Kinds.Has(KindSHA256) {
		acc.begin()
		for _, seg := range s.segments() {
			seg.findSHA256(q.SHA256, func(row uint32) { s.addRow(&acc, seg, row, KindSHA256, 0, 0, x.opts) })
		}
		acc.end()
	}
	return acc.result(s.gen)
}

func (s *snapshot) matchPDQ(acc *accumulator, h PDQ, t int, o Options, hits []mih.Hit) []mih.Hit {
	acc.begin()
	q := mih.FromBytes(h)
	for _, seg := range s.segments() {
		hits = seg.pdq.Search(&q, max(o.Radius, o.NegativeRadius), hits[:0])
		for _, hit := range hits {
			s.addRow(acc, seg, hit.Row, KindPDQ, int(hit.Dist), t, o)
		}
	}
	acc.end()
	return hits
}

// segments returns the indexed base and the indexed overlay of recent
// changes.
func (s *snapshot) segments() [2]*segment { return [2]*segment{s.base, s.recent} }

// addRow classifies a row of seg found by a query. Base rows whose id was
// removed or replaced since the base was built do not count.
func (s *snapshot) addRow(acc *accumulator, seg *segment, row uint32, kind HashKind, dist, t int, o Options) {
	id := seg.ids[row]
	if seg == s.base {
		if _, gone := s.deleted[id]; gone {
			return
		}
	}
	b, ok := s.banks[seg.bankIDs[seg.bankIdx[row]]]
	if !ok || b.Disabled {
		return
	}
	m := Match{EntryID: id, BankID: b.ID, Kind: kind, Distance: dist, Transform: t}
	switch {
	case b.Negative && dist <= o.NegativeRadius:
		acc.neg = append(acc.neg, m)
	case !b.Negative && dist <= o.Radius:
		acc.pos = append(acc.pos, m)
	}
}

// accumulator gathers the matches of the query hashes one at a time: each
// query hash's positive matches are kept, or suppressed if that same hash
// matched a negative bank.
type accumulator struct {
	pos, neg                   []Match // of the current query hash
	matches, suppressed, negat []Match
}

func (a *accumulator) begin() { a.pos, a.neg = a.pos[:0], a.neg[:0] }

func (a *accumulator) end() {
	if len(a.neg) > 0 {
		a.suppressed = append(a.suppressed, a.pos...)
		a.negat = append(a.negat, a.neg...)
		return
	}
	a.matches = append(a.matches, a.pos...)
}

func (a *accumulator) result(gen uint64) Result {
	r := Result{Generation: gen, Matches: dedup(a.matches), Negative: dedup(a.negat)}
	// An entry matched through one query hash stays a match even if another
	// hash of the same image was suppressed.
	sup := dedup(a.suppressed)
	if len(sup) > 0 && len(r.Matches) > 0 {
		in := make(map[int64]bool, len(r.Matches))
		for _, m := range r.Matches {
			in[m.EntryID] = true
		}
		sup = slices.DeleteFunc(sup, func(m Match) bool { return in[m.EntryID] })
	}
	if len(sup) > 0 {
		r.Suppressed = sup
	}
	return r
}

// dedup keeps one match per entry — the nearest, then the lowest transform,
// then the first kind — sorted by distance and entry id.
func dedup(ms []Match) []Match {
	if len(ms) == 0 {
		return nil
	}
	slices.SortFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.EntryID, b.EntryID), cmp.Compare(a.Distance, b.Distance),
			cmp.Compare(a.Transform, b.Transform), cmp.Compare(a.Kind, b.Kind))
	})
	ms = slices.CompactFunc(ms, func(a, b Match) bool { return a.EntryID == b.EntryID })
	slices.SortFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.EntryID, b.EntryID))
	})
	return slices.Clone(ms)
}
