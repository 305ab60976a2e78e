package safeguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sameWord lists the non-test files that may spell a category's word for
// something else: another vocabulary that happens to use the same word.
var sameWord = map[string][]string{
	"url": {
		"urllist.go",             // URLExact, the URL list entry kind
		"cmd/safeguard/main.go",  // the url subcommand
		"cmd/safeguard/url.go",   // the url subcommand
		"cmd/safeguard/serve.go", // a log key
		"cmd/safeguard/start.go", // a log key
	},
	"age_deception": {"internal/risk/lexicon.go"}, // a risk signal
	"nudity":        {"cmd/safeguard/main.go"},    // the nudity subcommand
}

// sameWordFiles may spell any category's word for something else.
var sameWordFiles = []string{
	"internal/lawreport/incident.go", // the NCA report's incident types and priority signals
}

// TestCategoriesDefinedOnce keeps one definition of each detection
// category: the string of each Category constant of finding.go appears as a
// literal in no other non-test Go file (struct tags and imports aside), so
// that code names categories by their constants.
func TestCategoriesDefinedOnce(t *testing.T) {
	fset := token.NewFileSet()
	root, err := parser.ParseFile(fset, "finding.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	categories := map[string]bool{}
	for _, decl := range root.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Category" {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					categories[s] = true
				}
			}
		}
	}
	if len(categories) < 9 {
		t.Fatalf("found %d categories in finding.go", len(categories))
	}
	found := map[string][]string{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == "finding.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		skip := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				if n.Tag != nil {
					skip[n.Tag] = true
				}
			case *ast.ImportSpec:
				skip[n.Path] = true
			case *ast.BasicLit:
				if n.Kind != token.STRING || skip[n] {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err == nil && categories[s] && !slices.Contains(found[s], path) && !slices.Contains(sameWord[s], filepath.ToSlash(path)) &&
					!slices.Contains(sameWordFiles, filepath.ToSlash(path)) {
					found[s] = append(found[s], path)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for c, files := range found {
		t.Errorf("category %q is spelled out in %s: use its constant from finding.go", c, strings.Join(files, ", "))
	}
}
