package banks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/pdq"
)

// importBatch is how many entries one transaction of an import writes: big
// enough that a 10-million-hash list takes a few hundred commits, small
// enough that a server writing messages to the same SQLite file waits only
// briefly for each.
const importBatch = 16384

// Deps are what Service is built on. Now, Log and Changed are optional.
type Deps struct {
	Store store.Store
	Now   func() time.Time
	Log   *slog.Logger
	// Changed is called after each change is committed (the image scanner's
	// Kick, so that a retroactive pass follows).
	Changed func()
}

// Service manages the hash banks: imports, additions, removals, enabling. Every
// change bumps the bank generation and writes an audit entry in its own
// transaction, so that every index built from the store sees it at its next
// match.
type Service struct {
	st      store.Store
	now     func() time.Time
	log     *slog.Logger
	changed func()
}

// Config configures the Service. It has nothing to tune yet: New takes it so
// that every use case is built the same way.
type Config struct{}

// New returns a bank manager over d.Store.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil {
		return nil, errors.New("banks: a store is required")
	}
	b := &Service{st: d.Store, now: d.Now, log: d.Log, changed: d.Changed}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.changed == nil {
		b.changed = func() {}
	}
	return b, nil
}

// Spec names the bank a change goes to and, when the change creates it,
// what it is. Provenance given for an existing bank replaces its own.
type Spec struct {
	Bank        string
	Source      string // who supplied the list: "IWF", "NCMEC", "own moderators", …
	Version     string // the list's version or date
	Description string
	// Negative makes a new bank one of known false positives; for an
	// existing bank it must agree (a positive bank cannot become negative).
	Negative bool
	By       string // who makes the change, for the audit log
}

// ListImport is a list to import into a bank.
type ListImport struct {
	Spec
	Format listfmt.Format
	// Kind is the type of hashes the list writes without one; 0 if every
	// hash says its type.
	Kind hashbank.HashKind
	// Replace retires the bank's current entries in the same commit: the
	// list becomes the bank's whole content.
	Replace bool
}

// Item is one image's hashes added by hand.
type Item struct {
	ExternalID string
	hashbank.Hashes
	Quality int // PDQ quality, or -1 if unknown
}

// Change is what a committed change did.
type Change struct {
	Bank       *safeguard.HashBank
	Created    bool
	Import     *safeguard.BankImport // imports and additions
	Added      int
	Removed    int
	LowQuality int // entries added whose PDQ quality is known to be below 50
	Generation uint64
	Took       time.Duration
}

var bankName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckName refuses a name that is not 1–64 letters, digits, '.', '_' or
// '-', starting with a letter or digit.
func CheckName(name string) error {
	if !bankName.MatchString(name) {
		return safeguard.Invalid("invalid_bank_name", "A bank name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit: not %q.", name)
	}
	return nil
}

// Import reads a list and adds its entries to a bank (created if absent),
// all or nothing: entries are written in batches under a pending import that
// becomes part of the bank in one commit at the end; a malformed line (the
// error names it) or any other failure deletes what was written, and the
// bank if this import created it.
func (b *Service) Import(ctx context.Context, req ListImport, r io.Reader) (*Change, error) {
	if _, err := listfmt.ParseFormat(string(req.Format)); err != nil {
		return nil, err
	}
	sum := sha256.New()
	in := io.TeeReader(r, sum)
	return b.change(ctx, req.Spec, string(req.Format), req.Replace, func(emit func(Item) error) (string, error) {
		err := listfmt.Scan(in, req.Format, listfmt.Options{Kind: req.Kind}, func(rec listfmt.Record) error {
			return emit(Item{ExternalID: rec.ExternalID, Hashes: rec.Hashes, Quality: rec.Quality})
		})
		return hex.EncodeToString(sum.Sum(nil)), err
	})
}

// Add adds hashes to a bank (created if absent) as one import.
func (b *Service) Add(ctx context.Context, spec Spec, items []Item) (*Change, error) {
	return b.change(ctx, spec, "manual", false, func(emit func(Item) error) (string, error) {
		for _, it := range items {
			if err := emit(it); err != nil {
				return "", err
			}
		}
		return "", nil
	})
}

