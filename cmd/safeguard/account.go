package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/police"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// accountArgs is an account subcommand's parsed command line.
type accountArgs struct {
	sub, ref              string
	store                 storeFlags
	json                  bool
	by, reason, method    string
	date                  string
	note                  string
	remove, add           string
	band, status, assur   string
	limit                 int
	after                 int64
	resetTTL, auditPeriod time.Duration
	retention             retentionPeriods
	testReports           bool
	reference, agency     string
	days                  int
	extend                int64
}

// accountCommands are the subcommands of "safeguard account": chat accounts
// from the operator's side, on the database directly (what the operator API
// does, for a shell). HANDLE is a handle (leo.37) or an account's numeric ID.
var accountCommands = []command{
	{name: "find", summary: "find accounts by handle, age band, status or assurance, a page at a time", args: "[PATTERN]",
		example: "account find le --band teen --data demo", access: reads, run: accountCmd(accountFind, false)},
	{name: "show", summary: "show an account: age band, assurance and its history, status, guardian, counts", args: "HANDLE",
		example: "account show leo.37 --data demo", access: reads, run: accountCmd(accountShow, true)},
	{name: "verify", summary: "record that an account's age was checked", args: "HANDLE",
		example: "account verify leo.37 --method \"passport checked\" --by amir --data demo", access: writes, run: accountCmd(accountVerify, true)},
	{name: "birth-date", summary: "correct an account's date of birth after checking it; what the new age band forbids ends at once", args: "HANDLE",
		example: "account birth-date leo.37 --date 2011-03-02 --method \"birth certificate seen\" --reason \"typed wrong at sign-up\" --by amir --data demo", access: writes, run: accountCmd(accountBirthDate, true)},
	{name: "unverify", summary: "take an account's verified age back to self-declared", args: "HANDLE",
		example: "account unverify leo.37 --reason \"document withdrawn\" --by amir --data demo", access: writes, run: accountCmd(accountStatusChange, true)},
	{name: "suspend", summary: "suspend an account and end its sessions", args: "HANDLE",
		example: "account suspend leo.37 --reason \"spam reports\" --by amir --data demo", access: writes, run: accountCmd(accountStatusChange, true)},
	{name: "unsuspend", summary: "lift an account's suspension", args: "HANDLE",
		example: "account unsuspend leo.37 --reason \"appeal upheld\" --by amir --data demo", access: writes, run: accountCmd(accountStatusChange, true)},
	{name: "guardian", summary: "unlink, link or replace a child's guardian (--remove, --add, or both)", args: "HANDLE",
		example: "account guardian mia.12 --remove sam.40 --add jo.41 --reason \"court order seen\" --by amir --data demo", access: writes, run: accountCmd(accountGuardian, true)},
	{name: "reset-password", summary: "give out a one-time password reset code and end the account's sessions", args: "HANDLE",
		example: "account reset-password leo.37 --by amir --data demo", access: writes, run: accountCmd(accountReset, true)},
	{name: "delete", summary: "delete an account, keeping what cases and the law need", args: "HANDLE",
		example: "account delete leo.37 --reason \"asked by the account holder\" --by amir --data demo", access: writes, run: accountCmd(accountDelete, true)},
	{name: "sessions", summary: "list an account's live sessions", args: "HANDLE",
		example: "account sessions leo.37 --data demo", access: reads, run: accountCmd(accountSessions, true)},
	{name: "logout", summary: "end every session of an account", args: "HANDLE",
		example: "account logout leo.37 --by amir --data demo", access: writes, run: accountCmd(accountLogout, true)},
	{name: "preserve", summary: "record a police preservation request and hold the account's data for its period (or --extend one)", args: "HANDLE",
		example: "account preserve leo.37 --reference \"BDF/2026/0113\" --agency \"Bedfordshire Police\" --days 90 --by amir --data demo",
		access:  writes, run: accountCmd(accountPreserve, true)},
	{name: "preservations", summary: "list an account's preservation requests and whether each still holds", args: "HANDLE",
		example: "account preservations leo.37 --data demo", access: reads, run: accountCmd(accountPreservations, true)},
	{name: "export", summary: "write what is held of an account into a signed package, for disclosure under a legal order", args: "HANDLE",
		example: "account export leo.37 --reference \"order 2026/77\" --out leo-disclosure --by amir --data demo",
		access:  writes, run: cmdAccountExport},
}

