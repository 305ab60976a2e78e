package web_test

import (
	"fmt"
	"strings"
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

// childWithGuardian signs up a child under 13 and links a verified adult
// as guardian; it returns the child's client and handle and the guardian.
func childWithGuardian(t *testing.T, s *stack, child, parent string) (*client.Client, string, *client.Client) {
	t.Helper()
	ctx := t.Context()
	c := client.New(s.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: child, Password: pw, BirthDate: born(11), LocalAuthority: "Bedford"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		t.Fatal(err)
	}
	g := s.verified(parent)
	if _, err := g.LinkGuardian(ctx, a.GuardianCode); err != nil {
		t.Fatal(err)
	}
	return c, a.Handle, g
}

// TestChildAddsOwnGuardian: a child's request to her own guardian waits
// for no approval — the guardian answers it as its recipient — while a
// request that did wait for the guardians (made while the guardian had no
// guardian rights) cannot be approved by that guardian themselves.
func TestChildAddsOwnGuardian(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		child, _, parent := childWithGuardian(t, s, "own_kid", "own_parent")
		req, err := child.RequestContact(ctx, s.h("own_parent"))
		if err != nil {
			t.Fatal(err)
		}
		if req.State != "pending" {
			t.Fatalf("a child's request to her own guardian: state %q, want pending", req.State)
		}
		if reqs, err := parent.GuardianRequests(ctx); err != nil || len(reqs) != 0 {
			t.Fatalf("the request waits for its own recipient's approval: %+v %v", reqs, err)
		}
		if _, err := parent.AcceptContact(ctx, req.ID); err != nil {
			t.Fatalf("the guardian accepts their child: %v", err)
		}

		child2, _, parent2 := childWithGuardian(t, s, "own_kid2", "own_parent2")
		change := client.OperatorChange{Reason: "TEST", By: "amir"}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("own_parent2"), "unverify", change); err != nil {
			t.Fatal(err)
		}
		req2, err := child2.RequestContact(ctx, s.h("own_parent2"))
		if err != nil {
			t.Fatal(err)
		}
		if req2.State != "awaiting_guardian" {
			t.Fatalf("a request to a guardian without rights: state %q, want awaiting_guardian", req2.State)
		}
		verify := client.OperatorChange{Reason: "TEST", By: "amir", Method: "passport checked"}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("own_parent2"), "verify", verify); err != nil {
			t.Fatal(err)
		}
		reqs, err := parent2.GuardianRequests(ctx)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("guardian's requests: %+v %v", reqs, err)
		}
		e := apiErr(t, parent2.GuardianDecide(ctx, reqs[0].ID, true))
		if e.Status != 403 || e.Code != "own_request" || !strings.Contains(e.Message, "Another parent or carer") {
			t.Fatalf("approving one's own request: %+v", e)
		}
		if err := parent2.GuardianDecide(ctx, reqs[0].ID, false); err != nil {
			t.Errorf("declining stays open: %v", err)
		}
	})
}

