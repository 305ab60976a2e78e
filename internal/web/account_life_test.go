package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// TestLogoutEverywhere: one session lists the account's sessions, ends
// another by ID, then logs out everywhere; every other session's requests
// and live streams end, and nobody can end a session of someone else.
func TestLogoutEverywhere(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		phone, handle := s.newMember("le_adult", 35)
		laptop, tablet := client.New(s.url), client.New(s.url)
		tablet.App = "chat"
		for _, c := range []*client.Client{laptop, tablet} {
			if _, err := c.Login(ctx, handle, pw); err != nil {
				t.Fatal(err)
			}
		}
		other, _ := s.newMember("le_other", 36)

		ss, err := phone.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != 3 || !ss[0].Current || ss[1].Current || ss[2].Current || ss[2].App != "chat" || ss[0].Address != "127.0.0.1" {
			t.Fatalf("sessions = %+v, want three, the first current", ss)
		}
		if ss[0].LastUsedAt == nil {
			t.Errorf("the current session has no last use: %+v", ss[0])
		}
		// Someone else's session answers as one that does not exist.
		theirs, err := other.Sessions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = phone.EndSession(ctx, theirs[0].ID)
		if e := apiErr(t, err); e.Status != http.StatusNotFound || e.Code != "session_not_found" {
			t.Fatalf("ending another account's session: %+v", e)
		}
		if _, err := other.Me(ctx); err != nil {
			t.Fatalf("the other account's session ended: %v", err)
		}
		// Ending the tablet's session by ID ends its stream and requests.
		tabletEvents := stream(t, tablet)
		if err := phone.EndSession(ctx, ss[2].ID); err != nil {
			t.Fatal(err)
		}
		endsWith(t, tabletEvents, "the ended session's stream", "session.ended")
		if _, err := tablet.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
			t.Fatalf("the ended session still works: %v", err)
		}

		// Log out everywhere, from the laptop: the phone's stream and
		// requests end, and the laptop's own.
		phoneEvents := stream(t, phone)
		if err := laptop.LogoutEverywhere(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := other.SendDirect(ctx, handle, "still there? (synthetic)"); err != nil && client.ErrorCode(err) != "account_not_found" {
			t.Fatal(err)
		}
		endsWith(t, phoneEvents, "the phone's stream after logging out everywhere", "session.ended")
		for name, c := range map[string]*client.Client{"phone": phone, "laptop": laptop} {
			if _, err := c.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
				t.Errorf("the %s's session lasts after logging out everywhere: %v", name, err)
			}
		}
		if _, err := other.Me(ctx); err != nil {
			t.Errorf("another account was logged out: %v", err)
		}
	})
}

// TestPasswordReset: an operator's code sets a new password once and ends
// every session; a wrong code, a used code and an unknown handle get one
// and the same answer.
func TestPasswordReset(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		leo := s.user("rs_leo", 40, "")
		handle := s.h("rs_leo")
		events := stream(t, leo)
		rc, err := s.admin.AdminResetPassword(ctx, handle, "amir")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Handle != handle || len(rc.Code) != 23 || rc.ExpiresAt.Before(time.Now().Add(23*time.Hour)) {
			t.Fatalf("reset code = %+v", rc)
		}
		endsWith(t, events, "the stream when a reset code is given", "session.ended")
		if _, err := leo.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
			t.Fatalf("the session lasts after a reset code was given: %v", err)
		}
		anon := client.New(s.url)
		const newPW = "a fresh long passphrase"
		try := func(h, code string) error {
			return anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: h, Code: code, NewPassword: newPW})
		}
		wrong := apiErr(t, try(handle, "aaaaa-bbbbb-ccccc-ddddd"))
		unknown := apiErr(t, try("nobody.42", rc.Code))
		if wrong.Status != http.StatusBadRequest || wrong.Code != "invalid_reset_code" {
			t.Fatalf("a wrong code: %+v", wrong)
		}
		if diff := cmp.Diff(wrong, unknown); diff != "" {
			t.Errorf("an unknown handle answers otherwise than a wrong code (-wrong +unknown):\n%s", diff)
		}
		// Typed with capitals and spaces for dashes, it works, once.
		if err := try(strings.ToUpper(handle), strings.ToUpper(strings.ReplaceAll(rc.Code, "-", " "))); err != nil {
			t.Fatalf("redeeming the code: %v", err)
		}
		if diff := cmp.Diff(wrong, apiErr(t, try(handle, rc.Code))); diff != "" {
			t.Errorf("a used code answers otherwise than a wrong one:\n%s", diff)
		}
		if _, err := client.New(s.url).Login(ctx, handle, pw); err == nil {
			t.Error("the old password still works")
		}
		if _, err := client.New(s.url).Login(ctx, handle, newPW); err != nil {
			t.Errorf("the new password: %v", err)
		}
		entries := auditActions(t, s)
		if !strings.Contains(entries, "password.reset_issued") || !strings.Contains(entries, "password.reset") {
			t.Errorf("audit = %s", entries)
		}
	})
}

