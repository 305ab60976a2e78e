package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// imagingLimits bound the images the bank commands decode.
var imagingLimits = imaging.Limits{}

// bankDBFlags are the flags every bank command that touches the database
// shares.
type bankDBFlags struct {
	store storeFlags
	by    string
}

func bindBankDB(fs *flag.FlagSet, f *bankDBFlags) {
	bindStore(fs, &f.store)
	fs.StringVar(&f.by, "by", "", "who makes the change, for the audit log (default: the login name)")
}

// who is the operator named in the audit log.
func (f *bankDBFlags) who(e *env) string {
	if f.by != "" {
		return f.by
	}
	if u := e.getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "operator"
}

// openBanks opens the database and the bank manager on it; with create, a
// missing database is made.
func openBanks(ctx context.Context, f *bankDBFlags, create bool) (store.Store, *banks.Service, error) {
	open := f.store.openRead
	if create {
		open = f.store.openWrite
	}
	st, err := open(ctx)
	if err != nil {
		return nil, nil, err
	}
	b, err := banks.New(banks.Config{}, banks.Deps{Store: st})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, b, nil
}

// bankUsageError is a command-line mistake: exit code 2.
func bankUsageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// formatOf reads --format, or guesses it from the file's extension.
func formatOf(flagValue, file string) (listfmt.Format, error) {
	switch strings.ToLower(flagValue) {
	case "hma", "hma-json", "json":
		return listfmt.HMAJSON, nil
	case "":
		switch strings.ToLower(filepath.Ext(file)) {
		case ".csv":
			return listfmt.CSV, nil
		case ".json", ".jsonl":
			return listfmt.HMAJSON, nil
		}
		return listfmt.Text, nil
	}
	return listfmt.ParseFormat(flagValue)
}

func cmdBankImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank import", "bank import --bank NAME [--format text|csv|hma|pdq-hasher] [--source S] [--version V] [--negative] [--replace] FILE")
	var db bankDBFlags
	bindBankDB(fs, &db)
	var req banks.ListImport
	var format, kind string
	fs.StringVar(&req.Bank, "bank", "", "the bank to import into (created if absent)")
	fs.StringVar(&format, "format", "", "text, csv, hma (HMA bank content JSON) or pdq-hasher (default: from the file's extension, else text)")
	fs.StringVar(&kind, "kind", "", "the type of hashes the list writes without one: pdq, md5 or sha256")
	fs.StringVar(&req.Source, "source", "", `who supplied the list, e.g. "IWF", "NCMEC", "own moderators"`)
	fs.StringVar(&req.Version, "version", "", "the list's version or date, as its source gives it")
	fs.StringVar(&req.Description, "description", "", "a note kept with the bank")
	fs.BoolVar(&req.Negative, "negative", false, "a new bank of known false positives: its entries suppress matches")
	fs.BoolVar(&req.Replace, "replace", false, "the list becomes the bank's whole content (its current entries leave in the same commit)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if req.Bank == "" || fs.NArg() != 1 {
		return bankUsageError("want --bank NAME and one FILE (- for standard input)")
	}
	file := fs.Arg(0)
	var err error
	if req.Format, err = formatOf(format, file); err != nil {
		return bankUsageError("--format: %v", err)
	}
	if kind != "" {
		if req.Kind, err = hashbank.ParseKind(kind); err != nil {
			return bankUsageError("--kind: %v", err)
		}
	}
	var in io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	req.By = db.who(e)
	st, admin, err := openBanks(ctx, &db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := admin.Import(ctx, req, in)
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was imported)", file, err)
	}
	fmt.Fprintf(e.stdout, "%s: %s in %s (%.0f entries/s)\n", file, c, c.Took.Round(time.Millisecond), float64(c.Added)/max(c.Took.Seconds(), 1e-9))
	if c.LowQuality > 0 {
		fmt.Fprintf(e.stdout, "note: %d entries have a PDQ quality below 50; their hashes are kept, but images that flat are not matched by PDQ\n", c.LowQuality)
	}
	return nil
}

