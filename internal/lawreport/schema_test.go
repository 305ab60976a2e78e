package lawreport_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

// variants are incidents that between them reach every branch of the two
// report builders.
func variants(t *testing.T) map[string]*lawreport.Incident {
	t.Helper()
	img := lawreporttest.Image(1)
	v := map[string]*lawreport.Incident{"golden": lawreporttest.Incident(img)}

	// A teen pressing another teen: sextortion in progress, minor to minor,
	// text only.
	inc := lawreporttest.Incident(img)
	inc.Reference = "SG-TEST-sextortion"
	inc.Type, inc.DetectionSource = lawreport.Sextortion, lawreport.RiskRule
	inc.Signals = []lawreport.Signal{lawreport.SignalSextortionOngoing, lawreport.SignalImageRequest}
	inc.Content = []lawreport.Content{{Kind: lawreport.KindText, SentAt: inc.DetectedAt.Add(-time.Minute), EvidenceID: "ev-7"}}
	inc.Thread = nil
	inc.ReportedUsers[0].DateOfBirth = mustDate(t, "2009-01-02")
	inc.ReportedUsers[0].Email = "synthetic.teen2@example.invalid"
	inc.ReportedUsers[0].Phone = "+44 7700 900123"
	v["sextortion-minor-to-minor"] = inc

	// A link from a URL list, no child known, nothing to trace the sender by.
	inc = lawreporttest.Incident(img)
	inc.Reference = "SG-TEST-url"
	inc.Type, inc.DetectionSource, inc.Signals = lawreport.URLIncident, lawreport.URLMatch, nil
	inc.Content = []lawreport.Content{{Kind: lawreport.KindURL, URL: "https://example.invalid/synthetic-listed-page", SentAt: inc.DetectedAt}}
	inc.Children, inc.Thread = nil, nil
	inc.ReportedUsers[0].Connections = nil
	inc.ReportedUsers[0].LocalAuthority = "Atlantis"
	v["url-unrouted"] = inc

	// Already reported to NCMEC as a whole: no NCMEC report.
	inc = lawreporttest.Incident(img)
	inc.Reference = "SG-TEST-already"
	inc.AlreadyReported = []lawreport.PriorReport{{Body: lawreport.BodyNCMEC, Reference: "990011"}}
	v["already-ncmec"] = inc

	// A follow-up from an E2EE conversation: one image already reported to
	// NCMEC, a second new one; the case was already with a UK police force.
	inc = lawreporttest.Incident(img)
	inc.Reference = "SG-TEST-followup"
	inc.FollowUpOf = lawreporttest.Reference
	inc.ConversationE2EE, inc.DetectionSource = true, lawreport.FrankingReport
	inc.Content[0].AlreadyReported = []lawreport.PriorReport{{Body: lawreport.BodyNCMEC, Reference: "990012"}}
	img2 := lawreporttest.Image(2)
	sum := sha256.Sum256(img2)
	inc.Content = append(inc.Content, lawreport.Content{
		Kind: lawreport.KindImage, FileName: "../../etc/passwd", SentAt: inc.DetectedAt.Add(-time.Hour),
		SHA256: strings.ToUpper(hex.EncodeToString(sum[:])), ViewedByPerson: true, Classification: "B2",
		ContentType: "image/png", Data: img2,
	})
	inc.AlreadyReported = []lawreport.PriorReport{{Body: "Bedfordshire Police", Reference: "BP-42"}}
	inc.ReportedUsers[0].Status = lawreport.StatusBanned
	inc.ReportedUsers[0].ConnectedAccounts = append(inc.ReportedUsers[0].ConnectedAccounts,
		lawreport.ConnectedAccount{AccountID: "1003", Relation: "guardian"})
	inc.Children[0].DateOfBirth = safeguard.Date{}
	inc.Children[0].AgeBand = safeguard.Teen
	inc.Children[0].PoliceForce = lawreport.Force{Code: "E23000026"}
	inc.Children[0].Connections = append(inc.Children[0].Connections, lawreport.Connection{
		IP: netip.MustParseAddr("::ffff:198.51.100.24"), At: inc.DetectedAt, Event: lawreport.EventSend,
	})
	v["followup-e2ee"] = inc
	return v
}