// auditActions lists the audit log's actions and details, newest first.
func auditActions(t *testing.T, s *stack) string {
	t.Helper()
	entries, err := s.admin.Audit(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Action + " " + e.Reason + " " + e.Detail + "\n")
	}
	return b.String()
}

// TestPasswordResetLimited: attempts are limited per handle tried, whether
// or not an account has it.
func TestPasswordResetLimited(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, open(t), func(c *messaging.Config) {
				c.Limits.ResetPerAccount = ratelimit.Limit{Burst: 2, Per: time.Hour}
			})
			anon := client.New(s.url)
			for _, h := range []string{"nobody.42", "NOBODY.42", "nobody.42"} {
				err := anon.ResetPassword(t.Context(), client.PasswordResetRequest{Handle: h, Code: "x", NewPassword: "a fresh long passphrase"})
				if h == "nobody.42" && client.ErrorCode(err) == "rate_limited" {
					return
				}
			}
			t.Error("the third attempt on one handle was not limited")
		})
	}
}

// TestAdminFindAndVerify: the operator finds accounts by part of the
// handle and by band, shows one by handle or ID, and verifies it with the
// method in the audit log and its history.
func TestAdminFindAndVerify(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		s.user("leonie", 40, "")
		s.user("leo", 15, "")
		s.user("maya", 30, "")
		page, err := s.admin.AdminFindAccounts(ctx, client.AccountFilter{Pattern: "LEO"})
		if err != nil {
			t.Fatal(err)
		}
		if got := handlesOf(page.Accounts); got != s.h("leonie")+","+s.h("leo") {
			t.Errorf("find LEO = %s", got)
		}
		page, err = s.admin.AdminFindAccounts(ctx, client.AccountFilter{Pattern: "leo", Band: "teen"})
		if err != nil || handlesOf(page.Accounts) != s.h("leo") {
			t.Errorf("find leo among teens = %v %v", page, err)
		}
		page, err = s.admin.AdminFindAccounts(ctx, client.AccountFilter{Band: "adult", Limit: 1})
		if err != nil || handlesOf(page.Accounts) != s.h("leonie") || page.Next == 0 {
			t.Fatalf("first page of adults = %+v %v", page, err)
		}
		page, err = s.admin.AdminFindAccounts(ctx, client.AccountFilter{Band: "adult", Limit: 1, After: page.Next})
		if err != nil || handlesOf(page.Accounts) != s.h("maya") || page.Next != 0 {
			t.Fatalf("second page of adults = %+v %v", page, err)
		}
		if _, err := s.admin.AdminFindAccounts(ctx, client.AccountFilter{Band: "elder"}); client.ErrorCode(err) != "invalid_band" {
			t.Errorf("an unknown band: %v", err)
		}

		_, err = s.admin.AdminAccountChange(ctx, s.h("maya"), "verify", client.OperatorChange{Method: "passport checked"})
		if client.ErrorCode(err) != "missing_by" {
			t.Errorf("verify without by: %v", err)
		}
		a, err := s.admin.AdminAccountChange(ctx, s.h("maya"), "verify", client.OperatorChange{Method: "passport checked", Note: "video call", By: "amir"})
		if err != nil || a.AgeAssurance != "verified" {
			t.Fatalf("verify = %+v %v", a, err)
		}
		d, err := s.admin.AdminAccountDetail(ctx, s.h("maya"))
		if err != nil {
			t.Fatal(err)
		}
		if len(d.AssuranceHistory) != 1 || d.AssuranceHistory[0].Method != "passport checked" || d.AssuranceHistory[0].By != "amir" ||
			d.AssuranceHistory[0].Note != "video call" || d.Counts.Sessions != 1 {
			t.Errorf("detail = %+v", d)
		}
		if audit := auditActions(t, s); !strings.Contains(audit, `"method":"passport checked"`) || !strings.Contains(audit, `"by":"amir"`) {
			t.Errorf("the audit log lacks the method and who: %s", audit)
		}
		// By numeric ID, the old way, still answers the account.
		byID, err := s.admin.AdminAccount(ctx, d.ID)
		if err != nil || byID.Handle != s.h("maya") {
			t.Errorf("by ID = %+v %v", byID, err)
		}
		if _, err := s.admin.AdminAccountDetail(ctx, "nobody.42"); apiErr(t, err).Code != "account_not_found" {
			t.Errorf("an unknown handle: %v", err)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("maya"), "unverify", client.OperatorChange{Reason: "document withdrawn", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		// Suspension ends the streams; unsuspending needs a suspension.
		if _, err := s.admin.AdminAccountChange(ctx, s.h("maya"), "unsuspend", client.OperatorChange{Reason: "x", By: "amir"}); client.ErrorCode(err) != "not_suspended" {
			t.Errorf("unsuspend an active account: %v", err)
		}
	})
}

