package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/web"
)

const accountUsage = `Usage: safeguard account SUBCOMMAND [flags]
  find [PATTERN] [--band child|teen|adult] [--status S] [--assurance A] [--limit N] [--after ID]
  show HANDLE
  verify HANDLE --method TEXT [--note TEXT] --by NAME
  unverify HANDLE --reason TEXT --by NAME
  suspend HANDLE --reason TEXT --by NAME
  unsuspend HANDLE --reason TEXT --by NAME
  reset-password HANDLE --by NAME
  delete HANDLE --reason TEXT --by NAME
  sessions HANDLE
  logout HANDLE --by NAME
HANDLE is a handle (leo.37) or an account's numeric ID. Every subcommand takes --db and --json.`

// accountArgs is an account subcommand's parsed command line.
type accountArgs struct {
	sub, db, ref          string
	json                  bool
	by, reason, method    string
	note                  string
	band, status, assur   string
	limit                 int
	after                 int64
	resetTTL, auditPeriod time.Duration
}

// accountSub is one subcommand of account: whether it names an account,
// and what it does.
type accountSub struct {
	names bool
	run   func(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error
}

var accountSubs = map[string]accountSub{
	"find":           {false, accountFind},
	"show":           {true, accountShow},
	"verify":         {true, accountVerify},
	"unverify":       {true, accountStatusChange},
	"suspend":        {true, accountStatusChange},
	"unsuspend":      {true, accountStatusChange},
	"reset-password": {true, accountReset},
	"delete":         {true, accountDelete},
	"sessions":       {true, accountSessions},
	"logout":         {true, accountLogout},
}

// cmdAccount looks after chat accounts from the operator's side, on the
// database directly: what the operator API does, for a shell.
func cmdAccount(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, accountUsage)
		return &exitError{code: 2, err: errors.New("")}
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stdout, accountUsage)
		return nil
	}
	sub, ok := accountSubs[args[0]]
	if !ok {
		fmt.Fprintln(e.stderr, accountUsage)
		return &exitError{code: 2, err: fmt.Errorf("there is no account subcommand %q", args[0])}
	}
	a, err := parseAccountArgs(e, args[0], sub.names, args[1:])
	if err != nil {
		return err
	}
	st, err := openStore(ctx, a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := messaging.New(messaging.Config{
		// The account commands hash no password: the cheapest settings do
		// for the dummy hash the service makes at start.
		Argon2:           messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1},
		PasswordResetTTL: a.resetTTL,
		Retention:        messaging.Retention{Content: evidence.ContentPeriod, Reference: evidence.ReferencePeriod, Audit: a.auditPeriod},
	}, messaging.Deps{Store: st, Media: noMedia{}})
	if err != nil {
		return err
	}
	defer svc.Close()
	return sub.run(ctx, e, svc, a)
}

// parseAccountArgs parses the flags of the subcommand sub, given before or
// after its positional argument (HANDLE, or find's PATTERN).
func parseAccountArgs(e *env, sub string, names bool, args []string) (accountArgs, error) {
	a := accountArgs{sub: sub}
	fs := newFlagSet(e, "account "+sub, "account "+sub+" [HANDLE] [flags]")
	fs.StringVar(&a.db, "db", defaultDB, "database: a SQLite file path, or a postgres:// URL")
	fs.BoolVar(&a.json, "json", false, "write JSON, as the operator API answers")
	switch sub {
	case "find":
		fs.StringVar(&a.band, "band", "", "child, teen or adult")
		fs.StringVar(&a.status, "status", "", "active, pending_guardian, suspended or deleted")
		fs.StringVar(&a.assur, "assurance", "", "self-declared or verified")
		fs.IntVar(&a.limit, "limit", 50, "accounts per page (at most 500)")
		fs.Int64Var(&a.after, "after", 0, "the ID after which the page starts (the \"next\" of the page before)")
	case "verify":
		fs.StringVar(&a.method, "method", "", "how the age was checked, e.g. \"passport checked\"")
		fs.StringVar(&a.note, "note", "", "a note for the audit log")
	case "unverify", "suspend", "unsuspend", "delete":
		fs.StringVar(&a.reason, "reason", "", "why, for the audit log")
	}
	switch sub {
	case "find", "show", "sessions":
	default:
		fs.StringVar(&a.by, "by", "", "who makes the change, for the audit log (required)")
	}
	if sub == "reset-password" {
		fs.DurationVar(&a.resetTTL, "password-reset-ttl", messaging.DefaultPasswordResetTTL, "how long the code lasts")
	}
	if sub == "delete" {
		fs.DurationVar(&a.auditPeriod, "audit-retention", 0, "how long audit entries are kept, as the answer states it (0: without a set end)")
	}
	pos, err := parseInterspersed(fs, e, args)
	if err != nil {
		return a, err
	}
	switch {
	case names && len(pos) != 1:
		return a, &exitError{code: 2, err: fmt.Errorf("account %s: give one HANDLE (a handle or a numeric ID)", sub)}
	case !names && len(pos) > 1:
		return a, &exitError{code: 2, err: fmt.Errorf("account %s: give at most one PATTERN", sub)}
	case len(pos) == 1:
		a.ref = pos[0]
	}
	return a, nil
}

