package lawreport

import "encoding/xml"

// The subset of NCMEC's CyberTipline schema (schema/cyber_tipline.xsd) that
// Safeguard writes. Field order is the order of the XSD's sequences: change
// one only with the XSD open beside it, and run the xmllint test.

type ncmecReport struct {
	XMLName              xml.Name               `xml:"report"`
	IncidentSummary      ncmecIncidentSummary   `xml:"incidentSummary"`
	InternetDetails      []ncmecInternetDetails `xml:"internetDetails"`
	LawEnforcement       *ncmecLawEnforcement   `xml:"lawEnforcement,omitempty"`
	Reporter             ncmecReporter          `xml:"reporter"`
	PersonOrUserReported []ncmecReportedUser    `xml:"personOrUserReported"`
	Victim               []ncmecVictim          `xml:"victim"`
	AdditionalInfo       string                 `xml:"additionalInfo,omitempty"`
}

type ncmecIncidentSummary struct {
	IncidentType                string            `xml:"incidentType"`
	Platform                    string            `xml:"platform,omitempty"`
	EscalateToHighPriority      string            `xml:"escalateToHighPriority,omitempty"`
	ReportAnnotations           *ncmecAnnotations `xml:"reportAnnotations,omitempty"`
	IncidentDateTime            string            `xml:"incidentDateTime"`
	IncidentDateTimeDescription string            `xml:"incidentDateTimeDescription,omitempty"`
}

// ncmecAnnotations is an xs:all of elements fixed to true: an annotation
// that does not apply is left out, never written false.
type ncmecAnnotations struct {
	Sextortion              bool `xml:"sextortion,omitempty"`
	CSAMSolicitation        bool `xml:"csamSolicitation,omitempty"`
	MinorToMinorInteraction bool `xml:"minorToMinorInteraction,omitempty"`
}

// ncmecInternetDetails is an xs:choice: exactly one field is set.
type ncmecInternetDetails struct {
	WebPage *ncmecWebPage `xml:"webPageIncident,omitempty"`
	ChatIM  *ncmecChatIM  `xml:"chatImIncident,omitempty"`
}

type ncmecWebPage struct {
	URL            []string `xml:"url"`
	AdditionalInfo string   `xml:"additionalInfo,omitempty"`
}

type ncmecChatIM struct {
	ChatClient     string `xml:"chatClient,omitempty"`
	ChatRoomName   string `xml:"chatRoomName,omitempty"`
	AdditionalInfo string `xml:"additionalInfo,omitempty"`
}

type ncmecLawEnforcement struct {
	AgencyName   string `xml:"agencyName"`
	CaseNumber   string `xml:"caseNumber,omitempty"`
	ReportedToLE bool   `xml:"reportedToLe"`
}

type ncmecReporter struct {
	ReportingPerson ncmecPerson `xml:"reportingPerson"`
	CompanyTemplate string      `xml:"companyTemplate,omitempty"`
	TermsOfService  string      `xml:"termsOfService,omitempty"`
	LegalURL        string      `xml:"legalURL,omitempty"`
}

type ncmecPerson struct {
	FirstName   string       `xml:"firstName,omitempty"`
	LastName    string       `xml:"lastName,omitempty"`
	Phone       []string     `xml:"phone,omitempty"`
	Email       []ncmecEmail `xml:"email,omitempty"`
	Age         *int         `xml:"age,omitempty"`
	DateOfBirth string       `xml:"dateOfBirth,omitempty"`
}

func (p *ncmecPerson) empty() bool {
	return p.FirstName == "" && p.LastName == "" && len(p.Phone) == 0 && len(p.Email) == 0 && p.Age == nil && p.DateOfBirth == ""
}

type ncmecEmail struct {
	Address  string `xml:",chardata"`
	Verified bool   `xml:"verified,attr,omitempty"`
}

