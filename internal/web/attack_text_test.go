package web_test

import (
	"net/http"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestAttackInvisibleTitles replays group titles of invisible characters,
// which were accepted: {"title":"\u3164\u200b\u2060"} made a group whose
// title looks blank, and zero-width spaces, word joiners, the byte order
// mark, the soft hyphen, the combining grapheme joiner, the Mongolian vowel
// separator, tags, the Hangul fillers and noncharacters all passed. Now
// each is refused with 400 invalid_text, as is a title of nothing visible;
// emoji that need a zero-width joiner, a variation selector or a flag's
// tags still pass.
func TestAttackInvisibleTitles(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		a := s.user("host", 30, "")
		b := s.user("guest", 30, "")
		s.connect(a, s.h("guest"), b)
		for _, title := range []string{
			"\u3164\u200b\u2060",
			"Year\u200b8", "\ufeffYear 8", "Ye\u00adar 8", "Year\u034f8", "Year\u180e8", "Year\u20608",
			"Year 8\U000e0001", "\u115f", "\u1160", "\u3164", "\uffa0", "Year 8\uffff", "Year 8\ufdd0",
			"Year 8\ue000", "\u2800", " \u200d\ufe0f ",
		} {
			_, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("guest")}, Title: title})
			if err == nil {
				t.Errorf("title %+q: accepted, want 400 invalid_text", title)
				continue
			}
			if e := apiErr(t, err); e.Status != http.StatusBadRequest || e.Code != "invalid_text" || e.Message == "" {
				t.Errorf("title %+q: %d %s %q, want 400 invalid_text", title, e.Status, e.Code, e.Message)
			}
		}
		for _, title := range []string{
			"Coding club \U0001f469\u200d\U0001f4bb",
			"Fans \u2764\ufe0f",
			"\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f Lions",
		} {
			c, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("guest")}, Title: title})
			if err != nil {
				t.Errorf("title %+q: %v", title, err)
				continue
			}
			if c.Title != title {
				t.Errorf("title %+q stored as %+q", title, c.Title)
			}
		}
	})
}
