package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of the cases flags.
const (
	defaultCasesInterval     = time.Second
	defaultRetentionInterval = time.Hour
)

// caseConfig is what the cases, the evidence vault and the law-enforcement
// reports read from flags (serve, demo and the case, report and evidence
// commands). Where the evidence and the reports are comes from dataFlags.
type caseConfig struct {
	evidenceDir, evidenceKey, evidencePub string
	reportDir, reportEmail, serviceName   string
	reportOrg                             string
	testReports, suspendOnMatch           bool
	oncallWebhook                         string
	ncmecURL, ncmecUser                   string
	casesInterval, retentionInterval      time.Duration
	retention                             retentionPeriods

	ncmecPassword string // secret, from the environment only

	files blob.Store // in a cluster, the files the servers share; nil: the directories
	node  string     // serve: this server's name, recorded with each occurrence it records
}

// bindCaseFlags defines the server's settings of cases, reports and the
// evidence vault.
func bindCaseFlags(fs *flag.FlagSet, c *caseConfig) {
	bindReportFlags(fs, c)
	fs.BoolVar(&c.suspendOnMatch, "suspend-on-match", true, "hold, silently, everything an adult sends after a known image of theirs matched, until a moderator decides (a minor never is)")
	fs.StringVar(&c.oncallWebhook, "oncall-webhook", "", "URL that receives a POST (JSON: case id, priority, reasons; never content) for each priority 1 case")
	fs.DurationVar(&c.casesInterval, "cases-interval", defaultCasesInterval, "how often new detections are turned into cases")
	fs.DurationVar(&c.retentionInterval, "retention-interval", defaultRetentionInterval, "how often evidence retention runs")
	bindRetentionFlags(fs, &c.retention)
}

// bindReportFlags defines what a law-enforcement report says of the
// service, and where NCMEC takes reports (serve, and the commands that
// file or export a report).
func bindReportFlags(fs *flag.FlagSet, c *caseConfig) {
	bindReporterFlags(fs, c)
	fs.BoolVar(&c.testReports, "test-reports", false, "mark every law-enforcement report as a test (tests and demos; a data directory the demo made is test data, its reports always TEST)")
	fs.StringVar(&c.ncmecURL, "ncmec-url", "", "NCMEC CyberTipline API base URL: file reports with NCMEC instead of exporting them ($SAFEGUARD_NCMEC_PASSWORD holds the password)")
	fs.StringVar(&c.ncmecUser, "ncmec-user", "", "NCMEC API user name")
}

// bindReporterFlags defines what a law-enforcement report says of the
// service and who reports (report export, which files nothing, has these
// alone).
func bindReporterFlags(fs *flag.FlagSet, c *caseConfig) {
	fs.StringVar(&c.reportEmail, "report-email", "", "the reporting person's email address, required in NCA and NCMEC reports (reporting is configured with it, --report-org and, to file with NCMEC, the --ncmec flags; with none of them, report packages are exported for a person to submit by hand)")
	fs.StringVar(&c.reportOrg, "report-org", "", "the organisation that reports, named as the reporter in NCA and NCMEC reports")
	fs.StringVar(&c.serviceName, "service-name", cases.DefaultServiceName, "the service's name in reports")
}

func (c *caseConfig) readSecrets(e *env) { c.ncmecPassword = e.getenv("SAFEGUARD_NCMEC_PASSWORD") }

// reportsDir is where report packages are written: --report-dir, or a
// "reports" directory beside the evidence directory (in the data
// directory, when the evidence is there).
func (c caseConfig) reportsDir() string {
	if c.reportDir != "" {
		return c.reportDir
	}
	return filepath.Join(filepath.Dir(filepath.Clean(c.evidenceDir)), "reports")
}

