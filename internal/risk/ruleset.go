package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/ext"
)

// SignalsVersion changes whenever the way signals are computed changes in a
// way that matters to rules. It is part of every rule set's version.
const SignalsVersion = 2

// Limits on what one rule may cost.
const (
	maxExprBytes = 4096
	maxEvalCost  = 100_000
)

// RuleSet is a compiled, validated set of rules and lexicons. It is
// immutable and safe for concurrent use.
type RuleSet struct {
	version string
	lex     *lexicon
	rules   []*compiledRule
	names   []string // every signal a rule may name
}

type compiledRule struct {
	Rule
	prg     cel.Program
	signals []string // sender's signals the expression names
	peer    []string // other members' signals it names
	facts   []string // sender.x and recipient.x it names
}

// Version is the rule set's content hash: "sha256:" and the hex SHA-256 of
// its canonical files (see docs/risk.md). It is stored with every alert.
func (rs *RuleSet) Version() string { return rs.version }

// Rules returns the rules in evaluation order.
func (rs *RuleSet) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.Rule
	}
	return out
}

// Signals returns the names of every signal rules can use.
func (rs *RuleSet) Signals() []string { return slices.Clone(rs.names) }

// Load compiles rule files over lexicon files. Files are read in order; later
// lexicons extend earlier ones. Any problem in any file fails the whole load
// with a *LoadError listing each problem at its file:line:col.
func Load(rules, lexicons []Source) (rs *RuleSet, err error) {
	defer func() {
		if r := recover(); r != nil {
			rs, err = nil, &LoadError{Problems: []Problem{{File: "(load)", Line: 1, Col: 1, Msg: fmt.Sprintf("internal error: %v", r)}}}
		}
	}()
	var list []Problem
	fail := func() error { return &LoadError{Problems: list} }
	if len(lexicons) == 0 {
		list = append(list, Problem{File: "(lexicons)", Line: 1, Col: 1, Msg: "no lexicon given"})
		return nil, fail()
	}
	lx := buildLexicon(lexicons, &list)
	if len(list) > 0 {
		return nil, fail()
	}
	names := lx.signalNames()
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	rs = &RuleSet{lex: lx, names: names}
	seen := map[string]Rule{}
	for _, src := range rules {
		for _, r := range readRules(src, &list) {
			p := problems{file: src.Name, list: &list}
			if prev, dup := seen[r.ID]; dup && r.ID != "" {
				p.at(r.idNode, "duplicate rule id %q (first at %s:%d)", r.ID, prev.File, prev.Line)
				continue
			}
			seen[r.ID] = r.Rule
			if r.exprNode == nil || strings.TrimSpace(r.Expr) == "" {
				continue
			}
			if cr := compileRule(env, r, names, p); cr != nil {
				rs.rules = append(rs.rules, cr)
			}
		}
	}
	if len(list) > 0 {
		return nil, fail()
	}
	rs.version = version(rules, lexicons)
	return rs, nil
}

func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		ext.NativeTypes(
			reflect.TypeFor[Party](), reflect.TypeFor[SignalCount](),
			reflect.TypeFor[MessageFacts](), reflect.TypeFor[ConversationFacts](),
			ext.ParseStructTags(true),
		),
		cel.Variable("sender", cel.ObjectType("risk.Party")),
		cel.Variable("recipient", cel.ObjectType("risk.Party")),
		cel.Variable("signals", cel.MapType(cel.StringType, cel.ObjectType("risk.SignalCount"))),
		cel.Variable("peer", cel.MapType(cel.StringType, cel.ObjectType("risk.SignalCount"))),
		cel.Variable("message", cel.ObjectType("risk.MessageFacts")),
		cel.Variable("conversation", cel.ObjectType("risk.ConversationFacts")),
		cel.ParserExpressionSizeLimit(maxExprBytes),
		cel.ParserRecursionLimit(64),
	)
}

// signalRef is a signal a rule names, where it names it.
type signalRef struct {
	id      int64 // of the expression that names it
	shift   int   // columns from the expression's start to the name
	varName string
	name    string
}

