package lawreport

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/police"
)

// The NCMEC incident types Safeguard reports under (values of the XSD's
// incidentType enumeration).
const (
	NCMECChildPornography = "Child Pornography (possession, manufacture, and distribution)"
	NCMECOnlineEnticement = "Online Enticement of Children for Sexual Acts"
)

// TestMarker is the sentence every document of a test package carries.
const TestMarker = "TEST REPORT: made by a test or demo from synthetic data. Not to be actioned."

// DraftMarker is the sentence every document of a draft package carries.
const DraftMarker = "DRAFT: the case is not decided for a report. For review only; not to be submitted."

// ncmecIncidentType maps an incident onto NCMEC's enumeration: abuse material
// and links to it are "Child Pornography"; grooming and sextortion are
// "Online Enticement"; "other" follows its content (images or video: abuse
// material, otherwise enticement).
func ncmecIncidentType(inc *Incident) string {
	switch inc.Type {
	case Grooming, Sextortion:
		return NCMECOnlineEnticement
	case OtherIncident:
		if slices.ContainsFunc(inc.Content, func(c Content) bool { return c.Kind == KindImage || c.Kind == KindVideo }) {
			return NCMECChildPornography
		}
		return NCMECOnlineEnticement
	}
	return NCMECChildPornography
}

func ipEvent(e ConnectionEvent) string {
	switch e {
	case EventLogin:
		return "Login"
	case EventUpload:
		return "Upload"
	}
	return "Other"
}

func ncmecIP(c Connection) ncmecIPCaptureEvent {
	ev := ncmecIPCaptureEvent{IPAddress: c.IP.Unmap().String(), EventName: ipEvent(c.Event), DateTime: stamp(c.At)}
	if c.Port != 0 {
		p := int(c.Port)
		ev.Port = &p
	}
	return ev
}

// incidentTime is when the incident happened: the first reported content
// sent, or the detection if there is no content.
func incidentTime(inc *Incident) (time.Time, string) {
	var first time.Time
	for _, c := range inc.Content {
		if first.IsZero() || c.SentAt.Before(first) {
			first = c.SentAt
		}
	}
	if first.IsZero() {
		return inc.DetectedAt, fmt.Sprintf("Time of detection (%s).", sourceText(inc.DetectionSource))
	}
	return first, fmt.Sprintf("Time the first reported content was sent; detected %s by %s.", stamp(inc.DetectedAt), sourceText(inc.DetectionSource))
}

// reportedToNCMEC returns the NCMEC reference of an earlier report of the
// whole incident, or "".
func reportedToNCMEC(ps []PriorReport) string {
	for _, p := range ps {
		if strings.EqualFold(p.Body, BodyNCMEC) {
			return p.Reference
		}
	}
	return ""
}

func buildNCMEC(inc *Incident, b *Builder, pri Priority, routes map[string]Force) ([]byte, error) {
	platform := inc.Service + " (" + inc.App + ")"
	when, whenDesc := incidentTime(inc)
	r := ncmecReport{
		IncidentSummary: ncmecIncidentSummary{
			IncidentType:                ncmecIncidentType(inc),
			Platform:                    platform,
			IncidentDateTime:            stamp(when),
			IncidentDateTimeDescription: whenDesc,
		},
		Reporter: ncmecReporter{
			ReportingPerson: ncmecPerson{
				FirstName: b.Reporter.FirstName,
				LastName:  b.Reporter.LastName,
			},
			CompanyTemplate: b.CompanyTemplate,
			TermsOfService:  b.TermsOfService,
			LegalURL:        b.LegalURL,
		},
	}
	if b.Reporter.Email != "" {
		r.Reporter.ReportingPerson.Email = []ncmecEmail{{Address: b.Reporter.Email}}
	}
	if b.Reporter.Phone != "" {
		r.Reporter.ReportingPerson.Phone = []string{b.Reporter.Phone}
	}
	if pri.Urgent() {
		r.IncidentSummary.EscalateToHighPriority = "Priority 1 (child at immediate risk): " + strings.Join(pri.Reasons, " ")
	}
	ann := ncmecAnnotations{
		Sextortion:              inc.Type == Sextortion || slices.Contains(inc.Signals, SignalSextortionOngoing),
		CSAMSolicitation:        slices.Contains(inc.Signals, SignalImageRequest),
		MinorToMinorInteraction: inc.minorSender() && len(inc.Children) > 0,
	}
	if ann != (ncmecAnnotations{}) {
		r.IncidentSummary.ReportAnnotations = &ann
	}

	r.InternetDetails = ncmecInternet(inc, platform)
	for _, p := range inc.AlreadyReported {
		if lawEnforcement(p.Body) {
			r.LawEnforcement = &ncmecLawEnforcement{AgencyName: p.Body, CaseNumber: p.Reference, ReportedToLE: true}
			break
		}
	}

	var prior []int64
	for _, c := range inc.Content {
		for _, p := range c.AlreadyReported {
			if id, err := strconv.ParseInt(p.Reference, 10, 64); err == nil && strings.EqualFold(p.Body, BodyNCMEC) && !slices.Contains(prior, id) {
				prior = append(prior, id)
			}
		}
	}
	for i := range inc.ReportedUsers {
		r.PersonOrUserReported = append(r.PersonOrUserReported, ncmecReportedUserOf(inc, &inc.ReportedUsers[i], platform, prior, routes))
	}
	for i := range inc.Children {
		u := &inc.Children[i]
		v := ncmecVictim{
			Person:            ncmecPersonOf(u, inc.DetectedAt),
			ESPIdentifier:     u.AccountID,
			ESPService:        platform,
			ScreenName:        u.Handle,
			EstimatedLocation: location(u, routes),
			AdditionalInfo:    userInfo(u, inc.DetectedAt, routes, "child"),
		}
		if u.DisplayName != "" {
			v.DisplayName = []string{u.DisplayName}
		}
		for _, c := range u.Connections {
			v.IPCaptureEvent = append(v.IPCaptureEvent, ncmecIP(c))
		}
		r.Victim = append(r.Victim, v)
	}
	r.AdditionalInfo = reportInfo(inc, pri)
	return marshalXML(r)
}

