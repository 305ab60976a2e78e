package lawreport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*lawreport.Incident)
		want string // what the message must say
	}{
		{"empty reference", func(i *lawreport.Incident) { i.Reference = "" }, "reference: empty"},
		{"dot reference", func(i *lawreport.Incident) { i.Reference = "..x" }, "reference: must start"},
		{"slash in reference", func(i *lawreport.Incident) { i.Reference = "a/b" }, `reference: character '/'`},
		{"long reference", func(i *lawreport.Incident) { i.Reference = strings.Repeat("a", 101) }, "reference: longer"},
		{"self follow-up", func(i *lawreport.Incident) { i.FollowUpOf = i.Reference }, "follow_up_of: a report cannot follow up itself"},
		{"no service", func(i *lawreport.Incident) { i.Service = " " }, "service: empty"},
		{"no app", func(i *lawreport.Incident) { i.App = "" }, "app: empty"},
		{"type", func(i *lawreport.Incident) { i.Type = "csam" }, `type: "csam"`},
		{"source", func(i *lawreport.Incident) { i.DetectionSource = "ai" }, `detection_source: "ai"`},
		{"detected", func(i *lawreport.Incident) { i.DetectedAt = time.Time{} }, "detected_at: missing"},
		{"signal", func(i *lawreport.Incident) { i.Signals = append(i.Signals, "meeting") }, `signals[1]: unknown signal "meeting"`},
		{"content kind", func(i *lawreport.Incident) { i.Content[0].Kind = "photo" }, `content[0].kind`},
		{"content time", func(i *lawreport.Incident) { i.Content[0].SentAt = time.Time{} }, "content[0].sent_at"},
		{"md5", func(i *lawreport.Incident) { i.Content[0].MD5 = "abc" }, "content[0].md5: want 32"},
		{"sha256", func(i *lawreport.Incident) { i.Content[0].SHA256 = strings.Repeat("g", 64) }, "content[0].sha256"},
		{"pdq", func(i *lawreport.Incident) { i.Content[0].PDQ = "00" }, "content[0].pdq"},
		{"pdq quality", func(i *lawreport.Incident) { i.Content[0].PDQQuality = 101 }, "content[0].pdq_quality"},
		{"classification", func(i *lawreport.Incident) { i.Content[0].Classification = "C3" }, "content[0].classification"},
		{"bank", func(i *lawreport.Incident) { i.Content[0].MatchedBanks[0].Bank = "" }, "content[0].matched_banks[0]"},
		{"link", func(i *lawreport.Incident) { i.Content[0].Kind = lawreport.KindURL }, "content[0].url"},
		{"upload ip", func(i *lawreport.Incident) { i.Content[0].Upload.IP = netip.Addr{} }, "content[0].upload.ip"},
		{"no reported user", func(i *lawreport.Incident) { i.ReportedUsers = nil }, "reported_users: at least one"},
		{"account id", func(i *lawreport.Incident) { i.ReportedUsers[0].AccountID = "" }, "reported_users[0].account_id"},
		{"band", func(i *lawreport.Incident) { i.ReportedUsers[0].AgeBand = "old" }, "reported_users[0].age_band"},
		{"assurance", func(i *lawreport.Incident) { i.ReportedUsers[0].AgeAssurance = "sure" }, "reported_users[0].age_assurance"},
		{"status", func(i *lawreport.Incident) { i.ReportedUsers[0].Status = "gone" }, "reported_users[0].status"},
		{"event", func(i *lawreport.Incident) { i.ReportedUsers[0].Connections[0].Event = "view" }, "reported_users[0].connections[0].event"},
		{"connected", func(i *lawreport.Incident) {
			i.ReportedUsers[0].ConnectedAccounts = []lawreport.ConnectedAccount{{Relation: "x"}}
		}, "reported_users[0].connected_accounts[0]"},
		{"adult child", func(i *lawreport.Incident) { i.Children[0].DateOfBirth = safeguard.Date{Year: 1980, Month: 1, Day: 1} }, "children[0]: an adult"},
		{"declaration", func(i *lawreport.Incident) { i.Declaration.By = "" }, "declaration:"},
		{"prior", func(i *lawreport.Incident) { i.AlreadyReported = []lawreport.PriorReport{{Body: "NCMEC"}} }, "already_reported[0]"},
		{"thread index", func(i *lawreport.Incident) { i.Thread[0].ContentIndex = 2 }, "thread[0]: content index 2"},
		{"two at once", func(i *lawreport.Incident) { i.Service, i.App = "", "" }, "(and 1 more)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := lawreporttest.Incident(lawreporttest.Image(1))
			tt.edit(inc)
			err := inc.Validate()
			if !errors.Is(err, safeguard.ErrInvalid) || safeguard.ErrorCode(err) != lawreport.CodeInvalidIncident {
				t.Fatalf("Validate = %v, want %s", err, lawreport.CodeInvalidIncident)
			}
			if msg := safeguard.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not say %q", msg, tt.want)
			}
			if _, err := lawreporttest.Builder().Build(inc); !errors.Is(err, safeguard.ErrInvalid) {
				t.Errorf("Build = %v, want ErrInvalid", err)
			}
		})
	}
	if err := lawreporttest.Incident(lawreporttest.Image(1)).Validate(); err != nil {
		t.Errorf("the synthetic incident is invalid: %v", err)
	}
}

