package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard/internal/stats"
)

// statsCommands are the subcommands of "safeguard stats", in the order its
// help lists them.
var statsCommands = []command{
	{name: "returns", summary: "import a police return (CSV) and print the force × app table", args: "FILE",
		example: "stats returns returns-2019.csv --format markdown", access: local, run: cmdStatsReturns},
	{name: "import", summary: "import a police return and store it as a named dataset", args: "FILE",
		example: "stats import returns-2019.csv --name foi-2019 --period 2019 --data demo", access: writes, run: cmdStatsImport},
	{name: "list", summary: "list the stored datasets", example: "stats list --data demo", access: reads, run: cmdStatsList},
	{name: "show", summary: "print a stored dataset as a force × app table", args: "NAME",
		example: "stats show foi-2019 --data demo", access: reads, run: cmdStatsShow},
	{name: "delete", summary: "delete a stored dataset", args: "NAME", example: "stats delete foi-2019 --data demo", access: writes, run: cmdStatsDelete},
	{name: "platform", summary: "the platform's own cases and reports by police force area, app, source or priority",
		example: "stats platform --period 2026 --by app --data demo", access: reads, run: cmdStatsPlatform},
	{name: "compare", summary: "the platform's cases and referrals beside a stored police return",
		example: "stats compare --period 2019 --returns foi-2019 --data demo", access: reads, run: cmdStatsCompare},
	{name: "impact", summary: "what each encryption policy would have cost, from the stored cases",
		example: "stats impact --period 2026 --data demo", access: reads, run: cmdStatsImpact},
}

// statsNow is the clock that stamps imported datasets; tests replace it.
var statsNow = time.Now

func cmdStatsReturns(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats returns", "stats returns FILE [flags]\n\n"+
		"Reads a police return: a table with one row per force and one column per app\n"+
		"(a column whose header contains \"total\" is the total), or an incident-level file\n"+
		"with one row per offence (force, date and app columns). FILE - reads stdin.\n"+
		"A stated total that does not agree with the rows is a warning on stderr.")
	format := fs.String("format", string(stats.FormatText), "output format: text, markdown, csv, json or html")
	strict := fs.Bool("strict", false, "exit with status 1 when a stated total does not agree with the rows")
	sum := fs.Bool("sum", false, "add up the rows of a force that appears more than once, instead of refusing the file")
	period := fs.String("period", "", "the period the figures cover, e.g. 2019 (incident files: the range of their dates)")
	source := fs.String("source", "", "where the figures came from, e.g. \"NSPCC FOI requests\"")
	measure := fs.String("measure", stats.DefaultMeasure, "what the total column counts, in words; it names the share denominator")
	progress := fs.Bool("progress", false, "show a progress bar on stderr (shown anyway when stderr is a terminal)")

	files, err := parseArgs(fs, e, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("want one FILE, got %d", len(files))}
	}
	f, err := stats.ParseFormat(*format)
	if err != nil {
		return &exitError{code: 2, err: err}
	}

	in, size, name, closeIn, err := openReturns(e, files[0])
	if err != nil {
		return err
	}
	defer closeIn()

	opt := stats.ImportOptions{
		Name: name, Period: *period, Source: *source, Measure: *measure, Sum: *sum,
		Now: statsNow, Size: size,
	}
	var bar *progressBar
	if *progress || isTerminal(e.stderr) {
		bar = &progressBar{w: e.stderr, label: name, last: -1}
		opt.Progress = bar.update
	}
	d, err := stats.Import(ctx, in, opt)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	t := stats.NewTable(d)
	for _, w := range t.Warnings() {
		fmt.Fprintf(e.stderr, "safeguard stats returns: warning: %s\n", w)
	}
	if err := t.Render(e.stdout, f); err != nil {
		return err
	}
	if n := len(t.Mismatches()); n > 0 && *strict {
		return &exitError{code: 1, err: fmt.Errorf("%d stated total figure(s) do not agree with the rows (--strict)", n)}
	}
	return nil
}

// openReturns opens FILE, or stdin for "-", and says how long it is when it
// can tell.
func openReturns(e *env, path string) (r io.Reader, size int64, name string, closeFn func(), err error) {
	if path == "-" {
		return e.stdin, 0, "stdin", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, "", nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	base := filepath.Base(path)
	return f, size, strings.TrimSuffix(base, filepath.Ext(base)), func() { f.Close() }, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "name [#####.....]  42%  12.3 MB of 29.1 MB" on one
// line, redrawn only when the percentage changes.
type progressBar struct {
	w     io.Writer
	label string
	last  int
	read  int64
	drawn bool
}

func (p *progressBar) update(read, total int64) {
	p.read = read
	if total <= 0 {
		// Unknown length: a line per 10 MB read.
		if mb := int(read >> 20 / 10); mb != p.last {
			p.last = mb
			fmt.Fprintf(p.w, "\r%s  %s read", p.label, humanBytes(read))
			p.drawn = true
		}
		return
	}
	pct := int(min(read, total) * 100 / total)
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	filled := pct * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%%  %s of %s", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), pct, humanBytes(read), humanBytes(total))
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
