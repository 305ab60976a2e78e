package messaging_test

import (
	"errors"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
)

// TestSignUpDateAnswers: a date of birth that is not a date, a day that does
// not exist and one over the age limit each get a sentence that says which.
func TestSignUpDateAnswers(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ born, want string }{
		{"01/02/2001", "as YYYY-MM-DD"},
		{"2001-02-30", "does not exist"},
		{"1890-01-01", "more than 120 years ago"},
	} {
		_, err := w.svc.SignUp(t.Context(), messaging.SignUp{Nickname: "dana", Password: "correct horse battery", BirthDate: c.born}, safeguard.Origin{})
		var e *safeguard.Error
		if !errors.As(err, &e) || e.Code != "invalid_birth_date" || !strings.Contains(e.Message, c.want) {
			t.Errorf("born %s: got %v, want invalid_birth_date saying %q", c.born, err, c.want)
		}
	}
}

// TestLoginAnswerHint: a failed login with a bare nickname adds how handles
// are written; one with a whole handle does not; neither depends on whether
// the account exists.
func TestLoginAnswerHint(t *testing.T) {
	w := newWorld(t)
	a := w.account("dana", adultBorn)
	message := func(handle string) string {
		t.Helper()
		_, _, _, err := w.svc.Login(t.Context(), handle, "wrong horse battery", safeguard.Origin{})
		var e *safeguard.Error
		if !errors.As(err, &e) || e.Code != "invalid_credentials" {
			t.Fatalf("login %s: got %v, want invalid_credentials", handle, err)
		}
		return e.Message
	}
	whole, unknown := message(a.Handle), message("nobody.42")
	bare, bareUnknown := message("dana"), message("nobody")
	if whole != unknown || bare != bareUnknown {
		t.Errorf("the answer depends on the account: %q / %q, %q / %q", whole, unknown, bare, bareUnknown)
	}
	if strings.Contains(whole, "number after the dot") || !strings.Contains(bare, "number after the dot") {
		t.Errorf("hint: whole handle %q, bare nickname %q", whole, bare)
	}
}
