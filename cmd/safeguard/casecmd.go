package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// caseCommands are the subcommands of "safeguard case".
var caseCommands = []command{
	{name: "list", summary: "list the review queue", example: "case list --data demo", access: reads, run: cmdCaseList},
	{name: "show", summary: "show one case as the API's JSON", args: "ID", example: "case show 1 --data demo", access: reads, run: cmdCaseShow},
	{name: "decide", summary: "decide a case (a report decision files the law-enforcement report)", args: "ID",
		example: "case decide 1 --decision no-violation --reason \"a family photo\" --data demo", access: writes, run: cmdCaseDecide},
	{name: "report-retry", summary: "file again a case's report that failed", args: "ID",
		example: "case report-retry 2 --data demo", access: writes, run: cmdCaseReportRetry},
	{name: "report-submitted", summary: "record that a report package awaiting manual submission was submitted, under the receiving body's reference", args: "ID",
		example: "case report-submitted 2 --reference NCA-1234 --data demo", access: writes, run: cmdCaseReportSubmitted},
}

// reportCommands are the subcommands of "safeguard report".
var reportCommands = []command{
	{name: "export", summary: "write a case's NCA and NCMEC report package into a directory",
		example: "report export --case 2 --out report-2 --draft --data demo", access: writes, run: cmdReportExport},
}

// evidenceCommands are the subcommands of "safeguard evidence".
var evidenceCommands = []command{
	{name: "verify", summary: "check the evidence log's chain and signatures against the pinned key, and each item's bytes",
		example: "evidence verify --data demo --evidence-pubkey $(cat demo.pubkey)", access: reads, run: cmdEvidenceVerify},
	{name: "pubkey", summary: "print the public key of the evidence signing key, to pin with --evidence-pubkey",
		example: "evidence pubkey --data demo", access: reads, run: cmdEvidencePubkey},
	{name: "keygen", summary: "make a new evidence signing key (before the server first starts)",
		example: "evidence keygen --evidence-key /etc/safeguard/evidence.signing.key", access: writes, run: cmdEvidenceKeygen},
	{name: "retain", summary: "delete the evidence past its retention, each item with a signed tombstone",
		example: "evidence retain --data demo", access: writes, run: cmdEvidenceRetain},
}

// caseEnv is a store and the cases service, opened for a command.
type caseEnv struct {
	st    store.Store
	svc   *cases.Service
	close func()
	// test: the data directory holds test data (its test-data marker),
	// so the reports made are marked TEST whatever the flags say.
	test bool
	data string
}

// sayTest tells, when the data is test data, that the reports are TEST.
func (ce *caseEnv) sayTest(e *env) {
	if ce.test {
		fmt.Fprintln(e.stdout, testDataSaid(ce.data))
	}
}

// openMediaToRead opens the media for an operator command: the media
// directory, or a cluster's shared files; with the keyring's media key (keys
// not nil), or else the key file's or SAFEGUARD_MEDIA_KEY's. A missing key or
// directory is an error and nothing is made.
func openMediaToRead(e *env, d *dataFlags, files blob.Store, keys *keyring.Keys) (media.Store, error) {
	mediaKey := e.getenv("SAFEGUARD_MEDIA_KEY")
	if mediaKey == "" && keys == nil {
		if err := mustExist(d.mediaKeyFile, "media key", "media-key-file"); err != nil {
			return nil, err
		}
	}
	if files == nil {
		if err := mustExist(d.mediaDir, "media directory", "media"); err != nil {
			return nil, err
		}
	}
	return openMedia(serveConfig{mediaDir: d.mediaDir, mediaKeyFile: d.mediaKeyFile, mediaKey: mediaKey, files: files, keys: keys})
}

// needClusterFiles refuses a command on a cluster's database (keys from
// its keyring) without --nats: its evidence, media and report files are in
// the store the servers share, and without it the command would delete,
// read or write files nobody else sees.
//
// With --nats, the store there must be the one the cluster of the database
// made (its name is the keyring's, clusterID): another NATS would have the
// command delete, read or write files the servers never see.
func needClusterFiles(ctx context.Context, keys *keyring.Keys, nats string, files blob.Store) error {
	if keys != nil && nats == "" {
		return &exitError{code: 2, err: errors.New("this database is a cluster's, whose files are in the store its servers share: give --nats URL (or SAFEGUARD_NATS)")}
	}
	ns, ok := files.(*natsblob.Store)
	if keys == nil || !ok {
		return nil
	}
	name, err := ns.Cluster(ctx)
	if err != nil {
		return err
	}
	if want := clusterID(keys); name != want {
		return &exitError{code: 2, err: fmt.Errorf("the file store on --nats %s is not this database's cluster's (it names %q, the database's cluster is %s): give the NATS its servers are given",
			nats, name, want)}
	}
	return nil
}

