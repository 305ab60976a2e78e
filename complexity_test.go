package safeguard_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// maxComplexity is the most cyclomatic complexity a function may have.
const maxComplexity = 25

// complexityExempt are the functions above maxComplexity that are meant to
// be: a script read top to bottom, or test code that lives in a non-test
// file. Each says why.
var complexityExempt = map[string]string{
	"cmd/safeguard.(*demo).story":                    "the demo script: the story told in order",
	"internal/store/storetest.testBankImports":       "conformance suite: a test body, in a file the stores' tests import",
	"internal/store/storetest.testConcurrentUpdates": "conformance suite: a test body, in a file the stores' tests import",
}

// complexityBacklog are functions still above maxComplexity, each with its
// complexity as it stands. The list may only shrink: a listed function may
// not grow, one that falls to maxComplexity or below (or goes) must leave
// the list, and no function may join it.
var complexityBacklog = map[string]int{}

// maxLines bounds the length of functions that once grew long, counted
// from the func line to the closing brace.
var maxLines = map[string]int{
	"cmd/safeguard.start":                60,
	"internal/cases.(*Service).incident": 60,
	"internal/messaging.(*Service).send": 60,
}

// linesBacklog are functions of maxLines still longer than their bound,
// each with its length as it stands: a listed function may not grow, and
// leaves the list once within its bound.
var linesBacklog = map[string]int{}

// funcStat is what the measure says of one function.
type funcStat struct {
	complexity int
	lines      int
	pos        string
}

// TestComplexity measures the cyclomatic complexity of every function
// outside test files, counted as gocyclo does: one, plus one for each if,
// for, range, non-default case and select clause, && and ||, function
// literals included.
func TestComplexity(t *testing.T) {
	stats := measureTree(t, ".")
	for name, st := range stats {
		if st.complexity <= maxComplexity {
			continue
		}
		if _, ok := complexityExempt[name]; ok {
			continue
		}
		was, listed := complexityBacklog[name]
		switch {
		case !listed:
			t.Errorf("%s: %s has complexity %d, above %d: split it", st.pos, name, st.complexity, maxComplexity)
		case st.complexity > was:
			t.Errorf("%s: %s has grown from complexity %d to %d: split it", st.pos, name, was, st.complexity)
		}
	}
	for name, was := range complexityBacklog {
		if st, ok := stats[name]; !ok || st.complexity <= maxComplexity {
			t.Errorf("%s (listed at %d) is no longer above %d: remove it from complexityBacklog", name, was, maxComplexity)
		}
	}
	for name := range complexityExempt {
		if st, ok := stats[name]; !ok || st.complexity <= maxComplexity {
			t.Errorf("%s is no longer above %d: remove it from complexityExempt", name, maxComplexity)
		}
	}
	for name, max := range maxLines {
		st, ok := stats[name]
		switch {
		case !ok:
			t.Errorf("%s: no such function; update maxLines", name)
		case st.lines > max && linesBacklog[name] == 0:
			t.Errorf("%s: %s is %d lines long, more than %d", st.pos, name, st.lines, max)
		case st.lines > max && st.lines > linesBacklog[name]:
			t.Errorf("%s: %s has grown from %d lines to %d", st.pos, name, linesBacklog[name], st.lines)
		case st.lines <= max && linesBacklog[name] != 0:
			t.Errorf("%s is %d lines long, within %d: remove it from linesBacklog", name, st.lines, max)
		}
	}
}

// TestComplexityCounts checks the measure on functions whose complexity is
// known.
func TestComplexityCounts(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{"", 1},
		{"if a {}", 2},
		{"if a && b || c {}", 4},
		{"for {}; for range x {}", 3},
		{"switch a { case 1, 2: case 3: default: }", 3},
		{"select { case <-c: default: }", 2},
		{"f := func() { if a {} }; f()", 2},
	}
	for _, tt := range tests {
		src := "package p\nfunc f() {" + tt.body + "}\n"
		file, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
		if err != nil {
			t.Fatalf("%q: %v", tt.body, err)
		}
		if got := complexity(file.Decls[0].(*ast.FuncDecl)); got != tt.want {
			t.Errorf("%q: complexity %d, want %d", tt.body, got, tt.want)
		}
	}
}

// measureTree measures every function declared in the non-test Go files
// under root, by package directory and name: "internal/cases.(*Service).Decide".
func measureTree(t *testing.T, root string) map[string]funcStat {
	t.Helper()
	fset := token.NewFileSet()
	stats := map[string]funcStat{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			name := dir + "." + cycloName(fn)
			if prev, ok := stats[name]; ok && prev.complexity >= complexity(fn) {
				continue // the same function in a file of another build, no simpler
			}
			stats[name] = funcStat{
				complexity: complexity(fn),
				lines:      end.Line - start.Line + 1,
				pos:        fmt.Sprintf("%s:%d", path, start.Line),
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

// cycloName names a function as gocyclo does: Name, or (Recv).Name and
// (*Recv).Name for methods.
func cycloName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	star := ""
	if s, ok := typ.(*ast.StarExpr); ok {
		star, typ = "*", s.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	id, _ := typ.(*ast.Ident)
	recv := "?"
	if id != nil {
		recv = id.Name
	}
	return "(" + star + recv + ")." + fn.Name.Name
}

// complexity is fn's cyclomatic complexity.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}
