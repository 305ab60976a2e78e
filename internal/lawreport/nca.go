package lawreport

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// NCASchemaVersion is the version of the NCA report shape written.
const NCASchemaVersion = "1"

// The NCA report document, field for field as schema/nca-report.schema.json
// has it. Optional values are omitted rather than written empty.
type ncaReport struct {
	SchemaVersion     string           `json:"schema_version"`
	Test              bool             `json:"test"`
	ReportReference   string           `json:"report_reference"`
	FollowUpOf        string           `json:"follow_up_of,omitempty"`
	CreatedAt         string           `json:"created_at"`
	Service           ncaService       `json:"service"`
	Priority          ncaPriority      `json:"priority"`
	Incident          ncaIncident      `json:"incident"`
	Content           []ncaContent     `json:"content"`
	ReportedUsers     []ncaUser        `json:"reported_users"`
	Children          []ncaUser        `json:"children,omitempty"`
	Declaration       ncaDeclaration   `json:"declaration"`
	AlreadyReportedTo []ncaPriorReport `json:"already_reported_to,omitempty"`
}

type ncaService struct {
	Name         string `json:"name"`
	App          string `json:"app"`
	ContactEmail string `json:"contact_email,omitempty"`
}

type ncaPriority struct {
	Level   int      `json:"level"`
	Reasons []string `json:"reasons"`
}

type ncaIncident struct {
	Type             IncidentType    `json:"type"`
	DetectedAt       string          `json:"detected_at"`
	DetectionSource  DetectionSource `json:"detection_source"`
	Summary          string          `json:"summary,omitempty"`
	ConversationE2EE bool            `json:"conversation_e2ee"`
}

type ncaContent struct {
	Kind           ContentKind       `json:"kind"`
	FileName       string            `json:"file_name,omitempty"`
	URL            string            `json:"url,omitempty"`
	SentAt         string            `json:"sent_at"`
	Hashes         *ncaHashes        `json:"hashes,omitempty"`
	MatchedBanks   []ncaBankMatch    `json:"matched_banks,omitempty"`
	EXIF           map[string]string `json:"exif,omitempty"`
	ViewedByPerson bool              `json:"viewed_by_person"`
	EvidenceID     string            `json:"evidence_id,omitempty"`
}

