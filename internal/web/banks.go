package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/hashbank"
	"github.com/safeguard-dev/safeguard/internal/hashbank/listfmt"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
)

// MaxBankList caps an uploaded hash list: about 10 million PDQ hashes in the
// text format.
const MaxBankList = 1 << 30

// HashBanks is what the operator API needs of the hash-bank manager
// (banks.Service).
type HashBanks interface {
	List(ctx context.Context) ([]*safeguard.HashBank, uint64, error)
	Import(ctx context.Context, req banks.ListImport, r io.Reader) (*banks.Change, error)
}

// WithBanks serves the operator's hash-bank endpoints from hb.
func WithBanks(hb HashBanks) Option { return func(s *Server) { s.banks = hb } }

// routesBanks adds the operator's hash-bank endpoints, when the server has a
// bank manager.
func (s *Server) routesBanks(m *http.ServeMux) {
	if s.banks == nil {
		return
	}
	m.HandleFunc("GET /api/v1/admin/banks", s.admin(s.adminBanks))
	m.HandleFunc("POST /api/v1/admin/banks/{name}/entries", s.admin(s.adminImportBank))
}

func (s *Server) adminBanks(w http.ResponseWriter, r *http.Request) {
	banks, gen, err := s.banks.List(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := client.HashBanks{Generation: gen, Banks: []client.HashBank{}}
	for _, b := range banks {
		out.Banks = append(out.Banks, wireBank(b))
	}
	writeJSON(w, http.StatusOK, out)
}

// adminImportBank reads the request body as a hash list, described by the
// query: format, kind, source, version, description, negative, replace, by.
func (s *Server) adminImportBank(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := banks.ListImport{
		Spec: banks.Spec{Bank: r.PathValue("name"), Source: q.Get("source"), Version: q.Get("version"),
			Description: q.Get("description"), By: q.Get("by")},
		Format: listfmt.Format(q.Get("format")),
	}
	if req.Format == "" {
		req.Format = listfmt.Text
	}
	if req.By == "" {
		req.By = "operator API"
	}
	if k := q.Get("kind"); k != "" {
		kind, err := hashbank.ParseKind(k)
		if err != nil {
			s.writeError(w, r, safeguard.Invalid("invalid_kind", "kind is pdq, md5 or sha256, not %q.", k))
			return
		}
		req.Kind = kind
	}
	for name, dst := range map[string]*bool{"negative": &req.Negative, "replace": &req.Replace} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				s.writeError(w, r, safeguard.Invalid("invalid_query", "%s is true or false, not %q.", name, v))
				return
			}
			*dst = b
		}
	}
	c, err := s.banks.Import(r.Context(), req, http.MaxBytesReader(w, r.Body, MaxBankList))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = safeguard.Errorf(safeguard.ErrTooLarge, "list_too_large", "The list is larger than %d bytes: import it with safeguard bank import.", mbe.Limit)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, client.BankImportResult{Bank: wireBank(c.Bank), Created: c.Created, ImportID: c.Import.ID,
		Added: c.Added, LowQuality: c.LowQuality, SHA256: c.Import.SHA256, Generation: c.Generation})
}

func wireBank(b *safeguard.HashBank) client.HashBank {
	return client.HashBank{ID: b.ID, Name: b.Name, Source: b.Source, Description: b.Description, Version: b.Version,
		Negative: b.Negative, Enabled: b.Enabled, Entries: b.Entries, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, ImportedAt: b.ImportedAt}
}
