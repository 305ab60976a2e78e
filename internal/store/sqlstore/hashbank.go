package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

const hashBankColumns = `id, name, source, description, version, negative, enabled, entries, created_at, updated_at, imported_at`

func scanHashBank(s scanner) (*safeguard.HashBank, error) {
	var (
		b                 safeguard.HashBank
		created, upd, imp int64
	)
	if err := s.Scan(&b.ID, &b.Name, &b.Source, &b.Description, &b.Version, &b.Negative, &b.Enabled, &b.Entries,
		&created, &upd, &imp); err != nil {
		return nil, err
	}
	b.CreatedAt, b.UpdatedAt, b.ImportedAt = fromMicro(created), fromMicro(upd), fromMicro(imp)
	return &b, nil
}

// CreateHashBank implements store.BankTx.
func (t *Tx) CreateHashBank(ctx context.Context, b *safeguard.HashBank) error {
	what := fmt.Sprintf("create hash bank %q", b.Name)
	id, err := t.insertID(ctx, `INSERT INTO hash_banks (name, source, description, version, negative, enabled, entries,
		created_at, updated_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		b.Name, b.Source, b.Description, b.Version, b.Negative, b.Enabled, micro(b.CreatedAt), micro(b.UpdatedAt), micro(b.ImportedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(what)
	}
	if err != nil {
		return t.d.Err(err, what)
	}
	b.ID, b.Entries = id, 0
	return nil
}

// HashBank implements store.BankTx.
func (t *Tx) HashBank(ctx context.Context, id int64) (*safeguard.HashBank, error) {
	b, err := scanHashBank(t.queryRow(ctx, `SELECT `+hashBankColumns+` FROM hash_banks WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("hash bank %d", id))
	}
	return b, nil
}

// HashBankByName implements store.BankTx.
func (t *Tx) HashBankByName(ctx context.Context, name string) (*safeguard.HashBank, error) {
	b, err := scanHashBank(t.queryRow(ctx, `SELECT `+hashBankColumns+` FROM hash_banks WHERE name = ?`, name))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("hash bank %q", name))
	}
	return b, nil
}

// HashBanks implements store.BankTx.
func (t *Tx) HashBanks(ctx context.Context) ([]*safeguard.HashBank, error) {
	rows, err := t.query(ctx, `SELECT `+hashBankColumns+` FROM hash_banks ORDER BY name`)
	return collect(rows, err, t.d, "hash banks", scanHashBank)
}

// UpdateHashBank implements store.BankTx.
func (t *Tx) UpdateHashBank(ctx context.Context, b *safeguard.HashBank) error {
	res, err := t.exec(ctx, `UPDATE hash_banks SET source = ?, description = ?, version = ?, negative = ?, enabled = ?,
		updated_at = ?, imported_at = ? WHERE id = ?`,
		b.Source, b.Description, b.Version, b.Negative, b.Enabled, micro(b.UpdatedAt), micro(b.ImportedAt), b.ID)
	return t.affected(res, err, fmt.Sprintf("update hash bank %d", b.ID))
}

// DeleteHashBank implements store.BankTx.
func (t *Tx) DeleteHashBank(ctx context.Context, id int64) error {
	what := fmt.Sprintf("delete hash bank %d", id)
	var one int
	err := t.queryRow(ctx, `SELECT 1 FROM hash_bank_imports WHERE bank_id = ? LIMIT 1`, id).Scan(&one)
	if err == nil {
		return fmt.Errorf("%s: %w", what, safeguard.Invalid("bank_not_empty", "That bank has imports: disable it instead."))
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t.d.Err(err, what)
	}
	res, err := t.exec(ctx, `DELETE FROM hash_banks WHERE id = ?`, id)
	return t.affected(res, err, what)
}

// BankGeneration implements store.BankTx.
func (t *Tx) BankGeneration(ctx context.Context) (uint64, error) {
	var g int64
	if err := t.queryRow(ctx, `SELECT generation FROM hash_bank_state WHERE id = 1`).Scan(&g); err != nil {
		return 0, t.d.Err(err, "bank generation")
	}
	return uint64(g), nil
}

