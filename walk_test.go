package safeguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// walkName is a function named in docs/architecture.md's walk-through:
// package.Func, package.Type.Method or package.(*Type).Method.
var walkName = regexp.MustCompile("`([a-z][a-z0-9]*\\.(?:\\(\\*[A-Za-z]\\w*\\)\\.\\w+|[A-Za-z]\\w*\\.\\w+|[A-Za-z]\\w*))`")

// TestArchitectureWalkNamesExist keeps the walk of a message through the
// code in docs/architecture.md true: every function it names between the
// <!-- walk --> markers is declared in a package of that name.
func TestArchitectureWalkNamesExist(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, walk, ok := strings.Cut(string(doc), "<!-- walk -->")
	walk, _, ok2 := strings.Cut(walk, "<!-- /walk -->")
	if !ok || !ok2 {
		t.Fatal("docs/architecture.md has no <!-- walk --> ... <!-- /walk --> section")
	}
	decls := declarations(t, ".")
	var names []string
	for _, m := range walkName.FindAllStringSubmatch(walk, -1) {
		names = append(names, m[1])
	}
	if len(names) < 20 {
		t.Fatalf("the walk names %d functions; want the whole path of a message", len(names))
	}
	for _, name := range names {
		if !decls[name] {
			t.Errorf("docs/architecture.md names %s, which is declared nowhere", name)
		}
	}
}

// TestWalkNameForms checks the forms a walk name may take.
func TestWalkNameForms(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"`web.(*Server).sendMessage`", "web.(*Server).sendMessage"},
		{"`policy.Config.Message`", "policy.Config.Message"},
		{"`store.RecordDetection`", "store.RecordDetection"},
		{"`Record`", ""},
		{"`multipart/form-data`", ""},
		{"`201 Created`", ""},
	}
	for _, tt := range tests {
		got := ""
		if m := walkName.FindStringSubmatch(tt.text); m != nil {
			got = m[1]
		}
		if got != tt.want {
			t.Errorf("walk name in %s = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// declarations returns the functions and methods declared in the non-test
// Go files under root, named as the walk names them.
func declarations(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok {
				out[f.Name.Name+"."+funcName(fn)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// funcName is Func, Type.Method or (*Type).Method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	star := false
	if s, ok := typ.(*ast.StarExpr); ok {
		typ, star = s.X, true
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	id, _ := typ.(*ast.Ident)
	if id == nil {
		return fn.Name.Name
	}
	if star {
		return "(*" + id.Name + ")." + fn.Name.Name
	}
	return id.Name + "." + fn.Name.Name
}
