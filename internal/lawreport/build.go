package lawreport

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Builder turns incidents into report packages. It holds what the operator
// configures once (who reports, how to reach them) and the clock.
type Builder struct {
	// ContactEmail is the service's contact address for the NCA report.
	ContactEmail string
	// Reporter is the person NCMEC records as reporting (reportingPerson):
	// an email address is required.
	Reporter Reporter
	// CompanyTemplate, TermsOfService and LegalURL are NCMEC's optional
	// reporter texts: how to serve legal process, retention, emergency
	// numbers.
	CompanyTemplate string
	TermsOfService  string
	LegalURL        string
	// Manual says that no reporting person is configured: packages are
	// made for a person to complete and submit by hand. Without it a
	// Builder with no reporter's email address refuses to build; with it
	// the NCMEC report names no reporting person's address (the person who
	// submits it gives theirs) and the package is marked Manual.
	Manual bool
	// Now gives the time a package is created; time.Now if nil.
	Now func() time.Time
}

// Reporter is a person who makes reports on the service's behalf.
type Reporter struct {
	FirstName, LastName string
	Email               string
	Phone               string
}

// Package is one incident's law-enforcement reports, ready to submit: the NCA
// report (validated against its schema), the NCMEC CyberTipline report, the
// files and the message thread.
type Package struct {
	Reference  string
	FollowUpOf string
	Test       bool
	// Draft: the package of a case not decided for a report (see
	// Incident.Draft). Manual: built with no reporting person configured,
	// for a person to submit by hand (see Builder.Manual).
	Draft     bool
	Manual    bool
	CreatedAt time.Time
	Priority  Priority

	// Routes are the police force areas of the children and the reported
	// users, children first. Unrouted lists accounts with no known force.
	Routes   []RoutedUser
	Unrouted []string

	// NCA is the NCA report, JSON, valid against NCASchema.
	NCA []byte
	// NCMEC is the CyberTipline <report> XML; nil when the incident was
	// already reported to NCMEC, whose reference is then NCMECPrior.
	NCMEC      []byte
	NCMECPrior string

	Files  []File
	Thread []byte // thread.csv; nil when the incident has no thread
}

// RoutedUser is one account of a report and its police force area.
type RoutedUser struct {
	AccountID string
	Role      string // "child" or "reported_user"
	Force     Force
}

// PrimaryForce is the force a package is routed to: the first child's, or,
// with no routed child, the first reported user's (the rule the statistics
// count by).
func (p *Package) PrimaryForce() (Force, bool) {
	for _, role := range []string{"child", "reported_user"} {
		for _, r := range p.Routes {
			if r.Role == role {
				return r.Force, true
			}
		}
	}
	return Force{}, false
}

// File is one content file of a package.
type File struct {
	// Index is the 1-based index of the content in Incident.Content.
	Index int
	// Name is the file's path in an export, e.g. "media/01-beach.png"; its
	// base is the name it is uploaded to NCMEC under.
	Name        string
	ContentType string
	// ForNCA and ForNCMEC say which reports the file belongs to: content
	// already reported to a body is not reported to it again.
	ForNCA, ForNCMEC bool

	data    []byte
	open    func() (io.ReadCloser, error)
	details ncmecFileDetails
}