// begin finds the bank of spec, or creates it, and records the import im
// to it, not yet committed.
func (b *Service) begin(ctx context.Context, spec Spec, im *safeguard.BankImport, out *Change) error {
	return updateTx(ctx, b.st, func(tx Tx) error {
		out.Created = false
		bank, err := tx.HashBankByName(ctx, spec.Bank)
		switch {
		case errors.Is(err, safeguard.ErrNotFound):
			bank = &safeguard.HashBank{Name: spec.Bank, Source: spec.Source, Version: spec.Version, Description: spec.Description,
				Negative: spec.Negative, Enabled: true, CreatedAt: im.At, UpdatedAt: im.At}
			if err := tx.CreateHashBank(ctx, bank); err != nil {
				return err
			}
			out.Created = true
		case err != nil:
			return err
		case spec.Negative && !bank.Negative:
			return safeguard.Invalid("bank_not_negative", "The bank %q holds known images, not known false positives.", bank.Name)
		}
		out.Bank = bank
		im.BankID = bank.ID
		return tx.CreateBankImport(ctx, im)
	})
}

// change writes the items produce emits as one import into the bank spec
// names.
func (b *Service) change(ctx context.Context, spec Spec, format string, replace bool, produce func(emit func(Item) error) (string, error)) (*Change, error) {
	if err := CheckName(spec.Bank); err != nil {
		return nil, err
	}
	start := b.now()
	out := &Change{}
	im := &safeguard.BankImport{Format: format, By: spec.By, At: start.UTC()}
	err := b.begin(ctx, spec, im, out)
	if err != nil {
		return nil, err
	}
	out.Import = im
	batch := make([]safeguard.BankEntry, 0, min(importBatch, 1024))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := updateTx(ctx, b.st, func(tx Tx) error { return tx.AddBankEntries(ctx, im.ID, batch) })
		out.Added += len(batch)
		batch = batch[:0]
		return err
	}
	fileSum, err := produce(func(it Item) error {
		if it.Kinds == 0 {
			return safeguard.Invalid("invalid_bank_entry", "A bank entry needs at least one hash.")
		}
		if it.Kinds.Has(hashbank.KindPDQ) && it.Quality >= 0 && it.Quality < pdq.MinQuality {
			out.LowQuality++
		}
		batch = append(batch, entryOf(it, im.At))
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && out.Added == 0 {
		err = safeguard.Invalid("empty_list", "There are no hashes to add.")
	}
	if err != nil {
		b.discard(ctx, im.ID, out)
		return nil, err
	}
	im.SHA256 = fileSum
	err = updateTx(ctx, b.st, func(tx Tx) error {
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		committed, err := tx.CommitBankImport(ctx, im.ID, gen, replace, im.At)
		if err != nil {
			return err
		}
		bank, err := tx.HashBank(ctx, im.BankID)
		if err != nil {
			return err
		}
		setProvenance(bank, spec)
		bank.UpdatedAt, bank.ImportedAt = im.At, im.At
		if err := tx.UpdateHashBank(ctx, bank); err != nil {
			return err
		}
		action := "hash_bank.import"
		if format == "manual" {
			action = "hash_bank.add"
		}
		detail := map[string]any{"bank": bank.Name, "by": spec.By, "import_id": im.ID, "entries": committed.Entries,
			"format": format, "replace": replace, "generation": gen, "created": out.Created,
			"source": bank.Source, "version": bank.Version}
		if fileSum != "" {
			detail["sha256"] = fileSum
		}
		out.Bank, out.Import, out.Generation = bank, committed, gen
		return audit(ctx, tx, bank, action, im.At, detail)
	})
	if err != nil {
		b.discard(ctx, im.ID, out)
		return nil, err
	}
	out.Import.SHA256 = fileSum
	if replace {
		b.purgeReplaced(ctx, out.Bank.ID, out.Generation)
	}
	out.Took = b.now().Sub(start)
	b.changed()
	return out, nil
}

func setProvenance(bank *safeguard.HashBank, spec Spec) {
	if spec.Source != "" {
		bank.Source = spec.Source
	}
	if spec.Version != "" {
		bank.Version = spec.Version
	}
	if spec.Description != "" {
		bank.Description = spec.Description
	}
}

func entryOf(it Item, at time.Time) safeguard.BankEntry {
	e := safeguard.BankEntry{ExternalID: it.ExternalID, Quality: it.Quality, AddedAt: at}
	if it.Kinds.Has(hashbank.KindPDQ) {
		e.PDQ = append([]byte(nil), it.PDQ[:]...)
	}
	if it.Kinds.Has(hashbank.KindMD5) {
		e.MD5 = append([]byte(nil), it.MD5[:]...)
	}
	if it.Kinds.Has(hashbank.KindSHA256) {
		e.SHA256 = append([]byte(nil), it.SHA256[:]...)
	}
	if !it.Kinds.Has(hashbank.KindPDQ) || e.Quality < -1 || e.Quality > 100 {
		e.Quality = -1
	}
	return e
}

// discard deletes what a failed import wrote, and the bank if it created it.
// It runs even when ctx has ended.
func (b *Service) discard(ctx context.Context, importID int64, out *Change) {
	ctx = context.WithoutCancel(ctx)
	for done := false; !done; {
		if err := updateTx(ctx, b.st, func(tx Tx) (err error) {
			done, err = tx.PurgeBankImport(ctx, importID, 50_000)
			return err
		}); err != nil {
			b.log.Error("delete the entries of a failed import", "import", importID, "err", err)
			return
		}
	}
	if out.Created && out.Bank != nil {
		if err := updateTx(ctx, b.st, func(tx Tx) error { return tx.DeleteHashBank(ctx, out.Bank.ID) }); err != nil {
			b.log.Error("delete the bank of a failed import", "bank", out.Bank.Name, "err", err)
		}
	}
}

// purgeReplaced deletes the entries of the imports a replacing import retired.
func (b *Service) purgeReplaced(ctx context.Context, bankID int64, gen uint64) {
	var ims []*safeguard.BankImport
	if err := viewTx(ctx, b.st, func(tx Tx) (err error) {
		ims, err = tx.BankImports(ctx, bankID)
		return err
	}); err != nil {
		b.log.Error("list replaced imports", "err", err)
		return
	}
	for _, im := range ims {
		if im.Replaced != gen {
			continue
		}
		for done := false; !done; {
			if err := updateTx(ctx, b.st, func(tx Tx) (err error) {
				done, err = tx.PurgeBankImport(ctx, im.ID, 50_000)
				return err
			}); err != nil {
				b.log.Error("delete replaced entries", "import", im.ID, "err", err)
				return
			}
		}
	}
}

// Remove removes entries from a bank. Each selector is "#N" (an entry
// number), a hash written "pdq:HEX", "md5:HEX" or "sha256:HEX" (every
// entry with that hash), or an external id. A selector that finds nothing
// is ErrNotFound and nothing is removed.
func (b *Service) Remove(ctx context.Context, bank string, selectors []string, by string) (*Change, error) {
	if len(selectors) == 0 {
		return nil, safeguard.Invalid("no_entries", "Name the entries to remove.")
	}
	start := b.now()
	out := &Change{}
	err := updateTx(ctx, b.st, func(tx Tx) error {
		bk, err := tx.HashBankByName(ctx, bank)
		if err != nil {
			return err
		}
		var ids []int64
		for _, sel := range selectors {
			f, err := entrySelector(bk.ID, sel)
			if err != nil {
				return err
			}
			es, err := tx.FindBankEntries(ctx, f)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return safeguard.Errorf(safeguard.ErrNotFound, "no_such_entry", "The bank %q has no entry %q.", bank, sel)
			}
			for _, e := range es {
				ids = append(ids, e.ID)
			}
		}
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		if out.Removed, err = tx.RemoveBankEntries(ctx, bk.ID, ids, gen); err != nil {
			return err
		}
		bk.UpdatedAt = start.UTC()
		if err := tx.UpdateHashBank(ctx, bk); err != nil {
			return err
		}
		if bk, err = tx.HashBank(ctx, bk.ID); err != nil {
			return err
		}
		out.Bank, out.Generation = bk, gen
		return audit(ctx, tx, bk, "hash_bank.remove", bk.UpdatedAt, map[string]any{"bank": bk.Name, "by": by,
			"removed": out.Removed, "entries": ids, "generation": gen})
	})
	if err != nil {
		return nil, err
	}
	out.Took = b.now().Sub(start)
	b.changed()
	return out, nil
}