func handlesOf(as []client.Account) string {
	var hs []string
	for _, a := range as {
		hs = append(hs, a.Handle)
	}
	return strings.Join(hs, ",")
}

// TestSuspendEndsStreams: the operator's suspension ends the account's live
// streams and sessions, and the admin's log-out-all too.
func TestSuspendEndsStreams(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		c := s.user("su_ann", 30, "")
		events := stream(t, c)
		if _, err := s.admin.AdminAccountChange(ctx, s.h("su_ann"), "suspend", client.OperatorChange{Reason: "spam", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the suspended account's stream", "session.ended")
		if _, err := c.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
			t.Errorf("the suspended account's session lasts: %v", err)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("su_ann"), "unsuspend", client.OperatorChange{Reason: "appeal upheld", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, s.h("su_ann"), pw); err != nil {
			t.Fatal(err)
		}
		ss, err := s.admin.AdminSessions(ctx, s.h("su_ann"))
		if err != nil || len(ss.Sessions) != 1 {
			t.Fatalf("sessions = %+v %v", ss, err)
		}
		events = stream(t, c)
		if err := s.admin.AdminLogout(ctx, s.h("su_ann"), "amir"); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the stream after the operator logged the account out", "session.ended")
	})
}

// TestDeleteAccountKeepsWhatCasesNeed: an adult with an open case deletes
// their account. Their case keeps its evidence and the sender's record,
// the recipient still reads what was delivered as from a deleted account,
// and the handle answers as nobody's. What the person is told is kept is
// the same as for anyone, so it says nothing of the case.
func TestDeleteAccountKeepsWhatCasesNeed(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		sender := s.user("dl_sender", 40, "Cambridge")
		friend := s.user("dl_friend", 38, "Bedford")
		bystander := s.user("dl_bystander", 30, "Bedford")
		s.connect(sender, s.h("dl_friend"), friend)
		conv, err := sender.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("dl_friend")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sender.SendText(ctx, conv.ID, "see you at the match (synthetic)"); err != nil {
			t.Fatal(err)
		}
		if _, err := sender.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), ""); err != nil {
			t.Fatal(err)
		}
		s.process(t)
		cs := s.cases(t)
		if len(cs) != 1 {
			t.Fatalf("cases = %+v", cs)
		}
		before, err := s.admin.AdminCase(ctx, cs[0].ID)
		if err != nil || len(before.Evidence) == 0 {
			t.Fatalf("case before = %+v %v", before, err)
		}
		plan, err := sender.DeletionPlan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		calm, err := bystander.DeletionPlan(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(calm, plan); diff != "" {
			t.Fatalf("the plan of a person with a case differs from anyone's (-anyone +them):\n%s", diff)
		}
		if len(plan.Kept) == 0 || plan.Kept[0].Why == "" || plan.Kept[0].Until == "" || len(plan.Deleted) == 0 {
			t.Fatalf("plan = %+v", plan)
		}

		// The password is checked, and confirming is required.
		if _, err := sender.DeleteAccount(ctx, "not my password at all"); apiErr(t, err).Code != "wrong_password" {
			t.Fatalf("a wrong password: %v", err)
		}
		st, eb := s.raw("DELETE", "/api/v1/me", sender.Token, "application/json", strings.NewReader(`{"password":"`+pw+`"}`))
		if st != http.StatusBadRequest || eb.Error.Code != "confirm_required" {
			t.Fatalf("without confirm: %d %+v", st, eb)
		}
		friendEvents := stream(t, friend)
		senderEvents := stream(t, sender)
		kept, err := sender.DeleteAccount(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(plan, kept); diff != "" {
			t.Errorf("the answer differs from the plan:\n%s", diff)
		}
		endsWith(t, senderEvents, "the deleted account's stream", "session.ended")
		if _, err := sender.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
			t.Errorf("the deleted account's session lasts: %v", err)
		}
		_, unknownErr := client.New(s.url).Login(ctx, "nobody.42", pw)
		_, goneErr := client.New(s.url).Login(ctx, s.h("dl_sender"), pw)
		if diff := cmp.Diff(apiErr(t, unknownErr), apiErr(t, goneErr)); diff != "" {
			t.Errorf("logging in as the deleted account answers otherwise than as nobody:\n%s", diff)
		}
		_, unknownLook := friend.Lookup(ctx, "nobody.42")
		_, goneLook := friend.Lookup(ctx, s.h("dl_sender"))
		if diff := cmp.Diff(apiErr(t, unknownLook), apiErr(t, goneLook)); diff != "" {
			t.Errorf("looking up the deleted account answers otherwise than nobody:\n%s", diff)
		}
		eventsUntil(t, friendEvents, "the friend's stream", func(ev client.Event) bool { return ev.Type == "conversation.member" })

		// The friend still reads the delivered message, from a deleted
		// account, without its handle.
		page, err := friend.History(ctx, conv.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 1 || !page.Messages[0].SenderDeleted || page.Messages[0].Sender != "" ||
			page.Messages[0].Text != "see you at the match (synthetic)" {
			t.Fatalf("the friend's history = %+v", page.Messages)
		}
		if c, err := friend.Contacts(ctx); err != nil || len(c.Contacts) != 0 {
			t.Errorf("the friend's contacts = %+v %v", c, err)
		}

		// The case keeps its evidence and the sender's record.
		after, err := s.admin.AdminCase(ctx, cs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before.Evidence, after.Evidence); diff != "" {
			t.Errorf("the case's evidence changed:\n%s", diff)
		}
		if after.Sender == nil || after.Sender.Handle != s.h("dl_sender") || after.Sender.Status != "deleted" {
			t.Errorf("the case's sender = %+v", after.Sender)
		}
		d, err := s.admin.AdminAccountDetail(ctx, s.h("dl_sender"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != "deleted" || d.LocalAuthority == "" || d.Counts.Contacts != 0 || d.Counts.Sessions != 0 || d.Counts.Conversations != 0 {
			t.Errorf("the deleted account with an open case = %+v", d)
		}

		// The bystander, with no case, keeps only the tombstone and, for
		// the time every deleted account keeps them (so that a report of a
		// message it sent can still name it; erased by retention, see
		// TestPreservationHoldsAccount), its details; the operator's
		// deletion says what was kept.
		out, err := s.admin.AdminDeleteAccount(ctx, s.h("dl_bystander"), "asked by email", "amir")
		if err != nil || out.Account.Status != "deleted" || len(out.Kept) != len(plan.Kept) {
			t.Fatalf("operator deletion = %+v %v", out, err)
		}
		d, err = s.admin.AdminAccountDetail(ctx, s.h("dl_bystander"))
		if err != nil || d.Counts.Contacts != 0 || d.Counts.Sessions != 0 || d.Counts.Conversations != 0 {
			t.Errorf("the deleted account without a case = %+v %v", d, err)
		}
		if _, err := s.admin.AdminDeleteAccount(ctx, s.h("dl_bystander"), "again", "amir"); client.ErrorCode(err) != "account_deleted" {
			t.Errorf("deleting twice: %v", err)
		}
		audit := auditActions(t, s.stack)
		if !strings.Contains(audit, `account.deleted  {"kept_for_cases":true}`) || !strings.Contains(audit, `"by":"amir","reason":"asked by email"`) {
			t.Errorf("audit = %s", audit)
		}
	})
}

// TestAdminDeletionNamesKeptCases: the operator's deletion names the open
// case that keeps the account's records.
func TestAdminDeletionNamesKeptCases(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		sender := s.user("dn_sender", 40, "")
		friend := s.user("dn_friend", 38, "")
		s.connect(sender, s.h("dn_friend"), friend)
		conv, err := sender.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("dn_friend")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sender.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), ""); err != nil {
			t.Fatal(err)
		}
		s.process(t)
		cs := s.cases(t)
		out, err := s.admin.AdminDeleteAccount(ctx, s.h("dn_sender"), "court order", "amir")
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Kept) == 0 || !strings.Contains(out.Kept[0].What, "open cases #"+strconv.FormatInt(cs[0].ID, 10)) {
			t.Errorf("kept = %+v", out.Kept)
		}
	})
}

