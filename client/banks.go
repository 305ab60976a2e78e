package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// HashBank is a hash bank of known images and its provenance, as the
// operator API shows it.
type HashBank struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Source      string    `json:"source"`
	Description string    `json:"description,omitempty"`
	Version     string    `json:"version,omitempty"`
	Negative    bool      `json:"negative"` // known false positives
	Enabled     bool      `json:"enabled"`
	Entries     int       `json:"entries"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ImportedAt  time.Time `json:"imported_at"`
}

// HashBanks is every bank and the bank generation, a counter every change
// bumps (GET /api/v1/admin/banks).
type HashBanks struct {
	Generation uint64     `json:"generation"`
	Banks      []HashBank `json:"banks"`
}

// BankListImport says how to read a hash list uploaded to a bank. Format is
// text, csv, pdq-hasher or hma-json; Kind the type of hashes the list writes
// without one (pdq, md5, sha256). A bank that does not exist is created.
type BankListImport struct {
	Format      string
	Kind        string
	Source      string
	Version     string
	Description string
	Negative    bool // a new bank of known false positives
	Replace     bool // the list becomes the bank's whole content
	By          string
}

// BankImportResult is the answer to an import.
type BankImportResult struct {
	Bank       HashBank `json:"bank"`
	Created    bool     `json:"created"`
	ImportID   int64    `json:"import_id"`
	Added      int      `json:"added"`
	LowQuality int      `json:"low_quality"` // entries with a known PDQ quality below 50
	SHA256     string   `json:"sha256"`      // of the uploaded list
	Generation uint64   `json:"generation"`
}

// AdminBanks lists the hash banks (operator).
func (c *Client) AdminBanks(ctx context.Context) (*HashBanks, error) {
	var out HashBanks
	return &out, c.do(ctx, "GET", "/api/v1/admin/banks", nil, &out)
}

// AdminImportBank uploads a hash list into a bank, all or nothing (operator).
// A malformed line is a 400 error whose message names the line.
func (c *Client) AdminImportBank(ctx context.Context, bank string, opts BankListImport, list io.Reader) (*BankImportResult, error) {
	q := url.Values{}
	for k, v := range map[string]string{"format": opts.Format, "kind": opts.Kind, "source": opts.Source, "version": opts.Version,
		"description": opts.Description, "by": opts.By} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if opts.Negative {
		q.Set("negative", strconv.FormatBool(true))
	}
	if opts.Replace {
		q.Set("replace", strconv.FormatBool(true))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/admin/banks/"+url.PathEscape(bank)+"/entries?"+q.Encode(), list)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain")
	var out BankImportResult
	return &out, c.send(req, &out)
}
