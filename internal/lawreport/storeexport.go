package lawreport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
)

// StoreExport is FileExport for the servers of a cluster: it writes each
// package into a blob store they share, under the keys <reference>/<file>
// (the files of FileExport's directory), so that a package made on any
// server is found on every one.
//
// A blob store has no directory to rename into place, so the receipt is
// written last and marks a whole package: a reference with a receipt is
// complete and not written again (its receipt is returned); one without is
// what a failed or concurrent export left, and is written over.
//
// Lock, if set, holds a reference while its package is written, so that
// servers exporting the same reference at once take turns and the second
// finds the first's receipt (the store has no create-if-absent for the
// receipt); the servers of a cluster hold it in the database they share.
type StoreExport struct {
	Files  blob.Store
	Now    func() time.Time // time.Now if nil
	Logger *slog.Logger     // nil: no logging
	Lock   func(ctx context.Context, reference string) (unlock func(), err error)
}

// Submit writes pkg under <reference>/ in Files.
func (e *StoreExport) Submit(ctx context.Context, pkg *Package) (Receipt, error) {
	if err := CheckPackage(pkg); err != nil {
		return Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	if !blob.ValidKey(pkg.Reference) {
		return Receipt{}, fmt.Errorf("export %s: the reference cannot name files", pkg.Reference)
	}
	if e.Lock != nil {
		unlock, err := e.Lock(ctx, pkg.Reference)
		if err != nil {
			return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
		}
		defer unlock()
	}
	receiptKey := pkg.Reference + "/" + ExportReceipt
	if r, err := e.readReceipt(ctx, receiptKey); err == nil || !errors.Is(err, safeguard.ErrNotFound) {
		return r, err
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	rec := Receipt{
		Reference:   pkg.Reference,
		Destination: "file-export",
		ID:          pkg.Reference,
		SubmittedAt: now().UTC().Truncate(time.Second),
		Test:        pkg.Test,
		Draft:       pkg.Draft,
		Manual:      pkg.Manual,
	}
	put := func(name string, fill func(io.Writer) error) error {
		var b bytes.Buffer
		if err := fill(&b); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return e.Files.Put(ctx, pkg.Reference+"/"+name, b.Bytes())
	}
	var err error
	if rec.Files, err = writeExport(ctx, put, pkg); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return Receipt{}, err
	}
	// Another server may have finished the same package meanwhile: theirs
	// stands, and its receipt is the answer.
	if r, err := e.readReceipt(ctx, receiptKey); err == nil || !errors.Is(err, safeguard.ErrNotFound) {
		return r, err
	}
	if err := e.Files.Put(ctx, receiptKey, b); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if e.Logger != nil {
		e.Logger.Info("report exported", "reference", pkg.Reference, "priority", pkg.Priority.Level,
			"files", len(rec.Files), "test", pkg.Test, "draft", pkg.Draft, "store", true)
	}
	return rec, nil
}

// readReceipt reads the receipt of an exported package; an error of kind
// ErrNotFound when there is none yet.
func (e *StoreExport) readReceipt(ctx context.Context, key string) (Receipt, error) {
	b, err := e.Files.Get(ctx, key)
	if err != nil {
		return Receipt{}, err
	}
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return Receipt{}, &safeguard.Error{Kind: safeguard.ErrConflict, Code: "export_conflict",
			Message: "The export receipt for this reference cannot be read.", Err: err}
	}
	r.Existing = true
	return r, nil
}