// signalRefOf reads a signal that e names: signals.x or peer.x,
// signals["x"] or "x" in peer.
func signalRefOf(e celast.Expr) (signalRef, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		op := sel.Operand()
		if op.Kind() == celast.IdentKind && (op.AsIdent() == "signals" || op.AsIdent() == "peer") {
			return signalRef{id: e.ID(), shift: 1, varName: op.AsIdent(), name: sel.FieldName()}, true // CEL places a select at its dot
		}
	case celast.CallKind:
		call := e.AsCall()
		args := call.Args()
		if len(args) != 2 {
			return signalRef{}, false
		}
		var m, k celast.Expr
		switch call.FunctionName() {
		case operators.Index:
			m, k = args[0], args[1]
		case operators.In:
			k, m = args[0], args[1]
		default:
			return signalRef{}, false
		}
		if m.Kind() != celast.IdentKind || (m.AsIdent() != "signals" && m.AsIdent() != "peer") || k.Kind() != celast.LiteralKind {
			return signalRef{}, false
		}
		if s, ok := k.AsLiteral().Value().(string); ok {
			return signalRef{id: k.ID(), varName: m.AsIdent(), name: s}, true
		}
	}
	return signalRef{}, false
}

// factOf reads an account fact that e names: sender.x or recipient.x.
func factOf(e celast.Expr) (string, bool) {
	if e.Kind() != celast.SelectKind {
		return "", false
	}
	sel := e.AsSelect()
	op := sel.Operand()
	if op.Kind() != celast.IdentKind {
		return "", false
	}
	if v := op.AsIdent(); v == "sender" || v == "recipient" {
		return v + "." + sel.FieldName(), true
	}
	return "", false
}

// compileRule parses, type-checks and validates one rule's expression,
// reporting problems at their position in the file.
func compileRule(env *cel.Env, r rawRule, names []string, p problems) *compiledRule {
	at := func(line, col int, format string, args ...any) {
		off := exprOffset(r.Expr, line, col)
		fl, fc := scalarPos(r.exprNode, r.lines, off)
		p.atPos(fl, fc, "rule %s: "+format, append([]any{r.ID}, args...)...)
	}
	if len(r.Expr) > maxExprBytes {
		at(1, 0, "expression is longer than %d bytes", maxExprBytes)
		return nil
	}
	parsed, iss := env.Parse(r.Expr)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			at(e.Location.Line(), e.Location.Column(), "syntax error: %s", e.Message)
		}
		return nil
	}
	checked, iss := env.Check(parsed)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			at(e.Location.Line(), e.Location.Column(), "type error: %s", e.Message)
		}
		return nil
	}
	if !checked.OutputType().IsExactType(cel.BoolType) {
		at(1, 0, "type error: expression gives %s, want bool", checked.OutputType())
		return nil
	}
	cr := &compiledRule{Rule: r.Rule}
	native := checked.NativeRep()
	info := native.SourceInfo()
	bad := false
	note := func(list *[]string, s string) {
		if !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	signal := func(id int64, shift int, varName, name string) {
		if !slices.Contains(names, name) {
			loc := info.GetStartLocation(id)
			at(loc.Line(), loc.Column()+shift, "unknown signal %q in %s (known: %s)", name, varName, strings.Join(names, ", "))
			bad = true
			return
		}
		if varName == "signals" {
			note(&cr.signals, name)
		} else {
			note(&cr.peer, name)
		}
	}
	celast.PreOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if ref, ok := signalRefOf(e); ok {
			signal(ref.id, ref.shift, ref.varName, ref.name)
		} else if fact, ok := factOf(e); ok {
			note(&cr.facts, fact)
		}
	}))
	if bad {
		return nil
	}
	prg, err := env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(maxEvalCost))
	if err != nil {
		at(1, 0, "cannot build program: %v", err)
		return nil
	}
	cr.prg = prg
	return cr
}

// exprOffset turns CEL's 1-based line and 0-based column (in characters)
// into a character offset in the expression.
func exprOffset(expr string, line, col int) int {
	if line < 1 {
		line = 1
	}
	off := 0
	for i, l := range strings.Split(expr, "\n") {
		if i == line-1 {
			return off + max(0, col)
		}
		off += utf8.RuneCountInString(l) + 1
	}
	return off
}

// version hashes the canonical form of every file in load order, with the
// signals version: the same files give the same version on any machine.
func version(rules, lexicons []Source) string {
	h := sha256.New()
	fmt.Fprintf(h, "safeguard-risk\nsignals %d\n", SignalsVersion)
	write := func(kind string, s Source) {
		c := canonical(s.Data)
		h.Write([]byte(kind + " " + strconv.Itoa(len(c)) + "\n"))
		h.Write(c)
	}
	for _, s := range lexicons {
		write("lexicon", s)
	}
	for _, s := range rules {
		write("rules", s)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// canonical is a file's content without a byte-order mark, with LF line
// endings and one final newline: editors that change only those do not change
// the version.
func canonical(b []byte) []byte {
	s := strings.TrimPrefix(string(b), "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, "\n") + "\n"
	return []byte(s)
}