type ncmecReportedUser struct {
	Person                     *ncmecPerson             `xml:"personOrUserReportedPerson,omitempty"`
	ESPIdentifier              string                   `xml:"espIdentifier,omitempty"`
	ESPService                 string                   `xml:"espService,omitempty"`
	ScreenName                 string                   `xml:"screenName,omitempty"`
	DisplayName                []string                 `xml:"displayName,omitempty"`
	IPCaptureEvent             []ncmecIPCaptureEvent    `xml:"ipCaptureEvent,omitempty"`
	PriorCTReports             []int64                  `xml:"priorCTReports,omitempty"`
	AccountTemporarilyDisabled *ncmecDisabled           `xml:"accountTemporarilyDisabled,omitempty"`
	AccountPermanentlyDisabled *ncmecDisabled           `xml:"accountPermanentlyDisabled,omitempty"`
	EstimatedLocation          *ncmecLocation           `xml:"estimatedLocation,omitempty"`
	AssociatedAccount          []ncmecAssociatedAccount `xml:"associatedAccount,omitempty"`
	AdditionalInfo             string                   `xml:"additionalInfo,omitempty"`
}

type ncmecVictim struct {
	Person            ncmecPerson           `xml:"victimPerson"`
	ESPIdentifier     string                `xml:"espIdentifier,omitempty"`
	ESPService        string                `xml:"espService,omitempty"`
	ScreenName        string                `xml:"screenName,omitempty"`
	DisplayName       []string              `xml:"displayName,omitempty"`
	IPCaptureEvent    []ncmecIPCaptureEvent `xml:"ipCaptureEvent,omitempty"`
	EstimatedLocation *ncmecLocation        `xml:"estimatedLocation,omitempty"`
	AdditionalInfo    string                `xml:"additionalInfo,omitempty"`
}

type ncmecIPCaptureEvent struct {
	IPAddress string `xml:"ipAddress"`
	EventName string `xml:"eventName,omitempty"`
	DateTime  string `xml:"dateTime,omitempty"`
	Port      *int   `xml:"port,omitempty"`
}

// ncmecDisabled is an account-disabled flag. userNotified is written false:
// the platform never tells a suspect of a report (no tipping off).
type ncmecDisabled struct {
	Value        bool `xml:",chardata"`
	UserNotified bool `xml:"userNotified,attr"`
}

type ncmecLocation struct {
	City        string `xml:"city,omitempty"`
	Region      string `xml:"region,omitempty"`
	CountryCode string `xml:"countryCode,omitempty"`
	Verified    bool   `xml:"verified,attr"`
}

type ncmecAssociatedAccount struct {
	Type           string `xml:"type,attr"`
	Platform       string `xml:"platform,omitempty"`
	ESPService     string `xml:"espService,omitempty"`
	ESPIdentifier  string `xml:"espIdentifier,omitempty"`
	ScreenName     string `xml:"screenName,omitempty"`
	AdditionalInfo string `xml:"additionalInfo,omitempty"`
}

// ncmecFileDetails is the <fileDetails> document sent to /fileinfo for each
// uploaded file.
type ncmecFileDetails struct {
	XMLName                xml.Name             `xml:"fileDetails"`
	ReportID               int64                `xml:"reportId"`
	FileID                 string               `xml:"fileId"`
	FileName               string               `xml:"fileName,omitempty"`
	OriginalFileName       string               `xml:"originalFileName,omitempty"`
	UploadedToESPTimestamp string               `xml:"uploadedToEspTimestamp,omitempty"`
	FileViewedByESP        bool                 `xml:"fileViewedByEsp"`
	PubliclyAvailable      bool                 `xml:"publiclyAvailable"`
	IndustryClassification string               `xml:"industryClassification,omitempty"`
	OriginalFileHash       []ncmecHash          `xml:"originalFileHash,omitempty"`
	IPCaptureEvent         *ncmecIPCaptureEvent `xml:"ipCaptureEvent,omitempty"`
	Details                []ncmecDetails       `xml:"details,omitempty"`
	AdditionalInfo         []string             `xml:"additionalInfo,omitempty"`
}

type ncmecHash struct {
	Type  string `xml:"hashType,attr"`
	Value string `xml:",chardata"`
}

type ncmecDetails struct {
	Type  string           `xml:"type,attr,omitempty"`
	Pairs []ncmecNameValue `xml:"nameValuePair"`
}

type ncmecNameValue struct {
	Name  string `xml:"name"`
	Value string `xml:"value"`
}
