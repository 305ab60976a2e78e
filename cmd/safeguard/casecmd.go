package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// caseEnv is a store and the cases service, opened for a command.
type caseEnv struct {
	st    store.Store
	svc   *cases.Service
	close func()
}

// caseFlags defines the flags the case, report and evidence commands share.
func caseFlags(fs *flag.FlagSet, db, mediaDir, mediaKeyFile *string, cc *caseConfig) {
	fs.StringVar(db, "db", defaultDB, "database: a SQLite file path, or a postgres:// URL")
	fs.StringVar(mediaDir, "media", defaultMedia, "directory of uploaded media")
	fs.StringVar(mediaKeyFile, "media-key-file", "", "file holding the media key (default: the media directory's path + \".key\")")
	bindCaseFlags(fs, cc)
}

func openCaseEnv(ctx context.Context, e *env, db, mediaDir, mediaKeyFile string, cc caseConfig) (*caseEnv, error) {
	cc.readSecrets(e)
	st, err := openStore(ctx, db)
	if err != nil {
		return nil, err
	}
	md, err := openMedia(serveConfig{mediaDir: mediaDir, mediaKeyFile: mediaKeyFile, mediaKey: e.getenv("SAFEGUARD_MEDIA_KEY")})
	if err != nil {
		st.Close()
		return nil, err
	}
	vault, _, err := openVault(cc, nil, false, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc, err := newCases(cc, st, md, vault, nil, nil, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &caseEnv{st: st, svc: svc, close: func() { st.Close() }}, nil
}

// caseUsage lists the case subcommands.
const caseUsage = "Usage: safeguard case list [--json] | show ID | decide ID --decision D --reason TEXT [--moderator NAME] [--senior]\n" +
	"                     | report-retry ID [--moderator NAME] [--senior] | report-submitted ID --reference REF [--moderator NAME] [--senior]"

func cmdCase(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"list", "show", "decide", "report-retry", "report-submitted"}, args[0]) {
		fmt.Fprintln(e.stderr, caseUsage)
		return &exitError{code: 2, err: errors.New("")}
	}
	sub := args[0]
	fs := newFlagSet(e, "case "+sub, "case "+sub+" [flags]")
	var db, mediaDir, mediaKeyFile string
	var cc caseConfig
	caseFlags(fs, &db, &mediaDir, &mediaKeyFile, &cc)
	asJSON := fs.Bool("json", false, "write JSON")
	decision := fs.String("decision", "", "report, no-violation, remove, warn, suspend or ban")
	reason := fs.String("reason", "", "the reason for the decision")
	moderator := fs.String("moderator", "operator", "who decides")
	senior := fs.Bool("senior", false, "the moderator is a senior reviewer (needed when the sender is a minor)")
	reference := fs.String("reference", "", "report-submitted: the reference the receiving body gave the report submitted by hand")
	var id int64
	rest := args[1:]
	if sub != "list" {
		if len(rest) == 0 {
			return &exitError{code: 2, err: errors.New("a case ID is required")}
		}
		n, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || n <= 0 {
			return &exitError{code: 2, err: fmt.Errorf("case ID %q is not a number", rest[0])}
		}
		id, rest = n, rest[1:]
	}
	if err := parseFlags(fs, e, rest); err != nil {
		return err
	}
	ce, err := openCaseEnv(ctx, e, db, mediaDir, mediaKeyFile, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	switch sub {
	case "list":
		return caseList(ctx, e, ce.svc, *asJSON)
	case "show":
		return caseShow(ctx, e, ce.svc, id)
	}
	m := cases.Moderator{Name: *moderator, Role: cases.RoleFor(*senior)}
	switch sub {
	case "report-retry":
		v, rec, err := ce.svc.RetryReport(ctx, id, m)
		if err != nil {
			return err
		}
		return reportOutcome(e, v, rec)
	case "report-submitted":
		if strings.TrimSpace(*reference) == "" {
			return &exitError{code: 2, err: errors.New("--reference is required: the reference the report was submitted under")}
		}
		v, err := ce.svc.MarkSubmitted(ctx, id, m, *reference)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "case %d: %s (submitted by hand as %s)\n", v.ID, v.Status, strings.TrimSpace(*reference))
		return nil
	}
	return caseDecide(ctx, e, ce.svc, id, m, *decision, *reason)
}

