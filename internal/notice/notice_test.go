package notice

import (
	"strings"
	"testing"
	"unicode"

	"github.com/safeguard-dev/safeguard/internal/policy"
)

func TestEveryCodeHasText(t *testing.T) {
	for _, code := range []string{
		policy.NoticeE2EE, policy.NoticeMinorPresent, policy.NoticeAgeNotVerified,
		policy.NoticeNotRequested, policy.NoticeEncryptionOff, policy.NoticeMinorAddsAdult,
		policy.NoticeNewContact, policy.NoticeBlocked, policy.NoticeReported,
		"risk_warning", "sextortion_warning", "sextortion_emergency", "adult_concern",
		policy.NoticeNudityStopped, policy.NoticeNudityNotSent, policy.NoticeNudityBlurred, policy.NoticeNudityConfirm,
	} {
		if _, ok := Get(code); !ok {
			t.Errorf("no notice %q", code)
		}
	}
}

func TestMinorPresentWording(t *testing.T) {
	// The wording every member of a chat with a young person sees.
	want := "This chat includes a young person, so it is not end-to-end encrypted. Safeguard can check messages here to keep children safe."
	if got := Text(policy.NoticeMinorPresent); got != want {
		t.Errorf("minor_present = %q, want %q", got, want)
	}
	if !strings.Contains(Text(policy.NoticeAgeNotVerified), "because not everyone here has verified their age") {
		t.Errorf("age_not_verified does not say why: %q", Text(policy.NoticeAgeNotVerified))
	}
}

func TestChildrenSeeChildline(t *testing.T) {
	for _, n := range All() {
		if n.Audience != "minor" {
			continue
		}
		found := false
		for _, l := range n.Links {
			if l.Phone == "0800 1111" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: a young person's notice without Childline 0800 1111", n.Code)
		}
	}
	n, _ := Get("sextortion_warning")
	for _, must := range []string{"do not pay", "do not send more", "not your fault", "Report Remove"} {
		if !strings.Contains(n.Text, must) {
			t.Errorf("sextortion_warning lacks %q", must)
		}
	}
	e, _ := Get("sextortion_emergency")
	links := ""
	for _, l := range e.Links {
		links += l.Label + " " + l.URL + "\n"
	}
	for _, must := range []string{"Report Remove", "CEOP", "ceop.police.uk", "Do not pay"} {
		if !strings.Contains(e.Text+links, must) {
			t.Errorf("sextortion_emergency lacks %q", must)
		}
	}
	a, _ := Get("adult_concern")
	if len(a.Links) == 0 || a.Links[0].Phone != "0808 800 5000" {
		t.Errorf("adult_concern without the NSPCC helpline: %+v", a.Links)
	}
}

// TestReadingAge keeps young people's texts readable at about age 11 to 12:
// Flesch–Kincaid grade level at most 6 and no sentence over 20 words.
func TestReadingAge(t *testing.T) {
	for _, n := range All() {
		if n.Audience == "adult" {
			continue
		}
		grade, longest := fleschKincaid(n.Text)
		if grade > 6 {
			t.Errorf("%s: reading grade %.1f > 6: %q", n.Code, grade, n.Text)
		}
		if longest > 20 {
			t.Errorf("%s: a sentence of %d words: %q", n.Code, longest, n.Text)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		`{`,
		`{"notices":[{"code":"a"}]}`,
		`{"notices":[{"code":"a","text":"x"},{"code":"a","text":"y"}]}`,
		`{"notices":[{"code":"a","text":"x","links":["nope"]}]}`,
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%s): no error", bad)
		}
	}
}

// fleschKincaid returns the Flesch–Kincaid grade level of text and the
// length of its longest sentence in words.
func fleschKincaid(text string) (grade float64, longest int) {
	sentences := strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == ':' })
	words, syllables, nsent := 0, 0, 0
	for _, s := range sentences {
		ws := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && !unicode.IsDigit(r) })
		if len(ws) == 0 {
			continue
		}
		nsent++
		longest = max(longest, len(ws))
		for _, w := range ws {
			words++
			syllables += countSyllables(w)
		}
	}
	if words == 0 {
		return 0, 0
	}
	return 0.39*float64(words)/float64(nsent) + 11.8*float64(syllables)/float64(words) - 15.59, longest
}

// countSyllables estimates syllables by vowel groups, with a silent final e.
func countSyllables(w string) int {
	w = strings.ToLower(w)
	if w[0] >= '0' && w[0] <= '9' {
		return 1
	}
	n, prev := 0, false
	for _, r := range w {
		v := strings.ContainsRune("aeiouy", r)
		if v && !prev {
			n++
		}
		prev = v
	}
	if strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && n > 1 {
		n--
	}
	return max(n, 1)
}