// TestAttackResetCodeOracle: redeeming a reset code with a wrong code, for
// an account with a code, without one, deleted, or a handle nobody has,
// answers the same after the same store calls: the answer never confirms
// a handle.
func TestAttackResetCodeOracle(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		withCode := s.signUp("withcode", 30)
		without := s.signUp("nocode", 30)
		gone := s.signUp("gonecode", 30)
		if _, err := s.admin.AdminResetPassword(ctx, withCode.handle, "amir"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.AdminDeleteAccount(ctx, gone.handle, "asked", "amir"); err != nil {
			t.Fatal(err)
		}
		anon := client.New(s.url)
		try := func(h string) ([]string, error) {
			var err error
			calls := s.traced(func() {
				err = anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: h, Code: "aaaaa-bbbbb-ccccc-ddddd", NewPassword: "a fresh long passphrase"})
			})
			return calls, err
		}
		callsUnknown, errUnknown := try(s.nobody(withCode.handle))
		for name, h := range map[string]string{"a wrong code": withCode.handle, "no code": without.handle, "a deleted account": gone.handle} {
			calls, err := try(h)
			sameAnswer(t, name, errUnknown, err)
			if diff := cmp.Diff(callsUnknown, calls); diff != "" {
				t.Errorf("%s: store calls differ from an unknown handle's (-unknown +%s):\n%s", name, name, diff)
			}
		}
	})
}

// TestDeletedHandleStaysReserved: after deletion nobody gets the handle,
// and a nickname that looks like the deleted one is refused as it was
// while the account lived.
func TestDeletedHandleStaysReserved(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		s.user("mimi", 30, "")
		old := s.h("mimi")
		if _, err := s.admin.AdminDeleteAccount(ctx, old, "asked", "amir"); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			a, err := client.New(s.url).SignUp(ctx, client.SignUpRequest{Nickname: "mimi", Password: pw, BirthDate: born(30)})
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(a.Handle, old) {
				t.Fatalf("the deleted handle %s was given again", old)
			}
		}
		_, err := client.New(s.url).SignUp(ctx, client.SignUpRequest{Nickname: "rnirni", Password: pw, BirthDate: born(30)})
		if client.ErrorCode(err) != "handle_confusable" {
			t.Errorf("a lookalike of the deleted nickname: %v", err)
		}
	})
}