func TestBuildChecksFileHashes(t *testing.T) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Content[0].MD5 = strings.Repeat("0", 32)
	if _, err := lawreporttest.Builder().Build(inc); !errors.Is(err, safeguard.ErrInvalid) || !strings.Contains(safeguard.ErrorMessage(err), "md5 does not match") {
		t.Errorf("wrong MD5: Build = %v", err)
	}
	inc = lawreporttest.Incident(lawreporttest.Image(1))
	inc.Content[0].SHA256 = strings.Repeat("0", 64)
	if _, err := lawreporttest.Builder().Build(inc); !errors.Is(err, safeguard.ErrInvalid) || !strings.Contains(safeguard.ErrorMessage(err), "sha256 does not match") {
		t.Errorf("wrong SHA-256: Build = %v", err)
	}

	// Hashes not stated are computed from the file, which may come from Open.
	img := lawreporttest.Image(3)
	inc = lawreporttest.Incident(img)
	want := inc.Content[0].MD5
	inc.Content[0].MD5, inc.Content[0].SHA256, inc.Content[0].Data = "", "", nil
	opened := 0
	inc.Content[0].Open = func() (io.ReadCloser, error) {
		opened++
		return io.NopCloser(bytes.NewReader(img)), nil
	}
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pkg.NCA, []byte(`"md5": "`+want+`"`)) {
		t.Error("the computed MD5 is not in the NCA report")
	}
	if inc.Content[0].MD5 != "" {
		t.Error("Build modified the caller's incident")
	}
	r, err := pkg.Files[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, img) || opened != 2 {
		t.Errorf("file from Open: %d bytes after %d opens", len(got), opened)
	}

	inc.Content[0].Open = func() (io.ReadCloser, error) { return nil, errors.New("vault unavailable") }
	if _, err := lawreporttest.Builder().Build(inc); err == nil || !strings.Contains(err.Error(), "vault unavailable") {
		t.Errorf("Open failing: Build = %v", err)
	}
}

func TestBuildNeedsReporter(t *testing.T) {
	b := lawreporttest.Builder()
	b.Reporter.Email = ""
	if _, err := b.Build(lawreporttest.Incident(lawreporttest.Image(1))); safeguard.ErrorCode(err) != "reporter_missing" {
		t.Errorf("Build = %v, want reporter_missing", err)
	}
}

