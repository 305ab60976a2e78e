// Package ncmectest is a local fake of NCMEC's CyberTipline Reporting API
// for tests and demos: it plays the submit, upload, fileinfo, finish and
// retract flow with basic authentication and NCMEC's response codes, and can
// be told to fail in the ways the real service can.
package ncmectest

import (
	"cmp"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The response codes the fake answers with (see ncmec.Code*).
const (
	codeSuccess          = 0
	codeServerError      = 1000
	codeAuthRequired     = 2000
	codeValidationFailed = 4100
	codeReportNotFound   = 5001
	codeReportFinished   = 5102
)

// The incident types the XSD allows.
var incidentTypes = []string{
	"Child Pornography (possession, manufacture, and distribution)",
	"Child Sex Trafficking",
	"Child Sex Tourism",
	"Child Sexual Molestation",
	"Misleading Domain Name",
	"Misleading Words or Digital Images on the Internet",
	"Online Enticement of Children for Sexual Acts",
	"Unsolicited Obscene Material Sent to a Child",
}

// Server is the fake API.
type Server struct {
	*httptest.Server
	Username, Password string

	mu         sync.Mutex
	validate   func(doc []byte) error
	failUpload int
	loseFinish bool
	next       int64
	uploads    int
	calls      []string
	reports    map[int64]*Report
}

// SetValidate makes the fake check each <report> and <fileDetails> document
// further with v (a test can run xmllint): an error is a validation failure.
func (s *Server) SetValidate(v func(doc []byte) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validate = v
}

// FailUploadAt makes the nth upload (1-based, counted over the server's
// life) fail with a server error; 0 never.
func (s *Server) FailUploadAt(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failUpload = n
}

// LoseFinishAnswer makes /finish finish the report but answer with an HTTP
// 502 and no document, as a proxy that lost the answer would.
func (s *Server) LoseFinishAnswer(lose bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseFinish = lose
}

// Report is a report as the fake holds it.
type Report struct {
	ID        int64
	XML       []byte
	Files     []*File
	Finished  bool
	Retracted bool
}

// File is an uploaded file.
type File struct {
	ID      string
	Name    string
	MD5     string
	Size    int
	Details []byte // the <fileDetails> sent for it, if any
}

// NewServer starts a fake that accepts the given credentials. Close it when
// done.
func NewServer(username, password string) *Server {
	s := &Server{Username: username, Password: password, next: 10000001, reports: map[int64]*Report{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", s.auth(s.status))
	mux.HandleFunc("POST /submit", s.auth(s.submit))
	mux.HandleFunc("POST /upload", s.auth(s.upload))
	mux.HandleFunc("POST /fileinfo", s.auth(s.fileinfo))
	mux.HandleFunc("POST /finish", s.auth(s.finish))
	mux.HandleFunc("POST /retract", s.auth(s.retract))
	s.Server = httptest.NewServer(mux)
	return s
}

// Calls returns the endpoints called so far, in order, e.g. "submit".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Reports returns copies of every report opened, in id order.
func (s *Server) Reports() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Report
	for _, r := range s.reports {
		c := *r
		c.Files = nil
		for _, f := range r.Files {
			fc := *f
			c.Files = append(c.Files, &fc)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Report) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Finished returns the reports that were finished: the ones filed.
func (s *Server) Finished() []Report {
	var out []Report
	for _, r := range s.Reports() {
		if r.Finished {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) auth(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		s.mu.Lock()
		s.calls = append(s.calls, strings.TrimPrefix(r.URL.Path, "/"))
		good := ok && u == s.Username && p == s.Password
		s.mu.Unlock()
		if !good {
			w.Header().Set("WWW-Authenticate", `Basic realm="ispws"`)
			answer(w, http.StatusUnauthorized, codeAuthRequired, "Authentication required", nil)
			return
		}
		h(w, r)
	}
}

// answer writes a <reportResponse>; extra is inner XML after the
// description.
func answer(w http.ResponseWriter, status, code int, desc string, extra []string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString(xml.Header + "<reportResponse>\n")
	fmt.Fprintf(&b, "  <responseCode>%d</responseCode>\n  <responseDescription>", code)
	_ = xml.EscapeText(&b, []byte(desc))
	b.WriteString("</responseDescription>\n")
	for _, e := range extra {
		b.WriteString("  " + e + "\n")
	}
	b.WriteString("</reportResponse>\n")
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	answer(w, http.StatusOK, codeSuccess, "", nil)
}

// minimal is what the fake checks of a <report> without an XSD.
type minimal struct {
	XMLName         xml.Name
	IncidentSummary *struct {
		IncidentType     string `xml:"incidentType"`
		IncidentDateTime string `xml:"incidentDateTime"`
	} `xml:"incidentSummary"`
	Reporter *struct {
		ReportingPerson *struct {
			Email []string `xml:"email"`
		} `xml:"reportingPerson"`
	} `xml:"reporter"`
}

func checkReport(doc []byte) string {
	var m minimal
	if err := xml.Unmarshal(doc, &m); err != nil {
		return "not well-formed XML: " + err.Error()
	}
	switch {
	case m.XMLName.Local != "report":
		return "root element is not <report>"
	case m.IncidentSummary == nil:
		return "no incidentSummary"
	case !slices.Contains(incidentTypes, m.IncidentSummary.IncidentType):
		return fmt.Sprintf("incidentType %q is not allowed", m.IncidentSummary.IncidentType)
	case m.Reporter == nil || m.Reporter.ReportingPerson == nil || len(m.Reporter.ReportingPerson.Email) == 0:
		return "no reporter/reportingPerson/email"
	}
	if _, err := time.Parse(time.RFC3339, m.IncidentSummary.IncidentDateTime); err != nil {
		return "incidentDateTime is not a dateTime"
	}
	return ""
}

func (s *Server) check(doc []byte) string {
	s.mu.Lock()
	v := s.validate
	s.mu.Unlock()
	if v == nil {
		return ""
	}
	if err := v(doc); err != nil {
		return err.Error()
	}
	return ""
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
	if err != nil {
		answer(w, http.StatusBadRequest, codeValidationFailed, "Validation failed: "+err.Error(), nil)
		return
	}
	if msg := checkReport(doc); msg != "" {
		answer(w, http.StatusOK, codeValidationFailed, "Validation failed: "+msg, nil)
		return
	}
	if msg := s.check(doc); msg != "" {
		answer(w, http.StatusOK, codeValidationFailed, "Validation failed: "+msg, nil)
		return
	}
	s.mu.Lock()
	id := s.next
	s.next++
	s.reports[id] = &Report{ID: id, XML: doc}
	s.mu.Unlock()
	answer(w, http.StatusOK, codeSuccess, "", []string{fmt.Sprintf("<reportId>%d</reportId>", id)})
}

// open finds an open report, or answers the error and returns nil. The
// caller holds s.mu.
func (s *Server) open(w http.ResponseWriter, idText string) *Report {
	id, err := strconv.ParseInt(strings.TrimSpace(idText), 10, 64)
	rep := s.reports[id]
	switch {
	case err != nil || rep == nil || rep.Retracted:
		answer(w, http.StatusOK, codeReportNotFound, "Report does not exist", nil)
		return nil
	case rep.Finished:
		answer(w, http.StatusOK, codeReportFinished, "Report already finished", nil)
		return nil
	}
	return rep
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		answer(w, http.StatusBadRequest, codeValidationFailed, "Validation failed: "+err.Error(), nil)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		answer(w, http.StatusBadRequest, codeValidationFailed, "Validation failed: no file", nil)
		return
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	if err != nil {
		answer(w, http.StatusBadRequest, codeValidationFailed, "Validation failed: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploads++
	if s.failUpload != 0 && s.uploads == s.failUpload {
		answer(w, http.StatusInternalServerError, codeServerError, "Server error", nil)
		return
	}
	rep := s.open(w, r.FormValue("id"))
	if rep == nil {
		return
	}
	file := &File{ID: fmt.Sprintf("%016x", rep.ID*1000+int64(len(rep.Files))+1), Name: hdr.Filename,
		MD5: hex.EncodeToString(h.Sum(nil)), Size: int(n)}
	rep.Files = append(rep.Files, file)
	answer(w, http.StatusOK, codeSuccess, "", []string{
		fmt.Sprintf("<reportId>%d</reportId>", rep.ID),
		"<fileId>" + file.ID + "</fileId>",
		"<hash>" + file.MD5 + "</hash>",
	})
}

func (s *Server) fileinfo(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		answer(w, http.StatusBadRequest, codeValidationFailed, "Validation failed: "+err.Error(), nil)
		return
	}
	var d struct {
		XMLName  xml.Name
		ReportID string `xml:"reportId"`
		FileID   string `xml:"fileId"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil || d.XMLName.Local != "fileDetails" || d.FileID == "" {
		answer(w, http.StatusOK, codeValidationFailed, "Validation failed: not a fileDetails document", nil)
		return
	}
	if msg := s.check(doc); msg != "" {
		answer(w, http.StatusOK, codeValidationFailed, "Validation failed: "+msg, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := s.open(w, d.ReportID)
	if rep == nil {
		return
	}
	i := slices.IndexFunc(rep.Files, func(f *File) bool { return f.ID == d.FileID })
	if i < 0 {
		answer(w, http.StatusOK, codeValidationFailed, "Validation failed: unknown fileId", nil)
		return
	}
	rep.Files[i].Details = doc
	answer(w, http.StatusOK, codeSuccess, "", []string{fmt.Sprintf("<reportId>%d</reportId>", rep.ID)})
}

func (s *Server) finish(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := s.open(w, r.FormValue("id"))
	if rep == nil {
		return
	}
	rep.Finished = true
	if s.loseFinish {
		http.Error(w, "bad gateway", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, "%s<reportDoneResponse>\n  <responseCode>0</responseCode>\n  <reportId>%d</reportId>\n  <files>\n", xml.Header, rep.ID)
	for _, f := range rep.Files {
		fmt.Fprintf(&b, "    <fileId>%s</fileId>\n", f.ID)
	}
	b.WriteString("  </files>\n</reportDoneResponse>\n")
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) retract(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := s.open(w, r.FormValue("id"))
	if rep == nil {
		return
	}
	rep.Retracted = true
	answer(w, http.StatusOK, codeSuccess, "", []string{fmt.Sprintf("<reportId>%d</reportId>", rep.ID)})
}