// ncmecInternet is where the incident happened online: the chat, and the
// web pages of the links sent in it that NCMEC has not had yet.
func ncmecInternet(inc *Incident, platform string) []ncmecInternetDetails {
	chat := &ncmecChatIM{ChatClient: platform, AdditionalInfo: chatInfo(inc)}
	out := []ncmecInternetDetails{{ChatIM: chat}}
	var urls []string
	for _, c := range inc.Content {
		if c.Kind == KindURL && !sentTo(c.AlreadyReported, BodyNCMEC) {
			urls = append(urls, c.URL)
		}
	}
	if len(urls) > 0 {
		out = append(out, ncmecInternetDetails{WebPage: &ncmecWebPage{
			URL: urls, AdditionalInfo: "Links sent in a chat on " + platform + ".",
		}})
	}
	return out
}

// ncmecReportedUserOf describes reported user u, with the NCMEC reports
// made before (prior).
func ncmecReportedUserOf(inc *Incident, u *User, platform string, prior []int64, routes map[string]Force) ncmecReportedUser {
	ru := ncmecReportedUser{
		ESPIdentifier:  u.AccountID,
		ESPService:     platform,
		ScreenName:     u.Handle,
		PriorCTReports: prior,
		AdditionalInfo: userInfo(u, inc.DetectedAt, routes, "reported user"),
	}
	if p := ncmecPersonOf(u, inc.DetectedAt); !p.empty() {
		ru.Person = &p
	}
	if u.DisplayName != "" {
		ru.DisplayName = []string{u.DisplayName}
	}
	for _, c := range u.Connections {
		ru.IPCaptureEvent = append(ru.IPCaptureEvent, ncmecIP(c))
	}
	switch u.Status {
	case StatusSuspended:
		ru.AccountTemporarilyDisabled = &ncmecDisabled{Value: true}
	case StatusBanned, StatusDeleted:
		ru.AccountPermanentlyDisabled = &ncmecDisabled{Value: true}
	}
	ru.EstimatedLocation = location(u, routes)
	for _, ca := range u.ConnectedAccounts {
		typ := "Linked"
		if strings.EqualFold(ca.Relation, "guardian") {
			typ = "Parent/Guardian"
		}
		ru.AssociatedAccount = append(ru.AssociatedAccount, ncmecAssociatedAccount{
			Type: typ, Platform: platform, ESPService: platform,
			ESPIdentifier: ca.AccountID, ScreenName: ca.Handle, AdditionalInfo: ca.Relation,
		})
	}
	return ru
}

func marshalXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// lawEnforcement reports whether body is a UK law-enforcement body: the NCA
// or a police force the ONS data knows.
func lawEnforcement(body string) bool {
	if strings.EqualFold(body, BodyNCA) || strings.EqualFold(body, "National Crime Agency") {
		return true
	}
	_, ok := police.MatchForce(body)
	return ok
}

func sentTo(ps []PriorReport, body string) bool {
	return slices.ContainsFunc(ps, func(p PriorReport) bool { return strings.EqualFold(p.Body, body) })
}

func ncmecPersonOf(u *User, at time.Time) ncmecPerson {
	var p ncmecPerson
	if u.Email != "" {
		p.Email = []ncmecEmail{{Address: u.Email}}
	}
	if u.Phone != "" {
		p.Phone = []string{u.Phone}
	}
	if !u.DateOfBirth.IsZero() {
		age := safeguard.AgeOn(u.DateOfBirth, at)
		p.Age = &age
		p.DateOfBirth = u.DateOfBirth.String()
	}
	return p
}