// parseInterspersed parses args with fs, taking flags wherever they stand
// among the positional arguments, which it returns in order.
func parseInterspersed(fs *flag.FlagSet, e *env, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, e, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// noMedia is the media store of the account commands, which read and write
// no media.
type noMedia struct{}

var errNoMedia = errors.New("the account commands keep no media")

func (noMedia) Put(context.Context, []byte) (string, error) { return "", errNoMedia }
func (noMedia) Get(context.Context, string) ([]byte, error) { return nil, errNoMedia }
func (noMedia) Delete(context.Context, string) error        { return errNoMedia }

func writeAccountJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func accountFind(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	as, next, err := svc.FindAccounts(ctx, messaging.AccountSearch{Pattern: a.ref, Band: safeguard.AgeBand(a.band),
		Status: safeguard.AccountStatus(a.status), Assurance: safeguard.Assurance(a.assur), After: a.after, Limit: a.limit})
	if err != nil {
		return err
	}
	now := time.Now()
	if a.json {
		out := client.AccountPage{Accounts: []client.Account{}, Next: next}
		for _, acc := range as {
			out.Accounts = append(out.Accounts, web.WireAccount(acc, now))
		}
		return writeAccountJSON(e.stdout, out)
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no accounts match")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHANDLE\tBAND\tASSURANCE\tSTATUS\tCREATED")
	for _, acc := range as {
		v := web.WireAccount(acc, now)
		band := v.AgeBand
		if band == "" {
			band = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Handle, band, v.AgeAssurance, v.Status, v.CreatedAt.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next != 0 {
		fmt.Fprintf(e.stdout, "more: --after %d\n", next)
	}
	return nil
}

func accountShow(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	d, err := svc.Detail(ctx, a.ref)
	if err != nil {
		return err
	}
	v := web.WireAccountDetail(d, time.Now())
	if a.json {
		return writeAccountJSON(e.stdout, v)
	}
	w := e.stdout
	fmt.Fprintf(w, "%s (ID %d)\n", v.Handle, v.ID)
	fmt.Fprintf(w, "  age band:   %s\n  assurance:  %s\n  status:     %s\n  app:        %s\n  created:    %s\n",
		v.AgeBand, v.AgeAssurance, v.Status, v.App, v.CreatedAt.Format(time.RFC3339))
	if v.LocalAuthority != "" {
		fmt.Fprintf(w, "  lives in:   %s (police force %s)\n", v.LocalAuthority, v.PoliceForce)
	}
	if v.Guardian != "" {
		fmt.Fprintf(w, "  guardian:   %s\n", v.Guardian)
	}
	if len(v.Children) > 0 {
		fmt.Fprintf(w, "  guardian of: %s\n", strings.Join(v.Children, ", "))
	}
	c := v.Counts
	fmt.Fprintf(w, "  has:        %d contacts, %d blocks, %d conversations, %d messages sent, %d live sessions, %d cases as sender, %d reports made\n",
		c.Contacts, c.Blocks, c.Conversations, c.MessagesSent, c.Sessions, c.Cases, c.Reports)
	if len(v.AssuranceHistory) == 0 {
		fmt.Fprintln(w, "  age assurance: never changed by an operator")
		return nil
	}
	fmt.Fprintln(w, "  age assurance history:")
	for _, h := range v.AssuranceHistory {
		fmt.Fprintf(w, "    %s  %s → %s", h.At.Format(time.RFC3339), h.From, h.Level)
		if h.Method != "" {
			fmt.Fprintf(w, "  method: %s", h.Method)
		}
		if h.Note != "" {
			fmt.Fprintf(w, "  note: %s", h.Note)
		}
		if h.By != "" {
			fmt.Fprintf(w, "  by: %s", h.By)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func accountVerify(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, err := svc.Verify(ctx, a.ref, a.method, a.note, a.by)
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, web.WireAccount(acc, time.Now()))
	}
	fmt.Fprintf(e.stdout, "%s is verified (%s), recorded in the audit log as by %s\n", acc.Handle, a.method, a.by)
	return nil
}

// accountStatusChange runs unverify, suspend and unsuspend.
func accountStatusChange(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	var acc *safeguard.Account
	var err error
	var said string
	switch a.sub {
	case "unverify":
		acc, err = svc.Unverify(ctx, a.ref, a.reason, a.by)
		said = "is no longer verified (self-declared); if an adult, it has left its end-to-end encrypted conversations"
	case "suspend":
		acc, err = svc.Suspend(ctx, a.ref, a.reason, a.by)
		said = "is suspended; its sessions have ended (a running server ends its live streams within a heartbeat)"
	default:
		acc, err = svc.Unsuspend(ctx, a.ref, a.reason, a.by)
		said = "is no longer suspended"
	}
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, web.WireAccount(acc, time.Now()))
	}
	fmt.Fprintf(e.stdout, "%s %s\n", acc.Handle, said)
	return nil
}

func accountReset(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	code, acc, err := svc.IssueReset(ctx, a.ref, a.by)
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, client.ResetCode{Handle: acc.Handle, Code: code.Code, ExpiresAt: code.ExpiresAt})
	}
	fmt.Fprintf(e.stdout, "reset code for %s (shown once, stored only as a hash): %s\n", acc.Handle, code.Code)
	fmt.Fprintf(e.stdout, "it works once, until %s; every session of %s has ended\n", code.ExpiresAt.UTC().Format(time.RFC3339), acc.Handle)
	return nil
}

