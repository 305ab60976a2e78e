package safeguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// useCases are the packages whose service is built by New(cfg Config,
// d Deps) (*T, error), as docs/architecture.md ("How a package is put
// together") says.
var useCases = []string{
	"internal/cases",
	"internal/console",
	"internal/e2ee",
	"internal/messaging",
	"internal/moderators",
	"internal/safety/banks",
	"internal/safety/images",
	"internal/safety/nudityscan",
	"internal/safety/riskscan",
	"internal/safety/urls",
	"internal/stats/platform",
}

// TestConstructors keeps one constructor shape for every use case.
func TestConstructors(t *testing.T) {
	for _, dir := range useCases {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		var found bool
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || fn.Name.Name != "New" {
					continue
				}
				found = true
				if !newShape(fn.Type) {
					t.Errorf("%s: want func New(cfg Config, d Deps) (*T, error)", fset.Position(fn.Pos()))
				}
			}
		}
		if !found {
			t.Errorf("%s: no func New", dir)
		}
	}
}

// newShape reports whether ft is func(Config, Deps) (*T, error).
func newShape(ft *ast.FuncType) bool {
	var params []ast.Expr
	for _, f := range ft.Params.List {
		for range max(len(f.Names), 1) {
			params = append(params, f.Type)
		}
	}
	if len(params) != 2 || !identNamed(params[0], "Config") || !identNamed(params[1], "Deps") {
		return false
	}
	if ft.Results == nil || len(ft.Results.List) != 2 {
		return false
	}
	_, ptr := ft.Results.List[0].Type.(*ast.StarExpr)
	return ptr && identNamed(ft.Results.List[1].Type, "error")
}

func identNamed(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