func location(u *User, routes map[string]Force) *ncmecLocation {
	f, ok := routes[u.AccountID]
	if !ok {
		return nil
	}
	return &ncmecLocation{City: localAuthorityName(u), Region: areaName(f), CountryCode: country(f)}
}

func userInfo(u *User, at time.Time, routes map[string]Force, role string) string {
	var s []string
	if b := u.band(at); b != "" {
		s = append(s, fmt.Sprintf("Age band of the %s: %s.", role, b))
	}
	if u.AgeAssurance != "" {
		s = append(s, fmt.Sprintf("Age assurance: %s.", u.AgeAssurance))
	}
	if !u.CreatedAt.IsZero() {
		s = append(s, fmt.Sprintf("Account created %s.", stamp(u.CreatedAt)))
	}
	if f, ok := routes[u.AccountID]; ok {
		s = append(s, fmt.Sprintf("UK police force area: %s (ONS %s).", f.Name, f.Code))
	}
	return strings.Join(s, " ")
}

func chatInfo(inc *Incident) string {
	e2ee := "not end-to-end encrypted; the service could see the content"
	if inc.ConversationE2EE {
		e2ee = "end-to-end encrypted; the content comes from a verified user report (message franking)"
	}
	return fmt.Sprintf("Detected by %s at %s. The conversation was %s.", sourceText(inc.DetectionSource), stamp(inc.DetectedAt), e2ee)
}

func reportInfo(inc *Incident, pri Priority) string {
	var s []string
	if inc.Test {
		s = append(s, TestMarker)
	}
	if inc.Draft {
		s = append(s, DraftMarker)
	}
	s = append(s, "Service reference: "+inc.Reference+".")
	if inc.FollowUpOf != "" {
		s = append(s, "Follow-up to service reference "+inc.FollowUpOf+".")
	}
	s = append(s, fmt.Sprintf("Priority %d: %s", pri.Level, strings.Join(pri.Reasons, " ")))
	if inc.Summary != "" {
		s = append(s, "Summary: "+inc.Summary)
	}
	return strings.Join(s, " ")
}

// buildFileDetails prepares the <fileDetails> of one content item; the
// report and file ids are filled in when NCMEC has given them.
func buildFileDetails(inc *Incident, c *Content, uploadName string) ncmecFileDetails {
	d := ncmecFileDetails{
		FileName:               uploadName,
		OriginalFileName:       c.FileName,
		UploadedToESPTimestamp: stamp(c.SentAt),
		FileViewedByESP:        c.ViewedByPerson,
		PubliclyAvailable:      false, // a private conversation
		IndustryClassification: c.Classification,
	}
	for _, h := range []struct{ typ, v string }{{"MD5", c.MD5}, {"SHA256", c.SHA256}, {"PDQ", c.PDQ}} {
		if h.v != "" {
			d.OriginalFileHash = append(d.OriginalFileHash, ncmecHash{Type: h.typ, Value: strings.ToLower(h.v)})
		}
	}
	if c.Upload != nil {
		ev := ncmecIP(*c.Upload)
		d.IPCaptureEvent = &ev
	}
	if len(c.EXIF) > 0 {
		det := ncmecDetails{Type: "EXIF"}
		for _, k := range slices.Sorted(maps.Keys(c.EXIF)) {
			det.Pairs = append(det.Pairs, ncmecNameValue{Name: k, Value: c.EXIF[k]})
		}
		d.Details = append(d.Details, det)
	}
	if inc.Test {
		d.AdditionalInfo = append(d.AdditionalInfo, TestMarker)
	}
	if inc.Draft {
		d.AdditionalInfo = append(d.AdditionalInfo, DraftMarker)
	}
	if c.PDQ != "" {
		d.AdditionalInfo = append(d.AdditionalInfo, fmt.Sprintf("PDQ quality %d.", c.PDQQuality))
	}
	for _, m := range c.MatchedBanks {
		info := "Matched hash bank " + m.Bank
		if m.Entry != "" {
			info += ", entry " + m.Entry + ","
		}
		d.AdditionalInfo = append(d.AdditionalInfo, fmt.Sprintf("%s at distance %d.", info, m.Distance))
	}
	if c.EvidenceID != "" {
		d.AdditionalInfo = append(d.AdditionalInfo, "Service evidence id: "+c.EvidenceID+".")
	}
	return d
}

// sourceText names a detection source in a report's text: its code, and for
// the classifier what it is.
func sourceText(s DetectionSource) string {
	if s == Classifier {
		return "classifier (a nudity classifier on a new image; no hash bank matched it)"
	}
	return string(s)
}
