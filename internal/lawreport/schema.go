package lawreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/safeguard-dev/safeguard"
)

// NCASchema is the JSON Schema every NCA report is checked against before it
// leaves the package (see schema/README.md for its source).
//
//go:embed schema/nca-report.schema.json
var NCASchema []byte

// CyberTiplineXSD is NCMEC's XML schema of the CyberTipline report, kept for
// tools and tests that validate with xmllint (see schema/README.md).
//
//go:embed schema/cyber_tipline.xsd
var CyberTiplineXSD []byte

// CodeInvalidReport is the error code of a generated report that does not
// satisfy its schema: a defect in the builder, never in the caller's input.
const CodeInvalidReport = "invalid_report"

const ncaSchemaURL = "https://safeguard.invalid/schema/nca-report.schema.json"

var ncaSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(NCASchema))
	if err != nil {
		return nil, fmt.Errorf("nca schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(ncaSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("nca schema: %w", err)
	}
	return c.Compile(ncaSchemaURL)
})

// ValidateNCA checks an NCA report document against NCASchema, with formats
// (date-time, date) asserted. It returns an ErrInvalid *safeguard.Error that
// says where the document is wrong.
func ValidateNCA(doc []byte) error {
	sch, err := ncaSchema()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return &safeguard.Error{Kind: safeguard.ErrInvalid, Code: CodeInvalidReport,
			Message: "The NCA report is not valid JSON.", Err: err}
	}
	if err := sch.Validate(v); err != nil {
		return &safeguard.Error{Kind: safeguard.ErrInvalid, Code: CodeInvalidReport,
			Message: "The NCA report does not match its schema.", Err: err}
	}
	return nil
}
