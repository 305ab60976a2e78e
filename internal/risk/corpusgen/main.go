// Command corpusgen writes the labelled, synthetic corpus that the risk
// rules are tuned and measured on: internal/risk/testdata/corpus/train.jsonl
// and heldout.jsonl.
//
// Every conversation is made from templates in this file: behaviour only,
// non-explicit, no real people; pictures appear only as "[image]". The
// held-out file is made from different paraphrases of each line and from
// scenarios that the training file does not have, so that a figure measured
// on it is not a figure on text the lexicons were tuned to. Output is
// deterministic (fixed seeds).
//
// Run from the repository root:
//
//	go run ./internal/risk/corpusgen -out internal/risk/testdata/corpus
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "internal/risk/testdata/corpus", "directory to write train.jsonl and heldout.jsonl to")
	flag.Parse()
	if err := write(*out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// write generates both splits into dir.
func write(dir string, log io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, b := range []struct {
		name string
		bank int
		seed uint64
		per  int
	}{{"train", trainBank, 20240611, 10}, {"heldout", heldoutBank, 20250923, 9}} {
		convs := generate(b.bank, rand.New(rand.NewPCG(b.seed, b.seed^0x9e3779b97f4a7c15)), b.per)
		var sb strings.Builder
		for _, c := range convs {
			j, err := json.Marshal(c)
			if err != nil {
				return err
			}
			sb.Write(j)
			sb.WriteByte('\n')
		}
		path := filepath.Join(dir, b.name+".jsonl")
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(log, "%s: %d conversations\n", path, len(convs))
	}
	return nil
}

const (
	trainBank   = 0
	heldoutBank = 1
)

// conversation is one output line.
type conversation struct {
	ID             string    `json:"id"`
	Scenario       string    `json:"scenario"`
	Label          string    `json:"label"`
	FirstRiskIndex *int      `json:"first_risk_index"`
	Members        []member  `json:"members"`
	Messages       []message `json:"messages"`
}

type member struct {
	ID                   string `json:"id"`
	AgeBand              string `json:"age_band"`
	DeclaredAge          int    `json:"declared_age"`
	Connected            bool   `json:"connected"`
	AccountAgeDays       *int   `json:"account_age_days,omitempty"`
	AgeAssurance         string `json:"age_assurance,omitempty"`
	ContactOrigin        string `json:"contact_origin,omitempty"`
	RefusedMinorAttempts int    `json:"refused_minor_attempts,omitempty"`
}

type message struct {
	From     string `json:"from"`
	T        int    `json:"t"`
	Text     string `json:"text"`
	HasImage bool   `json:"has_image,omitempty"`
}

// line is one turn of a scenario: who says it and its paraphrases, one list
// per bank. A risk line is the first at which a careful reader would see
// risk; an optional line is sometimes left out.
type line struct {
	from  string
	say   [2][]string
	risk  bool
	opt   bool
	image bool
}

func say(from string, train, heldout []string) line {
	return line{from: from, say: [2][]string{train, heldout}}
}

func (l line) r() line { l.risk = true; return l }
func (l line) o() line { l.opt = true; return l }

func image(from string) line {
	return line{from: from, image: true, say: [2][]string{{"[image]"}, {"[image]"}}}
}

// scenario is a kind of conversation.
type scenario struct {
	name    string
	label   string
	banks   [2]bool // which banks use it
	members func(r *rand.Rand) []member
	lines   []line
	style   map[string]float64 // per member id: how much chat slang to apply
}

// generate makes per conversations of each scenario of the bank.
func generate(bank int, r *rand.Rand, per int) []conversation {
	var out []conversation
	for _, s := range scenarios() {
		if !s.banks[bank] {
			continue
		}
		n := per
		if s.label != "risk" {
			n += 2 // at least as many hard negatives as risky conversations
		}
		for i := range n {
			out = append(out, s.make(bank, r, fmt.Sprintf("%s-%s-%02d", []string{"tr", "ho"}[bank], s.name, i+1)))
		}
	}
	return out
}

func (s scenario) make(bank int, r *rand.Rand, id string) conversation {
	c := conversation{ID: id, Scenario: s.name, Label: s.label, Members: s.members(r)}
	slots := newSlots(r, c.Members)
	t := 0
	emit := func(from, text string, img bool) {
		t += 5 + r.IntN(240)
		if !img {
			text = slang(r, fill(text, slots), s.style[from])
		}
		c.Messages = append(c.Messages, message{From: from, T: t, Text: text, HasImage: img})
	}
	for _, l := range s.lines {
		if l.opt && r.Float64() < 0.35 {
			continue
		}
		if r.Float64() < 0.3 {
			f := fillers[bank]
			from := c.Members[r.IntN(len(c.Members))].ID
			emit(from, f[r.IntN(len(f))], false)
		}
		alts := l.say[bank]
		if len(alts) == 0 {
			alts = l.say[1-bank]
		}
		if l.risk && c.FirstRiskIndex == nil {
			i := len(c.Messages)
			c.FirstRiskIndex = &i
		}
		emit(l.from, alts[r.IntN(len(alts))], l.image)
	}
	return c
}

// fillers are small talk with no risk in it.
var fillers = [2][]string{
	{"lol", "haha same", "ok", "yeah", "wyd", "just got home", "brb", "ok back", "my mum's making tea", "so bored",
		"what games do you play", "hmm", "cool", "school was long today", "omg", "nice one", "idk"},
	{"lmao", "fair", "k", "yh", "sup", "just chilling", "one sec", "back now", "having dinner", "ugh homework",
		"what music do you like", "true", "sound", "tired today", "no way", "ha", "dunno"},
}

// slots fills {placeholders} with the same values throughout a conversation.
type slots map[string]string

func newSlots(r *rand.Rand, ms []member) slots {
	pick := func(list ...string) string { return list[r.IntN(len(list))] }
	s := slots{
		"name":    pick("Mia", "Leo", "Amara", "Noah", "Isla", "Kai", "Zara", "Ollie", "Ruby", "Sami", "Evie", "Jay"),
		"alias":   pick("Jess", "Ellie", "Sophie", "Chloe", "Liv", "Tash", "Ben", "Josh", "Ryan", "Alfie"),
		"app":     pick("snap", "snapchat", "telegram", "whatsapp", "kik", "discord"),
		"game":    pick("fortnite", "roblox", "minecraft", "fifa", "among us"),
		"credits": pick("vbucks", "robux", "a gift card", "skins", "a steam card"),
		"place":   pick("the park", "the shops", "the station", "the library", "maccies", "the leisure centre"),
		"amount":  pick("£50", "£100", "£80", "£200", "£150", "£30"),
		"station": pick("the station", "Leeds station", "the bus station", "Euston", "the train station"),
		"time":    pick("4", "half 3", "5", "6pm", "10am", "quarter past 2"),
		"day":     pick("saturday", "sunday", "friday", "tomorrow", "next week"),
		"item":    pick("bike", "scooter", "console", "guitar", "desk"),
		"price":   pick("£80", "£60", "£120", "£45"),
		"subject": pick("maths", "science", "history", "french", "english"),
	}
	for _, m := range ms {
		if m.AgeBand != "adult" {
			s["age"] = fmt.Sprint(m.DeclaredAge)
			s["year"] = fmt.Sprint(m.DeclaredAge - 5)
			s["claim"] = fmt.Sprint(m.DeclaredAge)
			break
		}
	}
	return s
}

func fill(text string, s slots) string {
	for k, v := range s {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return text
}

// slang turns a written sentence into chat: lower case, abbreviations,
// dropped apostrophes, stretched letters, the odd typo, leetspeak and emoji.
// level 0 leaves the text as it is.
func slang(r *rand.Rand, text string, level float64) string {
	if level == 0 || r.Float64() > level+0.2 {
		return text
	}
	subs := []struct{ from, to string }{
		{"you're", "ur"}, {"your", "ur"}, {"you", "u"}, {"are", "r"}, {"please", "pls"}, {"picture", "pic"},
		{"photo", "pic"}, {"because", "cuz"}, {"want to", "wanna"}, {"going to", "gonna"}, {"don't", "dont"},
		{"I'll", "ill"}, {"I'm", "im"}, {"okay", "ok"}, {"people", "ppl"}, {"right now", "rn"}, {"tomorrow", "tmrw"},
		{"Snapchat", "sc"}, {"what are you doing", "wyd"}, {"though", "tho"}, {"before", "b4"}, {"later", "l8r"},
	}
	words := strings.Fields(strings.ToLower(text))
	out := strings.Join(words, " ")
	for _, s := range subs {
		if r.Float64() < level {
			out = replaceWord(out, strings.ToLower(s.from), s.to)
		}
	}
	if r.Float64() < level*0.6 {
		out = strings.NewReplacer("'", "", "’", "", ".", "", ",", "").Replace(out)
	}
	ws := strings.Fields(out)
	if len(ws) > 0 && r.Float64() < level*0.4 {
		if i := r.IntN(len(ws)); len(ws[i]) >= 3 {
			ws[i] = stretch(ws[i])
		}
	}
	if len(ws) > 0 && r.Float64() < level*0.25 {
		i := r.IntN(len(ws))
		if len(ws[i]) >= 6 {
			b := []byte(ws[i])
			j := 1 + r.IntN(len(b)-3)
			b[j], b[j+1] = b[j+1], b[j]
			ws[i] = string(b)
		}
	}
	if len(ws) > 0 && r.Float64() < level*0.2 {
		i := r.IntN(len(ws))
		if len(ws[i]) >= 3 {
			ws[i] = strings.NewReplacer("i", "1", "e", "3", "o", "0").Replace(ws[i])
		}
	}
	out = strings.Join(ws, " ")
	if r.Float64() < level*0.3 {
		out += " " + []string{"😂", "🙂", "😉", "❤️", "😘", "🙈", "😅", "x"}[r.IntN(8)]
	}
	return out
}

func replaceWord(s, from, to string) string {
	ws := strings.Fields(s)
	fs := strings.Fields(from)
	var out []string
	for i := 0; i < len(ws); {
		if i+len(fs) <= len(ws) && strings.Join(ws[i:i+len(fs)], " ") == from {
			out = append(out, to)
			i += len(fs)
			continue
		}
		out = append(out, ws[i])
		i++
	}
	return strings.Join(out, " ")
}

// stretch repeats the last vowel of a word: "please" -> "pleeease".
func stretch(w string) string {
	for i := len(w) - 1; i >= 0; i-- {
		if strings.IndexByte("aeiou", w[i]) >= 0 {
			return w[:i+1] + strings.Repeat(string(w[i]), 2) + w[i+1:]
		}
	}
	return w
}
