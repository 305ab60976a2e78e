package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// urlCommands are the subcommands of "safeguard url".
var urlCommands = []command{
	{name: "import", summary: "import a URL list (IWF URL-list shape), all or nothing", args: "FILE",
		example: "url import --name iwf --source \"IWF URL List\" urls.csv --data demo", access: writes, run: cmdURLImport},
	{name: "list", summary: "list the URL lists with their provenance", example: "url list --data demo", access: reads, run: cmdURLList},
	{name: "remove", summary: "remove a URL list", args: "NAME", example: "url remove iwf --data demo", access: writes, run: cmdURLRemove},
	{name: "match", summary: "normalise links and show the list entries they match", args: "URL…",
		example: "url match https://example.com/a --data demo", access: reads, run: cmdURLMatch},
}

// withStore opens the database for fn, with open (openRead or openWrite),
// and closes it after.
func withStore(ctx context.Context, open func(context.Context) (store.Store, error), fn func(store.Store) error) error {
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// usageError is a command-line mistake: exit code 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func cmdURLImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "url import", "url import --name NAME [--source WHO] [--replace] [flags] FILE")
	var db storeFlags
	bindStore(fs, &db)
	var in urls.ListImport
	fs.StringVar(&in.Name, "name", "", "the list's name (required)")
	fs.StringVar(&in.Source, "source", "", `who supplied the list, e.g. "IWF URL List"`)
	fs.StringVar(&in.Description, "description", "", "a note kept with the list")
	fs.StringVar(&in.ImportedBy, "by", "", "the operator importing it (default $USER)")
	fs.BoolVar(&in.Replace, "replace", false, "replace a list of the same name, in one transaction")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give one list file")
	}
	if in.Name == "" {
		return usageError("--name is required")
	}
	if in.ImportedBy == "" {
		in.ImportedBy = e.getenv("USER")
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return withStore(ctx, db.openWrite, func(st store.Store) error {
		l, err := urls.Import(ctx, st, in, file, data, time.Now().UTC())
		if err != nil {
			var le *urls.ListError
			if errors.As(err, &le) {
				return fmt.Errorf("nothing imported:\n%w", err)
			}
			if safeguard.ErrorCode(err) == "list_exists" {
				return fmt.Errorf("there is already a list named %q; add --replace to replace it", in.Name)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "imported list %q (id %d): %d entries, sha256 %s\n", l.Name, l.ID, l.Entries, l.SHA256)
		return nil
	})
}

// urlListJSON is a list as `url list --json` prints it.
type urlListJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Source      string    `json:"source"`
	Description string    `json:"description,omitempty"`
	Entries     int       `json:"entries"`
	SHA256      string    `json:"sha256"`
	ImportedAt  time.Time `json:"imported_at"`
	ImportedBy  string    `json:"imported_by,omitempty"`
}

func cmdURLList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "url list", "url list [--json]")
	var db storeFlags
	bindStore(fs, &db)
	asJSON := fs.Bool("json", false, "print JSON, one list a line")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	return withStore(ctx, db.openRead, func(st store.Store) error {
		var lists []*safeguard.URLList
		if err := st.View(ctx, func(tx store.Tx) (err error) { lists, err = tx.URLLists(ctx); return }); err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			for _, l := range lists {
				if err := enc.Encode(urlListJSON{l.ID, l.Name, l.Source, l.Description, l.Entries, l.SHA256, l.ImportedAt, l.ImportedBy}); err != nil {
					return err
				}
			}
			return nil
		}
		if len(lists) == 0 {
			fmt.Fprintln(e.stdout, "no URL lists")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSOURCE\tENTRIES\tIMPORTED\tBY\tSHA-256")
		for _, l := range lists {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%.16s…\n", l.ID, l.Name, l.Source, l.Entries, l.ImportedAt.Format(time.RFC3339), l.ImportedBy, l.SHA256)
		}
		return tw.Flush()
	})
}

func cmdURLRemove(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "url remove", "url remove NAME")
	var db storeFlags
	bindStore(fs, &db)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give the name of one list")
	}
	name := fs.Arg(0)
	return withStore(ctx, db.openRead, func(st store.Store) error {
		var l *safeguard.URLList
		err := st.Update(ctx, func(tx store.Tx) error {
			var err error
			if l, err = tx.URLListByName(ctx, name); err != nil {
				return err
			}
			return tx.DeleteURLList(ctx, l.ID)
		})
		if errors.Is(err, safeguard.ErrNotFound) {
			return fmt.Errorf("there is no URL list named %q", name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed list %q (%d entries)\n", l.Name, l.Entries)
		return nil
	})
}

func cmdURLMatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "url match", "url match URL...")
	var db storeFlags
	bindStore(fs, &db)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("give at least one URL")
	}
	var links []urls.Link
	for _, a := range fs.Args() {
		l, err := urls.Normalize(a)
		if err != nil {
			return usageError("%s: %s", a, safeguard.ErrorMessage(err))
		}
		links = append(links, l)
	}
	return withStore(ctx, db.openRead, func(st store.Store) error {
		var ms []urls.Match
		if err := st.View(ctx, func(tx store.Tx) (err error) { ms, err = urls.MatchLinks(ctx, tx, links); return }); err != nil {
			return err
		}
		for _, l := range links {
			n := 0
			for _, m := range ms {
				if m.Link == l {
					fmt.Fprintf(e.stdout, "%s\tlisted: %q %s entry %q (line %d)\n", l.Key(), m.List.Name, m.Entry.Kind, m.Entry.Key, m.Entry.Line)
					n++
				}
			}
			if n == 0 {
				fmt.Fprintf(e.stdout, "%s\tnot listed\n", l.Key())
			}
		}
		return nil
	})
}