// reporting says how law-enforcement reports are filed. With none of the
// reporting settings given, packages are exported for a person to submit by
// hand (manual). Once any is given, all that filing needs must be: the
// reporting person's email address and the organisation, and for NCMEC its
// URL, user and password; the error names each one missing.
func (c caseConfig) reporting() (manual bool, err error) {
	ncmec := c.ncmecURL != "" || c.ncmecUser != ""
	if c.reportEmail == "" && c.reportOrg == "" && !ncmec {
		return true, nil
	}
	var missing []string
	for _, f := range []struct {
		name string
		set  bool
		need bool
	}{
		{"--report-email", c.reportEmail != "", true},
		{"--report-org", c.reportOrg != "", true},
		{"--ncmec-url", c.ncmecURL != "", ncmec},
		{"--ncmec-user", c.ncmecUser != "", ncmec},
		{"$SAFEGUARD_NCMEC_PASSWORD", c.ncmecPassword != "", ncmec},
	} {
		if f.need && !f.set {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Errorf("law-enforcement reporting is configured but incomplete: missing %s "+
			"(give --report-email and --report-org, and for NCMEC --ncmec-url, --ncmec-user and $SAFEGUARD_NCMEC_PASSWORD; "+
			"or none of them, to export report packages for a person to submit by hand)", strings.Join(missing, ", "))
	}
	return false, nil
}

// openVault opens the evidence items and the signing key. With create (the
// server), missing keys and the directory are made, and a new signing key's
// public key logged, to pin; without, what is missing is an error and
// nothing is made. A pinned public key must match.
func openVault(c caseConfig, log *slog.Logger, create bool, now func() time.Time) (*evidence.Vault, *media.Sealed, error) {
	items, err := openEvidenceItems(c, create)
	if err != nil {
		return nil, nil, err
	}
	path := evidenceKeyPath(c)
	if !create {
		if err := mustExist(path, "evidence signing key", "evidence-key"); err != nil {
			return nil, nil, err
		}
	}
	key, err := evidence.LoadKey(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		pub, gerr := evidence.GenerateKey(path)
		if gerr != nil {
			return nil, nil, gerr
		}
		if log != nil {
			log.Warn("evidence key created; pin its public key with --evidence-pubkey and keep the key file away from the database",
				"key", path, "pubkey", hex.EncodeToString(pub))
		}
		key, err = evidence.LoadKey(path)
	}
	if err != nil {
		return nil, nil, err
	}
	if c.evidencePub != "" {
		pub, err := evidence.ParsePublicKey(c.evidencePub)
		if err != nil {
			return nil, nil, err
		}
		if !pub.Equal(key.Public().(ed25519.PublicKey)) {
			return nil, nil, errors.New("--evidence-key does not match the pinned --evidence-pubkey")
		}
	}
	return evidence.New(items, key, now), items, nil
}

// clusterVault opens the evidence vault of a server of a cluster: its items
// under the keyring's evidence data key, signed with the keyring's evidence
// key, the one signer of the cluster's evidence log.
func clusterVault(c caseConfig, keys *keyring.Keys) (*evidence.Vault, error) {
	items, err := evidenceItems(c, keys.EvidenceData)
	if err != nil {
		return nil, err
	}
	return evidence.New(items, keys.EvidenceSigning, nil), nil
}

// commandVault opens, for a command other than serve, the evidence vault of
// a cluster with its keyring's keys; a missing directory is an error and
// nothing is made.
func commandVault(c caseConfig, keys *keyring.Keys) (*evidence.Vault, error) {
	if err := checkPinned(c.evidencePub, keys.EvidenceSigning); err != nil {
		return nil, err
	}
	items, err := commandItems(c, keys)
	if err != nil {
		return nil, err
	}
	return evidence.New(items, keys.EvidenceSigning, nil), nil
}

// commandItems opens the evidence items of a cluster with its keyring's
// data key; a missing directory is an error and nothing is made.
func commandItems(c caseConfig, keys *keyring.Keys) (*media.Sealed, error) {
	if err := mustExist(c.evidenceDir, "evidence directory", "evidence-dir"); err != nil && c.files == nil {
		return nil, err
	}
	return evidenceItems(c, keys.EvidenceData)
}

// evidenceItems opens the evidence items under key: a cluster's shared
// files, or else the evidence directory.
func evidenceItems(c caseConfig, key []byte) (*media.Sealed, error) {
	if c.files != nil {
		return media.New(blob.Sub(c.files, sharedEvidence), key)
	}
	return media.OpenDisk(c.evidenceDir, key)
}

// newCases builds the cases service over st, with the evidence vault opened
// by openVault.
// With no reporting configured, report packages are exported for a person
// to submit by hand; reporting configured but incomplete is an error.
func newCases(c caseConfig, st store.Store, md media.Store, vault *evidence.Vault, notify messaging.Notifier, lookup cases.Lookup, log *slog.Logger) (*cases.Service, error) {
	manual, err := c.reporting()
	if err != nil {
		return nil, err
	}
	dir := c.reportsDir()
	var sub, prep lawreport.Submitter = &lawreport.FileExport{Dir: dir, Logger: log}, nil
	var state ncmec.StateStore = &ncmec.DirStore{Dir: dir}
	if c.files != nil {
		// A cluster: packages, prepared ones and NCMEC's progress in the
		// files every server reads.
		reports := blob.Sub(c.files, sharedReports)
		sub = &lawreport.StoreExport{Files: reports, Logger: log, Lock: exportLock(st, "report-export:")}
		prep = &lawreport.StoreExport{Files: blob.Sub(reports, "prepared/"), Logger: log, Lock: exportLock(st, "report-prepared:")}
		state = &ncmec.FileStore{Files: reports}
	}
	if c.ncmecURL != "" {
		sub, err = ncmecSubmitter(c, st, state, log)
		if err != nil {
			return nil, err
		}
	}
	var alerter cases.Alerter
	if c.oncallWebhook != "" {
		alerter = &cases.Webhook{URL: c.oncallWebhook, Log: log}
	}
	org := c.reportOrg
	if org == "" {
		org = c.serviceName
	}
	builder := &lawreport.Builder{ContactEmail: c.reportEmail, Manual: manual,
		Reporter: lawreport.Reporter{Email: c.reportEmail, FirstName: org, LastName: "Trust and Safety"}}
	// A priority 1 case's package is prepared apart, in "prepared": the
	// decision files a package built afresh, with every occurrence so far
	// and the deciding moderator's declaration.
	svc, err := cases.New(cases.Config{ServiceName: c.serviceName, TestReports: c.testReports, PrepareDir: filepath.Join(dir, "prepared"),
		HoldOnMatch:      c.suspendOnMatch,
		ManualSubmission: manual, Node: c.node},
		cases.Deps{Store: st, Media: md, Vault: vault, Builder: builder, Submitter: sub, Prepare: prep, Alerter: alerter, Notify: notify, Lookup: lookup, Log: log})
	return svc, err
}

// ncmecSubmitter files reports with NCMEC. What it remembers of each filing
// is in the store, which every server and command shares (a state an
// earlier version left in the reports' files, legacy, is read there), and each
// filing runs under a lease on its reference: two servers, or a server and
// a command, never file one reference at once, and a reference NCMEC
// finished is never filed again.
func ncmecSubmitter(c caseConfig, st store.Store, legacy ncmec.StateStore, log *slog.Logger) (lawreport.Submitter, error) {
	leases, err := lease.New(lease.Config{Holder: lease.Identity()}, lease.Deps{Driver: lease.Store{Store: st}, Log: log})
	if err != nil {
		return nil, err
	}
	return leasedSubmitter{leases: leases, sub: &ncmec.Submitter{
		Client: &ncmec.Client{BaseURL: c.ncmecURL, Username: c.ncmecUser, Password: c.ncmecPassword},
		Store:  storeFilings{st: st, legacy: legacy}, Logger: log}}, nil
}

// leasedSubmitter files each reference under its lease.
type leasedSubmitter struct {
	leases *lease.Manager
	sub    lawreport.Submitter
}

// Submit implements lawreport.Submitter. A reference another server is
// filing now is refused as unavailable, to be tried again (the case is left
// report_failed); the retry finds that filing's state.
func (l leasedSubmitter) Submit(ctx context.Context, pkg *lawreport.Package) (rec lawreport.Receipt, err error) {
	err = l.leases.Do(ctx, "ncmec:"+pkg.Reference, func(ctx context.Context) (err error) {
		rec, err = l.sub.Submit(ctx, pkg)
		return err
	})
	if errors.Is(err, lease.ErrHeld) {
		return rec, &safeguard.Error{Kind: safeguard.ErrUnavailable, Code: "report_in_progress",
			Message: "Another server is filing this report now; try again shortly.", Err: err}
	}
	return rec, err
}

// storeFilings keeps NCMEC filing states in the store.
type storeFilings struct {
	st     store.Store
	legacy ncmec.StateStore // read when the store has no state
}

// Load implements ncmec.StateStore.
func (f storeFilings) Load(ctx context.Context, ref string) (ncmec.State, bool, error) {
	var b []byte
	err := f.st.View(ctx, func(tx store.Tx) (err error) { b, err = tx.NCMECFiling(ctx, ref); return err })
	if errors.Is(err, safeguard.ErrNotFound) {
		return f.legacy.Load(ctx, ref)
	}
	if err != nil {
		return ncmec.State{}, false, err
	}
	var st ncmec.State
	if err := json.Unmarshal(b, &st); err != nil {
		return ncmec.State{}, false, fmt.Errorf("ncmec state %s: %w", ref, err)
	}
	return st, true, nil
}

// Save implements ncmec.StateStore.
func (f storeFilings) Save(ctx context.Context, st ncmec.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return f.st.Update(ctx, func(tx store.Tx) error { return tx.PutNCMECFiling(ctx, st.Reference, b, time.Now()) })
}

// runCaseJobs runs the outbox consumer and, under its lease (hold), the
// retention job until ctx ends.
func runCaseJobs(ctx context.Context, c caseConfig, svc *cases.Service, accounts *messaging.Service,
	hold func(name string, job func(context.Context)), log *slog.Logger) {
	go svc.Run(ctx, c.casesInterval)
	hold(leaseRetention, func(ctx context.Context) {
		t := time.NewTicker(c.retentionInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := c.retention.checkStore(ctx, svc.Store); err != nil {
					log.Error("evidence retention refused", "err", err)
					continue
				}
				if res, err := svc.Vault.Retain(ctx, svc.Store, c.retention.evidenceRetention(), time.Now()); err != nil {
					log.Error("evidence retention", "err", err)
				} else if res.Deleted > 0 {
					log.Info("evidence retention", "deleted", res.Deleted, "held", res.Held)
				}
				if res, err := accounts.RetainDeleted(ctx); err != nil {
					log.Error("deleted account retention", "err", err)
				} else if res.Erased > 0 || res.Released > 0 {
					log.Info("deleted account retention", "erased", res.Erased, "released", res.Released, "held", res.Held)
				}
			}
		}
	})
}

// openEvidenceItems opens the directory of the vault's items with its data
// key beside it; with create, both are made if absent, and without, a
// missing one is an error.
func openEvidenceItems(c caseConfig, create bool) (*media.Sealed, error) {
	keyPath := strings.TrimRight(c.evidenceDir, string(os.PathSeparator)) + ".key"
	if !create {
		if err := mustExist(c.evidenceDir, "evidence directory", "evidence-dir"); err != nil && c.files == nil {
			return nil, err
		}
		if err := mustExist(keyPath, "evidence data key", "evidence-dir"); err != nil {
			return nil, err
		}
	}
	dkey, err := media.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("evidence data key: %w", err)
	}
	if c.files != nil {
		return media.New(blob.Sub(c.files, sharedEvidence), dkey)
	}
	return media.OpenDisk(c.evidenceDir, dkey)
}
