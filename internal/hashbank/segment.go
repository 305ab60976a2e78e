package hashbank

import (
	"bytes"
	"slices"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank/mih"
)

// segment is an immutable, indexed set of entries. Rows 0…npdq-1 are the
// entries with a PDQ hash, in the order of the PDQ index; the rest follow.
type segment struct {
	ids     []int64
	bankIdx []uint16 // into bankIDs
	bankIDs []int64
	pdq     *mih.Index
	md5     []md5Row    // sorted by hash
	sha256  []sha256Row // sorted by hash
}

type md5Row struct {
	h   MD5
	row uint32
}

type sha256Row struct {
	h   SHA256
	row uint32
}

// buildSegment indexes entries. plan chooses the PDQ index's shape for a
// number of hashes.
func buildSegment(entries []Entry, plan func(n int) mih.Params) (*segment, error) {
	if len(entries) >= 1<<32-1 {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "bank_too_large", "A hash index holds fewer than 4 billion entries.")
	}
	s := &segment{}
	bankPos := map[int64]uint16{}
	npdq := 0
	for i := range entries {
		if entries[i].Kinds.Has(KindPDQ) {
			npdq++
		}
	}
	pdqs := make([]mih.Hash, 0, npdq)
	pdqEntries := make([]int, 0, npdq)
	var rest []int
	for i := range entries {
		if entries[i].Kinds.Has(KindPDQ) {
			pdqs = append(pdqs, mih.FromBytes(entries[i].PDQ))
			pdqEntries = append(pdqEntries, i)
		} else {
			rest = append(rest, i)
		}
	}
	x, order, err := mih.Build(pdqs, plan(len(pdqs)))
	if err != nil {
		return nil, err
	}
	s.pdq = x
	n := len(entries)
	s.ids = make([]int64, 0, n)
	s.bankIdx = make([]uint16, 0, n)
	lastBank, lastIdx := int64(0), -1 // entries usually come bank by bank
	add := func(e *Entry) error {
		bi, ok := uint16(lastIdx), lastIdx >= 0 && e.BankID == lastBank
		if !ok {
			bi, ok = bankPos[e.BankID]
		}
		if !ok {
			if len(s.bankIDs) > 0xffff {
				return safeguard.Errorf(safeguard.ErrTooLarge, "too_many_banks", "A hash index holds at most 65536 banks.")
			}
			bi = uint16(len(s.bankIDs))
			bankPos[e.BankID] = bi
			s.bankIDs = append(s.bankIDs, e.BankID)
		}
		lastBank, lastIdx = e.BankID, int(bi)
		row := uint32(len(s.ids))
		s.ids = append(s.ids, e.ID)
		s.bankIdx = append(s.bankIdx, bi)
		if e.Kinds.Has(KindMD5) {
			s.md5 = append(s.md5, md5Row{e.MD5, row})
		}
		if e.Kinds.Has(KindSHA256) {
			s.sha256 = append(s.sha256, sha256Row{e.SHA256, row})
		}
		return nil
	}
	for _, o := range order {
		if err := add(&entries[pdqEntries[o]]); err != nil {
			return nil, err
		}
	}
	for _, i := range rest {
		if err := add(&entries[i]); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(s.md5, func(a, b md5Row) int { return bytes.Compare(a.h[:], b.h[:]) })
	slices.SortFunc(s.sha256, func(a, b sha256Row) int { return bytes.Compare(a.h[:], b.h[:]) })
	s.md5 = slices.Clip(s.md5)
	s.sha256 = slices.Clip(s.sha256)
	return s, nil
}

func (s *segment) len() int { return len(s.ids) }

// entries returns the entries of s, for rebuilding.
func (s *segment) entries() []Entry {
	out := make([]Entry, len(s.ids))
	for i := range out {
		out[i].ID = s.ids[i]
		out[i].BankID = s.bankIDs[s.bankIdx[i]]
	}
	for i := range s.pdq.Len() {
		out[i].Kinds |= KindPDQ
		out[i].PDQ = s.pdq.Hash(uint32(i)).Bytes()
	}
	for _, r := range s.md5 {
		out[r.row].Kinds |= KindMD5
		out[r.row].MD5 = r.h
	}
	for _, r := range s.sha256 {
		out[r.row].Kinds |= KindSHA256
		out[r.row].SHA256 = r.h
	}
	return out
}

// findMD5 calls fn with the row of every entry whose MD5 is h.
func (s *segment) findMD5(h MD5, fn func(row uint32)) {
	i, _ := slices.BinarySearchFunc(s.md5, h, func(r md5Row, h MD5) int { return bytes.Compare(r.h[:], h[:]) })
	for ; i < len(s.md5) && s.md5[i].h == h; i++ {
		fn(s.md5[i].row)
	}
}

// findSHA256 calls fn with the row of every entry whose SHA-256 is h.
func (s *segment) findSHA256(h SHA256, fn func(row uint32)) {
	i, _ := slices.BinarySearchFunc(s.sha256, h, func(r sha256Row, h SHA256) int { return bytes.Compare(r.h[:], h[:]) })
	for ; i < len(s.sha256) && s.sha256[i].h == h; i++ {
		fn(s.sha256[i].row)
	}
}

// bytes is the memory s holds, counted from its arrays.
func (s *segment) bytes() int64 {
	return s.pdq.Bytes() + int64(len(s.ids))*8 + int64(len(s.bankIdx))*2 +
		int64(len(s.bankIDs))*8 + int64(len(s.md5))*20 + int64(len(s.sha256))*36
}
