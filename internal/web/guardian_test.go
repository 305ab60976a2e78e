package web_test

import (
	"testing"

	"github.com/safeguard-dev/safeguard/client"
)

// TestGuardianSeesWhoAsksAndTheContacts: a guardian is told whether the
// account a child's request concerns is an adult's, and sees the child's
// contacts once they are contacts (never a message); nobody else does.
func TestGuardianSeesWhoAsksAndTheContacts(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		c := client.New(s.url)
		a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: "ivy_g", Password: pw, BirthDate: born(12), LocalAuthority: "Bedford"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, a.Handle, pw); err != nil {
			t.Fatal(err)
		}
		parent := s.verified("ivy_parent")
		if _, err := parent.LinkGuardian(ctx, a.GuardianCode); err != nil {
			t.Fatal(err)
		}
		aunt := s.user("ivy_aunt", 45, "")
		cousin := s.user("ivy_cousin", 14, "")
		for _, h := range []string{s.h("ivy_aunt"), s.h("ivy_cousin")} {
			if _, err := c.RequestContact(ctx, h); err != nil {
				t.Fatalf("the child asks %s: %v", h, err)
			}
		}
		reqs, err := parent.GuardianRequests(ctx)
		if err != nil || len(reqs) != 2 {
			t.Fatalf("guardian's requests: %+v %v", reqs, err)
		}
		adult := map[string]bool{}
		for _, r := range reqs {
			adult[r.Other] = r.OtherAdult
			if r.Child != a.Handle || r.Direction != "outgoing" {
				t.Errorf("request %+v", r)
			}
		}
		if !adult[s.h("ivy_aunt")] || adult[s.h("ivy_cousin")] {
			t.Errorf("other_adult by handle: %v", adult)
		}
		if cs, err := parent.GuardianContacts(ctx); err != nil || len(cs) != 0 {
			t.Fatalf("contacts before any is accepted: %+v %v", cs, err)
		}
		for _, r := range reqs {
			if err := parent.GuardianDecide(ctx, r.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		for _, other := range []*client.Client{aunt, cousin} {
			in, err := other.Contacts(ctx)
			if err != nil || len(in.Incoming) != 1 {
				t.Fatalf("incoming after approval: %+v %v", in, err)
			}
			if _, err := other.AcceptContact(ctx, in.Incoming[0].ID); err != nil {
				t.Fatal(err)
			}
		}
		cs, err := parent.GuardianContacts(ctx)
		if err != nil || len(cs) != 2 {
			t.Fatalf("the child's contacts: %+v %v", cs, err)
		}
		for _, gc := range cs {
			want := gc.Handle == s.h("ivy_aunt")
			if gc.Child != a.Handle || gc.Adult != want || gc.Since.IsZero() {
				t.Errorf("contact %+v", gc)
			}
		}
		// Another verified adult, and the aunt, see no child's contacts.
		for _, other := range []*client.Client{s.verified("not_ivys_parent"), aunt} {
			if cs, err := other.GuardianContacts(ctx); err != nil || len(cs) != 0 {
				t.Errorf("someone who is not the guardian: %+v %v", cs, err)
			}
		}
	})
}
