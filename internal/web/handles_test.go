package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// TestSignUpDiscriminator: the server gives each sign-up a handle of its
// nickname and two digits, and more digits when every two-digit handle of
// the nickname, or every one that would look like one, is held. The answer
// carries the handle, which logs in.
func TestSignUpDiscriminator(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		c := client.New(s.url)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: "Leo_K", Password: pw, BirthDate: born(30)})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^Leo_K\.\d\d$`).MatchString(a.Handle) || a.Handle[len(a.Handle)-2:] == "00" {
			t.Errorf("handle %q, want Leo_K and two digits", a.Handle)
		}
		sess, err := c.Login(ctx, strings.ToLower(a.Handle), pw)
		if err != nil || sess.Account.Handle != a.Handle || c.Handle != a.Handle {
			t.Errorf("log in as %s: %+v, %v", strings.ToLower(a.Handle), sess, err)
		}

		// Every two-digit handle of "crowd" is taken, and every two-digit
		// handle of "lily" looks like a teen's ("1i1y.07").
		teen, err := safeguard.ParseDate(born(15))
		if err != nil {
			t.Fatal(err)
		}
		err = s.st.Update(ctx, func(tx store.Tx) error {
			for i := 1; i <= 99; i++ {
				for _, h := range []string{fmt.Sprintf("crowd.%02d", i), fmt.Sprintf("1i1y.%02d", i)} {
					if err := tx.CreateAccount(ctx, &safeguard.Account{Handle: h, BirthDate: teen, Status: safeguard.Active}, ""); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, nick := range []string{"crowd", "lily"} {
			a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nick, Password: pw, BirthDate: born(30)})
			if err != nil {
				t.Fatalf("sign up %s: %v", nick, err)
			}
			if !regexp.MustCompile(`^` + nick + `\.[1-9]\d\d$`).MatchString(a.Handle) {
				t.Errorf("sign-up as %s next to 99 taken: handle %q, want three digits", nick, a.Handle)
			}
		}
	})
}
