package risk

import (
	_ "embed"
	"sync"
)

var (
	//go:embed defaults/lexicon.yaml
	defaultLexicon []byte
	//go:embed defaults/rules.yaml
	defaultRules []byte
)

// DefaultLexicon returns the embedded default lexicon.
func DefaultLexicon() Source { return Source{Name: "default:lexicon.yaml", Data: defaultLexicon} }

// DefaultRules returns the embedded default rules.
func DefaultRules() Source { return Source{Name: "default:rules.yaml", Data: defaultRules} }

var defaultSet = sync.OnceValues(func() (*RuleSet, error) {
	return Load([]Source{DefaultRules()}, []Source{DefaultLexicon()})
})

// Default returns the embedded default rule set. It fails only if the
// embedded files are broken, which the package's tests rule out.
func Default() (*RuleSet, error) { return defaultSet() }