// entrySelector reads one selector of Remove.
func entrySelector(bankID int64, sel string) (store.BankEntryFind, error) {
	f := store.BankEntryFind{BankID: bankID}
	if n, ok := strings.CutPrefix(sel, "#"); ok {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id <= 0 {
			return f, safeguard.Invalid("invalid_entry", "An entry number is # and a whole number, not %q.", sel)
		}
		f.IDs = []int64{id}
		return f, nil
	}
	if h, ok, err := ParseHashArg(sel); ok {
		if err != nil {
			return f, err
		}
		switch {
		case h.Kinds.Has(hashbank.KindPDQ):
			f.PDQ = [][]byte{h.PDQ[:]}
		case h.Kinds.Has(hashbank.KindMD5):
			f.MD5 = [][]byte{h.MD5[:]}
		default:
			f.SHA256 = [][]byte{h.SHA256[:]}
		}
		return f, nil
	}
	f.ExternalIDs = []string{sel}
	return f, nil
}

// ParseHashArg reads a hash written "pdq:HEX", "md5:HEX" or "sha256:HEX". ok
// is false when s has none of those prefixes; err says what is wrong with
// the hex after one.
func ParseHashArg(s string) (h hashbank.Hashes, ok bool, err error) {
	kind, hexs, found := strings.Cut(s, ":")
	if !found {
		return h, false, nil
	}
	k, err := hashbank.ParseKind(kind)
	if err != nil {
		return h, false, nil
	}
	switch k {
	case hashbank.KindPDQ:
		h.PDQ, err = hashbank.ParsePDQ(hexs)
	case hashbank.KindMD5:
		h.MD5, err = hashbank.ParseMD5(hexs)
	case hashbank.KindSHA256:
		h.SHA256, err = hashbank.ParseSHA256(hexs)
	}
	if err != nil {
		return h, true, safeguard.Invalid("invalid_hash", "%q is not a %v hash: %v", s, k, err)
	}
	h.Kinds = k
	return h, true, nil
}

