// Package notice holds every text Safeguard shows people about safety: the
// encryption notice each member of a conversation sees, and the support
// notices a young person sees at each safety event (Childline 0800 1111, its
// online chat, Report Remove; for adults the NSPCC helpline). The texts are
// data, in one file (notices.json), in plain words a 12-year-old understands;
// a test keeps their reading age down.
package notice

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

//go:embed notices.json
var data []byte

// Link is a place to get help: a phone number, a web page, or both.
type Link struct {
	Label string `json:"label"`
	Phone string `json:"phone,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Notice is a text shown to people, with where to get help and what they can
// do (block, report).
type Notice struct {
	Code     string   `json:"code"`
	Audience string   `json:"audience"` // "minor", "adult" or "all"
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Links    []Link   `json:"links,omitempty"`
	Actions  []string `json:"actions,omitempty"`
}

var byCode map[string]Notice

func init() {
	var err error
	byCode, err = parse(data)
	if err != nil {
		panic("notice: notices.json: " + err.Error())
	}
}

func parse(b []byte) (map[string]Notice, error) {
	var file struct {
		Links   map[string]Link `json:"links"`
		Notices []struct {
			Notice
			Links []string `json:"links"`
		} `json:"notices"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, err
	}
	out := make(map[string]Notice, len(file.Notices))
	for _, n := range file.Notices {
		if n.Code == "" || n.Text == "" {
			return nil, fmt.Errorf("notice without code or text: %+v", n.Notice)
		}
		if _, dup := out[n.Code]; dup {
			return nil, fmt.Errorf("notice %q twice", n.Code)
		}
		nn := n.Notice
		for _, l := range n.Links {
			link, ok := file.Links[l]
			if !ok {
				return nil, fmt.Errorf("notice %q: unknown link %q", n.Code, l)
			}
			nn.Links = append(nn.Links, link)
		}
		out[n.Code] = nn
	}
	return out, nil
}

// Get returns the notice with code.
func Get(code string) (Notice, bool) {
	n, ok := byCode[code]
	return n, ok
}

// Text returns the text of the notice with code, or "" if there is none.
func Text(code string) string { return byCode[code].Text }

// All returns every notice, ordered by code.
func All() []Notice {
	out := make([]Notice, 0, len(byCode))
	for _, n := range byCode {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