// Open returns the file's bytes.
func (f *File) Open() (io.ReadCloser, error) {
	if f.open != nil {
		return f.open()
	}
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

// NCMECFileDetails returns the <fileDetails> XML for the file once NCMEC has
// given the report and file ids (for an export, 0 and the file's name stand
// in for them).
func (f *File) NCMECFileDetails(reportID int64, fileID string) ([]byte, error) {
	d := f.details
	d.ReportID, d.FileID = reportID, fileID
	return marshalXML(d)
}

// Build checks inc, assesses its priority, routes its people to police force
// areas and writes its reports. It refuses (ErrInvalid) an incident that
// fails Validate, a file whose hashes do not match the ones stated, and — a
// defect in this package if it ever happens — an NCA report that does not
// match its schema. inc is not modified.
func (b *Builder) Build(inc *Incident) (*Package, error) {
	manual := strings.TrimSpace(b.Reporter.Email) == ""
	if manual && !b.Manual {
		return nil, safeguard.Invalid("reporter_missing", "The reporting person's email address is not configured.")
	}
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	in := *inc
	in.Content = slices.Clone(inc.Content)
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	created := now()

	pkg := &Package{
		Reference:  in.Reference,
		FollowUpOf: in.FollowUpOf,
		Test:       in.Test,
		Draft:      in.Draft,
		Manual:     manual,
		CreatedAt:  created.UTC().Truncate(time.Second),
		Priority:   Assess(&in),
		NCMECPrior: reportedToNCMEC(in.AlreadyReported),
	}
	for i := range in.Content {
		if err := checkFileHashes(&in.Content[i], i); err != nil {
			return nil, err
		}
	}

	routes := map[string]Force{}
	route := func(users []User, role string) {
		for i := range users {
			f, ok := Route(&users[i])
			if !ok {
				pkg.Unrouted = append(pkg.Unrouted, users[i].AccountID)
				continue
			}
			routes[users[i].AccountID] = f
			pkg.Routes = append(pkg.Routes, RoutedUser{AccountID: users[i].AccountID, Role: role, Force: f})
		}
	}
	route(in.Children, "child")
	route(in.ReportedUsers, "reported_user")

	var err error
	if pkg.NCA, err = buildNCA(&in, b, pkg.Priority, routes, created); err != nil {
		return nil, fmt.Errorf("build NCA report %s: %w", in.Reference, err)
	}
	if err := ValidateNCA(pkg.NCA); err != nil {
		return nil, fmt.Errorf("build NCA report %s: %w", in.Reference, err)
	}
	if pkg.NCMECPrior == "" {
		if pkg.NCMEC, err = buildNCMEC(&in, b, pkg.Priority, routes); err != nil {
			return nil, fmt.Errorf("build NCMEC report %s: %w", in.Reference, err)
		}
	}

	for i := range in.Content {
		c := &in.Content[i]
		if !c.HasFile() {
			continue
		}
		f := File{
			Index:       i + 1,
			Name:        fmt.Sprintf("media/%02d-%s", i+1, fileName(c)),
			ContentType: c.ContentType,
			ForNCA:      len(c.AlreadyReported) == 0,
			ForNCMEC:    pkg.NCMEC != nil && !sentTo(c.AlreadyReported, BodyNCMEC),
			data:        c.Data,
			open:        c.Open,
		}
		if !f.ForNCA && !f.ForNCMEC {
			continue
		}
		f.details = buildFileDetails(&in, c, path.Base(f.Name))
		pkg.Files = append(pkg.Files, f)
	}
	if len(in.Thread) > 0 {
		if pkg.Thread, err = threadCSV(&in, pkg.Files); err != nil {
			return nil, fmt.Errorf("build thread %s: %w", in.Reference, err)
		}
	}
	return pkg, nil
}

// checkFileHashes reads c's file, if it has one, and checks the MD5 and
// SHA-256 stated against it, filling in any not stated.
func checkFileHashes(c *Content, i int) error {
	if !c.HasFile() {
		return nil
	}
	var r io.ReadCloser
	if c.Open != nil {
		var err error
		if r, err = c.Open(); err != nil {
			return fmt.Errorf("open content[%d]: %w", i, err)
		}
	} else {
		r = io.NopCloser(bytes.NewReader(c.Data))
	}
	defer r.Close()
	m, s := md5.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(m, s), r); err != nil {
		return fmt.Errorf("read content[%d]: %w", i, err)
	}
	gotMD5, gotSHA := hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(s.Sum(nil))
	if c.MD5 != "" && !strings.EqualFold(c.MD5, gotMD5) {
		return safeguard.Invalid(CodeInvalidIncident, "The report cannot be made: content[%d].md5 does not match its file.", i)
	}
	if c.SHA256 != "" && !strings.EqualFold(c.SHA256, gotSHA) {
		return safeguard.Invalid(CodeInvalidIncident, "The report cannot be made: content[%d].sha256 does not match its file.", i)
	}
	c.MD5, c.SHA256 = gotMD5, gotSHA
	return nil
}

// fileName is a safe file name for c: the sender's name reduced to letters,
// digits, '.', '-' and '_', or "content" with an extension for its type.
func fileName(c *Content) string {
	name := c.FileName
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name = strings.TrimLeft(b.String(), "._")
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	if name == "" {
		name = "content" + extension(c.ContentType)
	}
	return name
}

func extension(contentType string) string {
	switch strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0])) {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "video/mp4":
		return ".mp4"
	case "text/plain":
		return ".txt"
	}
	return ".bin"
}
