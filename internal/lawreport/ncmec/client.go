// Package ncmec files law-enforcement report packages with NCMEC's
// CyberTipline through its Reporting API: open a report with POST /submit,
// upload each file with POST /upload, describe it with POST /fileinfo, and
// close the report with POST /finish — or withdraw it with POST /retract.
// Client speaks the API; Submitter is the lawreport.Submitter that runs the
// flow idempotently. ncmectest has a local fake of the API for tests.
package ncmec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The API's base URLs.
const (
	ProductionURL = "https://report.cybertip.org/ispws"
	TestingURL    = "https://exttest.cybertip.org/ispws"
)

// Client calls the CyberTipline Reporting API with HTTP basic
// authentication.
type Client struct {
	BaseURL  string // ProductionURL, TestingURL, or a fake's URL
	Username string
	Password string
	// HTTP is the client used; nil means one with sensible timeouts.
	HTTP *http.Client
}

var defaultHTTP = &http.Client{
	Timeout: 10 * time.Minute, // uploads of large files
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	},
}

// Status checks that the client can reach and authenticate with the API.
func (c *Client) Status(ctx context.Context) error {
	_, err := c.do(ctx, "status", http.MethodGet, "/status", "", nil)
	return err
}

// Submit opens a report with a <report> document and returns its id.
func (c *Client) Submit(ctx context.Context, report []byte) (int64, error) {
	resp, err := c.do(ctx, "submit", http.MethodPost, "/submit", "text/xml; charset=utf-8", bytes.NewReader(report))
	if err != nil {
		return 0, err
	}
	if resp.ReportID <= 0 {
		return 0, &ResponseError{Op: "submit", Code: CodeServerError, Description: "success without a report id"}
	}
	return resp.ReportID, nil
}

// Upload sends one file of an open report and returns the file id NCMEC
// gives it and NCMEC's MD5 of what it received. The file is streamed, never
// held whole in memory.
func (c *Client) Upload(ctx context.Context, reportID int64, name string, file io.Reader) (fileID, md5 string, err error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := mw.WriteField("id", strconv.FormatInt(reportID, 10))
		if err == nil {
			var part io.Writer
			if part, err = mw.CreateFormFile("file", name); err == nil {
				if _, err = io.Copy(part, file); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	resp, err := c.do(ctx, "upload", http.MethodPost, "/upload", mw.FormDataContentType(), pr)
	pr.CloseWithError(errors.New("upload finished")) // stops the writer if the request ended early
	<-done                                           // file is not read after Upload returns
	if err != nil {
		return "", "", err
	}
	if resp.FileID == "" {
		return "", "", &ResponseError{Op: "upload", Code: CodeServerError, Description: "success without a file id"}
	}
	return resp.FileID, resp.Hash, nil
}

// FileInfo sends the <fileDetails> of an uploaded file.
func (c *Client) FileInfo(ctx context.Context, details []byte) error {
	_, err := c.do(ctx, "fileinfo", http.MethodPost, "/fileinfo", "text/xml; charset=utf-8", bytes.NewReader(details))
	return err
}

// Finish closes a report: it is then filed. It returns the ids of the files
// NCMEC holds for it.
func (c *Client) Finish(ctx context.Context, reportID int64) ([]string, error) {
	resp, err := c.form(ctx, "finish", reportID)
	if err != nil {
		return nil, err
	}
	return resp.Files, nil
}

// Retract withdraws a report that is not finished.
func (c *Client) Retract(ctx context.Context, reportID int64) error {
	_, err := c.form(ctx, "retract", reportID)
	return err
}

func (c *Client) form(ctx context.Context, op string, reportID int64) (Response, error) {
	body := url.Values{"id": {strconv.FormatInt(reportID, 10)}}.Encode()
	return c.do(ctx, op, http.MethodPost, "/"+op, "application/x-www-form-urlencoded", strings.NewReader(body))
}

// do makes one call and reads its answer. A non-zero response code, or an
// HTTP error status without a readable answer, is a *ResponseError.
func (c *Client) do(ctx context.Context, op, method, path, contentType string, body io.Reader) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return Response{}, fmt.Errorf("ncmec %s: %w", op, err)
	}
	req.SetBasicAuth(c.Username, c.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	res, err := hc.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("ncmec %s: %w", op, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return Response{}, &ResponseError{Op: op, HTTPStatus: res.StatusCode}
	}
	resp, perr := ParseResponse(res.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, MaxResponseBytes)) // let the connection be reused
	switch {
	case perr == nil && resp.Code != CodeSuccess:
		return resp, &ResponseError{Op: op, Code: resp.Code, Description: resp.Description, HTTPStatus: res.StatusCode}
	case res.StatusCode != http.StatusOK:
		return resp, &ResponseError{Op: op, HTTPStatus: res.StatusCode}
	case perr != nil:
		return Response{}, fmt.Errorf("ncmec %s: %w", op, perr)
	}
	return resp, nil
}
