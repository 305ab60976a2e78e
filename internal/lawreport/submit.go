package lawreport

import (
	"context"
	"time"

	"github.com/safeguard-dev/safeguard"
)

// Submitter files a report package with a body that receives reports.
//
// Every implementation is idempotent by pkg.Reference: submitting a package
// whose reference was already filed files nothing and returns the receipt
// of the earlier filing with Existing set. A Submitter never sends a test
// package to a live service.
type Submitter interface {
	Submit(ctx context.Context, pkg *Package) (Receipt, error)
}

// Receipt is the proof that a package was filed.
type Receipt struct {
	Reference   string    `json:"reference"`
	Destination string    `json:"destination"` // "file-export", "ncmec"
	ID          string    `json:"id"`          // the export directory, or NCMEC's report id
	SubmittedAt time.Time `json:"submitted_at"`
	Files       []string  `json:"files,omitempty"` // names, or NCMEC file ids
	Test        bool      `json:"test"`
	Draft       bool      `json:"draft,omitempty"`  // a draft: never filed
	Manual      bool      `json:"manual,omitempty"` // for a person to submit by hand
	// Existing is set when the package had already been filed and this call
	// filed nothing.
	Existing bool `json:"-"`
}

// CheckPackage returns an ErrInvalid error if pkg cannot be submitted at all.
func CheckPackage(pkg *Package) error {
	if pkg == nil {
		return safeguard.Invalid("invalid_package", "There is no report package.")
	}
	if msg := checkReference(pkg.Reference); msg != "" {
		return safeguard.Invalid("invalid_package", "The report reference is not usable: %s.", msg)
	}
	if len(pkg.NCA) == 0 {
		return safeguard.Invalid("invalid_package", "The package has no NCA report.")
	}
	return nil
}
