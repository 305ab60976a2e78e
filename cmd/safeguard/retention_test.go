package main

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// TestRetentionPeriods: the periods default to the law's; a longer one is
// taken; one shorter than the law's is refused unless every report is
// TEST, and none at all always is.
func TestRetentionPeriods(t *testing.T) {
	var r retentionPeriods
	bindRetentionFlags(flag.NewFlagSet("serve", flag.ContinueOnError), &r)
	if r.content != evidence.ContentPeriod || r.reference != evidence.ReferencePeriod {
		t.Fatalf("defaults %s and %s, want the law's %s and %s", r.content, r.reference, evidence.ContentPeriod, evidence.ReferencePeriod)
	}
	if got := r.evidenceRetention(); got.Content != r.content || got.Reference != r.reference {
		t.Errorf("evidence retention %+v", got)
	}
	if got := r.messagingRetention(time.Hour); got.Content != r.content || got.Reference != r.reference || got.Audit != time.Hour {
		t.Errorf("messaging retention %+v", got)
	}
	year := evidence.ContentPeriod
	for _, c := range []struct {
		content, reference time.Duration
		test               bool
		want               string // in the error; "" for none
	}{
		{year, 5 * year, false, ""},
		{2 * year, 10 * year, false, ""},
		{year - time.Hour, 5 * year, false, "--content-retention 8759h0m0s: shorter than the one year"},
		{year, 5*year - time.Hour, false, "--reference-retention 43799h0m0s: shorter than the five years"},
		{time.Second, time.Minute, true, ""},
		{0, 5 * year, true, "--content-retention 0s: want a period longer than zero"},
		{year, -time.Second, true, "--reference-retention -1s: want a period longer than zero"},
	} {
		err := retentionPeriods{c.content, c.reference}.check(c.test)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s, %s, test %v: %v", c.content, c.reference, c.test, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s, %s, test %v: %v, want %q", c.content, c.reference, c.test, err, c.want)
		}
	}
}

// TestServeRefusesShortRetention: serve refuses, before it opens anything,
// an evidence period shorter than the law's on a server whose reports are
// not all TEST, whether the flag or the environment gives it.
func TestServeRefusesShortRetention(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  map[string]string
		args []string
	}{
		{nil, []string{"--content-retention", "24h"}},
		{map[string]string{"SAFEGUARD_CONTENT_RETENTION": "24h"}, nil},
	} {
		args := append([]string{"serve", "--data", dir, "--metrics-addr", "", "--addr", "127.0.0.1:99999"}, tc.args...)
		_, errOut, code := runCmd(t, tc.env, args...)
		if code == 0 || !strings.Contains(errOut, "--content-retention 24h0m0s: shorter than the one year") {
			t.Errorf("serve %v %v: exit %d, %q; want the period refused", tc.env, tc.args, code, errOut)
		}
	}
}

// TestRetentionKeepsRealReports: a period shorter than the law's is refused
// on a database that holds a report that is not TEST, whatever the server
// or command was told; TEST reports alone, or the law's periods, pass.
func TestRetentionKeepsRealReports(t *testing.T) {
	ctx := t.Context()
	st, err := openStore(ctx, filepath.Join(t.TempDir(), "safeguard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	short := retentionPeriods{time.Second, time.Minute}
	law := retentionPeriods{evidence.ContentPeriod, evidence.ReferencePeriod}
	report := func(ref string, test bool) {
		t.Helper()
		err := st.Update(ctx, func(tx store.Tx) error {
			c := &safeguard.Case{SenderID: 1, ContentKey: "url:" + ref, Status: safeguard.CaseReported, Priority: 2,
				CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := tx.CreateCase(ctx, c); err != nil {
				return err
			}
			return tx.AddCaseReport(ctx, &safeguard.CaseReport{CaseID: c.ID, Reference: ref, Destination: "file-export",
				Priority: 2, Test: test, SubmittedAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := short.checkStore(ctx, st); err != nil {
		t.Fatalf("no reports: %v", err)
	}
	report("SG-TEST-2026-000001", true)
	if err := short.checkStore(ctx, st); err != nil {
		t.Fatalf("TEST reports alone: %v", err)
	}
	report("SG-2026-000002", false)
	if err := short.checkStore(ctx, st); err == nil || !strings.Contains(err.Error(), "holds 1 law-enforcement reports that are not TEST") {
		t.Fatalf("a real report and a short period: %v", err)
	}
	if err := law.checkStore(ctx, st); err != nil {
		t.Fatalf("the law's periods: %v", err)
	}
}

// TestServeNATSReplicas: serve takes 1, 3 or 5 copies of the cluster's
// stream and file store, and refuses another count before it opens
// anything.
func TestServeNATSReplicas(t *testing.T) {
	for _, n := range []string{"0", "2", "4", "6", "-1"} {
		_, errOut, code := runCmd(t, nil, "serve", "--data", t.TempDir(), "--metrics-addr", "", "--addr", "127.0.0.1:99999",
			"--nats", "nats://127.0.0.1:1", "--db", "postgres://127.0.0.1:1/none", "--nats-replicas", n)
		if code == 0 || !strings.Contains(errOut, "--nats-replicas "+n+": give 1 (one NATS server), 3 or 5") {
			t.Errorf("--nats-replicas %s: exit %d, %q", n, code, errOut)
		}
	}
}

// TestServeClusterKeyFiles: a server of a cluster reads its keys from the
// keyring alone, so a key file given to it is refused, not ignored.
func TestServeClusterKeyFiles(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		flag string
	}{
		{nil, []string{"--media-key-file", "m.key"}, "--media-key-file"},
		{nil, []string{"--evidence-key", "e.key"}, "--evidence-key"},
		{map[string]string{"SAFEGUARD_FRANKING_KEYS_FILE": "f.keys"}, nil, "--franking-keys-file"},
	} {
		args := append([]string{"serve", "--data", t.TempDir(), "--metrics-addr", "", "--addr", "127.0.0.1:99999",
			"--nats", "nats://127.0.0.1:1", "--db", "postgres://127.0.0.1:1/none"}, tc.args...)
		_, errOut, code := runCmd(t, tc.env, args...)
		if code != 2 || !strings.Contains(errOut, "reads no key file ("+tc.flag+")") {
			t.Errorf("%v %v: exit %d, %q; want the key file refused", tc.env, tc.args, code, errOut)
		}
	}
}
