package platform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/stats"
)

// ImpactFormats are the formats Impact.Render writes, the default first.
var ImpactFormats = []stats.Format{stats.FormatText, stats.FormatMarkdown, stats.FormatJSON}

// Title is the impact report's heading.
func (im *Impact) Title() string {
	t := "What each encryption policy would have cost: cases found only because the server could see the content, " + im.Period.Label
	if im.Internal {
		return stats.InternalBanner + ": " + t
	}
	return t
}

// summary are the sentences of the summary, as every format prints them.
func (im *Impact) summary() []string {
	out := []string{fmt.Sprintf("Cases the platform opened in %s (%s): %s, of which reported to law enforcement: %s.",
		im.Period.Label, im.Period.Words(), im.Cases, im.Reported)}
	for _, p := range im.Policies {
		share := "share suppressed"
		if im.Cases == stats.Num(0) {
			share = "no cases in the period"
		} else if p.ShareShown {
			share = fmt.Sprintf("%.1f%% of all cases", p.Percent)
		}
		out = append(out, fmt.Sprintf("%s — %s: %s cases lost (%s), %s of them reported to law enforcement.",
			capitalise(p.Name), p.Description, p.Lost, share, p.LostReported))
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// notes are the notes under the summary.
func (im *Impact) notes() []string {
	var n []string
	if im.SuppressedBelow > 0 {
		n = append(n, fmt.Sprintf("Counts from 1 to %d are suppressed and shown as <%d; \"withheld\" marks a count kept back, whatever its size, so that a suppressed one cannot be worked out from the totals.", im.SuppressedBelow-1, im.SuppressedBelow))
	}
	return n
}

// Render writes the impact report in f: text, markdown or json.
func (im *Impact) Render(w io.Writer, f stats.Format) error {
	switch f {
	case stats.FormatText, "":
		return im.writeText(w)
	case stats.FormatMarkdown:
		return im.writeMarkdown(w)
	case stats.FormatJSON:
		return im.writeJSON(w)
	}
	return safeguard.Invalid("stats_format", "the policy impact is written as text, markdown or json, not %q", f)
}

func (im *Impact) writeText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	title := im.Title()
	fmt.Fprintf(bw, "%s\n%s\n", title, strings.Repeat("=", len([]rune(title))))
	fmt.Fprintf(bw, "Counted: %s\n\n", im.Counted.Format("2006-01-02 15:04 UTC"))
	for _, s := range im.summary() {
		fmt.Fprintln(bw, s)
	}
	for _, s := range im.notes() {
		fmt.Fprintln(bw, s)
	}
	fmt.Fprintln(bw, "\nMethod")
	for _, s := range ImpactMethod {
		fmt.Fprintln(bw, "  "+s)
	}
	for _, t := range im.tables() {
		fmt.Fprintln(bw)
		if err := t.Render(bw, stats.FormatText); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (im *Impact) writeMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n- **Counted:** %s\n\n", im.Title(), im.Counted.Format("2006-01-02 15:04 UTC"))
	for _, s := range im.summary() {
		fmt.Fprintf(bw, "- %s\n", s)
	}
	fmt.Fprintln(bw)
	for _, s := range im.notes() {
		fmt.Fprintf(bw, "%s\n\n", s)
	}
	fmt.Fprint(bw, "## Method\n\n")
	for _, s := range ImpactMethod {
		fmt.Fprintf(bw, "%s\n\n", s)
	}
	for _, t := range im.tables() {
		var b bytes.Buffer
		if err := t.Render(&b, stats.FormatMarkdown); err != nil {
			return err
		}
		// Each table's own heading becomes a section of this document.
		for _, line := range strings.SplitAfter(b.String(), "\n") {
			if strings.HasPrefix(line, "#") {
				line = "#" + line
			}
			bw.WriteString(line)
		}
	}
	return bw.Flush()
}

type jsonPolicy struct {
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Lost         stats.Value `json:"cases_lost"`
	Percent      *float64    `json:"percent_of_cases"`
	LostReported stats.Value `json:"reported_cases_lost"`
}

func (im *Impact) writeJSON(w io.Writer) error {
	doc := struct {
		Title           string          `json:"title"`
		Internal        bool            `json:"internal,omitempty"`
		Period          string          `json:"period"`
		From            string          `json:"from"`
		To              string          `json:"to"`
		Counted         string          `json:"counted"`
		Cases           stats.Value     `json:"cases"`
		Reported        stats.Value     `json:"reported"`
		Policies        []jsonPolicy    `json:"policies"`
		SuppressedBelow int64           `json:"suppressed_below,omitempty"`
		Method          []string        `json:"method"`
		ByArea          json.RawMessage `json:"by_police_force_area"`
		ByApp           json.RawMessage `json:"by_app"`
		BySource        json.RawMessage `json:"by_detection_source"`
	}{
		Title: im.Title(), Internal: im.Internal, Period: im.Period.Label,
		From: im.Period.From.Format("2006-01-02"), To: im.Period.To.AddDate(0, 0, -1).Format("2006-01-02"),
		Counted: im.Counted.Format("2006-01-02T15:04:05Z"), Cases: im.Cases, Reported: im.Reported,
		SuppressedBelow: im.SuppressedBelow, Method: ImpactMethod,
	}
	for _, p := range im.Policies {
		jp := jsonPolicy{Name: p.Name, Description: p.Description, Lost: p.Lost, LostReported: p.LostReported}
		if p.ShareShown {
			pct := float64(int(p.Percent*10+0.5)) / 10
			jp.Percent = &pct
		}
		doc.Policies = append(doc.Policies, jp)
	}
	for _, x := range []struct {
		t   *stats.Table
		dst *json.RawMessage
	}{{im.ByArea, &doc.ByArea}, {im.ByApp, &doc.ByApp}, {im.BySource, &doc.BySource}} {
		var b bytes.Buffer
		if err := x.t.Render(&b, stats.FormatJSON); err != nil {
			return err
		}
		*x.dst = json.RawMessage(bytes.TrimSpace(b.Bytes()))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
