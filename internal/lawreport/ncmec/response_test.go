package ncmec_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport/ncmec"
)

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ncmec.Response
	}{
		{
			name: "submit",
			in:   `<?xml version="1.0" encoding="UTF-8"?><reportResponse><responseCode>0</responseCode><responseDescription/><reportId>4564654</reportId></reportResponse>`,
			want: ncmec.Response{Root: "reportResponse", ReportID: 4564654},
		},
		{
			name: "upload",
			in: `<reportResponse>
  <responseCode>0</responseCode>
  <responseDescription>Success</responseDescription>
  <reportId>4564654</reportId>
  <fileId> 73b1d9e0bcf1f77e </fileId>
  <hash>fafa5efeaf3cbe3b23b2748d13e629a1</hash>
</reportResponse>
<!-- trailing comment -->
`,
			want: ncmec.Response{Root: "reportResponse", Description: "Success", ReportID: 4564654, FileID: "73b1d9e0bcf1f77e", Hash: "fafa5efeaf3cbe3b23b2748d13e629a1"},
		},
		{
			name: "error",
			in:   `<reportResponse><responseCode>4100</responseCode><responseDescription>Validation failed</responseDescription></reportResponse>`,
			want: ncmec.Response{Root: "reportResponse", Code: 4100, Description: "Validation failed"},
		},
		{
			name: "done",
			in:   `<reportDoneResponse><responseCode>0</responseCode><reportId>7</reportId><files><fileId>a</fileId><fileId>b</fileId></files></reportDoneResponse>`,
			want: ncmec.Response{Root: "reportDoneResponse", ReportID: 7, Files: []string{"a", "b"}},
		},
	}
	for _, tt := range tests {
		got, err := ncmec.ParseResponse(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseResponseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"empty", "", 0, "no XML element"},
		{"not xml", "Service Unavailable", 0, "no XML element"},
		{"wrong root", "<html><body>oops</body></html>", 1, "root element <html>"},
		{"no code", "<reportResponse>\n<responseDescription/>\n</reportResponse>", 3, "0 responseCode elements"},
		{"two codes", "<reportResponse><responseCode>0</responseCode><responseCode>1</responseCode></reportResponse>", 1, "2 responseCode elements"},
		{"code not a number", "<reportResponse>\n<responseCode>zero</responseCode></reportResponse>", 2, `responseCode "zero"`},
		{"bad report id", "<reportResponse><responseCode>0</responseCode><reportId>12x</reportId></reportResponse>", 1, `reportId "12x"`},
		{"unclosed", "<reportResponse>\n<responseCode>0</responseCode>\n", 3, "unexpected EOF"},
		{"mismatched", "<reportResponse>\n\n<responseCode>0</responseDescription></reportResponse>", 3, "element <responseCode> closed by </responseDescription>"},
		{"two roots", "<reportResponse><responseCode>0</responseCode></reportResponse>\n<reportResponse/>", 2, "more than one root"},
		{"trailing text", "<reportResponse><responseCode>0</responseCode></reportResponse> junk", 1, "text after the document"},
		{"too long", "<reportResponse><responseCode>0</responseCode><responseDescription>" + strings.Repeat("x", ncmec.MaxResponseBytes) + "</responseDescription></reportResponse>", 0, "longer than"},
	}
	for _, tt := range tests {
		_, err := ncmec.ParseResponse(strings.NewReader(tt.in))
		var pe *ncmec.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a *ParseError", tt.name, err)
			continue
		}
		if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("%s: got line %d %q, want line %d containing %q", tt.name, pe.Line, pe.Msg, tt.line, tt.msg)
		}
	}
}

func TestResponseErrorKinds(t *testing.T) {
	tests := []struct {
		err       *ncmec.ResponseError
		kind      error
		retryable bool
	}{
		{&ncmec.ResponseError{Code: ncmec.CodeServerError}, safeguard.ErrUnavailable, true},
		{&ncmec.ResponseError{Code: ncmec.CodeAuthRequired}, safeguard.ErrUnauthenticated, false},
		{&ncmec.ResponseError{HTTPStatus: 401}, safeguard.ErrUnauthenticated, false},
		{&ncmec.ResponseError{Code: ncmec.CodeNotAuthorized}, safeguard.ErrPermission, false},
		{&ncmec.ResponseError{Code: 3100}, safeguard.ErrPermission, false},
		{&ncmec.ResponseError{HTTPStatus: 403}, safeguard.ErrPermission, false},
		{&ncmec.ResponseError{Code: ncmec.CodeValidationFailed}, safeguard.ErrInvalid, false},
		{&ncmec.ResponseError{Code: ncmec.CodeReportNotFound}, safeguard.ErrNotFound, false},
		{&ncmec.ResponseError{Code: ncmec.CodeReportFinished}, safeguard.ErrConflict, false},
		{&ncmec.ResponseError{Code: 9999}, safeguard.ErrUnavailable, true},
		{&ncmec.ResponseError{HTTPStatus: 503}, safeguard.ErrUnavailable, true},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.kind) {
			t.Errorf("%v is not %v", tt.err, tt.kind)
		}
		wrapped := fmt.Errorf("file: %w", tt.err)
		if got := ncmec.Retryable(wrapped); got != tt.retryable {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.retryable)
		}
	}
	if ncmec.Retryable(context.Canceled) || !ncmec.Retryable(errors.New("connection reset")) || ncmec.Retryable(nil) {
		t.Error("Retryable of plain errors is wrong")
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(`<reportResponse><responseCode>0</responseCode><responseDescription/><reportId>1</reportId></reportResponse>`)
	f.Add(`<reportDoneResponse><responseCode>0</responseCode><reportId>7</reportId><files><fileId>a</fileId></files></reportDoneResponse>`)
	f.Add(`<reportResponse><responseCode>5102</responseCode><responseDescription>Report already finished</responseDescription></reportResponse>`)
	f.Add("<reportResponse>\n<responseCode>x</responseCode>")
	f.Add(`<!DOCTYPE r [<!ENTITY e "boom">]><reportResponse><responseCode>&e;</responseCode></reportResponse>`)
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ncmec.ParseResponse(strings.NewReader(in))
		if err != nil {
			var pe *ncmec.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line < 0 || pe.Error() == "" {
				t.Fatalf("bad ParseError %+v", pe)
			}
			return
		}
		if r.Root != "reportResponse" && r.Root != "reportDoneResponse" {
			t.Fatalf("accepted root %q", r.Root)
		}
		if r.ReportID < 0 && !strings.Contains(in, "-") {
			t.Fatalf("negative report id %d from input without a minus", r.ReportID)
		}
	})
}
