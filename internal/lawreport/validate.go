package lawreport

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/safeguard-dev/safeguard"
)

// CodeInvalidIncident is the error code of an Incident that cannot be
// reported as it stands.
const CodeInvalidIncident = "invalid_incident"

// MaxReferenceLen is the longest report reference accepted. References name
// directories, so they are kept short and plain.
const MaxReferenceLen = 100

// Validate reports the first thing that makes inc unfit to report, as an
// ErrInvalid *safeguard.Error whose message names the field. Hashes may be in
// either case; Build writes them in lower case.
func (inc *Incident) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	inc.validateHeader(bad)
	inc.validateParties(bad)
	inc.validateThread(bad)
	if len(errs) == 0 {
		return nil
	}
	msg := errs[0]
	if len(errs) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(errs)-1)
	}
	return safeguard.Invalid(CodeInvalidIncident, "The report cannot be made: %s.", msg)
}

// validateHeader checks what the report is: its references, service and
// app, type, source, time and signals.
func (inc *Incident) validateHeader(bad func(format string, args ...any)) {
	if err := checkReference(inc.Reference); err != "" {
		bad("reference: %s", err)
	}
	if inc.FollowUpOf != "" {
		if err := checkReference(inc.FollowUpOf); err != "" {
			bad("follow_up_of: %s", err)
		} else if inc.FollowUpOf == inc.Reference {
			bad("follow_up_of: a report cannot follow up itself")
		}
	}
	if strings.TrimSpace(inc.Service) == "" {
		bad("service: empty")
	}
	if strings.TrimSpace(inc.App) == "" {
		bad("app: empty")
	}
	switch inc.Type {
	case CSAMKnown, CSAMSuspected, Grooming, Sextortion, URLIncident, OtherIncident:
	default:
		bad("type: %q is not one of csam_known, csam_suspected, grooming, sextortion, url, other", inc.Type)
	}
	switch inc.DetectionSource {
	case HashMatch, URLMatch, RiskRule, UserReport, FrankingReport, Moderator, Classifier:
	default:
		bad("detection_source: %q is not one of hash_match, url_match, risk_rule, user_report, franking_report, moderator, classifier", inc.DetectionSource)
	}
	if inc.DetectedAt.IsZero() {
		bad("detected_at: missing")
	}
	for i, s := range inc.Signals {
		if !s.valid() {
			bad("signals[%d]: unknown signal %q", i, s)
		}
	}
}

// validateParties checks the content, the people and the declaration.
func (inc *Incident) validateParties(bad func(format string, args ...any)) {
	for i := range inc.Content {
		validateContent(&inc.Content[i], fmt.Sprintf("content[%d]", i), bad)
	}
	if len(inc.ReportedUsers) == 0 {
		bad("reported_users: at least one is needed")
	}
	for i := range inc.ReportedUsers {
		validateUser(&inc.ReportedUsers[i], fmt.Sprintf("reported_users[%d]", i), bad)
	}
	for i := range inc.Children {
		validateUser(&inc.Children[i], fmt.Sprintf("children[%d]", i), bad)
		if !inc.DetectedAt.IsZero() && inc.Children[i].band(inc.DetectedAt) == safeguard.Adult {
			bad("children[%d]: an adult at detected_at cannot be listed as a child", i)
		}
	}
	d := inc.Declaration
	if strings.TrimSpace(d.By) == "" || strings.TrimSpace(d.Role) == "" || strings.TrimSpace(d.Statement) == "" || d.MadeAt.IsZero() {
		bad("declaration: by, role, statement and made_at are all required")
	}
	for i, p := range inc.AlreadyReported {
		validatePrior(p, fmt.Sprintf("already_reported[%d]", i), bad)
	}
}

// validateThread checks the conversation around the content.
func (inc *Incident) validateThread(bad func(format string, args ...any)) {
	for i, m := range inc.Thread {
		if m.ContentIndex < 0 || m.ContentIndex > len(inc.Content) {
			bad("thread[%d]: content index %d out of range 0..%d", i, m.ContentIndex, len(inc.Content))
		}
		if m.SentAt.IsZero() {
			bad("thread[%d]: sent_at missing", i)
		}
	}
}

