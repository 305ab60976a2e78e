package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

const evidenceColumns = `seq, at, case_id, kind, item_kind, ref, content_type, class, digest, size, storage_key,
	target, reason, signature, prev_hash, hash`

// evidenceRows is how many entries one INSERT of AppendEvidence writes at
// most (16 parameters each).
const evidenceRows = 128

// AppendEvidence implements store.EvidenceTx. The first entry's Seq must
// follow the head (1 for an empty log) and each next one the one before;
// anything else is ErrConflict, and so is a Seq another writer took first.
// Each tombstone is also keyed by its target in evidence_tombstones, so a
// second tombstone of one item is ErrConflict: on PostgreSQL a transaction
// storing one waits for another storing the same to end, and fails if it
// committed.
func (t *Tx) AppendEvidence(ctx context.Context, es ...*safeguard.EvidenceEntry) error {
	if len(es) == 0 {
		return nil
	}
	var head int64
	if err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM evidence_log`).Scan(&head); err != nil {
		return t.d.Err(err, "evidence head")
	}
	for i, e := range es {
		if e.Seq != head+1+int64(i) {
			return conflict(fmt.Sprintf("evidence entry %d after head %d", e.Seq, head+int64(i)))
		}
	}
	for _, e := range es {
		if e.Kind != safeguard.EvidenceTombstone {
			continue
		}
		if _, err := t.exec(ctx, `INSERT INTO evidence_tombstones (target, seq) VALUES (?, ?)`, e.Target, e.Seq); err != nil {
			if t.d.Classify(err) == Unique {
				return conflict(fmt.Sprintf("evidence entry %d: a second tombstone of entry %d", e.Seq, e.Target))
			}
			return t.d.Err(err, fmt.Sprintf("evidence entry %d", e.Seq))
		}
	}
	for len(es) > 0 {
		n := min(len(es), evidenceRows)
		if err := t.insertEvidence(ctx, es[:n]); err != nil {
			return err
		}
		es = es[n:]
	}
	return nil
}

// insertEvidence writes es in one statement.
func (t *Tx) insertEvidence(ctx context.Context, es []*safeguard.EvidenceEntry) error {
	row := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	args := make([]any, 0, 16*len(es))
	for _, e := range es {
		args = append(args, e.Seq, micro(e.At), e.CaseID, string(e.Kind), e.ItemKind, e.Ref, e.ContentType, string(e.Class),
			blob(e.Digest), e.Size, e.StorageKey, e.Target, e.Reason, blob(e.Signature), blob(e.PrevHash), blob(e.Hash))
	}
	rows, err := t.query(ctx, `INSERT INTO evidence_log (`+evidenceColumns+`) VALUES `+
		strings.TrimSuffix(strings.Repeat(row+", ", len(es)), ", ")+` ON CONFLICT (seq) DO NOTHING RETURNING seq`, args...)
	seqs, err := collect(rows, err, t.d, "append evidence", func(s scanner) (seq int64, err error) { return seq, s.Scan(&seq) })
	if err != nil {
		return err
	}
	if len(seqs) != len(es) {
		return conflict(fmt.Sprintf("evidence entries %d to %d", es[0].Seq, es[len(es)-1].Seq))
	}
	return nil
}

// EvidenceHead implements store.EvidenceTx.
func (t *Tx) EvidenceHead(ctx context.Context) (*safeguard.EvidenceEntry, error) {
	if t.d.ChainLock != "" {
		if _, err := t.exec(ctx, t.d.ChainLock); err != nil {
			return nil, t.d.Err(err, "lock evidence log")
		}
	}
	e, err := scanEvidence(t.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_log ORDER BY seq DESC LIMIT 1`))
	if err != nil {
		return nil, t.d.Err(err, "evidence head")
	}
	return &e, nil
}

// EvidenceEntry implements store.EvidenceTx.
func (t *Tx) EvidenceEntry(ctx context.Context, seq int64) (*safeguard.EvidenceEntry, error) {
	e, err := scanEvidence(t.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_log WHERE seq = ?`, seq))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("evidence entry %d", seq))
	}
	return &e, nil
}

// EvidenceTombstone implements store.EvidenceTx.
func (t *Tx) EvidenceTombstone(ctx context.Context, target int64) (*safeguard.EvidenceEntry, error) {
	e, err := scanEvidence(t.queryRow(ctx, `SELECT `+evidenceColumns+` FROM evidence_log
		WHERE seq = (SELECT seq FROM evidence_tombstones WHERE target = ?)`, target))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("tombstone of evidence entry %d", target))
	}
	return &e, nil
}

// EvidenceEntries implements store.EvidenceTx.
func (t *Tx) EvidenceEntries(ctx context.Context, after int64, n int) ([]safeguard.EvidenceEntry, error) {
	rows, err := t.query(ctx, `SELECT `+evidenceColumns+` FROM evidence_log WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit(n))
	return collect(rows, err, t.d, "evidence entries", scanEvidence)
}