// openCaseEnv opens the store and the cases service with its vault and
// media, for a command that changes cases; what is missing is an error and
// nothing is created.
func openCaseEnv(ctx context.Context, e *env, d *dataFlags, cc caseConfig) (*caseEnv, error) {
	d.resolve()
	d.cases(&cc)
	cc.readSecrets(e)
	test := isTestData(d.data)
	if test {
		cc.testReports = true
	}
	st, err := d.openRead(ctx)
	if err != nil {
		return nil, err
	}
	files, closeFiles, err := openClusterFiles(ctx, d.nats)
	if err != nil {
		st.Close()
		return nil, err
	}
	cc.files = files
	closeAll := func() { closeFiles(); st.Close() }
	fail := func(err error) (*caseEnv, error) { closeAll(); return nil, err }
	keys, err := commandKeys(ctx, e, st, d.kekFile)
	if err != nil {
		return fail(err)
	}
	if err := needClusterFiles(ctx, keys, d.nats, cc.files); err != nil {
		return fail(err)
	}
	md, err := openMediaToRead(e, d, cc.files, keys)
	if err != nil {
		return fail(err)
	}
	var vault *evidence.Vault
	if keys != nil {
		vault, err = commandVault(cc, keys)
	} else {
		vault, _, err = openVault(cc, nil, false, nil)
	}
	if err != nil {
		return fail(err)
	}
	svc, err := newCases(cc, st, md, vault, nil, nil, nil)
	if err != nil {
		return fail(err)
	}
	return &caseEnv{st: st, svc: svc, close: closeAll, test: test, data: d.data}, nil
}

// openCaseReader opens the store and a cases service that only reads
// cases: no media, no evidence key.
func openCaseReader(ctx context.Context, s *storeFlags) (*caseEnv, error) {
	st, err := s.openRead(ctx)
	if err != nil {
		return nil, err
	}
	svc, err := newCases(caseConfig{}, st, nil, evidence.New(nil, nil, nil), nil, nil, nil)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &caseEnv{st: st, svc: svc, close: func() { st.Close() }}, nil
}

// caseID reads the one positional argument of case show and case decide.
func caseID(fs *flag.FlagSet) (int64, error) {
	if fs.NArg() != 1 {
		return 0, &exitError{code: 2, err: errors.New("give one case ID")}
	}
	n, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || n <= 0 {
		return 0, &exitError{code: 2, err: fmt.Errorf("case ID %q is not a number", fs.Arg(0))}
	}
	return n, nil
}

func cmdCaseList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "case list", "case list [--json] [flags]")
	var s storeFlags
	bindStore(fs, &s)
	asJSON := fs.Bool("json", false, "write JSON")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	ce, err := openCaseReader(ctx, &s)
	if err != nil {
		return err
	}
	defer ce.close()
	return caseList(ctx, e, ce.svc, *asJSON)
}

func cmdCaseShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "case show", "case show ID [flags]")
	var s storeFlags
	bindStore(fs, &s)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	id, err := caseID(fs)
	if err != nil {
		return err
	}
	ce, err := openCaseReader(ctx, &s)
	if err != nil {
		return err
	}
	defer ce.close()
	return caseShow(ctx, e, ce.svc, id)
}