// BumpBankGeneration implements store.BankTx. The UPDATE takes the state
// row's lock until commit, so on PostgreSQL concurrent changes get their
// generations in the order they commit.
func (t *Tx) BumpBankGeneration(ctx context.Context) (uint64, error) {
	var g int64
	if err := t.queryRow(ctx, `UPDATE hash_bank_state SET generation = generation + 1 WHERE id = 1 RETURNING generation`).Scan(&g); err != nil {
		return 0, t.d.Err(err, "bump bank generation")
	}
	return uint64(g), nil
}

const bankImportColumns = `id, bank_id, generation, replaced, format, sha256, entries, imported_by, at`

func scanBankImport(s scanner) (*safeguard.BankImport, error) {
	var (
		im            safeguard.BankImport
		gen, replaced int64
		at            int64
	)
	if err := s.Scan(&im.ID, &im.BankID, &gen, &replaced, &im.Format, &im.SHA256, &im.Entries, &im.By, &at); err != nil {
		return nil, err
	}
	im.Generation, im.Replaced, im.At = uint64(gen), uint64(replaced), fromMicro(at)
	return &im, nil
}

func (t *Tx) bankImport(ctx context.Context, id int64) (*safeguard.BankImport, error) {
	im, err := scanBankImport(t.queryRow(ctx, `SELECT `+bankImportColumns+` FROM hash_bank_imports WHERE id = ?`, id))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("bank import %d", id))
	}
	return im, nil
}

// CreateBankImport implements store.BankTx.
func (t *Tx) CreateBankImport(ctx context.Context, im *safeguard.BankImport) error {
	id, err := t.insertID(ctx, `INSERT INTO hash_bank_imports (bank_id, generation, replaced, format, sha256, entries, imported_by, at)
		VALUES (?, 0, 0, ?, ?, 0, ?, ?) RETURNING id`, im.BankID, im.Format, im.SHA256, im.By, micro(im.At))
	if err != nil {
		return t.d.Err(err, "create bank import")
	}
	im.ID, im.Generation, im.Replaced, im.Entries = id, 0, 0, 0
	return nil
}

// entryBatch is the most entries one INSERT carries (8 values each). Longer
// lists go in batches of entryBatch, then of falling powers of two, so that
// only a few distinct statements exist.
const entryBatch = 512

