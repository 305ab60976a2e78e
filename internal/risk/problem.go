package risk

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/safeguard-dev/safeguard"
	"go.yaml.in/yaml/v3"
)

// Source is one rule or lexicon file: its name (for error positions) and its
// bytes.
type Source struct {
	Name string
	Data []byte
}

// Problem is one thing wrong in a rule or lexicon file, at a position in it.
// Line and Col are 1-based; Col counts characters.
type Problem struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg) }

// LoadError lists every problem found while loading rule and lexicon files.
// Nothing of a load that fails is used.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes a LoadError an ErrInvalid.
func (e *LoadError) Unwrap() error { return safeguard.ErrInvalid }

// maxProblems bounds the problems reported for one load.
const maxProblems = 50

// problems collects Problems for one file.
type problems struct {
	file string
	list *[]Problem
}

func (p problems) at(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil {
		line, col = n.Line, n.Column
	}
	p.atPos(line, col, format, args...)
}

func (p problems) atPos(line, col int, format string, args ...any) {
	if len(*p.list) >= maxProblems {
		return
	}
	*p.list = append(*p.list, Problem{File: p.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML decodes a file into a node tree, turning yaml's own errors into
// positioned problems.
func parseYAML(src Source, p problems) *yaml.Node {
	var doc yaml.Node
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("yaml: cannot parse: %v", r)
			}
		}()
		return yaml.Unmarshal(src.Data, &doc)
	}()
	if err != nil {
		msg := err.Error()
		line := 1
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		p.atPos(line, 1, "%s", msg)
		return nil
	}
	if len(doc.Content) == 0 {
		p.atPos(1, 1, "empty file")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.at(root, "want a mapping at the top of the file")
		return nil
	}
	return root
}

// fields returns a mapping's keys and values, reporting keys not in allowed
// and duplicates.
func fields(m *yaml.Node, p problems, allowed ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if m == nil || m.Kind != yaml.MappingNode {
		p.at(m, "want a mapping")
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if len(allowed) > 0 && !contains(allowed, k.Value) {
			p.at(k, "unknown key %q (want one of %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.at(k, "duplicate key %q", k.Value)
			continue
		}
		out[k.Value] = v
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns a scalar's value, reporting anything else.
func scalar(n *yaml.Node, p problems, what string) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		p.at(n, "%s: want a string", what)
		return "", false
	}
	return n.Value, true
}

// stringList returns a sequence of scalars (a single scalar is a list of one).
func stringList(n *yaml.Node, p problems, what string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	if n.Kind != yaml.SequenceNode {
		p.at(n, "%s: want a list of strings", what)
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			p.at(c, "%s: want a string", what)
			continue
		}
		out = append(out, c)
	}
	return out
}

// checkVersion checks a file's format version.
func checkVersion(f map[string]*yaml.Node, root *yaml.Node, p problems) {
	v, ok := f["version"]
	if !ok {
		p.at(root, "missing version: 1")
		return
	}
	if v.Value != "1" {
		p.at(v, "unknown version %q: this build reads version 1", v.Value)
	}
}

// scalarPos maps a character offset inside a scalar's value to its line and
// column in the file. Plain and quoted one-line scalars, literal (|) and
// folded (>) blocks map exactly; other multi-line forms map to the scalar's
// start.
func scalarPos(n *yaml.Node, lines []string, off int) (line, col int) {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		// The value's lines are the block's lines with the indentation removed;
		// each line break in the source is one character of the value.
		l := n.Line // the line of the | or > indicator
		indent := -1
		rs := []rune(n.Value)
		if off > len(rs) {
			off = len(rs)
		}
		rem := off
		for ln := l + 1; ln <= len(lines); ln++ {
			text := lines[ln-1]
			if strings.TrimSpace(text) == "" {
				if rem == 0 {
					return ln, 1
				}
				rem--
				continue
			}
			if indent < 0 {
				indent = len(text) - len(strings.TrimLeft(text, " "))
			}
			body := []rune(text)
			if indent <= len(body) {
				body = body[indent:]
			}
			if rem <= len(body) {
				return ln, indent + rem + 1
			}
			rem -= len(body) + 1
		}
		return n.Line, n.Column
	}
	if strings.ContainsRune(n.Value, '\n') || (n.Line >= 1 && n.Line <= len(lines) && !sameLine(n, lines[n.Line-1])) {
		return n.Line, n.Column
	}
	col = n.Column + off
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	return n.Line, col
}

// sameLine reports whether a one-line scalar's value appears verbatim on its
// source line (no escapes, no folding), so that offsets map one to one.
func sameLine(n *yaml.Node, line string) bool {
	rs := []rune(line)
	start := n.Column - 1
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		start++
	}
	v := []rune(n.Value)
	if start < 0 || start+len(v) > len(rs) {
		return false
	}
	return string(rs[start:start+len(v)]) == n.Value
}

// sourceLines splits a file into lines for position mapping.
func sourceLines(data []byte) []string {
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}