func cmdCaseDecide(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "case decide", "case decide ID --decision D --reason TEXT [--moderator NAME] [--senior] [flags]")
	var d dataFlags
	bindData(fs, &d, true)
	bindClusterFiles(fs, &d)
	var cc caseConfig
	bindReportFlags(fs, &cc)
	decision := fs.String("decision", "", "report, no-violation, remove, warn, suspend or ban")
	reason := fs.String("reason", "", "the reason for the decision")
	moderator := fs.String("moderator", "operator", "who decides (a name recorded as is; not checked against the console's moderators: whoever may run this command acts on the database directly)")
	senior := fs.Bool("senior", false, "the moderator is a senior reviewer (needed when the sender is a minor)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	id, err := caseID(fs)
	if err != nil {
		return err
	}
	if *decision == "" || *reason == "" {
		return &exitError{code: 2, err: errors.New("--decision and --reason are required")}
	}
	ce, err := openCaseEnv(ctx, e, &d, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	ce.sayTest(e)
	m := cases.Moderator{Name: *moderator, Role: cases.RoleFor(*senior)}
	return caseDecide(ctx, e, ce.svc, id, m, *decision, *reason)
}

func cmdCaseReportRetry(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "case report-retry", "case report-retry ID [--moderator NAME] [--senior] [flags]")
	var d dataFlags
	bindData(fs, &d, true)
	bindClusterFiles(fs, &d)
	var cc caseConfig
	bindReportFlags(fs, &cc)
	moderator := fs.String("moderator", "operator", "who files the report again (a name recorded as is; not checked against the console's moderators: whoever may run this command acts on the database directly)")
	senior := fs.Bool("senior", false, "the moderator is a senior reviewer (needed when the sender is a minor)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	id, err := caseID(fs)
	if err != nil {
		return err
	}
	ce, err := openCaseEnv(ctx, e, &d, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	ce.sayTest(e)
	v, rec, err := ce.svc.RetryReport(ctx, id, cases.Moderator{Name: *moderator, Role: cases.RoleFor(*senior)})
	if err != nil {
		return err
	}
	return reportOutcome(e, v, rec)
}

func cmdCaseReportSubmitted(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "case report-submitted", "case report-submitted ID --reference REF [--moderator NAME] [--senior] [flags]")
	var d dataFlags
	bindData(fs, &d, true)
	bindClusterFiles(fs, &d)
	reference := fs.String("reference", "", "the reference the receiving body gave the report submitted by hand")
	moderator := fs.String("moderator", "operator", "who records the submission (a name recorded as is; not checked against the console's moderators: whoever may run this command acts on the database directly)")
	senior := fs.Bool("senior", false, "the moderator is a senior reviewer (needed when the sender is a minor)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	id, err := caseID(fs)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*reference) == "" {
		return &exitError{code: 2, err: errors.New("--reference is required: the reference the report was submitted under")}
	}
	ce, err := openCaseEnv(ctx, e, &d, caseConfig{})
	if err != nil {
		return err
	}
	defer ce.close()
	v, err := ce.svc.MarkSubmitted(ctx, id, cases.Moderator{Name: *moderator, Role: cases.RoleFor(*senior)}, *reference)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "case %d: %s (submitted by hand as %s)\n", v.ID, v.Status, strings.TrimSpace(*reference))
	return nil
}

