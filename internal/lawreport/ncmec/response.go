package ncmec

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safeguard-dev/safeguard"
)

// The response codes of the CyberTipline Reporting API as NCMEC documents
// them. 0 is success; any other value is an error.
const (
	CodeSuccess          = 0
	CodeServerError      = 1000 // retry later
	CodeAuthRequired     = 2000 // missing or wrong credentials
	CodeNotAuthorized    = 3000 // the account may not do this
	CodeValidationFailed = 4100 // the XML does not satisfy the schema
	CodeReportNotFound   = 5001 // no open report with that id (never opened, retracted or expired)
	CodeReportFinished   = 5102 // the report is already finished
)

// MaxResponseBytes caps what is read of a response: NCMEC's answers are
// short XML acknowledgements.
const MaxResponseBytes = 1 << 20

// Response is a parsed <reportResponse> or <reportDoneResponse>.
type Response struct {
	Root        string // "reportResponse" or "reportDoneResponse"
	Code        int
	Description string
	ReportID    int64    // 0 if absent
	FileID      string   // after an upload
	Hash        string   // after an upload: NCMEC's MD5 of the file
	Files       []string // reportDoneResponse: the files of the finished report
}

// ParseError is a response that cannot be read. Line is the line of the
// document where the problem was found (1-based), 0 if unknown.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("ncmec response: line %d: %s", e.Line, e.Msg)
	}
	return "ncmec response: " + e.Msg
}

type wireResponse struct {
	XMLName     xml.Name
	Code        []string `xml:"responseCode"`
	Description string   `xml:"responseDescription"`
	ReportID    string   `xml:"reportId"`
	FileID      string   `xml:"fileId"`
	Hash        string   `xml:"hash"`
	Files       struct {
		FileID []string `xml:"fileId"`
	} `xml:"files"`
}

// ParseResponse reads one response document: its root must be
// reportResponse or reportDoneResponse, with exactly one integer
// responseCode. At most MaxResponseBytes are read.
func ParseResponse(r io.Reader) (Response, error) {
	lr := &io.LimitedReader{R: r, N: MaxResponseBytes + 1}
	d := xml.NewDecoder(lr)
	var w wireResponse
	if err := d.Decode(&w); err != nil {
		if lr.N <= 0 {
			return Response{}, &ParseError{Msg: fmt.Sprintf("longer than %d bytes", MaxResponseBytes)}
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return Response{}, &ParseError{Line: se.Line, Msg: se.Msg}
		}
		if err == io.EOF {
			return Response{}, &ParseError{Msg: "no XML element"}
		}
		line, _ := d.InputPos()
		return Response{}, &ParseError{Line: line, Msg: err.Error()}
	}
	line, _ := d.InputPos()
	// Nothing but white space, comments or processing instructions may follow.
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if lr.N <= 0 {
			return Response{}, &ParseError{Msg: fmt.Sprintf("longer than %d bytes", MaxResponseBytes)}
		}
		if err != nil {
			l, _ := d.InputPos()
			return Response{}, &ParseError{Line: l, Msg: err.Error()}
		}
		switch t := tok.(type) {
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				l, _ := d.InputPos()
				return Response{}, &ParseError{Line: l, Msg: "text after the document"}
			}
		case xml.Comment, xml.ProcInst:
		default:
			l, _ := d.InputPos()
			return Response{}, &ParseError{Line: l, Msg: "more than one root element"}
		}
	}

	out := Response{Root: w.XMLName.Local, Description: strings.TrimSpace(w.Description)}
	switch out.Root {
	case "reportResponse", "reportDoneResponse":
	default:
		return Response{}, &ParseError{Line: 1, Msg: fmt.Sprintf("root element <%s>, want <reportResponse> or <reportDoneResponse>", out.Root)}
	}
	if len(w.Code) != 1 {
		return Response{}, &ParseError{Line: line, Msg: fmt.Sprintf("%d responseCode elements, want 1", len(w.Code))}
	}
	code, err := strconv.Atoi(strings.TrimSpace(w.Code[0]))
	if err != nil {
		return Response{}, &ParseError{Line: line, Msg: fmt.Sprintf("responseCode %q is not an integer", w.Code[0])}
	}
	out.Code = code
	if s := strings.TrimSpace(w.ReportID); s != "" {
		if out.ReportID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return Response{}, &ParseError{Line: line, Msg: fmt.Sprintf("reportId %q is not an integer", s)}
		}
	}
	out.FileID = strings.TrimSpace(w.FileID)
	out.Hash = strings.TrimSpace(w.Hash)
	for _, f := range w.Files.FileID {
		out.Files = append(out.Files, strings.TrimSpace(f))
	}
	return out, nil
}

// ResponseError is an error NCMEC answered with: a non-zero response code,
// or an HTTP status that carries no response document.
type ResponseError struct {
	Op          string // "submit", "upload", "fileinfo", "finish", "retract", "status"
	Code        int    // NCMEC's response code; 0 when only the HTTP status is known
	Description string
	HTTPStatus  int
}

func (e *ResponseError) Error() string {
	switch {
	case e.Code != 0 && e.Description != "":
		return fmt.Sprintf("ncmec %s: code %d: %s", e.Op, e.Code, e.Description)
	case e.Code != 0:
		return fmt.Sprintf("ncmec %s: code %d", e.Op, e.Code)
	}
	return fmt.Sprintf("ncmec %s: HTTP %d", e.Op, e.HTTPStatus)
}

// Unwrap gives the error's kind (safeguard.ErrUnavailable,
// ErrUnauthenticated, ErrPermission, ErrInvalid, ErrNotFound, ErrConflict),
// so that errors.Is can tell them apart without knowing NCMEC's codes.
func (e *ResponseError) Unwrap() error { return kindOf(e.Code, e.HTTPStatus) }

func kindOf(code, status int) error {
	switch {
	case code == CodeReportNotFound:
		return safeguard.ErrNotFound
	case code == CodeReportFinished:
		return safeguard.ErrConflict
	case code == CodeAuthRequired, code == 0 && status == 401:
		return safeguard.ErrUnauthenticated
	case code >= 3000 && code < 4000, code == 0 && status == 403:
		return safeguard.ErrPermission
	case code >= 4000 && code < 5000, code == 0 && (status == 400 || status == 413 || status == 415):
		return safeguard.ErrInvalid
	}
	return safeguard.ErrUnavailable // 1000, unknown codes, 5xx: try again later
}

// Retryable reports whether err may go away by trying again later: server
// errors, unknown codes, garbled answers and network failures; not bad
// credentials, missing permissions, invalid XML or a cancelled context.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var re *ResponseError
	if errors.As(err, &re) {
		return errors.Is(re, safeguard.ErrUnavailable)
	}
	return !errors.Is(err, safeguard.ErrInvalid) && !errors.Is(err, safeguard.ErrUnauthenticated) &&
		!errors.Is(err, safeguard.ErrPermission)
}