// CaseEvidence implements store.EvidenceTx.
func (t *Tx) CaseEvidence(ctx context.Context, caseID int64) ([]safeguard.EvidenceEntry, error) {
	rows, err := t.query(ctx, `SELECT `+evidenceColumns+` FROM evidence_log WHERE case_id = ? ORDER BY seq`, caseID)
	return collect(rows, err, t.d, "case evidence", scanEvidence)
}

func scanEvidence(s scanner) (safeguard.EvidenceEntry, error) {
	var (
		e           safeguard.EvidenceEntry
		at          int64
		kind, class string
	)
	err := s.Scan(&e.Seq, &at, &e.CaseID, &kind, &e.ItemKind, &e.Ref, &e.ContentType, &class, &e.Digest, &e.Size,
		&e.StorageKey, &e.Target, &e.Reason, &e.Signature, &e.PrevHash, &e.Hash)
	e.At, e.Kind, e.Class = fromMicro(at), safeguard.EvidenceKind(kind), safeguard.RetentionClass(class)
	e.Digest, e.Signature, e.PrevHash, e.Hash = bytesOut(e.Digest), bytesOut(e.Signature), bytesOut(e.PrevHash), bytesOut(e.Hash)
	return e, err
}

// AddEvidenceCheckpoint implements store.EvidenceTx and sets c.ID.
func (t *Tx) AddEvidenceCheckpoint(ctx context.Context, c *safeguard.EvidenceCheckpoint) error {
	id, err := t.insertID(ctx, `INSERT INTO evidence_checkpoints (at, count, head, public_key, signature)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, micro(c.At), c.Count, blob(c.Head), blob(c.PublicKey), blob(c.Signature))
	if err != nil {
		return t.d.Err(err, "add evidence checkpoint")
	}
	c.ID = id
	return nil
}

// EvidenceCheckpoints implements store.EvidenceTx.
func (t *Tx) EvidenceCheckpoints(ctx context.Context, after int64, n int) ([]safeguard.EvidenceCheckpoint, error) {
	rows, err := t.query(ctx, `SELECT id, at, count, head, public_key, signature FROM evidence_checkpoints
		WHERE id > ? ORDER BY id LIMIT ?`, after, limit(n))
	return collect(rows, err, t.d, "evidence checkpoints", func(s scanner) (safeguard.EvidenceCheckpoint, error) {
		var (
			c  safeguard.EvidenceCheckpoint
			at int64
		)
		err := s.Scan(&c.ID, &at, &c.Count, &c.Head, &c.PublicKey, &c.Signature)
		c.At, c.Head, c.PublicKey, c.Signature = fromMicro(at), bytesOut(c.Head), bytesOut(c.PublicKey), bytesOut(c.Signature)
		return c, err
	})
}

// RecordEvidenceRead implements store.EvidenceTx and sets r.ID.
func (t *Tx) RecordEvidenceRead(ctx context.Context, r *safeguard.EvidenceRead) error {
	id, err := t.insertID(ctx, `INSERT INTO evidence_reads (seq, case_id, at, who, why, covers) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Seq, r.CaseID, micro(r.At), r.Who, r.Why, joinSeqs(r.Covers))
	if err != nil {
		return t.d.Err(err, "record evidence read")
	}
	r.ID = id
	return nil
}

// EvidenceReads implements store.EvidenceTx.
func (t *Tx) EvidenceReads(ctx context.Context, caseID int64) ([]safeguard.EvidenceRead, error) {
	rows, err := t.query(ctx, `SELECT id, seq, case_id, at, who, why, covers FROM evidence_reads WHERE case_id = ? ORDER BY id`, caseID)
	return collect(rows, err, t.d, "evidence reads", func(s scanner) (safeguard.EvidenceRead, error) {
		var (
			r      safeguard.EvidenceRead
			at     int64
			covers string
		)
		if err := s.Scan(&r.ID, &r.Seq, &r.CaseID, &at, &r.Who, &r.Why, &covers); err != nil {
			return r, err
		}
		r.At = fromMicro(at)
		var err error
		r.Covers, err = splitSeqs(covers)
		return r, err
	})
}

// joinSeqs writes the entries a read covers as the column keeps them:
// comma-separated, empty for none.
func joinSeqs(seqs []int64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ",")
}

// splitSeqs reads the column joinSeqs writes.
func splitSeqs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("evidence read covers %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}
