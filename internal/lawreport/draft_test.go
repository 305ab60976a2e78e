package lawreport_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
)

// A draft says DRAFT in every document a person or NCMEC could read, and is
// never filed with NCMEC.
func TestDraftPackageIsStamped(t *testing.T) {
	inc := lawreporttest.Incident(syntheticImage(t))
	inc.Draft = true
	inc.Reference += "-DRAFT"
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !pkg.Draft {
		t.Fatal("the package is not marked as a draft")
	}
	if !strings.Contains(string(pkg.NCMEC), lawreport.DraftMarker) {
		t.Error("the NCMEC report does not say DRAFT")
	}
	root := t.TempDir()
	rec, err := exporter(root).Submit(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Draft || !strings.HasSuffix(rec.ID, "-DRAFT") {
		t.Errorf("receipt = %+v, want a draft in a directory named DRAFT", rec)
	}
	readme, _ := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportReadme))
	for _, line := range strings.Split(strings.TrimSpace(string(readme)), "\n") {
		if !strings.Contains(line, "DRAFT") {
			t.Errorf("README line without DRAFT: %q", line)
		}
	}
	index, _ := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportIndex))
	if !strings.Contains(string(index), lawreport.DraftMarker) || !strings.Contains(string(index), "<title>DRAFT") {
		t.Error("index.html does not say DRAFT")
	}
	fd, _ := os.ReadFile(filepath.Join(rec.ID, "ncmec-filedetails-01.xml"))
	if !strings.Contains(string(fd), lawreport.DraftMarker) {
		t.Error("the file details do not say DRAFT")
	}
	sub := &ncmec.Submitter{Client: &ncmec.Client{BaseURL: "http://127.0.0.1:1"}, Store: &ncmec.MemoryStore{}}
	if _, err := sub.Submit(t.Context(), pkg); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("NCMEC took a draft: %v", err)
	}
}

// With no reporting person configured, a Manual builder still makes a
// package, for a person to complete and submit; without Manual it refuses.
func TestManualPackageWithoutReporter(t *testing.T) {
	b := lawreporttest.Builder()
	b.Reporter.Email, b.ContactEmail = "", ""
	inc := lawreporttest.Incident(syntheticImage(t))
	if _, err := b.Build(inc); !errors.Is(err, safeguard.ErrInvalid) || !strings.Contains(safeguard.ErrorMessage(err), "email") {
		t.Fatalf("build with no reporter = %v, want reporter_missing", err)
	}
	b.Manual = true
	pkg, err := b.Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !pkg.Manual || strings.Contains(string(pkg.NCMEC), "<email") {
		t.Errorf("manual package: manual=%v, NCMEC reporter email present=%v", pkg.Manual, strings.Contains(string(pkg.NCMEC), "<email"))
	}
	if err := xmllint(t, map[string][]byte{"report": pkg.NCMEC}); err != nil {
		t.Error(err)
	}
	rec, err := exporter(t.TempDir()).Submit(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	readme, _ := os.ReadFile(filepath.Join(rec.ID, lawreport.ExportReadme))
	if !rec.Manual || !strings.Contains(string(readme), "No reporting person is configured") {
		t.Errorf("manual export: receipt %+v, README says nothing of the missing reporter", rec)
	}
	sub := &ncmec.Submitter{Client: &ncmec.Client{BaseURL: "http://127.0.0.1:1"}, Store: &ncmec.MemoryStore{}}
	if _, err := sub.Submit(t.Context(), pkg); !errors.Is(err, safeguard.ErrInvalid) {
		t.Errorf("NCMEC took a package with no reporting person: %v", err)
	}
}