// accountCmd is an account subcommand that runs fn on the data directory's
// database, which must be there; names says it takes one HANDLE (else at
// most one PATTERN).
func accountCmd(fn func(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error, names bool) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		a, err := parseAccountArgs(e, e.leaf.name, names, args)
		if err != nil {
			return err
		}
		st, err := a.store.openRead(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if a.sub == "delete" {
			// The periods the deletion states and keeps to: the law's, or
			// shorter only on test data with no real report.
			if err := a.retention.check(a.testReports || isTestData(a.store.data)); err != nil {
				return &exitError{code: 2, err: err}
			}
			if err := a.retention.checkStore(ctx, st); err != nil {
				return &exitError{code: 2, err: err}
			}
		}
		svc, err := messaging.New(messaging.Config{
			// The account commands hash no password: the cheapest settings do
			// for the dummy hash the service makes at start.
			Argon2:           messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1},
			PasswordResetTTL: a.resetTTL,
			Retention:        a.retention.messagingRetention(a.auditPeriod),
		}, messaging.Deps{Store: st, Media: noMedia{}})
		if err != nil {
			return err
		}
		defer svc.Close()
		return fn(ctx, e, svc, a)
	}
}

// parseAccountArgs parses the flags of the subcommand sub, given before or
// after its positional argument (HANDLE, or find's PATTERN).
func parseAccountArgs(e *env, sub string, names bool, args []string) (accountArgs, error) {
	a := accountArgs{sub: sub}
	required := map[string]string{"preserve": " --reference REF --agency NAME --days N --by NAME", "verify": " --method TEXT --by NAME", "birth-date": " --date YYYY-MM-DD --method TEXT --reason TEXT --by NAME", "unverify": " --reason TEXT --by NAME", "suspend": " --reason TEXT --by NAME",
		"unsuspend": " --reason TEXT --by NAME", "delete": " --reason TEXT --by NAME", "reset-password": " --by NAME", "logout": " --by NAME", "guardian": " --reason TEXT --by NAME"}
	fs := newFlagSet(e, "account "+sub, "account "+sub+" "+e.leaf.args+required[sub]+" [flags]")
	bindStore(fs, &a.store)
	fs.BoolVar(&a.json, "json", false, "write JSON, as the operator API answers")
	switch sub {
	case "find":
		fs.StringVar(&a.band, "band", "", "child, teen or adult")
		fs.StringVar(&a.status, "status", "", "active, pending_guardian, suspended or deleted")
		fs.StringVar(&a.assur, "assurance", "", "self-declared or verified")
		fs.IntVar(&a.limit, "limit", 50, "accounts per page (at most 500)")
		fs.Int64Var(&a.after, "after", 0, "the ID after which the page starts (the \"next\" of the page before)")
	case "verify":
		fs.StringVar(&a.method, "method", "", "how the age was checked, e.g. \"passport checked\" (required)")
		fs.StringVar(&a.note, "note", "", "a note for the audit log")
	case "birth-date":
		fs.StringVar(&a.date, "date", "", "the corrected date of birth, YYYY-MM-DD (required)")
		fs.StringVar(&a.method, "method", "", "how the date of birth was checked, e.g. \"birth certificate seen\" (required)")
		fs.StringVar(&a.reason, "reason", "", "why, for the audit log (required)")
	case "unverify", "suspend", "unsuspend", "delete":
		fs.StringVar(&a.reason, "reason", "", "why, for the audit log (required)")
	case "preserve":
		fs.StringVar(&a.reference, "reference", "", "the agency's reference for the request (required; refused with --extend)")
		fs.StringVar(&a.agency, "agency", "", "the agency that asks, e.g. \"Bedfordshire Police\" (required; refused with --extend)")
		fs.IntVar(&a.days, "days", 90, fmt.Sprintf("how many days to hold the data (at most %d); with --extend, how many days more", messaging.MaxPreservationDays))
		fs.Int64Var(&a.extend, "extend", 0, "the ID of a preservation of this account to extend by --days, instead of recording a new one")
	case "guardian":
		fs.StringVar(&a.remove, "remove", "", "the guardian (handle or ID) to unlink from the child")
		fs.StringVar(&a.add, "add", "", "the verified adult (handle or ID) to link as the child's guardian")
		fs.StringVar(&a.reason, "reason", "", "why, for the audit log (required)")
	}
	switch sub {
	case "find", "show", "sessions", "preservations":
	default:
		fs.StringVar(&a.by, "by", "", "who makes the change: the name of the person at the command line, recorded as is in the audit log "+
			"(required; any name, not checked against the console's moderators: whoever may run this command acts on the database directly)")
	}
	if sub == "reset-password" {
		fs.DurationVar(&a.resetTTL, "password-reset-ttl", messaging.DefaultPasswordResetTTL, "how long the code lasts")
	}
	if sub == "delete" {
		fs.DurationVar(&a.auditPeriod, "audit-retention", 0, "how long audit entries are kept, as the answer states it (0: without a set end)")
		bindRetentionFlags(fs, &a.retention)
		fs.BoolVar(&a.testReports, "test-reports", false, testReportsRetention)
	}
	if err := parseFlags(fs, e, args); err != nil {
		return a, err
	}
	pos := fs.Args()
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
	if v.BirthDate != "" {
		fmt.Fprintf(w, "  born:       %s\n", v.BirthDate)
	}
	if b := v.BirthDateCorrected; b != nil {
		fmt.Fprintf(w, "  date of birth corrected: %s, from %s to %s, method: %s, reason: %s, by: %s\n",
			b.At.Format(time.RFC3339), b.From, b.To, b.Method, b.Reason, b.By)
	}
	if v.LocalAuthority != "" {
		fmt.Fprintf(w, "  lives in:   %s\n", livesIn(v.LocalAuthority, v.PoliceForce))
	}
	if d.Suspension != nil {
		fmt.Fprintf(w, "  suspended:  %s\n", suspendedBy(d.Suspension))
	}
	if len(v.Guardians) > 0 {
		fmt.Fprintf(w, "  guardians:  %s\n", strings.Join(v.Guardians, ", "))
	} else if v.Guardian != "" {
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

// accountBirthDate corrects a date of birth. What the new band forbids
// ends in the same transaction, and the people concerned have their notices
// in the outbox.
func accountBirthDate(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, err := svc.CorrectBirthDate(ctx, a.ref, a.date, a.method, a.reason, a.by)
	if err != nil {
		return err
	}
	v := web.WireAccount(acc, time.Now())
	if a.json {
		return writeAccountJSON(e.stdout, v)
	}
	fmt.Fprintf(e.stdout, "%s was born on %s (age band %s, assurance %s), checked by %s; recorded in the audit log as by %s\n",
		acc.Handle, acc.BirthDate, v.AgeBand, v.AgeAssurance, a.method, a.by)
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

// accountGuardian unlinks, links or replaces a child's guardian; the child
// and its guardians are told when a server runs on the same database.
func accountGuardian(ctx context.Context, e *env, svc *messaging.Service, a accountArgs) error {
	acc, err := svc.ChangeGuardians(ctx, a.ref, messaging.GuardianChange{Remove: a.remove, Add: a.add, Reason: a.reason, By: a.by})
	if err != nil {
		return err
	}
	d, err := svc.Detail(ctx, acc.Handle)
	if err != nil {
		return err
	}
	v := web.WireAccountDetail(d, time.Now())
	if a.json {
		return writeAccountJSON(e.stdout, v)
	}
	switch {
	case len(v.Guardians) == 0:
		fmt.Fprintf(e.stdout, "%s has no guardian now and waits for one (%s); its requests waiting for a guardian keep waiting\n", v.Handle, v.Status)
	default:
		fmt.Fprintf(e.stdout, "%s's guardians: %s\n", v.Handle, strings.Join(v.Guardians, ", "))
	}
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

// livesIn names a local authority and its police force, each code in
// brackets: "Bristol, City of (E06000023), policed by Avon and Somerset
// Constabulary (E23000036)". A code the lookup does not know stands alone.
func livesIn(laCode, forceCode string) string {
	out := laCode
	if la, ok := police.LookupLocalAuthority(laCode); ok && la.Name != "" && la.Name != laCode {
		out = fmt.Sprintf("%s (%s)", la.Name, laCode)
	}
	if forceCode == "" {
		return out
	}
	force := "police force " + forceCode
	if f, ok := police.ByCode(forceCode); ok && f.Name != "" {
		force = fmt.Sprintf("%s (%s)", f.Name, forceCode)
	}
	return out + ", policed by " + force
}

// suspendedBy says who suspended an account, when and why, as the audit
// log records it.
func suspendedBy(s *messaging.Suspension) string {
	at := s.At.UTC().Format(time.RFC3339)
	if s.CaseID != 0 {
		return fmt.Sprintf("since %s, by a moderator's decision (%s) on case %d", at, s.Decision, s.CaseID)
	}
	return fmt.Sprintf("since %s, by %s: %s", at, s.By, s.Reason)
}