// AddBankEntries implements store.BankTx.
func (t *Tx) AddBankEntries(ctx context.Context, importID int64, entries []safeguard.BankEntry) error {
	what := fmt.Sprintf("add entries to bank import %d", importID)
	var bankID, gen int64
	if err := t.queryRow(ctx, `SELECT bank_id, generation FROM hash_bank_imports WHERE id = ?`, importID).Scan(&bankID, &gen); err != nil {
		return t.d.Err(err, what)
	}
	if gen != 0 {
		return fmt.Errorf("%s: %w", what, safeguard.Invalid("import_committed", "That import is already committed."))
	}
	for i := range entries {
		if err := checkEntry(&entries[i]); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	for rest := entries; len(rest) > 0; {
		size := entryBatch
		for size > len(rest) {
			size /= 2
		}
		batch := rest[:size]
		rest = rest[size:]
		args := make([]any, 0, 8*size)
		for _, e := range batch {
			args = append(args, importID, bankID, e.ExternalID, blob(e.PDQ), blob(e.MD5), blob(e.SHA256), e.Quality, micro(e.AddedAt))
		}
		if _, err := t.exec(ctx, `INSERT INTO hash_bank_entries (import_id, bank_id, external_id, pdq, md5, sha256, quality, added_at) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?),", size), ","), args...); err != nil {
			return t.d.Err(err, what)
		}
	}
	if _, err := t.exec(ctx, `UPDATE hash_bank_imports SET entries = entries + ? WHERE id = ?`, len(entries), importID); err != nil {
		return t.d.Err(err, what)
	}
	return nil
}

// checkEntry refuses an entry the index could not use.
func checkEntry(e *safeguard.BankEntry) error {
	if len(e.PDQ) == 0 && len(e.MD5) == 0 && len(e.SHA256) == 0 {
		return safeguard.Invalid("invalid_bank_entry", "A bank entry needs at least one hash.")
	}
	for _, h := range []struct {
		name string
		b    []byte
		n    int
	}{{"PDQ", e.PDQ, 32}, {"MD5", e.MD5, 16}, {"SHA-256", e.SHA256, 32}} {
		if len(h.b) != 0 && len(h.b) != h.n {
			return safeguard.Invalid("invalid_bank_entry", "A %s hash is %d bytes, not %d.", h.name, h.n, len(h.b))
		}
	}
	if e.Quality < -1 || e.Quality > 100 {
		return safeguard.Invalid("invalid_bank_entry", "PDQ quality is 0 to 100 (or -1 if unknown), not %d.", e.Quality)
	}
	return nil
}

// CommitBankImport implements store.BankTx.
func (t *Tx) CommitBankImport(ctx context.Context, importID int64, gen uint64, replace bool, at time.Time) (*safeguard.BankImport, error) {
	what := fmt.Sprintf("commit bank import %d", importID)
	im, err := t.bankImport(ctx, importID)
	if err != nil {
		return nil, err
	}
	if im.Generation != 0 {
		return nil, notFound(what + " (already committed)")
	}
	if replace {
		if _, err := t.exec(ctx, `UPDATE hash_bank_imports SET replaced = ? WHERE bank_id = ? AND generation > 0 AND replaced = 0 AND id <> ?`,
			int64(gen), im.BankID, importID); err != nil {
			return nil, t.d.Err(err, what)
		}
	}
	if _, err := t.exec(ctx, `UPDATE hash_bank_imports SET generation = ? WHERE id = ?`, int64(gen), importID); err != nil {
		return nil, t.d.Err(err, what)
	}
	if err := t.countBank(ctx, im.BankID, what); err != nil {
		return nil, err
	}
	if _, err := t.exec(ctx, `UPDATE hash_banks SET imported_at = ?, updated_at = ? WHERE id = ?`, micro(at), micro(at), im.BankID); err != nil {
		return nil, t.d.Err(err, what)
	}
	im.Generation = gen
	return im, nil
}

// countBank sets a bank's entry count from its live imports.
func (t *Tx) countBank(ctx context.Context, bankID int64, what string) error {
	_, err := t.exec(ctx, `UPDATE hash_banks SET entries = (SELECT COALESCE(SUM(entries), 0) FROM hash_bank_imports
		WHERE bank_id = ? AND generation > 0 AND replaced = 0) WHERE id = ?`, bankID, bankID)
	return t.d.Err(err, what)
}

// PurgeBankImport implements store.BankTx.
func (t *Tx) PurgeBankImport(ctx context.Context, importID int64, limit int) (bool, error) {
	what := fmt.Sprintf("purge bank import %d", importID)
	im, err := t.bankImport(ctx, importID)
	if err != nil {
		return false, err
	}
	if im.Generation != 0 && im.Replaced == 0 {
		return false, fmt.Errorf("%s: %w", what, safeguard.Invalid("import_live", "That import is live: remove its entries instead."))
	}
	if _, err := t.exec(ctx, `DELETE FROM hash_bank_entries WHERE id IN
		(SELECT id FROM hash_bank_entries WHERE import_id = ? ORDER BY id LIMIT ?)`, importID, max(limit, 1)); err != nil {
		return false, t.d.Err(err, what)
	}
	var one int
	err = t.queryRow(ctx, `SELECT 1 FROM hash_bank_entries WHERE import_id = ? LIMIT 1`, importID).Scan(&one)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, t.d.Err(err, what)
	}
	if im.Generation == 0 {
		if _, err := t.exec(ctx, `DELETE FROM hash_bank_imports WHERE id = ?`, importID); err != nil {
			return false, t.d.Err(err, what)
		}
	}
	return true, nil
}

// BankImports implements store.BankTx.
func (t *Tx) BankImports(ctx context.Context, bankID int64) ([]*safeguard.BankImport, error) {
	query := `SELECT ` + bankImportColumns + ` FROM hash_bank_imports`
	var args []any
	if bankID != 0 {
		query += ` WHERE bank_id = ?`
		args = append(args, bankID)
	}
	rows, err := t.query(ctx, query+` ORDER BY id`, args...)
	return collect(rows, err, t.d, "bank imports", scanBankImport)
}

// BankImportsSince implements store.BankTx.
func (t *Tx) BankImportsSince(ctx context.Context, after uint64) ([]*safeguard.BankImport, error) {
	rows, err := t.query(ctx, `SELECT `+bankImportColumns+` FROM hash_bank_imports WHERE generation > ? OR replaced > ? ORDER BY id`,
		int64(after), int64(after))
	return collect(rows, err, t.d, "bank imports", scanBankImport)
}

// liveImports returns the generation of each live import q selects.
func (t *Tx) liveImports(ctx context.Context, bankID int64, only []int64) ([]int64, map[int64]uint64, error) {
	query := `SELECT id, generation FROM hash_bank_imports WHERE generation > 0 AND replaced = 0`
	var args []any
	if bankID != 0 {
		query += ` AND bank_id = ?`
		args = append(args, bankID)
	}
	rows, err := t.query(ctx, query+` ORDER BY id`, args...)
	type live struct{ id, gen int64 }
	ls, err := collect(rows, err, t.d, "bank imports", func(s scanner) (live, error) {
		var l live
		return l, s.Scan(&l.id, &l.gen)
	})
	if err != nil {
		return nil, nil, err
	}
	var ids []int64
	gens := map[int64]uint64{}
	for _, l := range ls {
		if only == nil || slices.Contains(only, l.id) {
			ids = append(ids, l.id)
			gens[l.id] = uint64(l.gen)
		}
	}
	return ids, gens, nil
}

// EachBankEntry implements store.BankTx. The rows are read as
// sql.RawBytes, so that loading millions of entries allocates nothing per
// entry.
func (t *Tx) EachBankEntry(ctx context.Context, q store.BankEntryQuery, fn func(*safeguard.BankEntry) error) error {
	var only []int64
	if q.ImportIDs != nil {
		only = q.ImportIDs
		if len(only) == 0 {
			return nil
		}
	}
	ids, gens, err := t.liveImports(ctx, q.BankID, only)
	if err != nil {
		return err
	}
	cols := `id, bank_id, pdq, md5, sha256`
	if !q.HashesOnly {
		cols += `, external_id, quality, added_at`
	}
	for _, importID := range ids {
		if err := t.eachEntry(ctx, importID, gens[importID], cols, !q.HashesOnly, fn); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tx) eachEntry(ctx context.Context, importID int64, gen uint64, cols string, full bool, fn func(*safeguard.BankEntry) error) error {
	what := fmt.Sprintf("entries of bank import %d", importID)
	rows, err := t.query(ctx, `SELECT `+cols+` FROM hash_bank_entries WHERE import_id = ? ORDER BY id`, importID)
	if err != nil {
		return t.d.Err(err, what)
	}
	defer rows.Close()
	var (
		e               = safeguard.BankEntry{ImportID: importID, Generation: gen, Quality: -1}
		pdq, md5, sha   sql.RawBytes
		quality, added  int64
		dest            = []any{&e.ID, &e.BankID, &pdq, &md5, &sha}
		ext             sql.RawBytes
		fullDest        = append(dest[:len(dest):len(dest)], &ext, &quality, &added)
		scanInto        = dest
		fnErr, scanErrs error
	)
	if full {
		scanInto = fullDest
	}
	for rows.Next() {
		if err := rows.Scan(scanInto...); err != nil {
			scanErrs = t.d.Err(err, what)
			break
		}
		e.PDQ, e.MD5, e.SHA256 = bytesOut(pdq), bytesOut(md5), bytesOut(sha)
		if full {
			e.ExternalID, e.Quality, e.AddedAt = string(ext), int(quality), fromMicro(added)
		}
		if fnErr = fn(&e); fnErr != nil {
			break
		}
	}
	if scanErrs != nil {
		return scanErrs
	}
	if fnErr != nil {
		return fnErr
	}
	return t.d.Err(rows.Err(), what)
}

const bankEntryColumns = `e.id, e.bank_id, e.import_id, i.generation, e.external_id, e.pdq, e.md5, e.sha256, e.quality, e.added_at`

const liveEntries = ` FROM hash_bank_entries e JOIN hash_bank_imports i ON i.id = e.import_id
	WHERE i.generation > 0 AND i.replaced = 0`

func scanBankEntry(s scanner) (*safeguard.BankEntry, error) {
	var (
		e          safeguard.BankEntry
		gen, added int64
		pdq, m, sh []byte
	)
	if err := s.Scan(&e.ID, &e.BankID, &e.ImportID, &gen, &e.ExternalID, &pdq, &m, &sh, &e.Quality, &added); err != nil {
		return nil, err
	}
	e.Generation, e.AddedAt = uint64(gen), fromMicro(added)
	e.PDQ, e.MD5, e.SHA256 = bytesOut(pdq), bytesOut(m), bytesOut(sh)
	return &e, nil
}

// FindBankEntries implements store.BankTx. Lookups by hash read the bank's
// entries (there is no index on hashes: the match index is in memory).
func (t *Tx) FindBankEntries(ctx context.Context, f store.BankEntryFind) ([]*safeguard.BankEntry, error) {
	found := map[int64]*safeguard.BankEntry{}
	add := func(query string, args ...any) error {
		rows, err := t.query(ctx, `SELECT `+bankEntryColumns+liveEntries+` AND e.bank_id = ? AND `+query, append([]any{f.BankID}, args...)...)
		es, err := collect(rows, err, t.d, "bank entries", scanBankEntry)
		for _, e := range es {
			found[e.ID] = e
		}
		return err
	}
	for _, chunk := range chunks(f.IDs) {
		in, args := inList(chunk)
		if err := add(`e.id IN (`+in+`)`, args...); err != nil {
			return nil, err
		}
	}
	for _, id := range f.ExternalIDs {
		if err := add(`e.external_id = ?`, id); err != nil {
			return nil, err
		}
	}
	for _, h := range f.PDQ {
		if err := add(`e.pdq = ?`, h); err != nil {
			return nil, err
		}
	}
	for _, h := range f.MD5 {
		if err := add(`e.md5 = ?`, h); err != nil {
			return nil, err
		}
	}
	for _, h := range f.SHA256 {
		if err := add(`e.sha256 = ?`, h); err != nil {
			return nil, err
		}
	}
	out := make([]*safeguard.BankEntry, 0, len(found))
	for _, e := range found {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *safeguard.BankEntry) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// BankEntriesByID implements store.BankTx.
func (t *Tx) BankEntriesByID(ctx context.Context, ids []int64) (map[int64]*safeguard.BankEntry, error) {
	out := map[int64]*safeguard.BankEntry{}
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT `+bankEntryColumns+liveEntries+` AND e.id IN (`+in+`)`, args...)
		es, err := collect(rows, err, t.d, "bank entries", scanBankEntry)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out[e.ID] = e
		}
	}
	return out, nil
}

