package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/safeguard-dev/safeguard/internal/risk"
)

// maxReplayLine bounds one line of a replay file; a longer line is reported
// and skipped.
const maxReplayLine = 16 << 20

// riskCommands are the subcommands of "safeguard risk".
var riskCommands = []command{
	{name: "replay", summary: "score conversations from a JSON Lines file, one result a line",
		example: "risk replay --input conversations.jsonl", access: local, run: cmdRiskReplay},
	{name: "score", summary: "replay a labelled corpus and print precision, recall, F0.5 and alert delay",
		example: "risk score --input corpus.jsonl --json", access: local, run: cmdRiskScore},
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// loadRuleSet loads the rules and lexicons the flags name. "default" in
// --rules is the embedded rule set, which is also used when --rules is not
// given; the embedded lexicon is always loaded first, and each --lexicon
// extends it.
func loadRuleSet(rules, lexicons []string) (*risk.RuleSet, error) {
	var rs []risk.Source
	if len(rules) == 0 {
		rules = []string{"default"}
	}
	for _, r := range rules {
		for part := range strings.SplitSeq(r, ",") {
			if part == "default" {
				rs = append(rs, risk.DefaultRules())
				continue
			}
			b, err := os.ReadFile(part)
			if err != nil {
				return nil, err
			}
			rs = append(rs, risk.Source{Name: part, Data: b})
		}
	}
	lx := []risk.Source{risk.DefaultLexicon()}
	for _, l := range lexicons {
		for part := range strings.SplitSeq(l, ",") {
			b, err := os.ReadFile(part)
			if err != nil {
				return nil, err
			}
			lx = append(lx, risk.Source{Name: part, Data: b})
		}
	}
	return risk.Load(rs, lx)
}

// openInput opens the --input file, or standard input for "-".
func openInput(e *env, name string) (io.Reader, func(), error) {
	if name == "" {
		return nil, nil, &exitError{code: 2, err: errors.New("--input is required (a JSON Lines file, or - for standard input)")}
	}
	if name == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// readConversations calls fn for each well-formed line of r. A malformed line
// is reported on stderr with its line number and skipped. It returns how many
// lines were skipped.
func readConversations(e *env, name string, r io.Reader, fn func(risk.ReplayConversation) error) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	skipped := 0
	for lineNo := 1; ; lineNo++ {
		line, tooLong, err := readLine(br)
		if err != nil && err != io.EOF {
			return skipped, err
		}
		if len(strings.TrimSpace(string(line))) > 0 || tooLong {
			if tooLong {
				fmt.Fprintf(e.stderr, "%s:%d: line longer than %d bytes; skipped\n", name, lineNo, maxReplayLine)
				skipped++
			} else if c, perr := risk.ParseReplayLine(line); perr != nil {
				fmt.Fprintf(e.stderr, "%s:%d: %v; skipped\n", name, lineNo, perr)
				skipped++
			} else if ferr := fn(c); ferr != nil {
				fmt.Fprintf(e.stderr, "%s:%d: %v; skipped\n", name, lineNo, ferr)
				skipped++
			}
		}
		if err == io.EOF {
			return skipped, nil
		}
	}
}

// readLine reads one line of at most maxReplayLine bytes; a longer line is
// read to its end and reported as too long.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > maxReplayLine {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, tooLong, err
	}
}

func cmdRiskReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "risk replay", "risk replay [--rules FILE]... [--lexicon FILE]... --input conversations.jsonl")
	var rules, lexicons listFlag
	fs.Var(&rules, "rules", `a rules file; repeat or separate with commas to load several; "default" is the embedded set, used when none is given`)
	fs.Var(&lexicons, "lexicon", "a lexicon file loaded after the embedded one; repeat or separate with commas")
	input := fs.String("input", "", "conversations, one JSON object a line (- for standard input)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	rs, err := loadRuleSet(rules, lexicons)
	if err != nil {
		return err
	}
	in, done, err := openInput(e, *input)
	if err != nil {
		return err
	}
	defer done()
	eng := risk.NewEngine(rs)
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	_, err = readConversations(e, *input, in, func(c risk.ReplayConversation) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := eng.Replay(c)
		if err != nil {
			return err
		}
		return enc.Encode(res)
	})
	return err
}

func cmdRiskScore(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "risk score", "risk score [--rules FILE]... [--lexicon FILE]... --input corpus.jsonl [--json]")
	var rules, lexicons listFlag
	fs.Var(&rules, "rules", `a rules file; repeat or separate with commas; "default" is the embedded set, used when none is given`)
	fs.Var(&lexicons, "lexicon", "a lexicon file loaded after the embedded one; repeat or separate with commas")
	input := fs.String("input", "", "a labelled corpus, one JSON object a line with label and first_risk_index (- for standard input)")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	rs, err := loadRuleSet(rules, lexicons)
	if err != nil {
		return err
	}
	in, done, err := openInput(e, *input)
	if err != nil {
		return err
	}
	defer done()
	eng := risk.NewEngine(rs)
	var convs []risk.ReplayConversation
	var results []risk.ReplayResult
	if _, err := readConversations(e, *input, in, func(c risk.ReplayConversation) error {
		if c.Label == "" {
			return errors.New("no label")
		}
		res, err := eng.Replay(c)
		if err != nil {
			return err
		}
		convs, results = append(convs, c), append(results, res)
		return nil
	}); err != nil {
		return err
	}
	m, err := risk.Measure(convs, results)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	w := e.stdout
	fmt.Fprintf(w, "rule set        %s\n", rs.Version())
	fmt.Fprintf(w, "conversations   %d (%d risk, %d hard negatives)\n", m.Conversations, m.Risk, m.HardNegatives)
	fmt.Fprintf(w, "precision       %.3f (%d true, %d false alerts)\n", m.Precision, m.TruePositives, m.FalsePositives)
	fmt.Fprintf(w, "recall          %.3f (%d missed)\n", m.Recall, m.FalseNegatives)
	fmt.Fprintf(w, "F0.5            %.3f\n", m.F05)
	fmt.Fprintf(w, "false alerts    %.1f%% of hard negatives\n", 100*m.FalseAlertRate)
	fmt.Fprintf(w, "alert delay     median %.1f messages after first_risk_index (max %d)\n", m.MedianDelay, m.MaxDelay)
	printRecall(w, "recall by relationship (connected flag)", m.ByRelationship)
	printRecall(w, "recall by scenario", m.ByScenario)
	if len(m.Missed) > 0 {
		fmt.Fprintf(w, "missed          %s\n", strings.Join(m.Missed, " "))
	}
	if len(m.FalseAlerts) > 0 {
		fmt.Fprintf(w, "false alerts on %s\n", strings.Join(m.FalseAlerts, " "))
	}
	return nil
}

// printRecall prints one recall figure a line, by key.
func printRecall(w io.Writer, title string, by map[string]risk.Recall) {
	if len(by) == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n", title)
	for _, k := range slices.Sorted(maps.Keys(by)) {
		r := by[k]
		fmt.Fprintf(w, "  %-34s %.3f (%d of %d)\n", k, r.Recall, r.Detected, r.Risk)
	}
}