// reportOutcome says where a case's report stands after a filing: filed,
// awaiting submission by hand (with the package), or failed (with why, and
// exit status 1).
func reportOutcome(e *env, v *cases.CaseView, rec *lawreport.Receipt) error {
	fmt.Fprintf(e.stdout, "case %d: %s (%s)\n", v.ID, v.Status, v.Decision)
	switch {
	case v.Status == safeguard.CaseReportFailed:
		return &exitError{code: 1, err: fmt.Errorf("report failed: %s (retry with '%s case report-retry %d', with this command's --data, --db and --nats)", v.ReportFailure, invokedAs, v.ID)}
	case v.Status == safeguard.CaseAwaitingSubmission:
		fmt.Fprintf(e.stdout, "report package awaiting manual submission: %s\n"+
			"once submitted: %s case report-submitted %d --reference REF (with this command's --data, --db and --nats)\n", v.ReportPackage, invokedAs, v.ID)
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

func cmdReportExport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "report export", "report export --case ID --out DIR [--draft] [flags]")
	// Only what an export reads: the data, and what a report says of the
	// service and who reports. It files nothing, so neither NCMEC nor
	// --report-dir; it is TEST when the data is test data (the demo's).
	var d dataFlags
	bindStore(fs, &d.storeFlags)
	bindMediaFlags(fs, &d)
	bindEvidenceFlags(fs, &d)
	bindClusterFiles(fs, &d)
	var cc caseConfig
	bindReporterFlags(fs, &cc)
	id := fs.Int64("case", 0, "the case to report")
	out := fs.String("out", "", "directory to write the report package into")
	who := fs.String("moderator", "operator", "who exports the report, recorded as reading the evidence (a name recorded as is; not checked against the console's moderators: whoever may run this command acts on the database directly)")
	draft := fs.Bool("draft", false, "export a DRAFT of the report of a case not decided for a report (stamped DRAFT in every document and in its name)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *id <= 0 || *out == "" {
		return &exitError{code: 2, err: errors.New("--case and --out are required")}
	}
	ce, err := openCaseEnv(ctx, e, &d, cc)
	if err != nil {
		return err
	}
	defer ce.close()
	ce.sayTest(e)
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
	var gone int
	err = ce.st.View(ctx, func(tx store.Tx) error {
		es, err := tx.CaseEvidence(ctx, *id)
		for _, x := range es {
			if x.Kind == safeguard.EvidenceTombstone {
				gone++
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	if gone > 0 {
		fmt.Fprintf(e.stdout, "note: %d of the case's evidence items were deleted by retention (each with a signed tombstone): the package holds what is left\n", gone)
	}
	return nil
}

// evidenceKeyFlags defines --data and where the evidence signing key is.
func evidenceKeyFlags(fs *flag.FlagSet, d *dataFlags) {
	fs.StringVar(&d.data, "data", defaultData, "the data directory: database, media, evidence, reports and keys (docs/storage.md)")
	fs.StringVar(&d.evidenceDir, "evidence-dir", "", "directory of the evidence vault's items (default: evidence in the data directory)")
	fs.StringVar(&d.evidenceKey, "evidence-key", "", "file holding the ed25519 key that signs evidence checkpoints and tombstones (default: the evidence directory's path + \".signing.key\")")
}

func cmdEvidencePubkey(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "evidence pubkey", "evidence pubkey [flags]")
	var d dataFlags
	evidenceKeyFlags(fs, &d)
	fs.StringVar(&d.db, "db", "", "a database: when its keyring holds keys (a cluster's), print the key of the keyring, which every server signs with (SAFEGUARD_KEK or --kek-file opens it); else the key file's")
	bindKEK(fs, &d.kekFile)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if d.db != "" {
		st, err := d.openRead(ctx)
		if err != nil {
			return err
		}
		keys, err := commandKeys(ctx, e, st, d.kekFile)
		st.Close()
		if err != nil {
			return err
		}
		if keys != nil {
			fmt.Fprintln(e.stdout, hex.EncodeToString(keys.EvidenceSigning.Public().(ed25519.PublicKey)))
			return nil
		}
	}
	d.resolve()
	if err := mustExist(d.evidenceKey, "evidence signing key", "evidence-key"); err != nil {
		return fmt.Errorf("%w; a cluster's key is in its database's keyring: give its --db", err)
	}
	key, err := evidence.LoadKey(d.evidenceKey)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, hex.EncodeToString(key.Public().(ed25519.PublicKey)))
	return nil
}

// evidenceKeygen makes the key that signs evidence checkpoints and
// tombstones.
func cmdEvidenceKeygen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "evidence keygen", "evidence keygen [--evidence-key FILE] [flags]")
	var d dataFlags
	evidenceKeyFlags(fs, &d)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	d.resolve()
	if _, err := os.Stat(d.evidenceKey); err == nil {
		return fmt.Errorf("%s already holds an evidence key; a new key would not match the pinned one, so it is kept", d.evidenceKey)
	}
	pub, err := evidence.GenerateKey(d.evidenceKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "evidence key written to %s\npublic key (pin with --evidence-pubkey): %s\n", d.evidenceKey, hex.EncodeToString(pub))
	return nil
}

// wrongEvidenceKey is what evidence verify says when the pinned key signed
// no checkpoint of a log otherwise consistent.
const wrongEvidenceKey = "the pinned key did not sign this log: check --evidence-pubkey " +
	"(the key 'safeguard evidence pubkey' prints, with the cluster's --db for a cluster, as logged when the server first started)"