// TestGuardianLosesRightsAtOnce: a guardian the operator suspends, or whose
// verified age is withdrawn, can no longer approve, nor see the child's
// requests or contacts; verified again, they can.
func TestGuardianLosesRightsAtOnce(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		child, _, parent := childWithGuardian(t, s, "lr_kid", "lr_parent")
		friend := s.user("lr_friend", 14, "")
		if _, err := child.RequestContact(ctx, s.h("lr_friend")); err != nil {
			t.Fatal(err)
		}
		reqs, err := parent.GuardianRequests(ctx)
		if err != nil || len(reqs) != 1 {
			t.Fatalf("guardian's requests: %+v %v", reqs, err)
		}
		change := client.OperatorChange{Reason: "TEST", By: "amir"}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("lr_parent"), "suspend", change); err != nil {
			t.Fatal(err)
		}
		if _, err := parent.Login(ctx, s.h("lr_parent"), pw); err != nil {
			t.Fatalf("a suspended account logs in to see why: %v", err)
		}
		if e := apiErr(t, parent.GuardianDecide(ctx, reqs[0].ID, true)); e.Status != 403 || e.Message == "" {
			t.Errorf("a suspended guardian approves: %+v", e)
		}
		if _, err := parent.GuardianRequests(ctx); err == nil {
			t.Error("a suspended guardian sees the child's requests")
		}
		if _, err := parent.GuardianContacts(ctx); err == nil {
			t.Error("a suspended guardian sees the child's contacts")
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("lr_parent"), "unsuspend", change); err != nil {
			t.Fatal(err)
		}
		// Age no longer verified: the account is active, the rights gone.
		if _, err := s.admin.AdminAccountChange(ctx, s.h("lr_parent"), "unverify", change); err != nil {
			t.Fatal(err)
		}
		if e := apiErr(t, parent.GuardianDecide(ctx, reqs[0].ID, true)); e.Code != "guardian_not_verified" {
			t.Errorf("an unverified guardian approves: %+v", e)
		}
		if rs, err := parent.GuardianRequests(ctx); err != nil || len(rs) != 0 {
			t.Errorf("an unverified guardian sees the requests: %+v %v", rs, err)
		}
		if cs, err := parent.GuardianContacts(ctx); err != nil || len(cs) != 0 {
			t.Errorf("an unverified guardian sees the contacts: %+v %v", cs, err)
		}
		if in, _ := friend.Contacts(ctx); len(in.Incoming) != 0 {
			t.Fatalf("the request went on: %+v", in)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("lr_parent"), "verify", client.OperatorChange{Reason: "TEST", By: "amir", Method: "passport checked"}); err != nil {
			t.Fatal(err)
		}
		if err := parent.GuardianDecide(ctx, reqs[0].ID, true); err != nil {
			t.Errorf("verified again, the guardian approves: %v", err)
		}
		if in, _ := friend.Contacts(ctx); len(in.Incoming) != 1 {
			t.Errorf("approved, the request did not reach the friend: %+v", in)
		}
	})
}

// TestTwoGuardians: a guardian asks for a code for a second guardian; the
// second links with it, the first is told, and either may approve a
// request of the child. Nobody else can ask for such a code, and a third
// guardian is refused.
func TestTwoGuardians(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		child, kid, mum := childWithGuardian(t, s, "two_kid", "two_mum")
		dad := s.verified("two_dad")
		stranger := s.verified("two_stranger")
		if _, err := stranger.SecondGuardianCode(ctx, kid); apiErr(t, err).Code != "account_not_found" {
			t.Fatalf("someone else's child: %v", err)
		}
		if _, err := mum.SecondGuardianCode(ctx, "nobody_here.1"); apiErr(t, err).Code != "account_not_found" {
			t.Fatalf("an unknown child: %v", err)
		}
		mumEvents := stream(t, mum)
		code, err := mum.SecondGuardianCode(ctx, kid)
		if err != nil || code.Code == "" || code.Child != kid {
			t.Fatalf("second code: %+v %v", code, err)
		}
		if linked, err := dad.LinkGuardian(ctx, code.Code); err != nil || linked.Handle != kid || linked.Status != "active" {
			t.Fatalf("the second guardian links: %+v %v", linked, err)
		}
		ev := eventsUntil(t, mumEvents, "the first guardian is told", func(ev client.Event) bool { return ev.Type == "guardian.changed" })
		if last := ev[len(ev)-1]; last.Notice == nil || last.Notice.Code != "guardian_added" || last.Account == nil || last.Account.Handle != kid {
			t.Errorf("the first guardian's event: %+v", last)
		}
		if d, err := s.admin.AdminAccountDetail(ctx, kid); err != nil || strings.Join(d.Guardians, ",") != s.h("two_mum")+","+s.h("two_dad") {
			t.Errorf("the operator sees the guardians: %+v %v", d, err)
		}
		if _, err := mum.SecondGuardianCode(ctx, kid); apiErr(t, err).Code != "guardians_full" {
			t.Errorf("a code for a third guardian: %v", err)
		}
		for i, approver := range []*client.Client{mum, dad} {
			friend := fmt.Sprintf("two_friend%d", i)
			fc := s.user(friend, 14, "")
			if _, err := child.RequestContact(ctx, s.h(friend)); err != nil {
				t.Fatal(err)
			}
			reqs, err := approver.GuardianRequests(ctx)
			if err != nil || len(reqs) != 1 {
				t.Fatalf("guardian %d's requests: %+v %v", i, reqs, err)
			}
			if err := approver.GuardianDecide(ctx, reqs[0].ID, true); err != nil {
				t.Fatalf("guardian %d approves: %v", i, err)
			}
			if in, _ := fc.Contacts(ctx); len(in.Incoming) != 1 {
				t.Errorf("approved by guardian %d, the request did not go on: %+v", i, in)
			}
		}
		// The child asks to add one guardian: it waits for no approval, and
		// that guardian answers it.
		req, err := child.RequestContact(ctx, s.h("two_mum"))
		if err != nil || req.State != "pending" {
			t.Fatalf("the child adds her guardian: %+v %v", req, err)
		}
		if reqs, _ := dad.GuardianRequests(ctx); len(reqs) != 0 {
			t.Fatalf("the other guardian is asked: %+v", reqs)
		}
		if _, err := mum.AcceptContact(ctx, req.ID); err != nil {
			t.Errorf("the guardian accepts: %v", err)
		}
	})
}