// reportOutcome says where a case's report stands after a filing: filed,
// awaiting submission by hand (with the package), or failed (with why, and
// exit status 1).
func reportOutcome(e *env, v *cases.CaseView, rec *lawreport.Receipt) error {
	fmt.Fprintf(e.stdout, "case %d: %s (%s)\n", v.ID, v.Status, v.Decision)
	switch {
	case v.Status == safeguard.CaseReportFailed:
		return &exitError{code: 1, err: fmt.Errorf("report failed: %s (retry with 'safeguard case report-retry %d')", v.ReportFailure, v.ID)}
	case v.Status == safeguard.CaseAwaitingSubmission:
		fmt.Fprintf(e.stdout, "report package awaiting manual submission: %s\n"+
			"once submitted: safeguard case report-submitted %d --reference REF\n", v.ReportPackage, v.ID)
	case rec != nil:
		fmt.Fprintf(e.stdout, "report %s filed: %s %s\n", rec.Reference, rec.Destination, rec.ID)
	}
	return nil
}

// caseList writes the review queue as a table, or as the API's JSON.
func caseList(ctx context.Context, e *env, svc *cases.Service, asJSON bool) error {
	cs, err := svc.Queue(ctx, cases.QueueQuery{})
	if err != nil {
		return err
	}
	if asJSON {
		out := []client.Case{}
		for _, c := range cs {
			out = append(out, web.WireCase(c))
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"cases": out})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRIORITY\tSTATUS\tCATEGORY\tOCCURRENCES\tOPENED")
	for _, c := range cs {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\n", c.ID, c.Priority, c.Status, c.Category, c.Occurrences, c.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// caseShow writes one case as the API's JSON.
func caseShow(ctx context.Context, e *env, svc *cases.Service, id int64) error {
	v, err := svc.Case(ctx, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(web.WireCaseView(v))
}

// caseDecide decides a case, and says which report it filed, if any.
func caseDecide(ctx context.Context, e *env, svc *cases.Service, id int64, m cases.Moderator, decision, reason string) error {
	d, err := cases.ParseDecision(decision)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	v, rec, err := svc.Decide(ctx, id, cases.Decision{Moderator: m, Decision: d, Reason: reason})
	if err != nil {
		return err
	}
	return reportOutcome(e, v, rec)
}

func cmdReport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(e.stderr, "Usage: safeguard report export --case ID --out DIR [--draft]")
		return &exitError{code: 2, err: errors.New("")}
	}
	fs := newFlagSet(e, "report export", "report export --case ID --out DIR [--draft] [flags]")
	var db, mediaDir, mediaKeyFile string
	var cc caseConfig
	caseFlags(fs, &db, &mediaDir, &mediaKeyFile, &cc)
	id := fs.Int64("case", 0, "the case to report")
	out := fs.String("out", "", "directory to write the report package into")
	who := fs.String("moderator", "operator", "who exports the report (recorded as reading the evidence)")
	draft := fs.Bool("draft", false, "export a DRAFT of the report of a case not decided for a report (stamped DRAFT in every document and in its name)")
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	if *id <= 0 || *out == "" {
		return &exitError{code: 2, err: errors.New("--case and --out are required")}
	}
	ce, err := openCaseEnv(ctx, e, db, mediaDir, mediaKeyFile, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	pkg, rec, err := ce.svc.Export(ctx, *id, *out, *who, *draft)
	if safeguard.ErrorCode(err) == "report_not_decided" {
		return &exitError{code: 1, err: fmt.Errorf("%s (give --draft to export a draft)", safeguard.ErrorMessage(err))}
	}
	if err != nil {
		return err
	}
	marks := ""
	if pkg.Draft {
		marks += " (DRAFT)"
	}
	if pkg.Test {
		marks += " (TEST)"
	}
	fmt.Fprintf(e.stdout, "report %s%s, priority %d: %s\n", pkg.Reference, marks, pkg.Priority.Level, rec.ID)
	for _, r := range pkg.Routes {
		fmt.Fprintf(e.stdout, "  %s %s: %s (%s)\n", r.Role, r.AccountID, r.Force.Name, r.Force.Code)
	}
	return nil
}

func cmdEvidence(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "keygen" && args[0] != "retain") {
		fmt.Fprintln(e.stderr, "Usage: safeguard evidence verify --evidence-pubkey HEX | keygen --evidence-key FILE | retain")
		return &exitError{code: 2, err: errors.New("")}
	}
	sub := args[0]
	fs := newFlagSet(e, "evidence "+sub, "evidence "+sub+" [flags]")
	var db, mediaDir, mediaKeyFile string
	var cc caseConfig
	caseFlags(fs, &db, &mediaDir, &mediaKeyFile, &cc)
	now := fs.String("now", "", "retain: the time to retain as of (RFC 3339; default now)")
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	switch sub {
	case "keygen":
		return evidenceKeygen(e, cc)
	case "verify":
		return evidenceVerify(ctx, e, db, cc)
	default:
		return evidenceRetain(ctx, e, db, mediaDir, mediaKeyFile, cc, *now)
	}
}

// evidenceKeygen makes the key that signs evidence checkpoints and
// tombstones.
func evidenceKeygen(e *env, cc caseConfig) error {
	if cc.evidenceKey == "" {
		return &exitError{code: 2, err: errors.New("--evidence-key FILE is required")}
	}
	pub, err := evidence.GenerateKey(cc.evidenceKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "evidence key written to %s\npublic key (pin with --evidence-pubkey): %s\n", cc.evidenceKey, hex.EncodeToString(pub))
	return nil
}

// evidenceVerify checks the evidence log and its items against the pinned
// public key.
func evidenceVerify(ctx context.Context, e *env, db string, cc caseConfig) error {
	if cc.evidencePub == "" {
		return &exitError{code: 2, err: errors.New("--evidence-pubkey is required: verification trusts only the pinned key")}
	}
	pub, err := evidence.ParsePublicKey(cc.evidencePub)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	st, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	items, err := openEvidenceItems(cc)
	if err != nil {
		return err
	}
	r, err := evidence.Verify(ctx, st, pub, items)
	if err != nil {
		return err
	}
	for _, p := range r.Problems {
		fmt.Fprintln(e.stdout, p)
	}
	fmt.Fprintf(e.stdout, "%d entries (%d items, %d tombstones), %d checkpoints, %d items checked\n",
		r.Entries, r.Items, r.Tombstones, r.Checkpoints, r.ItemsChecked)
	if !r.OK() {
		return &exitError{code: 1, err: fmt.Errorf("evidence log does not verify: %d problems", len(r.Problems))}
	}
	fmt.Fprintln(e.stdout, "evidence log verified")
	return nil
}

// evidenceRetain deletes the evidence past its retention as of now (RFC
// 3339; empty is the present time).
func evidenceRetain(ctx context.Context, e *env, db, mediaDir, mediaKeyFile string, cc caseConfig, now string) error {
	at := time.Now()
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--now: %v", err)}
		}
		at = t
	}
	ce, err := openCaseEnv(ctx, e, db, mediaDir, mediaKeyFile, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	res, err := ce.svc.Vault.Retain(ctx, ce.st, evidence.Retention{}, at)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "retention as of %s: %d cases, %d items deleted (each with a signed tombstone), %d cases under legal hold\n",
		at.UTC().Format(time.RFC3339), res.Cases, res.Deleted, res.Held)
	return nil
}