// cmdEvidenceVerify checks the evidence log and its items against the
// pinned public key.
func cmdEvidenceVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "evidence verify", "evidence verify --evidence-pubkey HEX [flags]")
	var d dataFlags
	bindStore(fs, &d.storeFlags)
	fs.StringVar(&d.evidenceDir, "evidence-dir", "", "directory of the evidence vault's items, with its data key beside it (default: evidence in the data directory)")
	fs.StringVar(&d.evidPub, "evidence-pubkey", "", "the evidence key's public key in hex, pinned ('safeguard evidence pubkey' prints it); required")
	bindClusterFiles(fs, &d)
	pkg := fs.String("package", "", "check a disclosure package ('safeguard account export') in this directory instead of the log: its signature and every file's hash")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if d.evidPub == "" {
		return &exitError{code: 2, err: errors.New("--evidence-pubkey is required: verification trusts only the pinned key ('safeguard evidence pubkey' prints the key of a signing key file)")}
	}
	pub, err := evidence.ParsePublicKey(d.evidPub)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if *pkg != "" {
		return verifyPackage(e, *pkg, pub)
	}
	d.resolve()
	var cc caseConfig
	d.cases(&cc)
	st, err := d.openRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	files, closeFiles, err := openClusterFiles(ctx, d.nats)
	if err != nil {
		return err
	}
	defer closeFiles()
	cc.files = files
	keys, err := commandKeys(ctx, e, st, d.kekFile)
	if err != nil {
		return err
	}
	if err := needClusterFiles(ctx, keys, d.nats, cc.files); err != nil {
		return err
	}
	var items *media.Sealed
	if keys != nil {
		items, err = commandItems(cc, keys)
	} else {
		items, err = openEvidenceItems(cc, false)
	}
	if err != nil {
		return fmt.Errorf("%w; nothing was verified", err)
	}
	r, err := evidence.Verify(ctx, st, pub, items)
	if err != nil {
		return err
	}
	if r.WrongKey() {
		fmt.Fprintln(e.stdout, wrongEvidenceKey)
		fmt.Fprintln(e.stdout, "what that key finds (each a signature it did not make):")
	}
	for _, p := range r.Problems {
		fmt.Fprintln(e.stdout, p)
	}
	fmt.Fprintf(e.stdout, "%d entries (%d items, %d tombstones), %d checkpoints, %d items checked\n",
		r.Entries, r.Items, r.Tombstones, r.Checkpoints, r.ItemsChecked)
	if r.NoItemFound() && d.nats != "" {
		return &exitError{code: 1, err: fmt.Errorf("none of the %d items the log lists is in the cluster's shared files at %s: is --nats the cluster of this --db? If it is, every item was deleted without a tombstone",
			r.ItemsMissing, d.nats)}
	}
	if r.NoItemFound() {
		return &exitError{code: 1, err: fmt.Errorf("none of the %d items the log lists is in %s: this is likely not this log's evidence directory (give --data or --evidence-dir); if it is, every item was deleted without a tombstone",
			r.ItemsMissing, d.evidenceDir)}
	}
	if r.WrongKey() {
		return &exitError{code: 1, err: errors.New(wrongEvidenceKey)}
	}
	if !r.OK() {
		return &exitError{code: 1, err: fmt.Errorf("evidence log does not verify: %s (tampering, or damage: see above)", problemCount(len(r.Problems)))}
	}
	fmt.Fprintln(e.stdout, "evidence log verified")
	return nil
}

// problemCount is "1 problem" or "N problems".
func problemCount(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return strconv.Itoa(n) + " problems"
}

// verifyPackage checks a disclosure package against the pinned key.
func verifyPackage(e *env, dir string, pub ed25519.PublicKey) error {
	m, problems, err := evidence.VerifyPackage(dir, pub)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(problems) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("package %s does not verify: %s (tampering, or damage: see above)", dir, problemCount(len(problems)))}
	}
	fmt.Fprintf(e.stdout, "package verified: %s, reference %s, %d files, signed by the pinned key\n", m.Subject, m.Reference, len(m.Files))
	return nil
}

// cmdEvidenceRetain deletes the evidence past its retention as of --now.
func cmdEvidenceRetain(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "evidence retain", "evidence retain [--now TIME] [flags]")
	var d dataFlags
	bindData(fs, &d, true)
	bindClusterFiles(fs, &d)
	now := fs.String("now", "", "the time to retain as of (RFC 3339; default now). A later time really erases, now, what is past its retention or preservation by then")
	var periods retentionPeriods
	bindRetentionFlags(fs, &periods)
	testReports := fs.Bool("test-reports", false, testReportsRetention)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	at := time.Now()
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--now: %v", err)}
		}
		at = t
	}
	ce, err := openCaseEnv(ctx, e, &d, caseConfig{})
	if err != nil {
		return err
	}
	defer ce.close()
	if err := periods.check(ce.test || *testReports); err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := periods.checkStore(ctx, ce.st); err != nil {
		return &exitError{code: 2, err: err}
	}
	res, err := ce.svc.Vault.Retain(ctx, ce.st, periods.evidenceRetention(), at)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "retention as of %s: %d cases, %d items deleted (each with a signed tombstone), %d cases under legal hold\n",
		at.UTC().Format(time.RFC3339), res.Cases, res.Deleted, res.Held)
	msvc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Retention: periods.messagingRetention(0)},
		messaging.Deps{Store: ce.st, Media: noMedia{}, Now: func() time.Time { return at }})
	if err != nil {
		return err
	}
	defer msvc.Close()
	acc, err := msvc.RetainDeleted(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted accounts: %d erased past their retention, %d lost what only an ended preservation or case kept (contacts, undelivered messages, logins but the last), %d held by a case or a preservation request\n",
		acc.Erased, acc.Released, acc.Held)
	return nil
}
