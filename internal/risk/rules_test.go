package risk

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard"
)

func lex() []Source { return []Source{DefaultLexicon()} }

func rulesFile(body string) []Source {
	return []Source{{Name: "private.yaml", Data: []byte("version: 1\nrules:\n" + body)}}
}

func TestLoadErrorPositions(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the first problem
	}{
		{"syntax error in a one-line expression", `  - id: r1
    description: d
    category: grooming
    severity: high
    mode: enforce
    expr: signals.secrecy.count >= && sender.adult
`, "private.yaml:8:36: rule r1: syntax error:"},
		{"type error in a block", `  - id: r2
    description: d
    category: grooming
    severity: high
    mode: enforce
    expr: |
      signals.secrecy.count >= 1
        && sender.age_band > 3
`, "private.yaml:10:28: rule r2: type error:"},
		{"unknown signal in a quoted expression", `  - id: r3
    description: d
    category: grooming
    severity: high
    mode: shadow
    expr: "sender.adult && signals.secrcy.count > 0"
`, `private.yaml:8:36: rule r3: unknown signal "secrcy" in signals`},
		{"unknown signal by index", `  - id: r4
    description: d
    category: grooming
    severity: high
    mode: shadow
    expr: signals["nope"].count > 0
`, `private.yaml:8:19: rule r4: unknown signal "nope"`},
		{"unknown field", `  - id: r5
    description: d
    category: grooming
    severity: high
    mode: enforce
    expr: sender.adlut
`, "private.yaml:8:17: rule r5: type error: undefined field 'adlut'"},
		{"not a bool", `  - id: r6
    description: d
    category: grooming
    severity: high
    mode: enforce
    expr: signals.secrecy.count
`, "private.yaml:8:11: rule r6: type error: expression gives int, want bool"},
		{"bad severity", `  - id: r7
    description: d
    category: grooming
    severity: urgent
    mode: enforce
    expr: sender.adult
`, `private.yaml:6:15: severity "urgent"`},
		{"bad mode", `  - id: r8
    description: d
    category: grooming
    severity: low
    mode: maybe
    expr: sender.adult
`, `private.yaml:7:11: mode "maybe"`},
		{"unknown key", `  - id: r9
    description: d
    category: grooming
    sevrity: low
    mode: enforce
    expr: sender.adult
`, `private.yaml:6:5: unknown key "sevrity"`},
		{"missing expr", `  - id: r10
    description: d
    category: grooming
    severity: low
    mode: enforce
`, "private.yaml:3:5: rule: missing expr"},
		{"broken yaml", "  - id: [unclosed\n", "private.yaml:2:1: did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(rulesFile(tt.body), lex())
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load: %v, want a *LoadError", err)
			}
			if !errors.Is(err, safeguard.ErrInvalid) {
				t.Error("a LoadError is not ErrInvalid")
			}
			if got := le.Problems[0].String(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("first problem = %q, want it to start %q", got, tt.want)
			}
		})
	}
}

func TestLoadDuplicateID(t *testing.T) {
	rule := "  - {id: dup, description: d, category: c, severity: low, mode: shadow, expr: sender.adult}\n"
	_, err := Load(rulesFile(rule+rule), lex())
	if err == nil || !strings.Contains(err.Error(), `private.yaml:4:10: duplicate rule id "dup" (first at private.yaml:3)`) {
		t.Errorf("Load = %v, want a duplicate id error", err)
	}
}

func TestLexiconErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{"version: 1\nsignals:\n  x:\n    patterns: [\"send (me\"]\n", "extra.yaml:4:22: pattern \"send (me\": missing )"},
		{"version: 1\nsignals:\n  image_sent:\n    patterns: [a]\n", `extra.yaml:3:3: signal "image_sent" is computed by the scorer`},
		{"version: 1\nsignals:\n  Bad:\n    patterns: [a]\n", `extra.yaml:3:3: signal name "Bad"`},
		{"version: 2\n", `extra.yaml:1:10: unknown version "2"`},
		{"version: 1\nsignals:\n  y:\n    patterns:\n      - \"{nope} x\"\n", "extra.yaml:5:10: pattern \"{nope} x\": unknown class {nope}"},
	}
	for _, tt := range tests {
		_, err := Load([]Source{DefaultRules()}, []Source{DefaultLexicon(), {Name: "extra.yaml", Data: []byte(tt.body)}})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %q", tt.body, err, tt.want)
		}
	}
}