func (s Signal) valid() bool {
	switch s {
	case SignalSextortionOngoing, SignalMeetingArranged, SignalOngoingContact, SignalSelfHarm,
		SignalImmediateDanger, SignalImageRequest, SignalAgeDeception:
		return true
	}
	return false
}

func checkReference(ref string) string {
	switch {
	case ref == "":
		return "empty"
	case len(ref) > MaxReferenceLen:
		return fmt.Sprintf("longer than %d characters", MaxReferenceLen)
	case ref[0] == '.' || ref[0] == '-':
		return "must start with a letter or digit"
	}
	for _, r := range ref {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Sprintf("character %q not allowed (letters, digits, '-', '_', '.')", r)
		}
	}
	return ""
}

func validateContent(c *Content, at string, bad func(string, ...any)) {
	switch c.Kind {
	case KindImage, KindVideo, KindText, KindURL, KindFile:
	default:
		bad("%s.kind: %q is not one of image, video, text, url, file", at, c.Kind)
	}
	if c.SentAt.IsZero() {
		bad("%s.sent_at: missing", at)
	}
	if c.Kind == KindURL {
		if u, err := url.Parse(c.URL); err != nil || c.URL == "" || u.Host == "" {
			bad("%s.url: a link needs an absolute URL", at)
		}
	}
	checkHex := func(name, v string, n int) {
		if v != "" && !isHex(v, n) {
			bad("%s.%s: want %d hexadecimal digits", at, name, n)
		}
	}
	checkHex("md5", c.MD5, 32)
	checkHex("sha256", c.SHA256, 64)
	checkHex("pdq", c.PDQ, 64)
	if c.PDQQuality < 0 || c.PDQQuality > 100 {
		bad("%s.pdq_quality: %d is outside 0..100", at, c.PDQQuality)
	}
	switch c.Classification {
	case "", "A1", "A2", "B1", "B2":
	default:
		bad("%s.classification: %q is not one of A1, A2, B1, B2", at, c.Classification)
	}
	for i, m := range c.MatchedBanks {
		if m.Bank == "" || m.Distance < 0 {
			bad("%s.matched_banks[%d]: needs a bank and a distance ≥ 0", at, i)
		}
	}
	if c.Upload != nil {
		validateConnection(*c.Upload, at+".upload", bad)
	}
	for i, p := range c.AlreadyReported {
		validatePrior(p, fmt.Sprintf("%s.already_reported[%d]", at, i), bad)
	}
}

func validateUser(u *User, at string, bad func(string, ...any)) {
	if strings.TrimSpace(u.AccountID) == "" {
		bad("%s.account_id: empty", at)
	}
	if u.AgeBand != "" && !u.AgeBand.Valid() {
		bad("%s.age_band: %q is not child, teen or adult", at, u.AgeBand)
	}
	if u.AgeAssurance != "" && !u.AgeAssurance.Valid() {
		bad("%s.age_assurance: %q is not self-declared or verified", at, u.AgeAssurance)
	}
	switch u.Status {
	case "", StatusActive, StatusSuspended, StatusBanned, StatusDeleted:
	default:
		bad("%s.status: %q is not active, suspended, banned or deleted", at, u.Status)
	}
	for i, c := range u.Connections {
		validateConnection(c, fmt.Sprintf("%s.connections[%d]", at, i), bad)
	}
	for i, c := range u.ConnectedAccounts {
		if c.AccountID == "" && c.Handle == "" {
			bad("%s.connected_accounts[%d]: needs an account id or a handle", at, i)
		}
	}
}

func validateConnection(c Connection, at string, bad func(string, ...any)) {
	if !c.IP.IsValid() {
		bad("%s.ip: missing", at)
	}
	if c.At.IsZero() {
		bad("%s.at: missing", at)
	}
	switch c.Event {
	case EventLogin, EventSend, EventUpload, EventOther:
	default:
		bad("%s.event: %q is not login, send, upload or other", at, c.Event)
	}
}

func validatePrior(p PriorReport, at string, bad func(string, ...any)) {
	if strings.TrimSpace(p.Body) == "" || strings.TrimSpace(p.Reference) == "" {
		bad("%s: needs a body and a reference", at)
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
