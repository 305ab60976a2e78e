package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safeguard-dev/safeguard/client"
)

// These tests talk to the server in raw JSON, as an attacker's script would,
// and sign up with the "handle" field that sign-up has always read.

// signUpAnswer is what a sign-up tells the asker.
type signUpAnswer struct {
	Status  int
	Code    string
	Message string
}

// handleSignUp posts a sign-up and returns the answer and, when it was
// created, the account.
func handleSignUp(t *testing.T, s *stack, field, name string, age int) (signUpAnswer, client.Account) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{field: name, "password": pw, "birth_date": born(age)})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.url+"/api/v1/accounts", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a client.Account
	var eb client.ErrorBody
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("sign-up answer %s: %v", b, err)
		}
	} else {
		_ = json.Unmarshal(b, &eb)
	}
	return signUpAnswer{resp.StatusCode, eb.Error.Code, eb.Error.Message}, a
}

// created signs up an account and returns its handle.
func created(t *testing.T, s *stack, name string, age int) string {
	t.Helper()
	ans, a := handleSignUp(t, s, "handle", name, age)
	if ans.Status != http.StatusCreated || a.Handle == "" {
		t.Fatalf("sign up %s: %+v", name, ans)
	}
	return a.Handle
}

// caseVariants returns h as written, in upper case, and with its first
// letter's case flipped.
func caseVariants(h string) []string {
	flip := strings.ToUpper(h[:1])
	if flip == h[:1] {
		flip = strings.ToLower(h[:1])
	}
	return []string{h, strings.ToUpper(h), flip + h[1:]}
}

// TestAttackSignUpConfirmsChildHandle replays sign-up with a young person's
// handle, in any letter case, which answered 409 handle_taken and so let an
// adult confirm that the child exists (and, with no limit on sign-ups,
// enumerate handles). Now nobody chooses a whole handle: asking for one, a
// child's or nobody's, gets one answer, and a nickname is never taken.
func TestAttackSignUpConfirmsChildHandle(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		child := created(t, s, "lily_c", 12) // waiting for a guardian
		teen := created(t, s, "teen_ana", 15)
		adult := created(t, s, "adult_bo", 35)

		for _, field := range []string{"handle", "nickname"} {
			// The answer for a handle nobody has.
			unknown, _ := handleSignUp(t, s, field, "nobody_here.37", 30)
			if unknown.Status != http.StatusBadRequest || unknown.Code != "invalid_handle" || unknown.Message == "" {
				t.Errorf("%s: asking for a handle nobody has: %+v, want 400 invalid_handle", field, unknown)
			}
			var asked []string
			for _, h := range []string{child, teen, adult, "NOBODY_HERE.37", "lily_c.999", "teen_ana.1"} {
				asked = append(asked, caseVariants(h)...)
			}
			for _, h := range asked {
				for _, age := range []int{30, 15} {
					got, _ := handleSignUp(t, s, field, h, age)
					if d := cmp.Diff(unknown, got); d != "" {
						t.Errorf("%s: sign-up as %q (aged %d) answers otherwise than for a handle nobody has (-unknown +got):\n%s", field, h, age, d)
					}
				}
			}
		}

		// A nickname is never taken, in any case: each sign-up gets a
		// handle of its own.
		seen := map[string]bool{strings.ToLower(teen): true, strings.ToLower(adult): true}
		for _, nick := range append(caseVariants("teen_ana"), caseVariants("adult_bo")...) {
			ans, a := handleSignUp(t, s, "nickname", nick, 30)
			if ans.Status != http.StatusCreated {
				t.Errorf("adult signs up as %q: %+v, want 201", nick, ans)
				continue
			}
			if seen[strings.ToLower(a.Handle)] || !strings.HasPrefix(a.Handle, nick+".") {
				t.Errorf("adult signs up as %q: handle %q", nick, a.Handle)
			}
			seen[strings.ToLower(a.Handle)] = true
		}
	})
}

