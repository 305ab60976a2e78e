package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
)

const urlListColumns = `id, name, source, description, sha256, entries, imported_at, imported_by`

// urlBatch is the most entries one INSERT carries. A list is inserted in
// batches of urlBatch and then of falling powers of two, so that only a few
// distinct statements exist.
const urlBatch = 256

// CreateURLList implements store.URLListTx.
func (t *Tx) CreateURLList(ctx context.Context, l *safeguard.URLList, entries []safeguard.URLEntry) error {
	what := fmt.Sprintf("create URL list %q", l.Name)
	id, err := t.insertID(ctx, `INSERT INTO url_lists (name, source, description, sha256, entries, imported_at, imported_by)
		VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		l.Name, l.Source, l.Description, l.SHA256, micro(l.ImportedAt), l.ImportedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return conflict(what)
	}
	if err != nil {
		return t.d.Err(err, what)
	}
	n := 0
	for rest := entries; len(rest) > 0; {
		size := urlBatch
		for size > len(rest) {
			size /= 2
		}
		batch := rest[:size]
		rest = rest[size:]
		query := `INSERT INTO url_entries (list_id, kind, url_key, line) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", size), ",") + ` ON CONFLICT DO NOTHING`
		args := make([]any, 0, 4*size)
		for _, e := range batch {
			if !e.Kind.Valid() {
				return safeguard.Invalid("invalid_url_entry", "URL list entry at line %d: unknown kind %q.", e.Line, e.Kind)
			}
			args = append(args, id, string(e.Kind), e.Key, e.Line)
		}
		res, err := t.exec(ctx, query, args...)
		if err != nil {
			return t.d.Err(err, what)
		}
		added, err := res.RowsAffected()
		if err != nil {
			return t.d.Err(err, what)
		}
		n += int(added)
	}
	if _, err := t.exec(ctx, `UPDATE url_lists SET entries = ? WHERE id = ?`, n, id); err != nil {
		return t.d.Err(err, what)
	}
	l.ID, l.Entries = id, n
	return nil
}

// URLLists implements store.URLListTx.
func (t *Tx) URLLists(ctx context.Context) ([]*safeguard.URLList, error) {
	rows, err := t.query(ctx, `SELECT `+urlListColumns+` FROM url_lists ORDER BY name`)
	return collect(rows, err, t.d, "URL lists", scanURLList)
}

// URLListByName implements store.URLListTx.
func (t *Tx) URLListByName(ctx context.Context, name string) (*safeguard.URLList, error) {
	l, err := scanURLList(t.queryRow(ctx, `SELECT `+urlListColumns+` FROM url_lists WHERE name = ?`, name))
	if err != nil {
		return nil, t.d.Err(err, fmt.Sprintf("URL list %q", name))
	}
	return l, nil
}

// DeleteURLList implements store.URLListTx.
func (t *Tx) DeleteURLList(ctx context.Context, id int64) error {
	what := fmt.Sprintf("delete URL list %d", id)
	if _, err := t.exec(ctx, `DELETE FROM url_entries WHERE list_id = ?`, id); err != nil {
		return t.d.Err(err, what)
	}
	res, err := t.exec(ctx, `DELETE FROM url_lists WHERE id = ?`, id)
	return t.affected(res, err, what)
}

// URLEntries implements store.URLListTx.
func (t *Tx) URLEntries(ctx context.Context, listID int64) ([]safeguard.URLEntry, error) {
	rows, err := t.query(ctx, `SELECT list_id, kind, url_key, line FROM url_entries WHERE list_id = ? ORDER BY url_key, kind`, listID)
	return collect(rows, err, t.d, "URL entries", scanURLEntry)
}

func scanURLEntry(s scanner) (safeguard.URLEntry, error) {
	var (
		e    safeguard.URLEntry
		kind string
	)
	err := s.Scan(&e.ListID, &kind, &e.Key, &e.Line)
	e.Kind = safeguard.URLEntryKind(kind)
	return e, err
}

// URLEntriesByKey implements store.URLListTx. Keys are looked up in padded
// IN lists, as IDs are.
func (t *Tx) URLEntriesByKey(ctx context.Context, keys []string) ([]safeguard.URLEntry, error) {
	var out []safeguard.URLEntry
	seen := map[string]bool{}
	var uniq []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	for len(uniq) > 0 {
		chunk := uniq[:min(len(uniq), maxInList)]
		uniq = uniq[len(chunk):]
		n := 1
		for n < len(chunk) {
			n *= 2
		}
		args := make([]any, n)
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		rows, err := t.query(ctx, `SELECT list_id, kind, url_key, line FROM url_entries WHERE url_key IN (`+
			strings.TrimSuffix(strings.Repeat("?,", n), ",")+`) ORDER BY list_id, url_key, kind`, args...)
		es, err := collect(rows, err, t.d, "URL entries", scanURLEntry)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

func scanURLList(s scanner) (*safeguard.URLList, error) {
	var (
		l  safeguard.URLList
		at int64
	)
	if err := s.Scan(&l.ID, &l.Name, &l.Source, &l.Description, &l.SHA256, &l.Entries, &at, &l.ImportedBy); err != nil {
		return nil, err
	}
	l.ImportedAt = fromMicro(at)
	return &l, nil
}