// TestAlreadyReported: content already reported is named, not reported
// again; an incident already with NCMEC gets no NCMEC report.
func TestAlreadyReported(t *testing.T) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Content[0].AlreadyReported = []lawreport.PriorReport{{Body: lawreport.BodyNCMEC, Reference: "990012"}}
	inc.AlreadyReported = []lawreport.PriorReport{{Body: lawreport.BodyNCMEC, Reference: "990012"}, {Body: "IWF", Reference: "iwf-9"}}
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Content           []json.RawMessage   `json:"content"`
		AlreadyReportedTo []map[string]string `json:"already_reported_to"`
	}
	if err := json.Unmarshal(pkg.NCA, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) != 0 {
		t.Errorf("content already reported is reported again: %s", doc.Content)
	}
	want := []map[string]string{{"body": "NCMEC", "reference": "990012"}, {"body": "IWF", "reference": "iwf-9"}}
	if diff := cmp.Diff(want, doc.AlreadyReportedTo); diff != "" {
		t.Errorf("already_reported_to (-want +got):\n%s", diff)
	}
	if pkg.NCMEC != nil || pkg.NCMECPrior != "990012" {
		t.Errorf("NCMEC report made again (prior %q)", pkg.NCMECPrior)
	}
	if len(pkg.Files) != 0 {
		t.Errorf("files = %d, want none", len(pkg.Files))
	}

	// Only a law-enforcement body makes the NCMEC report's lawEnforcement
	// section.
	for body, want := range map[string]bool{"IWF": false, "Bedfordshire Police": true, "NCA": true} {
		inc := lawreporttest.Incident(lawreporttest.Image(1))
		inc.AlreadyReported = []lawreport.PriorReport{{Body: body, Reference: "r-1"}}
		pkg, err := lawreporttest.Builder().Build(inc)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(pkg.NCMEC, []byte("<agencyName>"+body+"</agencyName>")); got != want {
			t.Errorf("already reported to %s: lawEnforcement section %v, want %v", body, got, want)
		}
	}
}

func TestFollowUp(t *testing.T) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Reference, inc.FollowUpOf = "SG-TEST-2", lawreporttest.Reference
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pkg.NCA, []byte(`"follow_up_of": "`+lawreporttest.Reference+`"`)) {
		t.Error("NCA report does not reference the first report")
	}
	if !bytes.Contains(pkg.NCMEC, []byte("Follow-up to service reference "+lawreporttest.Reference)) {
		t.Error("NCMEC report does not reference the first report")
	}
}

func TestFileNames(t *testing.T) {
	tests := map[string]string{
		"beach.png":            "media/01-beach.png",
		"../../etc/passwd":     "media/01-passwd",
		`C:\Users\x\pic 1.jpg`: "media/01-pic_1.jpg",
		".hidden":              "media/01-hidden",
		"":                     "media/01-content.png",
		"ünïcødé.png":          "media/01-n_c_d_.png",
	}
	for in, want := range tests {
		inc := lawreporttest.Incident(lawreporttest.Image(1))
		inc.Content[0].FileName = in
		pkg, err := lawreporttest.Builder().Build(inc)
		if err != nil {
			t.Fatal(err)
		}
		if got := pkg.Files[0].Name; got != want {
			t.Errorf("file name %q → %q, want %q", in, got, want)
		}
	}
}

func TestThreadCSVDefusesFormulas(t *testing.T) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	inc.Thread[0].Text = `=HYPERLINK("http://example.invalid")`
	inc.Thread[1].SenderHandle = "@user"
	pkg, err := lawreporttest.Builder().Build(inc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(pkg.Thread)
	for _, want := range []string{`"'=HYPERLINK(""http://example.invalid"")"`, ",'@user,"} {
		if !strings.Contains(s, want) {
			t.Errorf("thread.csv lacks %s:\n%s", want, s)
		}
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		name string
		u    lawreport.User
		want lawreport.Force
		ok   bool
	}{
		{"Bedford by code", lawreport.User{LocalAuthority: "E06000055"}, lawreport.Force{Code: "E23000026", Name: "Bedfordshire Police"}, true},
		{"Cambridge by name", lawreport.User{LocalAuthority: "Cambridge"}, lawreport.Force{Code: "E23000023", Name: "Cambridgeshire Constabulary"}, true},
		{"force code wins", lawreport.User{LocalAuthority: "Cambridge", PoliceForce: lawreport.Force{Code: "e23000026"}}, lawreport.Force{Code: "E23000026", Name: "Bedfordshire Police"}, true},
		{"unknown force code", lawreport.User{PoliceForce: lawreport.Force{Code: "E23999999"}}, lawreport.Force{}, false},
		{"unknown authority", lawreport.User{LocalAuthority: "Atlantis"}, lawreport.Force{}, false},
		{"nothing", lawreport.User{}, lawreport.Force{}, false},
	}
	for _, tt := range tests {
		got, ok := lawreport.Route(&tt.u)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Route = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	inc := lawreporttest.Incident(lawreporttest.Image(1))
	builder := lawreporttest.Builder()
	for b.Loop() {
		if _, err := builder.Build(inc); err != nil {
			b.Fatal(err)
		}
	}
}
