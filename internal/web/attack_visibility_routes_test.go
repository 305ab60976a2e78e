package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// accountFields are the JSON fields of a request body that name accounts.
var accountFields = []string{"handle", "to", "members", "account"}

// accountIDRoutes name accounts by ID inside their bodies (device IDs),
// which no wire type of package client declares.
var accountIDRoutes = []string{"POST /api/v1/keys/claim", "POST /api/v1/to-device"}

// TestThreatModelNamesEveryAccountEndpoint keeps the per-endpoint table of
// docs/threat-model.md true: every route of the server with {handle} in
// its path, or whose handler decodes a request that names accounts (a
// handle, "to", "members", "account"), has a row there.
func TestThreatModelNamesEveryAccountEndpoint(t *testing.T) {
	fset := token.NewFileSet()
	// Request types of package client whose fields name accounts.
	naming := map[string]bool{}
	for _, f := range parseDir(t, fset, filepath.Join("..", "..", "client")) {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			if st, ok := ts.Type.(*ast.StructType); ok {
				for _, fld := range st.Fields.List {
					if fld.Tag == nil {
						continue
					}
					tag, _ := strconv.Unquote(fld.Tag.Value)
					name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
					if slices.Contains(accountFields, name) {
						naming[ts.Name.Name] = true
					}
				}
			}
			return false
		})
	}
	// Handlers of the server that decode one of them, and the routes.
	decodes := map[string]bool{}
	route := regexp.MustCompile(`Handle(?:Func)?\("([^"]+)",\s*(.*)\)$`)
	handlerName := regexp.MustCompile(`s\.(\w+)`) // the last one is the handler: s.auth(s.block)
	routes := map[string]string{}                 // pattern → handler
	for _, f := range parseDir(t, fset, ".") {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				if sel, ok := vs.Type.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "client" && naming[sel.Sel.Name] {
						decodes[fn.Name.Name] = true
					}
				}
				return true
			})
		}
		src, err := os.ReadFile(fset.File(f.Pos()).Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			m := route.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			h := ""
			if hm := handlerName.FindAllStringSubmatch(m[2], -1); hm != nil {
				h = hm[len(hm)-1][1]
			}
			routes[m[1]] = h
		}
	}
	if len(routes) < 20 {
		t.Fatalf("found %d routes in the server's source; the pattern no longer matches how routes are added", len(routes))
	}
	var want []string
	for p, h := range routes {
		if strings.Contains(p, "{handle}") || decodes[h] || slices.Contains(accountIDRoutes, p) {
			want = append(want, p)
		}
	}
	slices.Sort(want)
	if !slices.Contains(want, "DELETE /api/v1/blocks/{handle}") || !slices.Contains(want, "POST /api/v1/conversations") {
		t.Fatalf("routes naming accounts = %q; the search misses known ones", want)
	}

	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "threat-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "## Who can learn that an account exists")
	if !ok {
		t.Fatal("docs/threat-model.md has no section \"Who can learn that an account exists\"")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	rows := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if cell, ok := strings.CutPrefix(line, "| `"); ok {
			p, _, _ := strings.Cut(cell, "`")
			rows[p] = true
		}
	}
	for _, p := range want {
		if !rows[p] {
			t.Errorf("route %s names an account but has no row in docs/threat-model.md", p)
		}
	}
	for p := range rows {
		if _, ok := routes[p]; !ok {
			t.Errorf("docs/threat-model.md has a row for %s, which the server does not serve", p)
		}
	}
}

func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}
