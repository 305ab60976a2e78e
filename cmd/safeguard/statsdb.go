package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// parseArgs parses the flags, before or after the positional arguments,
// and returns the positional ones.
func parseArgs(fs *flag.FlagSet, e *env, args []string) ([]string, error) {
	if err := parseFlags(fs, e, args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}

func cmdStatsImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats import", "stats import FILE [--name N] [--period P] [--source S] [--sum] [--progress] [flags]\n\n"+
		"Imports a police return (a force × app table, or an incident-level file of one row per\n"+
		"offence, aggregated as it is read) and stores the dataset under its name.")
	var db storeFlags
	bindStore(fs, &db)
	name := fs.String("name", "", "the dataset's name (default: the file name without its extension)")
	period := fs.String("period", "", "the period the figures cover, e.g. 2019 (incident files: the range of their dates)")
	source := fs.String("source", "", "where the figures came from, e.g. \"NSPCC FOI requests\"")
	measure := fs.String("measure", stats.DefaultMeasure, "what the total column counts, in words; it names the share denominator")
	sum := fs.Bool("sum", false, "add up the rows of a force that appears more than once, instead of refusing the file")
	replace := fs.Bool("replace", false, "replace a dataset stored under the same name")
	progress := fs.Bool("progress", false, "show a progress bar on stderr (shown anyway when stderr is a terminal)")
	files, err := parseArgs(fs, e, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("want one FILE, got %d", len(files))}
	}
	in, size, base, closeIn, err := openReturns(e, files[0])
	if err != nil {
		return err
	}
	defer closeIn()
	if *name == "" {
		*name = base
	}
	opt := stats.ImportOptions{Name: *name, Period: *period, Source: *source, Measure: *measure, Sum: *sum, Now: statsNow, Size: size}
	var bar *progressBar
	if *progress || isTerminal(e.stderr) {
		bar = &progressBar{w: e.stderr, label: *name, last: -1}
		opt.Progress = bar.update
	}
	start := time.Now()
	d, err := stats.Import(ctx, in, opt)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	t := stats.NewTable(d)
	for _, w := range t.Warnings() {
		fmt.Fprintf(e.stderr, "safeguard stats import: warning: %s\n", w)
	}
	err = withStore(ctx, db.openWrite, func(st store.Store) error {
		return st.Update(ctx, func(tx store.Tx) error {
			if *replace {
				if err := tx.DeleteDataset(ctx, d.Name); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
					return err
				}
			}
			return tx.CreateDataset(ctx, d)
		})
	})
	if safeguard.ErrorCode(err) == "dataset_exists" {
		return fmt.Errorf("a dataset named %q is stored already: delete it (safeguard stats delete %s), import under another --name, or use --replace", d.Name, d.Name)
	}
	if err != nil {
		return err
	}
	took := time.Since(start).Seconds()
	what := ""
	if size > 0 {
		what = fmt.Sprintf(", %s read", humanBytes(size))
	}
	if tc := d.TotalColumn(); d.Layout == stats.LayoutIncidents && tc >= 0 {
		if n := t.Computed[tc].N; took > 0 {
			what += fmt.Sprintf(", %d rows, %.0f rows/s", n, float64(n)/took)
		}
	}
	fmt.Fprintf(e.stdout, "stored %q: %d forces × %d columns, period %s (%s%s in %.2f s)\n",
		d.Name, len(d.Rows), len(d.Columns), orDash(d.Period), d.Layout, what, took)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdStatsList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats list", "stats list [--json] [flags]")
	var db storeFlags
	bindStore(fs, &db)
	asJSON := fs.Bool("json", false, "write JSON")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	var infos []store.DatasetInfo
	err := withStore(ctx, db.openRead, func(st store.Store) error {
		return st.View(ctx, func(tx store.Tx) (err error) { infos, err = tx.Datasets(ctx); return })
	})
	if err != nil {
		return err
	}
	if *asJSON {
		out := []map[string]any{}
		for _, i := range infos {
			out = append(out, map[string]any{"name": i.Name, "period": i.Period, "source": i.Source, "imported_at": i.ImportedAt,
				"layout": i.Layout, "measure": i.Measure, "columns": i.Columns, "forces": i.Rows})
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"datasets": out})
	}
	if len(infos) == 0 {
		fmt.Fprintln(e.stdout, "no datasets stored (import one with: safeguard stats import FILE --name NAME)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPERIOD\tLAYOUT\tFORCES\tCOLUMNS\tIMPORTED\tSOURCE")
	for _, i := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", i.Name, orDash(i.Period), i.Layout, i.Rows, i.Columns,
			i.ImportedAt.UTC().Format("2006-01-02 15:04"), orDash(i.Source))
	}
	return tw.Flush()
}

// oneName parses flags and exactly one NAME.
func oneName(fs *flag.FlagSet, e *env, args []string) (string, error) {
	names, err := parseArgs(fs, e, args)
	if err != nil {
		return "", err
	}
	if len(names) != 1 {
		fs.Usage()
		return "", &exitError{code: 2, err: fmt.Errorf("want one dataset NAME, got %d", len(names))}
	}
	return names[0], nil
}

// loadDataset reads a stored dataset, with a hint when there is none.
func loadDataset(ctx context.Context, db *storeFlags, name string) (*stats.Dataset, error) {
	var d *stats.Dataset
	err := withStore(ctx, db.openRead, func(st store.Store) error {
		return st.View(ctx, func(tx store.Tx) (err error) { d, err = tx.Dataset(ctx, name); return })
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, fmt.Errorf("no dataset named %q is stored (safeguard stats list shows them)", name)
	}
	return d, err
}

func cmdStatsShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats show", "stats show NAME [--format F] [--strict] [flags]")
	var db storeFlags
	bindStore(fs, &db)
	format := fs.String("format", string(stats.FormatText), "output format: text, markdown, csv, json or html")
	strict := fs.Bool("strict", false, "exit with status 1 when a stated total does not agree with the rows")
	name, err := oneName(fs, e, args)
	if err != nil {
		return err
	}
	f, err := stats.ParseFormat(*format)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	d, err := loadDataset(ctx, &db, name)
	if err != nil {
		return err
	}
	t := stats.NewTable(d)
	for _, w := range t.Warnings() {
		fmt.Fprintf(e.stderr, "safeguard stats show: warning: %s\n", w)
	}
	if err := t.Render(e.stdout, f); err != nil {
		return err
	}
	if n := len(t.Mismatches()); n > 0 && *strict {
		return &exitError{code: 1, err: fmt.Errorf("%d stated total figure(s) do not agree with the rows (--strict)", n)}
	}
	return nil
}

func cmdStatsDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats delete", "stats delete NAME [flags]")
	var db storeFlags
	bindStore(fs, &db)
	name, err := oneName(fs, e, args)
	if err != nil {
		return err
	}
	err = withStore(ctx, db.openRead, func(st store.Store) error {
		return st.Update(ctx, func(tx store.Tx) error { return tx.DeleteDataset(ctx, name) })
	})
	if errors.Is(err, safeguard.ErrNotFound) {
		return fmt.Errorf("no dataset named %q is stored", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted %q\n", name)
	return nil
}
