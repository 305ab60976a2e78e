package risk

import (
	"strings"
	"testing"
)

func TestParseReplayLine(t *testing.T) {
	ok := `{"id":"x","members":[{"id":"a","age_band":"adult","declared_age":34,"connected":false,"extra":1},{"id":"c","age_band":"child"}],"messages":[{"from":"a","t":0,"text":"hi"}],"unknown":true}`
	c, err := ParseReplayLine([]byte(ok))
	if err != nil {
		t.Fatalf("ParseReplayLine: %v", err)
	}
	if c.Members[0].AccountAgeDays != nil || c.Members[1].DeclaredAge != 0 {
		t.Errorf("absent optional fields: %+v", c.Members)
	}
	for _, tt := range []struct{ line, want string }{
		{`{"id":`, "not a JSON object"},
		{`[]`, "not a JSON object"},
		{`{"id":"x"} {}`, "more than one"},
		{`{"members":[{"id":"a"}]}`, "missing id"},
		{`{"id":"x","members":[]}`, "no members"},
		{`{"id":"x","members":[{"id":"a"},{"id":"a"}]}`, "twice"},
		{`{"id":"x","members":[{"id":"a","age_band":"elder"}]}`, "age_band"},
		{`{"id":"x","members":[{"id":"a","declared_age":-1}]}`, "declared_age"},
		{`{"id":"x","members":[{"id":"a"}],"messages":[{"from":"b"}]}`, "not a member"},
		{`{"id":"x","members":[{"id":"a"}],"messages":[{"from":"a","t":-5}]}`, "want seconds"},
		{`{"id":"x","members":[{"id":"a"}],"label":"maybe"}`, "label"},
		{`{"id":"x","members":[{"id":"a"}],"messages":[],"first_risk_index":0}`, "first_risk_index"},
	} {
		_, err := ParseReplayLine([]byte(tt.line))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseReplayLine(%s) = %v, want an error containing %q", tt.line, err, tt.want)
		}
	}
}

func TestReplay(t *testing.T) {
	e := defaultEngine(t)
	c, err := ParseReplayLine([]byte(`{"id":"x","members":[{"id":"a","age_band":"adult"},{"id":"c","age_band":"teen"}],
		"messages":[{"from":"a","t":0,"text":"hey"},{"from":"a","t":3,"text":"add me on snap"},{"from":"a","t":9,"text":"everyone will see your pics"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Replay(c)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Alert || r.AlertIndex == nil || *r.AlertIndex != 1 || r.Severity != "critical" || r.Notice != SextortionWarning {
		t.Errorf("replay = %+v, want the first alert at 1, critical, sextortion notice", r)
	}
	if strings.Join(r.Rules, ",") != "grooming.platform_move.stranger,grooming.hidden_channel,sextortion.threat,sextortion.exposure_threat" {
		t.Errorf("rules = %v", r.Rules)
	}
}

func FuzzParseReplayLine(f *testing.F) {
	f.Add(`{"id":"x","members":[{"id":"a","age_band":"adult"},{"id":"c","age_band":"child"}],"messages":[{"from":"a","t":0,"text":"send me a pic"}]}`)
	f.Add(`{"id":"x","members":[{"id":"a"}],"messages":[{"from":"a","t":1e308}]}`)
	f.Add(`{"id":"","members":null}`)
	f.Add("\x00")
	e := defaultEngine(f)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseReplayLine([]byte(line))
		if err != nil {
			return
		}
		if len(c.Messages) > 50 {
			c.Messages = c.Messages[:50]
		}
		if _, err := e.Replay(c); err != nil {
			t.Fatalf("a line that parsed failed to replay: %v", err)
		}
	})
}