type ncaHashes struct {
	MD5        string `json:"md5,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality *int   `json:"pdq_quality,omitempty"`
}

type ncaBankMatch struct {
	Bank     string `json:"bank"`
	Entry    string `json:"entry,omitempty"`
	Distance int    `json:"distance"`
}

type ncaUser struct {
	AccountID             string                `json:"account_id"`
	Handle                string                `json:"handle,omitempty"`
	DisplayName           string                `json:"display_name,omitempty"`
	AgeBand               string                `json:"age_band"`
	DateOfBirth           string                `json:"date_of_birth,omitempty"`
	AgeAssurance          string                `json:"age_assurance,omitempty"`
	Email                 string                `json:"email,omitempty"`
	Phone                 string                `json:"phone,omitempty"`
	IdentityDocumentsHeld bool                  `json:"identity_documents_held"`
	AccountCreatedAt      string                `json:"account_created_at,omitempty"`
	AccountStatus         AccountStatus         `json:"account_status,omitempty"`
	LocalAuthority        string                `json:"local_authority,omitempty"`
	PoliceForceArea       *ncaForce             `json:"police_force_area,omitempty"`
	Connections           []ncaConnection       `json:"connections,omitempty"`
	ConnectedAccounts     []ncaConnectedAccount `json:"connected_accounts,omitempty"`
}

type ncaForce struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type ncaConnection struct {
	IP     string          `json:"ip"`
	Port   *int            `json:"port"`
	At     string          `json:"at"`
	Event  ConnectionEvent `json:"event"`
	Device string          `json:"device,omitempty"`
}

type ncaConnectedAccount struct {
	AccountID string `json:"account_id,omitempty"`
	Handle    string `json:"handle,omitempty"`
	Relation  string `json:"relation,omitempty"`
}

type ncaDeclaration struct {
	By        string `json:"by"`
	Role      string `json:"role"`
	Statement string `json:"statement"`
	MadeAt    string `json:"made_at"`
}

type ncaPriorReport struct {
	Body      string `json:"body"`
	Reference string `json:"reference"`
}

// stamp formats t as the reports write every instant: RFC 3339 in UTC, to
// the second.
func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// buildNCA writes the NCA report of inc as indented JSON. routes holds the
// force of each user, by account id.
func buildNCA(inc *Incident, b *Builder, pri Priority, routes map[string]Force, created time.Time) ([]byte, error) {
	r := ncaReport{
		SchemaVersion:   NCASchemaVersion,
		Test:            inc.Test,
		ReportReference: inc.Reference,
		FollowUpOf:      inc.FollowUpOf,
		CreatedAt:       stamp(created),
		Service:         ncaService{Name: inc.Service, App: inc.App, ContactEmail: b.ContactEmail},
		Priority:        ncaPriority(pri),
		Incident: ncaIncident{
			Type:             inc.Type,
			DetectedAt:       stamp(inc.DetectedAt),
			DetectionSource:  ncaSource(inc.DetectionSource),
			Summary:          inc.Summary,
			ConversationE2EE: inc.ConversationE2EE,
		},
		Content: []ncaContent{},
		Declaration: ncaDeclaration{
			By:        inc.Declaration.By,
			Role:      inc.Declaration.Role,
			Statement: inc.Declaration.Statement,
			MadeAt:    stamp(inc.Declaration.MadeAt),
		},
		AlreadyReportedTo: priorReports(inc),
	}
	for i := range inc.Content {
		c := &inc.Content[i]
		if len(c.AlreadyReported) > 0 {
			continue // named in already_reported_to instead
		}
		r.Content = append(r.Content, ncaContentOf(c))
	}
	for i := range inc.ReportedUsers {
		r.ReportedUsers = append(r.ReportedUsers, ncaUserOf(&inc.ReportedUsers[i], inc.DetectedAt, routes))
	}
	for i := range inc.Children {
		r.Children = append(r.Children, ncaUserOf(&inc.Children[i], inc.DetectedAt, routes))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// priorReports lists, once each and in order of first mention, the bodies
// the incident or any of its content was already reported to.
func priorReports(inc *Incident) []ncaPriorReport {
	var out []ncaPriorReport
	add := func(p PriorReport) {
		r := ncaPriorReport(p)
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, p := range inc.AlreadyReported {
		add(p)
	}
	for _, c := range inc.Content {
		for _, p := range c.AlreadyReported {
			add(p)
		}
	}
	return out
}

func ncaContentOf(c *Content) ncaContent {
	out := ncaContent{
		Kind:           c.Kind,
		FileName:       c.FileName,
		URL:            c.URL,
		SentAt:         stamp(c.SentAt),
		ViewedByPerson: c.ViewedByPerson,
		EvidenceID:     c.EvidenceID,
	}
	if c.MD5 != "" || c.SHA256 != "" || c.PDQ != "" {
		h := &ncaHashes{MD5: strings.ToLower(c.MD5), SHA256: strings.ToLower(c.SHA256), PDQ: strings.ToLower(c.PDQ)}
		if c.PDQ != "" {
			q := c.PDQQuality
			h.PDQQuality = &q
		}
		out.Hashes = h
	}
	for _, m := range c.MatchedBanks {
		out.MatchedBanks = append(out.MatchedBanks, ncaBankMatch{Bank: m.Bank, Entry: m.Entry, Distance: m.Distance})
	}
	if len(c.EXIF) > 0 {
		out.EXIF = maps.Clone(c.EXIF)
	}
	return out
}

func ncaUserOf(u *User, at time.Time, routes map[string]Force) ncaUser {
	out := ncaUser{
		AccountID:             u.AccountID,
		Handle:                u.Handle,
		DisplayName:           u.DisplayName,
		AgeBand:               "unknown",
		AgeAssurance:          string(u.AgeAssurance),
		Email:                 u.Email,
		Phone:                 u.Phone,
		IdentityDocumentsHeld: u.IdentityDocumentsHeld,
		AccountStatus:         u.Status,
		LocalAuthority:        u.LocalAuthority,
	}
	if b := u.band(at); b != "" {
		out.AgeBand = string(b)
	}
	if !u.DateOfBirth.IsZero() {
		out.DateOfBirth = u.DateOfBirth.String()
	}
	if !u.CreatedAt.IsZero() {
		out.AccountCreatedAt = stamp(u.CreatedAt)
	}
	if f, ok := routes[u.AccountID]; ok {
		out.PoliceForceArea = &ncaForce{Code: f.Code, Name: f.Name}
	}
	for _, c := range u.Connections {
		nc := ncaConnection{IP: c.IP.Unmap().String(), At: stamp(c.At), Event: c.Event, Device: c.Device}
		if c.Port != 0 {
			p := int(c.Port)
			nc.Port = &p
		}
		out.Connections = append(out.Connections, nc)
	}
	for _, c := range u.ConnectedAccounts {
		out.ConnectedAccounts = append(out.ConnectedAccounts, ncaConnectedAccount(c))
	}
	return out
}
