package sqlstore

import (
	"context"
	"unicode/utf8"

	"github.com/safeguard-dev/safeguard/internal/store"
)

// Keyring implements store.KeyringTx.
func (t *Tx) Keyring(ctx context.Context, prefix string, lock bool) ([]store.SealedKey, error) {
	q, args := `SELECT name, created_at, sealed FROM keyring`, []any{}
	if prefix != "" {
		q += ` WHERE substr(name, 1, ?) = ?`
		args = append(args, utf8.RuneCountInString(prefix), prefix)
	}
	q += ` ORDER BY name`
	if lock {
		q += t.d.LockRows
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, t.d.Err(err, "keyring")
	}
	defer rows.Close()
	var out []store.SealedKey
	for rows.Next() {
		var k store.SealedKey
		var created int64
		if err := rows.Scan(&k.Name, &created, &k.Sealed); err != nil {
			return nil, t.d.Err(err, "keyring")
		}
		k.Created = fromMicro(created)
		out = append(out, k)
	}
	return out, t.d.Err(rows.Err(), "keyring")
}

// AddToKeyring implements store.KeyringTx.
func (t *Tx) AddToKeyring(ctx context.Context, keys []store.SealedKey) (int64, error) {
	var n int64
	for _, k := range keys {
		res, err := t.exec(ctx, `INSERT INTO keyring (name, created_at, sealed) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			k.Name, micro(k.Created), k.Sealed)
		if err != nil {
			return n, t.d.Err(err, "keyring")
		}
		added, err := res.RowsAffected()
		if err != nil {
			return n, t.d.Err(err, "keyring")
		}
		n += added
	}
	return n, nil
}

// ResealKeyring implements store.KeyringTx.
func (t *Tx) ResealKeyring(ctx context.Context, keys []store.SealedKey) error {
	for _, k := range keys {
		res, err := t.exec(ctx, `UPDATE keyring SET sealed = ? WHERE name = ?`, k.Sealed, k.Name)
		if err != nil {
			return t.d.Err(err, "keyring")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound("keyring key " + k.Name)
		}
	}
	return nil
}

// DeleteFromKeyring implements store.KeyringTx.
func (t *Tx) DeleteFromKeyring(ctx context.Context, names []string) (int64, error) {
	var n int64
	for _, name := range names {
		res, err := t.exec(ctx, `DELETE FROM keyring WHERE name = ?`, name)
		if err != nil {
			return n, t.d.Err(err, "keyring")
		}
		gone, err := res.RowsAffected()
		if err != nil {
			return n, t.d.Err(err, "keyring")
		}
		n += gone
	}
	return n, nil
}