// RemoveBankEntries implements store.BankTx.
func (t *Tx) RemoveBankEntries(ctx context.Context, bankID int64, ids []int64, gen uint64) (int, error) {
	what := fmt.Sprintf("remove entries of hash bank %d", bankID)
	removed := 0
	for _, chunk := range chunks(ids) {
		in, args := inList(chunk)
		rows, err := t.query(ctx, `SELECT e.id, e.import_id`+liveEntries+` AND e.bank_id = ? AND e.id IN (`+in+`)`, append([]any{bankID}, args...)...)
		live, err := collect(rows, err, t.d, what, func(s scanner) ([2]int64, error) {
			var p [2]int64
			return p, s.Scan(&p[0], &p[1])
		})
		if err != nil {
			return removed, err
		}
		for _, p := range live {
			if _, err := t.exec(ctx, `DELETE FROM hash_bank_entries WHERE id = ?`, p[0]); err != nil {
				return removed, t.d.Err(err, what)
			}
			if _, err := t.exec(ctx, `INSERT INTO hash_bank_removals (generation, entry_id, bank_id) VALUES (?, ?, ?)`,
				int64(gen), p[0], bankID); err != nil {
				return removed, t.d.Err(err, what)
			}
			if _, err := t.exec(ctx, `UPDATE hash_bank_imports SET entries = entries - 1 WHERE id = ?`, p[1]); err != nil {
				return removed, t.d.Err(err, what)
			}
			removed++
		}
	}
	if removed > 0 {
		if err := t.countBank(ctx, bankID, what); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// BankRemovals implements store.BankTx.
func (t *Tx) BankRemovals(ctx context.Context, after uint64) ([]int64, error) {
	rows, err := t.query(ctx, `SELECT entry_id FROM hash_bank_removals WHERE generation > ? ORDER BY generation, entry_id`, int64(after))
	return collect(rows, err, t.d, "bank removals", func(s scanner) (int64, error) {
		var id int64
		return id, s.Scan(&id)
	})
}

const mediaHashColumns = `media_id, message_id, conversation_id, sender_id, md5, sha256, pdq, dihedral, quality, generation, at`

func scanMediaHashes(s scanner) (*safeguard.MediaHashes, error) {
	var (
		h                       safeguard.MediaHashes
		md5, sha, pdq, dihedral []byte
		gen, at                 int64
	)
	if err := s.Scan(&h.MediaID, &h.MessageID, &h.ConversationID, &h.SenderID, &md5, &sha, &pdq, &dihedral, &h.Quality, &gen, &at); err != nil {
		return nil, err
	}
	h.MD5, h.SHA256, h.PDQ, h.Dihedral = bytesOut(md5), bytesOut(sha), bytesOut(pdq), bytesOut(dihedral)
	h.Generation, h.At = uint64(gen), fromMicro(at)
	return &h, nil
}

// CreateMediaHashes implements store.BankTx.
func (t *Tx) CreateMediaHashes(ctx context.Context, h *safeguard.MediaHashes) error {
	what := fmt.Sprintf("media hashes of media %d", h.MediaID)
	res, err := t.exec(ctx, `INSERT INTO media_hashes (`+mediaHashColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		h.MediaID, h.MessageID, h.ConversationID, h.SenderID, required(h.MD5), required(h.SHA256), blob(h.PDQ), blob(h.Dihedral),
		h.Quality, int64(h.Generation), micro(h.At))
	if err != nil {
		return t.d.Err(err, what)
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.d.Err(err, what)
	} else if n == 0 {
		return conflict(what)
	}
	return nil
}

// StaleMediaHashes implements store.BankTx.
func (t *Tx) StaleMediaHashes(ctx context.Context, since time.Time, gen uint64, afterMediaID int64, n int) ([]*safeguard.MediaHashes, error) {
	rows, err := t.query(ctx, `SELECT `+mediaHashColumns+` FROM media_hashes WHERE generation < ? AND at >= ? AND media_id > ?
		ORDER BY media_id LIMIT ?`, int64(gen), micro(since), afterMediaID, limit(n))
	return collect(rows, err, t.d, "media hashes", scanMediaHashes)
}

// AdvanceMediaHashes implements store.BankTx.
func (t *Tx) AdvanceMediaHashes(ctx context.Context, mediaIDs []int64, from, to uint64) (int, error) {
	n := 0
	for _, chunk := range chunks(mediaIDs) {
		in, args := inList(chunk)
		res, err := t.exec(ctx, `UPDATE media_hashes SET generation = ? WHERE generation = ? AND media_id IN (`+in+`)`,
			append([]any{int64(to), int64(from)}, args...)...)
		if err != nil {
			return n, t.d.Err(err, "advance media hashes")
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, t.d.Err(err, "advance media hashes")
		}
		n += int(k)
	}
	return n, nil
}

// PurgeMediaHashes implements store.BankTx.
func (t *Tx) PurgeMediaHashes(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM media_hashes WHERE at < ?`, micro(before))
	if err != nil {
		return 0, t.d.Err(err, "purge media hashes")
	}
	k, err := res.RowsAffected()
	return int(k), t.d.Err(err, "purge media hashes")
}
