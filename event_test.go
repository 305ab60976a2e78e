package safeguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// eventLists reads event.go's two lists of event types: the outbox block and
// the live-only block, by their doc comments.
func eventLists(t *testing.T) (outbox, live map[string]bool) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "event.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	outbox, live = map[string]bool{}, map[string]bool{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST || g.Doc == nil {
			continue
		}
		list := outbox
		if strings.HasPrefix(g.Doc.Text(), "Live-only") {
			list = live
		} else if !strings.HasPrefix(g.Doc.Text(), "Outbox") {
			continue
		}
		for _, spec := range g.Specs {
			for _, n := range spec.(*ast.ValueSpec).Names {
				list[n.Name] = true
			}
		}
	}
	// Named in the doc comments, declared beside their subjects.
	outbox["EventDetection"], outbox["EventSafetyNotice"], live["EventDeviceChanged"] = true, true, true
	return outbox, live
}

// TestOutboxEvents keeps event.go true: every event type written to the
// outbox (a safeguard.Event literal with a named Type) is on its outbox
// list, and none on its live-only list.
func TestOutboxEvents(t *testing.T) {
	outbox, live := eventLists(t)
	if len(outbox) < 5 || len(live) < 3 {
		t.Fatalf("event.go lists %d outbox and %d live-only types", len(outbox), len(live))
	}
	written := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || d.Name() == "storetest") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if sel, ok := lit.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Event" || !isIdent(sel.X, "safeguard") {
				return true
			}
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok || !isIdent(kv.Key, "Type") {
					continue
				}
				sel, ok := kv.Value.(*ast.SelectorExpr)
				if !ok || !isIdent(sel.X, "safeguard") {
					continue // a variable: its values are checked where they are named
				}
				written++
				switch name := sel.Sel.Name; {
				case live[name]:
					t.Errorf("%s writes %s to the outbox, but event.go lists it as live-only", path, name)
				case !outbox[name]:
					t.Errorf("%s writes %s to the outbox, but event.go does not list it as an outbox event", path, name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if written < 5 {
		t.Errorf("found %d outbox writes; the search is broken", written)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
