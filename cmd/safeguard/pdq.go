package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/pdq"
)

const pdqSynopsis = "pdq hash [--pipeline full|cli] [--dihedral] FILE…"

// pdqCommands are the subcommands of "safeguard pdq".
var pdqCommands = []command{
	{name: "hash", summary: "hash image files with PDQ", args: "FILE…", example: "pdq hash photo.jpg", access: local, run: cmdPDQHash},
}

// cmdPDQHash hashes image files with PDQ: one line per file, "<hex> <quality>
// <path>", or with --dihedral the eight hashes (orig rot90 rot180 rot270
// flipx flipy flipp flipm) before the quality. Files are decoded as the
// server decodes uploads, with its limits. A file that fails is reported on
// stderr and the others go on; the exit status is then 1.
func cmdPDQHash(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "pdq hash", pdqSynopsis)
	pipeline := fs.String("pipeline", pdq.Full.String(),
		"full: hash the image at full resolution, as HMA and python-threatexchange do;\n    \tcli: first resample an image over 512 pixels to 512×512, as Meta's pdq-photo-hasher does")
	dihedral := fs.Bool("dihedral", false,
		"print the hashes of the eight rotations and flips, in the order\n    \torig rot90 rot180 rot270 flipx flipy flipp flipm, then the quality and the path")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	p, err := pdq.ParsePipeline(*pipeline)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--pipeline %q: want full or cli", *pipeline)}
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, err: fmt.Errorf("no files; usage: safeguard %s", pdqSynopsis)}
	}
	var h pdq.Hasher
	opts := pdq.Options{Pipeline: p}
	failed := 0
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := decodeFile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "safeguard pdq: %s: %v\n", path, err)
			failed++
			continue
		}
		if *dihedral {
			d := h.Dihedral(img, opts)
			hashes := make([]string, len(d.Hashes))
			for i, x := range d.Hashes {
				hashes[i] = x.String()
			}
			fmt.Fprintf(e.stdout, "%s %d %s\n", strings.Join(hashes, " "), d.Quality, path)
			continue
		}
		r := h.HashImage(img, opts)
		fmt.Fprintf(e.stdout, "%s %d %s\n", r.Hash, r.Quality, path)
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files failed", failed, fs.NArg())}
	}
	return nil
}

// decodeFile decodes an image file with the server's intake and limits.
// Anything that is not a regular file once symbolic links are followed (a
// directory, a FIFO, a device) is refused before it is opened: opening a
// FIFO would wait for a writer.
func decodeFile(path string) (*imaging.Image, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return imaging.DecodeReader(f, imaging.Limits{})
}

// openRegular opens a file that is a regular one once symbolic links are
// followed, refusing anything else before it is opened.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	return f, nil
}

// fileKind names what a file that is not a regular one is.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
