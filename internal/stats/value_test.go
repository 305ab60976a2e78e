package stats

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCell(t *testing.T) {
	tests := []struct {
		in      string
		want    Value
		wantErr string // a substring of the error; "" for none
	}{
		{"0", Num(0), ""},
		{"193", Num(193), ""},
		{"  193 ", Num(193), ""},
		{"1,234", Num(1234), ""},
		{"12,345,678", Num(12345678), ""},
		{" 1,234 ", Num(1234), ""},
		{"not provided", Value{}, ""},
		{"Not Provided", Value{}, ""},
		{"n/a", Value{}, ""},
		{"N/A", Value{}, ""},
		{"-", Value{}, ""},
		{"–", Value{}, ""},
		{"—", Value{}, ""},
		{"", Value{}, ""},
		{"   ", Value{}, ""},
		{"-5", Value{}, "negative"},
		{"-1,234", Value{}, "negative"},
		{"−3", Value{}, "negative"},
		{"1.5", Value{}, "not a whole number"},
		{"12,34", Value{}, "thousands separator out of place"},
		{"1,2345", Value{}, "thousands separator out of place"},
		{",123", Value{}, "thousands separator out of place"},
		{"abc", Value{}, "text \"abc\" in a number cell"},
		{"193*", Value{}, "text"},
		{"<3", Value{}, "text"},
		{"99999999999999999999999", Value{}, "too large"},
	}
	for _, tt := range tests {
		got, err := parseCell(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseCell(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseCell(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseCell(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestValueZeroIsNotProvided(t *testing.T) {
	var v Value
	if v.IsCount() || v.State != NotProvided || v.String() != "not provided" {
		t.Errorf("zero Value = %+v %q, want not provided", v, v)
	}
	if Num(0).String() != "0" || !Num(0).IsCount() {
		t.Errorf("Num(0) = %q, want a count of 0", Num(0))
	}
}

func TestSuppress(t *testing.T) {
	tests := []struct {
		in   Value
		want string
	}{
		{Num(0), "0"},
		{Num(1), "<3"},
		{Num(2), "<3"},
		{Num(3), "3"},
		{Num(40), "40"},
		{Value{}, "not provided"},
	}
	for _, tt := range tests {
		got := Suppress(tt.in, SuppressBelow)
		if got.String() != tt.want {
			t.Errorf("Suppress(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if got.State == Suppressed && got.N != SuppressBelow {
			t.Errorf("Suppress(%v) kept %d; a suppressed value must carry only the threshold", tt.in, got.N)
		}
	}
	// The three states never render alike.
	texts := map[string]bool{}
	for _, v := range []Value{Num(0), Suppress(Num(1), 3), {}} {
		texts[v.String()] = true
	}
	if len(texts) != 3 {
		t.Errorf("zero, suppressed and not provided render alike: %v", texts)
	}
}

func TestValueJSON(t *testing.T) {
	in := []Value{Num(0), Num(1234), {}, Suppress(Num(2), 3), {State: Withheld}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	if got, want := string(b), `[0,1234,"not provided","<3","withheld"]`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var out []Value
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`-1`, `1.5`, `"zero"`, `"<1"`, `"<x"`, `null`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", bad, v)
		}
	}
}