// guardianEvent reads a stream up to the next guardian.changed event and
// checks its notice and child.
func guardianEvent(t *testing.T, events <-chan client.Event, what, notice, child string) {
	t.Helper()
	evs := eventsUntil(t, events, what, func(ev client.Event) bool { return ev.Type == "guardian.changed" })
	if last := evs[len(evs)-1]; last.Notice == nil || last.Notice.Code != notice || last.Account == nil || last.Account.Handle != child {
		t.Errorf("%s: %+v", what, last)
	}
}

// TestGuardianStepsDownAndOperatorChanges: a guardian steps down and the
// child and the other guardian are told; the operator unlinks the last
// guardian, the child waits for one again with its request still waiting,
// and the guardian the operator links next sees and approves it. Every
// change is audited.
func TestGuardianStepsDownAndOperatorChanges(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		child, kid, mum := childWithGuardian(t, s, "sd_kid", "sd_mum")
		dad := s.verified("sd_dad")
		code, err := mum.SecondGuardianCode(ctx, kid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dad.LinkGuardian(ctx, code.Code); err != nil {
			t.Fatal(err)
		}
		stranger := s.verified("sd_stranger")
		if err := stranger.StepDown(ctx, kid); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("someone else steps down: %v", err)
		}
		kidEvents, mumEvents := stream(t, child), stream(t, mum)
		if err := dad.StepDown(ctx, kid); err != nil {
			t.Fatalf("step down: %v", err)
		}
		guardianEvent(t, kidEvents, "the child is told", "guardian_removed", kid)
		guardianEvent(t, mumEvents, "the other guardian is told", "guardian_removed", kid)
		if ws, _ := dad.Children(ctx); len(ws) != 0 {
			t.Errorf("stepped down, still a guardian of %+v", ws)
		}
		if err := dad.StepDown(ctx, kid); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("stepping down twice: %v", err)
		}

		friend := s.user("sd_friend", 14, "")
		if _, err := child.RequestContact(ctx, s.h("sd_friend")); err != nil {
			t.Fatal(err)
		}
		change := client.GuardianChange{Reason: "TEST court order seen", By: "amir"}
		for _, bad := range []struct {
			ch   client.GuardianChange
			code string
		}{
			{client.GuardianChange{Reason: "x", By: "amir"}, "no_change"},
			{client.GuardianChange{Remove: s.h("sd_dad"), Reason: "x", By: "amir"}, "not_guardian"},
			{client.GuardianChange{Add: s.h("sd_friend"), Reason: "x", By: "amir"}, "guardian_not_verified"},
			{client.GuardianChange{Remove: s.h("sd_mum")}, "missing_by"},
		} {
			if _, err := s.admin.AdminGuardians(ctx, kid, bad.ch); client.ErrorCode(err) != bad.code {
				t.Errorf("%+v: %v, want %s", bad.ch, err, bad.code)
			}
		}
		change.Remove = s.h("sd_mum")
		d, err := s.admin.AdminGuardians(ctx, kid, change)
		if err != nil || len(d.Guardians) != 0 || d.Status != "pending_guardian" {
			t.Fatalf("unlink the last guardian: %+v %v", d, err)
		}
		guardianEvent(t, mumEvents, "the unlinked guardian is told", "guardian_removed", kid)
		if rs, _ := mum.GuardianRequests(ctx); len(rs) != 0 {
			t.Errorf("unlinked, still sees the requests: %+v", rs)
		}
		if _, err := child.RequestContact(ctx, s.h("sd_friend")); apiErr(t, err).Code != "account_inactive" {
			t.Errorf("a child with no guardian acts: %v", err)
		}
		change.Remove, change.Add = "", s.h("sd_dad")
		if d, err = s.admin.AdminGuardians(ctx, kid, change); err != nil || d.Status != "active" || strings.Join(d.Guardians, ",") != s.h("sd_dad") {
			t.Fatalf("link a guardian: %+v %v", d, err)
		}
		reqs, err := dad.GuardianRequests(ctx)
		if err != nil || len(reqs) != 1 || reqs[0].Other != s.h("sd_friend") {
			t.Fatalf("the new guardian's requests: %+v %v", reqs, err)
		}
		if err := dad.GuardianDecide(ctx, reqs[0].ID, true); err != nil {
			t.Fatal(err)
		}
		if in, _ := friend.Contacts(ctx); len(in.Incoming) != 1 {
			t.Errorf("the waiting request did not go on: %+v", in)
		}
		// Replace: one out, one in, in one change.
		change.Remove, change.Add = s.h("sd_dad"), s.h("sd_mum")
		if d, err = s.admin.AdminGuardians(ctx, kid, change); err != nil || d.Status != "active" || strings.Join(d.Guardians, ",") != s.h("sd_mum") {
			t.Fatalf("replace: %+v %v", d, err)
		}
		audit := auditActions(t, s)
		for _, want := range []string{"guardian.stepped_down", "guardian.changed operator", `"by":"amir"`, "TEST court order seen"} {
			if !strings.Contains(audit, want) {
				t.Errorf("the audit log lacks %q:\n%s", want, audit)
			}
		}
	})
}