// SetEnabled enables or disables a bank. A disabled bank matches and
// suppresses nothing; its entries stay.
func (b *Service) SetEnabled(ctx context.Context, bank string, enabled bool, by string) (*Change, error) {
	out := &Change{}
	now := b.now().UTC()
	changed := false
	err := updateTx(ctx, b.st, func(tx Tx) error {
		bk, err := tx.HashBankByName(ctx, bank)
		if err != nil {
			return err
		}
		out.Bank, changed = bk, bk.Enabled != enabled
		if !changed {
			out.Generation, err = tx.BankGeneration(ctx)
			return err
		}
		gen, err := tx.BumpBankGeneration(ctx)
		if err != nil {
			return err
		}
		bk.Enabled, bk.UpdatedAt, out.Generation = enabled, now, gen
		if err := tx.UpdateHashBank(ctx, bk); err != nil {
			return err
		}
		action := "hash_bank.disable"
		if enabled {
			action = "hash_bank.enable"
		}
		return audit(ctx, tx, bk, action, now, map[string]any{"bank": bk.Name, "by": by, "generation": gen})
	})
	if err != nil {
		return nil, err
	}
	if changed {
		b.changed()
	}
	return out, nil
}

// List returns every bank, by name, and the bank generation.
func (b *Service) List(ctx context.Context) ([]*safeguard.HashBank, uint64, error) {
	var banks []*safeguard.HashBank
	var gen uint64
	err := viewTx(ctx, b.st, func(tx Tx) (err error) {
		if banks, err = tx.HashBanks(ctx); err != nil {
			return err
		}
		gen, err = tx.BankGeneration(ctx)
		return err
	})
	return banks, gen, err
}

// audit records a change to a bank, by the operator.
func audit(ctx context.Context, tx Tx, bank *safeguard.HashBank, action string, at time.Time, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return tx.Audit(ctx, &safeguard.AuditEntry{At: at, Actor: "operator", Action: action, TargetID: bank.ID, Detail: string(b)})
}

// String describes a change in one line, for people.
func (c *Change) String() string {
	switch {
	case c.Import != nil:
		verb := "added to"
		if c.Created {
			verb = "added to new"
		}
		return fmt.Sprintf("%d entries %s bank %s (now %d entries), generation %d", c.Added, verb, c.Bank.Name, c.Bank.Entries, c.Generation)
	case c.Removed > 0:
		return fmt.Sprintf("%d entries removed from bank %s (now %d entries), generation %d", c.Removed, c.Bank.Name, c.Bank.Entries, c.Generation)
	}
	state := "disabled"
	if c.Bank.Enabled {
		state = "enabled"
	}
	return fmt.Sprintf("bank %s %s, generation %d", c.Bank.Name, state, c.Generation)
}