func mustDate(t *testing.T, s string) safeguard.Date {
	t.Helper()
	d, err := safeguard.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// xmllint validates docs against the CyberTipline XSD, skipping the test
// only when xmllint is not installed (CI installs libxml2-utils).
func xmllint(t *testing.T, docs map[string][]byte) error {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not on PATH (Debian package libxml2-utils)")
	}
	dir := t.TempDir()
	xsd := filepath.Join(dir, "cyber_tipline.xsd")
	if err := os.WriteFile(xsd, lawreport.CyberTiplineXSD, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--noout", "--nonet", "--schema", xsd}
	for name, doc := range docs {
		p := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, out.String())
	}
	return nil
}

func TestReportsValidAgainstSchemas(t *testing.T) {
	for name, inc := range variants(t) {
		t.Run(name, func(t *testing.T) {
			pkg, err := lawreporttest.Builder().Build(inc)
			if err != nil {
				t.Fatal(err)
			}
			if err := lawreport.ValidateNCA(pkg.NCA); err != nil {
				t.Errorf("NCA report: %v", err)
			}
			docs := map[string][]byte{}
			if pkg.NCMEC != nil {
				docs["report"] = pkg.NCMEC
			}
			for _, f := range pkg.Files {
				if !f.ForNCMEC {
					continue
				}
				fd, err := f.NCMECFileDetails(123456789, "5d3b2ab6c9c8a2f5")
				if err != nil {
					t.Fatal(err)
				}
				docs[fmt.Sprintf("file%d", f.Index)] = fd
			}
			if len(docs) == 0 {
				return
			}
			if err := xmllint(t, docs); err != nil {
				t.Errorf("NCMEC documents do not validate: %v", err)
			}
		})
	}
}

// TestXMLLintRejects shows that the schema check can fail: a report with
// its sections out of the XSD's order, and one with an incident type the XSD
// does not list, are refused.
func TestXMLLintRejects(t *testing.T) {
	pkg, err := lawreporttest.Builder().Build(lawreporttest.Incident(lawreporttest.Image(1)))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(pkg.NCMEC)
	i, j := strings.Index(doc, "<incidentSummary>"), strings.Index(doc, "</incidentSummary>")+len("</incidentSummary>")
	summary := doc[i:j]
	reordered := strings.Replace(strings.Replace(doc, summary, "", 1), "</report>", summary+"</report>", 1)
	badType := strings.Replace(doc, lawreport.NCMECChildPornography, "Something Else", 1)
	for name, d := range map[string]string{"reordered": reordered, "bad-type": badType} {
		if err := xmllint(t, map[string][]byte{name: []byte(d)}); err == nil {
			t.Errorf("%s: xmllint accepted an invalid report", name)
		}
	}
}

func TestValidateNCARejects(t *testing.T) {
	pkg, err := lawreporttest.Builder().Build(lawreporttest.Incident(lawreporttest.Image(1)))
	if err != nil {
		t.Fatal(err)
	}
	good := string(pkg.NCA)
	tests := map[string]string{
		"level 4":          strings.Replace(good, `"level": 1`, `"level": 4`, 1),
		"no reasons":       strings.Replace(good, `"reasons": [`, `"reasons": [], "x": [`, 1),
		"bad date-time":    strings.Replace(good, `"created_at": "2026-05-04T16:45:00Z"`, `"created_at": "4 May 2026"`, 1),
		"bad md5":          strings.Replace(good, `"md5": "`, `"md5": "XYZ`, 1),
		"schema version":   strings.Replace(good, `"schema_version": "1"`, `"schema_version": "2"`, 1),
		"port too big":     strings.Replace(good, `"port": 51200`, `"port": 70000`, 1),
		"not json":         good[:len(good)/2],
		"no reported user": strings.Replace(good, `"reported_users": [`, `"reported_users": [], "was": [`, 1),
	}
	for name, doc := range tests {
		if doc == good {
			t.Fatalf("%s: the edit did not apply", name)
		}
		err := lawreport.ValidateNCA([]byte(doc))
		if !errors.Is(err, safeguard.ErrInvalid) || safeguard.ErrorCode(err) != lawreport.CodeInvalidReport {
			t.Errorf("%s: ValidateNCA = %v, want %s", name, err, lawreport.CodeInvalidReport)
		}
	}
}

// TestEmbeddedSchemas pins the embedded schemas to the copies in schema/,
// whose digests schema/README.md records.
func TestEmbeddedSchemas(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("schema", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"nca-report.schema.json": lawreport.NCASchema, "cyber_tipline.xsd": lawreport.CyberTiplineXSD} {
		sum := sha256.Sum256(b)
		if line := hex.EncodeToString(sum[:]) + "  " + name; !strings.Contains(string(readme), line) {
			t.Errorf("schema/README.md does not record %q", line)
		}
	}
}