// TestGuardianResetsChildPassword: a guardian gets a one-time reset code
// for their child under 13; until it is used the child stays logged in;
// redeemed, the child logs in with the new password and her other session
// ends. Nobody else gets a code for her, and the code works once.
func TestGuardianResetsChildPassword(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		tablet, kid, mum := childWithGuardian(t, s, "rs_kid", "rs_mum")
		stranger := s.verified("rs_stranger")
		if _, err := stranger.ChildResetCode(ctx, kid); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("a stranger's reset code: %v", err)
		}
		if _, err := mum.ChildResetCode(ctx, s.h("rs_stranger")); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("a code for an adult who is not the caller's child: %v", err)
		}
		code, err := mum.ChildResetCode(ctx, kid)
		if err != nil || code.Code == "" || code.Handle != kid || code.ExpiresAt.IsZero() {
			t.Fatalf("reset code: %+v %v", code, err)
		}
		if _, err := tablet.Me(ctx); err != nil {
			t.Fatalf("the child's session ended when the code was given: %v", err)
		}
		const newPW = "purple giraffe umbrella"
		if err := client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: kid, Code: code.Code, NewPassword: newPW}); err != nil {
			t.Fatalf("redeem: %v", err)
		}
		if _, err := tablet.Me(ctx); apiErr(t, err).Status != 401 {
			t.Errorf("the child's other session still works: %v", err)
		}
		phone := client.New(s.url)
		if _, err := phone.Login(ctx, kid, pw); err == nil {
			t.Error("the old password still works")
		}
		if _, err := phone.Login(ctx, kid, newPW); err != nil {
			t.Fatalf("log in with the new password: %v", err)
		}
		if err := client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: kid, Code: code.Code, NewPassword: "another long password"}); apiErr(t, err).Code != "invalid_reset_code" {
			t.Errorf("the code works twice: %v", err)
		}
		if audit := auditActions(t, s); !strings.Contains(audit, "password.reset_issued guardian") || !strings.Contains(audit, "password.reset ") {
			t.Errorf("the audit log lacks the reset:\n%s", audit)
		}
	})
}

// TestGuardianResetOnlyUnder13: a child who has turned 13 resets with the
// operator; the guardian is told so in a sentence.
func TestGuardianResetOnlyUnder13(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		_, kid, mum := childWithGuardian(t, s, "r13_kid", "r13_mum")
		if _, err := s.admin.CorrectBirthDate(ctx, kid, client.OperatorChange{BirthDate: born(13), Method: "birth certificate seen",
			Reason: "TEST typed wrong at sign-up", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		if e := apiErr(t, func() error { _, err := mum.ChildResetCode(ctx, kid); return err }()); e.Code != "not_a_child" || !strings.Contains(e.Message, "under 13") ||
			!strings.Contains(e.Message, "recovery codes") {
			t.Errorf("a code for a 13-year-old: %+v", e)
		}
	})
}

