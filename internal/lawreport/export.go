package lawreport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// The names of the files in an exported report directory.
const (
	ExportNCA     = "nca-report.json"
	ExportNCMEC   = "ncmec-report.xml"
	ExportThread  = "thread.csv"
	ExportReadme  = "README.txt"
	ExportIndex   = "index.html"
	ExportReceipt = "receipt.json"
)

// FileExport is the default Submitter: the NCA takes reports through its
// portal and has no open API, so a package is written to a directory, one per
// report, named by its reference, for a person to upload.
//
// A directory appears whole or not at all: it is written under a temporary
// name, synced, and renamed into place. A package whose reference already
// has a directory is not written again; its receipt is returned.
type FileExport struct {
	Dir    string
	Now    func() time.Time // time.Now if nil
	Logger *slog.Logger     // nil: no logging
}

// Submit writes pkg to Dir/<reference>.
func (e *FileExport) Submit(ctx context.Context, pkg *Package) (Receipt, error) {
	if err := CheckPackage(pkg); err != nil {
		return Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	final := filepath.Join(e.Dir, pkg.Reference)
	if r, err := readReceipt(final); err == nil {
		return r, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Receipt{}, err
	}
	if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	tmp, err := os.MkdirTemp(e.Dir, ".tmp-"+pkg.Reference+"-")
	if err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed

	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	rec := Receipt{
		Reference:   pkg.Reference,
		Destination: "file-export",
		ID:          final,
		SubmittedAt: now().UTC().Truncate(time.Second),
		Test:        pkg.Test,
		Draft:       pkg.Draft,
		Manual:      pkg.Manual,
	}
	if rec.Files, err = writeExport(ctx, dirWriter(tmp), pkg); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return Receipt{}, err
	}
	if err := writeFile(tmp, ExportReceipt, b); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if err := syncDir(filepath.Join(tmp, "media")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if err := syncDir(tmp); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another writer got there first: theirs stands.
		if r, rerr := readReceipt(final); rerr == nil {
			return r, nil
		}
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if err := syncDir(e.Dir); err != nil {
		return Receipt{}, fmt.Errorf("export %s: %w", pkg.Reference, err)
	}
	if e.Logger != nil {
		e.Logger.Info("report exported", "reference", pkg.Reference, "priority", pkg.Priority.Level,
			"files", len(rec.Files), "test", pkg.Test, "draft", pkg.Draft)
	}
	return rec, nil
}

// readReceipt reads the receipt of an exported directory. A directory
// without a readable receipt is a conflict for a person to look at, not
// something to overwrite.
func readReceipt(dir string) (Receipt, error) {
	p := filepath.Join(dir, ExportReceipt)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return Receipt{}, err
		}
		// The directory may have been renamed into place, receipt and all,
		// between the two calls: look again before calling it a conflict.
		if b, err = os.ReadFile(p); errors.Is(err, fs.ErrNotExist) {
			return Receipt{}, safeguard.Errorf(safeguard.ErrConflict, "export_conflict",
				"An export directory for this reference exists without a receipt.")
		}
	}
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

// fileWriter writes the file name of an export, filled by fill.
type fileWriter func(name string, fill func(io.Writer) error) error

// dirWriter writes the files of an export into dir.
func dirWriter(dir string) fileWriter {
	return func(name string, fill func(io.Writer) error) error { return writeWith(dir, name, fill) }
}

// writeExport writes every file of pkg with w and returns their names.
func writeExport(ctx context.Context, w fileWriter, pkg *Package) ([]string, error) {
	var names []string
	put := func(name string, b []byte) error {
		names = append(names, name)
		return w(name, func(out io.Writer) error { _, err := out.Write(b); return err })
	}
	if err := put(ExportNCA, pkg.NCA); err != nil {
		return nil, err
	}
	if pkg.NCMEC != nil {
		if err := put(ExportNCMEC, pkg.NCMEC); err != nil {
			return nil, err
		}
	}
	for i := range pkg.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := &pkg.Files[i]
		if err := copyFile(w, f); err != nil {
			return nil, err
		}
		names = append(names, f.Name)
		if f.ForNCMEC {
			// NCMEC gives report and file ids only through its API; the
			// export stands them in with 0 and the file's name.
			b, err := f.NCMECFileDetails(0, filepath.Base(f.Name))
			if err != nil {
				return nil, err
			}
			if err := put(fileDetailsName(f), b); err != nil {
				return nil, err
			}
		}
	}
	if pkg.Thread != nil {
		if err := put(ExportThread, pkg.Thread); err != nil {
			return nil, err
		}
	}
	readme, index, err := renderIndex(pkg, names)
	if err != nil {
		return nil, err
	}
	if err := put(ExportReadme, readme); err != nil {
		return nil, err
	}
	if err := put(ExportIndex, index); err != nil {
		return nil, err
	}
	return names, nil
}

func fileDetailsName(f *File) string { return fmt.Sprintf("ncmec-filedetails-%02d.xml", f.Index) }

func copyFile(fw fileWriter, f *File) error {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer r.Close()
	return fw(f.Name, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

func writeFile(dir, name string, b []byte) error {
	return writeWith(dir, name, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeWith creates dir/name (and its parent), fills it with fill and syncs
// it to disk.
func writeWith(dir, name string, fill func(io.Writer) error) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