func cmdBankList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank list", "bank list [--json]")
	var db bankDBFlags
	bindBankDB(fs, &db)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	st, admin, err := openBanks(ctx, &db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	list, gen, err := admin.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"generation": gen, "banks": list})
	}
	fmt.Fprintf(e.stdout, "bank generation %d\n", gen)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSTATE\tENTRIES\tSOURCE\tVERSION\tIMPORTED")
	for _, b := range list {
		kind, state, imported := "known", "enabled", "-"
		if b.Negative {
			kind = "negative"
		}
		if !b.Enabled {
			state = "disabled"
		}
		if !b.ImportedAt.IsZero() {
			imported = b.ImportedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", b.Name, kind, state, b.Entries, dash(b.Source), dash(b.Version), imported)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdBankAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank add", "bank add [--source S] [--negative] BANK FILE|HASH…")
	var db bankDBFlags
	bindBankDB(fs, &db)
	var spec banks.Spec
	fs.StringVar(&spec.Source, "source", "", "who supplied the images or hashes, for a new bank")
	fs.StringVar(&spec.Description, "description", "", "a note kept with a new bank")
	fs.BoolVar(&spec.Negative, "negative", false, "a new bank of known false positives")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return bankUsageError("want a bank and at least one image file or hash (pdq:HEX, md5:HEX, sha256:HEX)")
	}
	spec.Bank, spec.By = fs.Arg(0), db.who(e)
	var items []banks.Item
	for _, arg := range fs.Args()[1:] {
		it, note, err := bankItem(arg)
		if err != nil {
			return fmt.Errorf("%s: %w (nothing was added)", arg, err)
		}
		if note != "" {
			fmt.Fprintf(e.stdout, "%s: %s\n", arg, note)
		}
		items = append(items, it)
	}
	st, admin, err := openBanks(ctx, &db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := admin.Add(ctx, spec, items)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, c)
	return nil
}

// bankItem reads one argument of bank add: a hash (pdq:HEX, md5:HEX,
// sha256:HEX; 64 bare hex digits are PDQ, 32 are MD5) or an image file,
// which is hashed (PDQ, MD5, SHA-256) and named by its file name.
func bankItem(arg string) (banks.Item, string, error) {
	if h, ok, err := banks.ParseHashArg(arg); ok {
		return banks.Item{Hashes: h, Quality: -1}, "", err
	}
	if _, err := hex.DecodeString(arg); err == nil && (len(arg) == 64 || len(arg) == 32) {
		prefix := "pdq:"
		if len(arg) == 32 {
			prefix = "md5:"
		}
		h, _, err := banks.ParseHashArg(prefix + arg)
		return banks.Item{Hashes: h, Quality: -1}, "", err
	}
	data, err := os.ReadFile(arg)
	if errors.Is(err, os.ErrNotExist) {
		return banks.Item{}, "", errors.New("neither a file nor a hash (write hashes as pdq:HEX, md5:HEX or sha256:HEX)")
	}
	if err != nil {
		return banks.Item{}, "", err
	}
	h := images.Hash(data, imagingLimits, false)
	if !h.Decoded {
		return banks.Item{}, "", fmt.Errorf("not an image we can hash: %s", safeguard.ErrorMessage(h.Err))
	}
	note := ""
	if !h.Matchable() {
		note = fmt.Sprintf("PDQ quality %d is below 50: this image is matched by its exact hashes only", h.Quality)
	}
	return banks.Item{ExternalID: filepath.Base(arg), Quality: h.Quality, Hashes: hashbank.Hashes{
		Kinds: hashbank.KindPDQ | hashbank.KindMD5 | hashbank.KindSHA256, PDQ: h.PDQ[0], MD5: h.MD5, SHA256: h.SHA256}}, note, nil
}

func cmdBankRemove(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank remove", "bank remove BANK ENTRY… (an external id, #N for an entry number, or pdq:HEX, md5:HEX, sha256:HEX)")
	var db bankDBFlags
	bindBankDB(fs, &db)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return bankUsageError("want a bank and at least one entry")
	}
	st, admin, err := openBanks(ctx, &db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := admin.Remove(ctx, fs.Arg(0), fs.Args()[1:], db.who(e))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, c)
	return nil
}

// cmdBankEnable returns the command that enables or disables a bank.
func cmdBankEnable(enabled bool) func(context.Context, *env, []string) error {
	name := "disable"
	if enabled {
		name = "enable"
	}
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlagSet(e, "bank "+name, "bank "+name+" BANK")
		var db bankDBFlags
		bindBankDB(fs, &db)
		if err := parseFlags(fs, e, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return bankUsageError("want one bank")
		}
		st, admin, err := openBanks(ctx, &db, false)
		if err != nil {
			return err
		}
		defer st.Close()
		c, err := admin.SetEnabled(ctx, fs.Arg(0), enabled, db.who(e))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, c)
		return nil
	}
}

func cmdBankMatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bank match", "bank match [--bank-radius R] [--bank-dihedral=false] [--json] FILE…")
	var db bankDBFlags
	bindBankDB(fs, &db)
	var cfg images.Config
	bindMatchFlags(fs, &cfg)
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return bankUsageError("want at least one image file")
	}
	st, err := db.store.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Limits = imagingLimits
	scanner, err := images.New(cfg, images.Deps{Store: st})
	if err != nil {
		return bankUsageError("%v", err)
	}
	if _, err := scanner.Load(ctx); err != nil {
		return err
	}
	for _, file := range fs.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		res, err := scanner.Match(ctx, data)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := json.NewEncoder(e.stdout).Encode(matchJSON(file, res)); err != nil {
				return err
			}
			continue
		}
		printMatch(e.stdout, file, res)
	}
	return nil
}

// bindMatchFlags defines the flags of matching shared by serve and bank
// match.
func bindMatchFlags(fs *flag.FlagSet, c *images.Config) {
	fs.IntVar(&c.Radius, "bank-radius", hashbank.DefaultRadius, "PDQ match radius in bits (Hamming distance)")
	fs.BoolFunc("bank-dihedral", "match the hashes of an image's rotations and mirror images too (default true)", func(s string) error {
		var b boolValue
		if err := b.Set(s); err != nil {
			return err
		}
		c.SingleHash = !bool(b)
		return nil
	})
}

// boolValue parses a flag's boolean value as the flag package does.
type boolValue bool

func (b *boolValue) Set(s string) error {
	switch strings.ToLower(s) {
	case "1", "t", "true", "yes":
		*b = true
	case "0", "f", "false", "no":
		*b = false
	default:
		return fmt.Errorf("want true or false, not %q", s)
	}
	return nil
}

func describeMatch(m safeguard.BankMatch) string {
	entry := fmt.Sprintf("#%d", m.EntryID)
	if m.Entry != "" {
		entry = m.Entry + " (" + entry + ")"
	}
	how := "exact " + m.Kind
	if m.Kind == "pdq" {
		how = fmt.Sprintf("pdq distance %d, transform %s", m.Distance, m.Transform)
	}
	return fmt.Sprintf("bank %s, entry %s, %s", m.Bank, entry, how)
}

func printMatch(w io.Writer, file string, res *images.Result) {
	h := res.Hashes
	what := fmt.Sprintf("PDQ quality %d", h.Quality)
	switch {
	case !h.Decoded:
		what = fmt.Sprintf("not decoded (%s): exact hashes only", h.Code())
	case !h.Matchable():
		what += ", below 50: exact hashes only"
	}
	if len(res.Matches) == 0 && len(res.Suppressed) == 0 {
		fmt.Fprintf(w, "%s: no match (%s; generation %d)\n", file, what, res.Generation)
		return
	}
	fmt.Fprintf(w, "%s: %d match(es) (%s; generation %d)\n", file, len(res.Matches), what, res.Generation)
	for _, m := range res.Matches {
		fmt.Fprintf(w, "  match       %s\n", describeMatch(m))
	}
	for _, m := range res.Suppressed {
		fmt.Fprintf(w, "  suppressed  %s\n", describeMatch(m))
	}
	for _, m := range res.Negative {
		fmt.Fprintf(w, "  by negative %s\n", describeMatch(m))
	}
}

func matchJSON(file string, res *images.Result) any {
	h := res.Hashes
	out := map[string]any{"file": file, "generation": res.Generation, "decoded": h.Decoded, "pdq_quality": h.Quality,
		"md5": h.MD5.String(), "sha256": h.SHA256.String(),
		"matches": orNone(res.Matches), "suppressed": orNone(res.Suppressed), "negative": orNone(res.Negative)}
	if h.Decoded {
		out["pdq"] = h.PDQ[0].String()
	} else {
		out["reason"] = h.Code()
	}
	return out
}

func orNone(ms []safeguard.BankMatch) []safeguard.BankMatch {
	if ms == nil {
		return []safeguard.BankMatch{}
	}
	return ms
}