// TestGuardianResetCodeEndsWithRights: a reset code a guardian got for
// their child stops working once that guardian could not get it any more —
// suspended, unlinked by an operator, deleted, no longer verified — or once
// the child is found to be 13 or older. It is answered as any wrong code.
func TestGuardianResetCodeEndsWithRights(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		change := client.OperatorChange{Reason: "TEST", By: "amir"}
		for _, tc := range []struct {
			name string
			lose func(kid, parent string, g *client.Client) error
		}{
			{"suspended", func(_, parent string, _ *client.Client) error {
				_, err := s.admin.AdminAccountChange(ctx, parent, "suspend", change)
				return err
			}},
			{"unverified", func(_, parent string, _ *client.Client) error {
				_, err := s.admin.AdminAccountChange(ctx, parent, "unverify", change)
				return err
			}},
			{"unlinked", func(kid, parent string, _ *client.Client) error {
				_, err := s.admin.AdminGuardians(ctx, kid, client.GuardianChange{Remove: parent, Reason: "TEST", By: "amir"})
				return err
			}},
			{"deleted", func(_, _ string, g *client.Client) error {
				_, err := g.DeleteAccount(ctx, pw)
				return err
			}},
			{"operator_deleted", func(_, parent string, _ *client.Client) error {
				_, err := s.admin.AdminDeleteAccount(ctx, parent, "TEST", "amir")
				return err
			}},
			{"child_13", func(kid, _ string, _ *client.Client) error {
				_, err := s.admin.CorrectBirthDate(ctx, kid, client.OperatorChange{BirthDate: born(13), Method: "birth certificate seen", Reason: "TEST", By: "amir"})
				return err
			}},
		} {
			_, kid, g := childWithGuardian(t, s, "gl_k_"+tc.name, "gl_p_"+tc.name)
			code, err := g.ChildResetCode(ctx, kid)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.lose(kid, s.h("gl_p_"+tc.name), g); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			err = client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: kid, Code: code.Code, NewPassword: "purple giraffe umbrella"})
			if e := apiErr(t, err); e.Status != 400 || e.Code != "invalid_reset_code" {
				t.Errorf("%s: the guardian's code still works: %+v", tc.name, e)
			}
			if _, err := client.New(s.url).Login(ctx, kid, pw); err != nil {
				t.Errorf("%s: the child's password changed: %v", tc.name, err)
			}
		}
		// An operator's code for a child still works: only a guardian's
		// code depends on the guardian.
		_, kid, _ := childWithGuardian(t, s, "gl_k_op", "gl_p_op")
		rc, err := s.admin.AdminResetPassword(ctx, kid, "amir")
		if err != nil {
			t.Fatal(err)
		}
		if err := client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: kid, Code: rc.Code, NewPassword: "purple giraffe umbrella"}); err != nil {
			t.Errorf("an operator's code for a child: %v", err)
		}
	})
}

// TestGuardianDeletedChildWaitsAgain: a child whose only guardian deletes
// their account, or is deleted by an operator, waits for a guardian again
// and can ask for a new code; a child with a second guardian stays active.
func TestGuardianDeletedChildWaitsAgain(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		for _, byOperator := range []bool{false, true} {
			name := fmt.Sprint("gd_", byOperator)
			child, _, g := childWithGuardian(t, s, name+"_k", name+"_p")
			if byOperator {
				if _, err := s.admin.AdminDeleteAccount(ctx, s.h(name+"_p"), "TEST", "amir"); err != nil {
					t.Fatal(err)
				}
			} else if _, err := g.DeleteAccount(ctx, pw); err != nil {
				t.Fatal(err)
			}
			if me, err := child.Me(ctx); err != nil || me.Status != "pending_guardian" {
				t.Errorf("operator %v: the child left with no guardian: %+v %v", byOperator, me, err)
			}
			if _, err := child.NewGuardianCode(ctx); err != nil {
				t.Errorf("operator %v: the child asks for a new code: %v", byOperator, err)
			}

		}
		child, kid, mum := childWithGuardian(t, s, "gd2_k", "gd2_mum")
		dad := s.verified("gd2_dad")
		code, err := mum.SecondGuardianCode(ctx, kid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dad.LinkGuardian(ctx, code.Code); err != nil {
			t.Fatal(err)
		}
		if _, err := mum.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		if me, err := child.Me(ctx); err != nil || me.Status != "active" {
			t.Errorf("a child with a second guardian: %+v %v", me, err)
		}
		if ws, err := dad.Children(ctx); err != nil || len(ws) != 1 {
			t.Errorf("the other guardian's children: %+v %v", ws, err)
		}
	})
}