func TestOperatorLexiconAndRules(t *testing.T) {
	extraLex := Source{Name: "ops-lexicon.yaml", Data: []byte(`version: 1
classes:
  app: [zapchat]
signals:
  crypto_wallet:
    description: asks for a wallet address
    patterns: ["(send|give) me (your)? wallet"]
`)}
	extraRules := Source{Name: "ops-rules.yaml", Data: []byte(`version: 1
rules:
  - id: ops.wallet
    description: asks a child for a wallet
    category: sextortion
    severity: high
    mode: enforce
    expr: signals.crypto_wallet.count >= 1 && recipient.minor
`)}
	rs, err := Load([]Source{DefaultRules(), extraRules}, []Source{DefaultLexicon(), extraLex})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rs)
	members := []Member{{ID: "a", AgeBand: "adult", Connected: true}, {ID: "c", AgeBand: "teen"}}
	var c Conversation
	v, err := e.Score(&c, members, Message{From: "a", Text: "send me ur wallet"})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Alert || v.Notice != SextortionWarning || v.Rules[0].ID != "ops.wallet" {
		t.Errorf("verdict = %+v, want the operator's rule to alert with the sextortion notice", v)
	}
	// The operator's class entry extends the default class.
	v, _ = e.Score(&c, members, Message{From: "a", Text: "add me on zapchat"})
	if !hasSignal(v, "platform_move") {
		t.Errorf("extended class: signals %+v, want platform_move", v.Signals)
	}
}

func hasSignal(v Verdict, name string) bool {
	for _, s := range v.Signals {
		if s.Name == name {
			return true
		}
	}
	return false
}

func TestReloadKeepsOldRules(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rs)
	bad := rulesFile("  - {id: x, description: d, category: c, severity: low, mode: shadow, expr: 'signals.nope.count > 0'}\n")
	if _, err := e.Reload(bad, lex()); err == nil {
		t.Fatal("Reload of a bad file succeeded")
	}
	if e.RuleSet() != rs {
		t.Fatal("a failed reload replaced the rules in force")
	}
	good := rulesFile("  - {id: x, description: d, category: c, severity: low, mode: shadow, expr: sender.adult}\n")
	rs2, err := e.Reload(good, lex())
	if err != nil {
		t.Fatal(err)
	}
	if e.RuleSet() != rs2 || len(rs2.Rules()) != 1 {
		t.Fatal("a good reload did not take effect")
	}
}

func TestVersion(t *testing.T) {
	a, err := Load([]Source{DefaultRules()}, lex())
	if err != nil {
		t.Fatal(err)
	}
	crlf := strings.ReplaceAll(string(DefaultRules().Data), "\n", "\r\n")
	b, err := Load([]Source{{Name: "elsewhere.yaml", Data: []byte("\ufeff" + crlf)}}, lex())
	if err != nil {
		t.Fatal(err)
	}
	if a.Version() != b.Version() {
		t.Errorf("line endings, a BOM or the file name changed the version: %s vs %s", a.Version(), b.Version())
	}
	changed := strings.Replace(string(DefaultRules().Data), "severity: low", "severity: medium", 1)
	c, err := Load([]Source{{Name: "r.yaml", Data: []byte(changed)}}, lex())
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() == a.Version() {
		t.Error("changing a rule did not change the version")
	}
	if !strings.HasPrefix(a.Version(), "sha256:") || len(a.Version()) != 7+64 {
		t.Errorf("version %q: want sha256:<64 hex>", a.Version())
	}
}

func TestScalarPos(t *testing.T) {
	src := "version: 1\nrules:\n  - id: a\n    description: d\n    category: c\n    severity: low\n    mode: shadow\n" +
		"    expr: >\n      sender.adult &&\n      sender.minr\n"
	_, err := Load([]Source{{Name: "f.yaml", Data: []byte(src)}}, lex())
	// The folded value is one line, "sender.adult && sender.minr"; the
	// error maps back to the second line of the block, at "minr".
	if err == nil || !strings.HasPrefix(err.Error(), "f.yaml:10:13: rule a: type error: undefined field 'minr'") {
		t.Errorf("folded block error = %v, want it at f.yaml:10:13", err)
	}
}

func FuzzLoadRules(f *testing.F) {
	f.Add(string(DefaultRules().Data))
	f.Add("version: 1\nrules:\n  - {id: a, description: d, category: c, severity: low, mode: shadow, expr: 'sender.adult'}\n")
	f.Add("version: 1\nrules: [")
	f.Add("rules:\n  - expr: |\n      ((((((((((\n")
	f.Fuzz(func(t *testing.T, body string) {
		rs, err := Load([]Source{{Name: "fuzz.yaml", Data: []byte(body)}}, lex())
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error %v is not a LoadError with problems", err)
			}
			return
		}
		e := NewEngine(rs)
		var c Conversation
		if _, err := e.Score(&c, []Member{{ID: "a", AgeBand: "adult"}, {ID: "c", AgeBand: "child"}}, Message{From: "a", Text: "send me a pic"}); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzLoadLexicon(f *testing.F) {
	f.Add("version: 1\nsignals:\n  x:\n    patterns: [\"send (me)? {image_noun}\"]\n")
	f.Add("version: 1\nclasses:\n  a: [\"(b|c\"]\n")
	f.Add("version: 1\nslang: {u: you}\nemoji: {\"x\": y}\n")
	f.Fuzz(func(t *testing.T, body string) {
		rs, err := Load([]Source{DefaultRules()}, []Source{DefaultLexicon(), {Name: "fuzz.yaml", Data: []byte(body)}})
		if err != nil {
			return
		}
		toks, _ := rs.lex.norm.tokens("send me a pic " + body)
		_ = rs.lex.detect(nil, toks, 0)
	})
}

var _ = cmp.Diff