// TestAttackLookalikeHandles replays sign-ups with handles that look like
// another's (Ieo, 1eo, le0 next to leo), which were accepted. A lookalike
// of an account the registrant could reach is refused; the check reaches
// no young person from an adult, so it reveals none: an adult asking for a
// lookalike of a teen's nickname gets what they would get if nobody had it.
func TestAttackLookalikeHandles(t *testing.T) {
	// Each nickname and a lookalike of it; no two pairs look alike.
	pairs := [][2]string{{"leo", "Ieo"}, {"lea", "1ea"}, {"lou", "l0u"}, {"bob", "B0B"}, {"mia", "rnia"}, {"lily", "IiIy"}}
	confusable := signUpAnswer{http.StatusBadRequest, "handle_confusable", "That nickname looks too much like someone else's. Please choose another."}
	fresh := signUpAnswer{Status: http.StatusCreated}
	tests := []struct {
		name     string
		existing int // age of the accounts with the nicknames; 0: none
		asker    int // age of the one signing up
		want     signUpAnswer
	}{
		{"adult next to an adult", 35, 30, confusable},
		{"teen next to an adult", 35, 15, confusable},
		{"teen next to a teen", 15, 14, confusable},
		{"child next to a teen", 15, 12, confusable},
		{"adult next to a teen", 15, 30, fresh},
		{"adult next to a child", 12, 30, fresh},
		{"adult next to nobody", 0, 30, fresh},
		{"teen next to nobody", 0, 15, fresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			each(t, func(t *testing.T, s *stack) {
				for _, p := range pairs {
					if tt.existing > 0 {
						created(t, s, p[0], tt.existing)
					}
					got, a := handleSignUp(t, s, "handle", p[1], tt.asker)
					if d := cmp.Diff(tt.want, got); d != "" {
						t.Errorf("sign-up as %q: (-want +got):\n%s", p[1], d)
					}
					if got.Status == http.StatusCreated && !strings.HasPrefix(a.Handle, p[1]+".") {
						t.Errorf("sign-up as %q: handle %q", p[1], a.Handle)
					}
				}
			})
		})
	}
}

// TestAttackSignUpExhaustsDiscriminators replays an adult signing up with a
// teen's nickname 175 times: the server kept giving two-digit handles until
// random tries collided, so the adult received 98 of the 99, and the one
// never given (which a lookup answered 404, the others 200) was exactly the
// hidden teen's handle. Now the width comes from how many adults hold the
// nickname, at most a twentieth of a width's discriminators: the adult's
// own handles cover at most a small part of any width, and the widths they
// get are the same whether or not a young person holds the nickname.
func TestAttackSignUpExhaustsDiscriminators(t *testing.T) {
	const tries = 200
	each(t, func(t *testing.T, s *stack) {
		teen := created(t, s, "quinn", 15)
		widths := func(nick string) []int {
			got := map[int]map[string]bool{}
			var seq []int
			for i := range tries {
				ans, a := handleSignUp(t, s, "nickname", nick, 30)
				if ans.Status != http.StatusCreated {
					t.Fatalf("sign-up %d as %q: %+v, want 201", i, nick, ans)
				}
				if strings.EqualFold(a.Handle, teen) {
					t.Fatalf("sign-up %d as %q got the teen's handle %q", i, nick, a.Handle)
				}
				d := a.Handle[strings.LastIndexByte(a.Handle, '.')+1:]
				if got[len(d)] == nil {
					got[len(d)] = map[string]bool{}
				}
				got[len(d)][d] = true
				seq = append(seq, len(d))
			}
			for w, ds := range got {
				all := 9
				for range w - 1 {
					all *= 10
				}
				if w == 2 {
					all = 99
				}
				if len(ds)*10 > all {
					t.Errorf("%q: %d of the %d discriminators of %d digits went to one adult, more than a tenth: the width can be used up", nick, len(ds), all, w)
				}
			}
			return seq
		}
		held := widths("quinn")
		free := widths("quinx")
		if d := cmp.Diff(free, held); d != "" {
			t.Errorf("the widths an adult gets depend on whether a teen holds the nickname (-nobody +teen):\n%s", d)
		}
	})
}
