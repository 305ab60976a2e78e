package franking

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxReportBytes caps the JSON encoding of a report.
const (
	MaxReportBytes  = 256 << 10
	reportVersionV1 = 1
)

// Report is what a recipient reveals to report a message: the message M,
// the franking key kf, the receipt r the server gave with the message, and
// the delivery context ctx that receipt covers.
type Report struct {
	Message Message
	Key     []byte
	Receipt Receipt
	Context Context
}

// reportJSON is the wire form of a report. Binary fields are standard base64
// of the canonical encodings, so what is verified is exactly what was sent.
type reportJSON struct {
	Version int    `json:"version"`
	Message string `json:"message"`
	Key     string `json:"franking_key"`
	Receipt string `json:"receipt"`
	Context string `json:"context"`
}

// MarshalJSON encodes the report as
//
//	{"version":1,"message":B64(M),"franking_key":B64(kf),
//	 "receipt":B64(r),"context":B64(ctx)}
func (r Report) MarshalJSON() ([]byte, error) {
	m, err := r.Message.MarshalBinary()
	if err != nil {
		return nil, err
	}
	c, err := r.Context.MarshalBinary()
	if err != nil {
		return nil, err
	}
	rc, _ := r.Receipt.MarshalBinary()
	enc := base64.StdEncoding.EncodeToString
	return json.Marshal(reportJSON{
		Version: reportVersionV1,
		Message: enc(m),
		Key:     enc(r.Key),
		Receipt: enc(rc),
		Context: enc(c),
	})
}

// ParseReport decodes the JSON form of a report (see MarshalJSON). Unknown
// fields, trailing data and oversized input are refused; the error names the
// field at fault.
func ParseReport(b []byte) (Report, error) {
	if len(b) > MaxReportBytes {
		return Report{}, malformed("report", fmt.Errorf("%d bytes, at most %d allowed", len(b), MaxReportBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w reportJSON
	if err := dec.Decode(&w); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			err = fmt.Errorf("JSON syntax at byte %d: %w", se.Offset, err)
		}
		return Report{}, malformed("report", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Report{}, malformed("report", errors.New("trailing data after the report"))
	}
	if w.Version != reportVersionV1 {
		return Report{}, malformed("report", fmt.Errorf("version %d, want %d", w.Version, reportVersionV1))
	}
	field := func(name, v string) ([]byte, error) {
		if v == "" {
			return nil, malformed("report", fmt.Errorf("%s: missing", name))
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil {
			return nil, malformed("report", fmt.Errorf("%s: %w", name, err))
		}
		return raw, nil
	}
	var r Report
	raw, err := field("message", w.Message)
	if err != nil {
		return Report{}, err
	}
	if r.Message, err = ParseMessage(raw); err != nil {
		return Report{}, err
	}
	if r.Key, err = field("franking_key", w.Key); err != nil {
		return Report{}, err
	}
	if len(r.Key) != KeySize {
		return Report{}, malformed("report", fmt.Errorf("franking_key: %d bytes, want %d", len(r.Key), KeySize))
	}
	if raw, err = field("receipt", w.Receipt); err != nil {
		return Report{}, err
	}
	if r.Receipt, err = ParseReceipt(raw); err != nil {
		return Report{}, err
	}
	if raw, err = field("context", w.Context); err != nil {
		return Report{}, err
	}
	if r.Context, err = ParseContext(raw); err != nil {
		return Report{}, err
	}
	return r, nil
}