func accountDelete(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, d, err := svc.DeleteAccount(ctx, a.ref, a.reason, a.by)
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, client.AccountDeleted{Account: web.WireAccount(acc, time.Now()), Deletion: web.WireDeletion(d)})
	}
	fmt.Fprintf(e.stdout, "%s (ID %d) is deleted; its handle stays reserved\nkept:\n", acc.Handle, acc.ID)
	for _, k := range d.Kept {
		fmt.Fprintf(e.stdout, "  - %s\n    why: %s\n    until: %s\n", k.What, k.Why, k.Until)
	}
	fmt.Fprintln(e.stdout, "deleted:")
	for _, k := range d.Deleted {
		fmt.Fprintf(e.stdout, "  - %s\n", k.What)
	}
	return nil
}

func accountSessions(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, vs, err := svc.AccountSessions(ctx, a.ref)
	if err != nil {
		return err
	}
	ss := web.WireSessions(vs)
	if a.json {
		return writeAccountJSON(e.stdout, client.AccountSessions{Handle: acc.Handle, Sessions: ss})
	}
	if len(ss) == 0 {
		fmt.Fprintf(e.stdout, "%s has no live sessions\n", acc.Handle)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAPP\tADDRESS\tCREATED\tLAST USED\tEXPIRES")
	for _, s := range ss {
		used := "-"
		if s.LastUsedAt != nil {
			used = s.LastUsedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.App, s.Address, s.CreatedAt.Format(time.RFC3339), used, s.ExpiresAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func accountLogout(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, err := svc.LogoutAccount(ctx, a.ref, a.by)
	if err != nil {
		return err
	}
	if a.json {
		return writeAccountJSON(e.stdout, web.WireAccount(acc, time.Now()))
	}
	fmt.Fprintf(e.stdout, "every session of %s has ended (a running server ends its live streams within a heartbeat)\n", acc.Handle)
	return nil
}
