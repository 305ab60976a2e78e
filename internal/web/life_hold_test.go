package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// TestTeenRecoveryCodes: a teen gets recovery codes at sign-up, shown once;
// one sets a new password and ends her other sessions; a used code fails;
// a new set voids the old; a child and an adult get none at sign-up.
func TestTeenRecoveryCodes(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		anon := client.New(s.url)
		teen, err := anon.SignUp(ctx, client.SignUpRequest{Nickname: "rc_tess", Password: pw, BirthDate: born(14)})
		if err != nil {
			t.Fatal(err)
		}
		if len(teen.RecoveryCodes) != messaging.RecoveryCodes {
			t.Fatalf("the teen's sign-up gives %d recovery codes, want %d", len(teen.RecoveryCodes), messaging.RecoveryCodes)
		}
		seen := map[string]bool{}
		for _, c := range teen.RecoveryCodes {
			if len(c) != 11 || seen[c] {
				t.Fatalf("recovery codes %v: want distinct codes like abcde-fghjk", teen.RecoveryCodes)
			}
			seen[c] = true
		}
		for _, age := range []int{30, 10} {
			a, err := anon.SignUp(ctx, client.SignUpRequest{Nickname: "rc_other", Password: pw, BirthDate: born(age)})
			if err != nil || len(a.RecoveryCodes) != 0 {
				t.Errorf("the sign-up of someone aged %d gives recovery codes %v (%v)", age, a.RecoveryCodes, err)
			}
		}
		phone, laptop := client.New(s.url), client.New(s.url)
		for _, c := range []*client.Client{phone, laptop} {
			if _, err := c.Login(ctx, teen.Handle, pw); err != nil {
				t.Fatal(err)
			}
		}
		if me, err := phone.Me(ctx); err != nil || len(me.RecoveryCodes) != 0 {
			t.Errorf("/me shows the codes again: %+v %v", me, err)
		}

		// A code sets a new password, and every session she had ends.
		const fresh = "a brand new long passphrase"
		if err := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: strings.ToUpper(teen.RecoveryCodes[2]), NewPassword: fresh}); err != nil {
			t.Fatalf("resetting with a recovery code: %v", err)
		}
		for _, c := range []*client.Client{phone, laptop} {
			if _, err := c.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
				t.Errorf("a session from before the reset lasts: %v", err)
			}
		}
		if _, err := client.New(s.url).Login(ctx, teen.Handle, pw); apiErr(t, err).Code != "invalid_credentials" {
			t.Errorf("the old password still works: %v", err)
		}
		newPhone := client.New(s.url)
		if _, err := newPhone.Login(ctx, teen.Handle, fresh); err != nil {
			t.Fatalf("the new password: %v", err)
		}

		// A used code fails, with the answer of any bad code.
		used := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: teen.RecoveryCodes[2], NewPassword: "yet another long passphrase"})
		unknown := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: "nobody.42", RecoveryCode: teen.RecoveryCodes[3], NewPassword: "yet another long passphrase"})
		if apiErr(t, used).Code != "invalid_reset_code" || cmp.Diff(apiErr(t, used), apiErr(t, unknown)) != "" {
			t.Errorf("a used code: %v; an unknown handle: %v", used, unknown)
		}
		both := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, Code: "x", RecoveryCode: teen.RecoveryCodes[3], NewPassword: "yet another long passphrase"})
		if apiErr(t, both).Code != "one_code" {
			t.Errorf("a reset code and a recovery code at once: %v", both)
		}

		// New codes, with the password, void the old ones.
		if _, err := newPhone.NewRecoveryCodes(ctx, pw); apiErr(t, err).Code != "wrong_password" {
			t.Errorf("new codes with the old password: %v", err)
		}
		set, err := newPhone.NewRecoveryCodes(ctx, fresh)
		if err != nil || len(set.Codes) != messaging.RecoveryCodes {
			t.Fatalf("new codes: %+v %v", set, err)
		}
		old := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: teen.RecoveryCodes[4], NewPassword: "yet another long passphrase"})
		if apiErr(t, old).Code != "invalid_reset_code" {
			t.Errorf("a code of the voided set: %v", old)
		}
		if err := anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: set.Codes[0], NewPassword: "yet another long passphrase"}); err != nil {
			t.Errorf("a code of the new set: %v", err)
		}
		if _, err := newPhone.Me(ctx); apiErr(t, err).Status != http.StatusUnauthorized {
			t.Errorf("the session from before the second reset lasts: %v", err)
		}
		audit := auditActions(t, s)
		if strings.Count(audit, "password.reset recovery_code") != 2 || !strings.Contains(audit, "recovery_codes.issued") {
			t.Errorf("audit:\n%s", audit)
		}
		for _, c := range append(teen.RecoveryCodes, set.Codes...) {
			if strings.Contains(audit, c) {
				t.Errorf("the audit log holds a recovery code")
			}
		}
	})
}

// TestRecoveryCodesLimited: wrong recovery codes are limited per handle,
// like every reset code.
func TestRecoveryCodesLimited(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, open(t), func(c *messaging.Config) {
				c.Limits.ResetPerAccount = ratelimit.Limit{Burst: 3, Per: time.Hour}
			})
			ctx := t.Context()
			teen, err := client.New(s.url).SignUp(ctx, client.SignUpRequest{Nickname: "rl_tess", Password: pw, BirthDate: born(15)})
			if err != nil {
				t.Fatal(err)
			}
			anon := client.New(s.url)
			var last error
			for range 3 {
				last = anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: "wrong-guess", NewPassword: "a fresh long passphrase"})
				if client.ErrorCode(last) != "invalid_reset_code" {
					t.Fatalf("a wrong code: %v", last)
				}
			}
			// Even the right code is refused once the handle is limited.
			last = anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: teen.RecoveryCodes[0], NewPassword: "a fresh long passphrase"})
			if client.ErrorCode(last) != "rate_limited" {
				t.Errorf("the fourth attempt: %v, want rate_limited", last)
			}
			if _, err := client.New(s.url).Login(ctx, teen.Handle, pw); err != nil {
				t.Errorf("the password changed after a limited attempt: %v", err)
			}
		})
	}
}

// revealed reads the case's evidence item of kind and ref prefix, as a
// moderator.
func revealed(t *testing.T, s *caseStack, caseID int64, kind, refPrefix string) []byte {
	t.Helper()
	c, err := s.admin.AdminCase(t.Context(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Evidence {
		if e.ItemKind == kind && strings.HasPrefix(e.Ref, refPrefix) {
			shown, err := s.admin.AdminReveal(t.Context(), caseID, e.Seq, client.CaseAction{Moderator: "mod_one", Why: "review of the report"})
			if err != nil {
				t.Fatal(err)
			}
			return shown.Data
		}
	}
	t.Fatalf("case %d holds no %s item %s…: %+v", caseID, kind, refPrefix, c.Evidence)
	return nil
}

// TestVanishedSenderStaysReportable: an adult contact writes to a
// 14-year-old, then deletes their account. She still reads the message, as
// from a deleted account, and her report of it a month later (the cases
// service's clock) opens a case that holds the message, the sender's
// account record as it was and their last login's address and port, though
// that login is older than the two weeks a case's connections cover.
func TestVanishedSenderStaysReportable(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newCaseStackWith(t, open(t), nil, func(_ *cases.Config, d *cases.Deps) {
				d.Now = func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
			})
			testVanishedSender(t, s)
		})
	}
}

func testVanishedSender(t *testing.T, s *caseStack) {
	{
		ctx := t.Context()
		girl := s.user("vs_girl", 14, "Bedford")
		adult := s.user("vs_adult", 38, "Cambridge")
		s.connect(girl, s.h("vs_adult"), adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("vs_girl")}})
		if err != nil {
			t.Fatal(err)
		}
		const text = "keep our chats just between us (synthetic)"
		sent, err := adult.SendText(ctx, conv.ID, text)
		if err != nil {
			t.Fatal(err)
		}
		before, err := adult.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adult.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}

		page, err := girl.History(ctx, conv.ID, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Messages) != 1 || !page.Messages[0].SenderDeleted || page.Messages[0].Sender != "" || page.Messages[0].Text != text {
			t.Fatalf("her history = %+v", page.Messages)
		}
		rec, err := girl.Report(ctx, client.ReportRequest{MessageID: sent.ID, Reason: "something_else", Note: "TEST report"})
		if err != nil {
			t.Fatalf("reporting the deleted sender's message: %v", err)
		}
		if rec.BlockHandle != "" {
			t.Errorf("the receipt names the deleted sender: %q", rec.BlockHandle)
		}
		if len(rec.Notices) == 0 {
			t.Errorf("a young person's receipt without a notice: %+v", rec)
		}
		for _, n := range rec.Notices {
			if slices.Contains(n.Actions, "block") {
				t.Errorf("the receipt offers to block an account that is gone: %+v", n)
			}
		}
		s.process(t)
		cs := s.cases(t)
		if len(cs) != 1 {
			t.Fatalf("cases = %+v", cs)
		}
		var msg struct {
			Text     string `json:"text"`
			SenderID int64  `json:"sender_id"`
		}
		if err := json.Unmarshal(revealed(t, s, cs[0].ID, "message", "message:"), &msg); err != nil || msg.Text != text || msg.SenderID != before.ID {
			t.Errorf("the preserved message = %+v %v", msg, err)
		}
		var acc struct {
			Handle, Nickname, BirthDate, App, Status string
			Band                                     string    `json:"age_band"`
			BirthDateJSON                            string    `json:"birth_date"`
			CreatedAt                                time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(revealed(t, s, cs[0].ID, "account", "account:"+itoa(before.ID)), &acc); err != nil {
			t.Fatal(err)
		}
		if acc.Handle != before.Handle || acc.Nickname != "vs_adult" || acc.Band != "adult" || acc.BirthDateJSON != born(38) ||
			acc.App != before.App || acc.Status != "deleted" || !acc.CreatedAt.Equal(before.CreatedAt) {
			t.Errorf("the sender's preserved record = %+v, want the account as it was (%+v)", acc, before)
		}
		var conns struct {
			Connections []struct {
				Addr  string `json:"addr"`
				Port  int    `json:"port"`
				Event string `json:"event"`
			} `json:"connections"`
		}
		if err := json.Unmarshal(revealed(t, s, cs[0].ID, "connections", "connections:"+itoa(before.ID)+"@"), &conns); err != nil {
			t.Fatal(err)
		}
		login := false
		for _, c := range conns.Connections {
			login = login || c.Event == "login" && c.Addr != "" && c.Port > 0
		}
		if !login {
			t.Errorf("the sender's connections hold no login with address and port: %+v", conns)
		}
	}
}

func itoa(n int64) string { return jsonInt(n) }

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestPreservationHoldsAccount: an operator records a police preservation
// request, lists and extends it, all audited; the account's own views show
// nothing of it; deleting the account then keeps what is held (contacts,
// every login), and retention keeps it while the hold lasts, then erases
// it as for any deleted account.
func TestPreservationHoldsAccount(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		subject := s.user("ph_subject", 35, "Bedford")
		friend := s.user("ph_friend", 33, "Bedford")
		bystander := s.user("ph_bystander", 30, "")
		s.connect(subject, s.h("ph_friend"), friend)
		conv, err := subject.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ph_friend")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := subject.SendText(ctx, conv.ID, "see you at practice (synthetic)"); err != nil {
			t.Fatal(err)
		}
		meBefore, err := subject.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, subject)

		h := s.h("ph_subject")
		if _, err := s.admin.AdminPreserve(ctx, h, client.PreservationRequest{Reference: "BDF/TEST/1", Agency: "Test Police", Days: 90}); client.ErrorCode(err) != "missing_by" {
			t.Errorf("without by: %v", err)
		}
		if _, err := s.admin.AdminPreserve(ctx, h, client.PreservationRequest{Reference: "BDF/TEST/1", Agency: "Test Police", Days: 0, By: "amir"}); client.ErrorCode(err) != "invalid_days" {
			t.Errorf("without days: %v", err)
		}
		p, err := s.admin.AdminPreserve(ctx, h, client.PreservationRequest{Reference: "BDF/TEST/1", Agency: "Test Police", Days: 90, By: "amir"})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Active || p.Handle != h || p.ExpiresAt.Sub(p.CreatedAt) != 90*24*time.Hour {
			t.Errorf("preservation = %+v", p)
		}
		ext, err := s.admin.AdminExtendPreservation(ctx, h, p.ID, 30, "amir")
		if err != nil || !ext.ExpiresAt.Equal(p.ExpiresAt.Add(30*24*time.Hour)) {
			t.Errorf("extended = %+v %v", ext, err)
		}
		for _, body := range []string{`{"days":30,"by":"amir","reference":"BDF/TEST/2"}`, `{"days":30,"by":"amir","agency":"Other Police"}`} {
			st, e := s.raw("PATCH", "/api/v1/admin/accounts/"+h+"/preservations/"+strconv.FormatInt(p.ID, 10), adminToken, "application/json", strings.NewReader(body))
			if st != http.StatusBadRequest || e.Error.Code != "extend_days_only" {
				t.Errorf("an extension with %s: %d %+v", body, st, e)
			}
		}
		if _, err := s.admin.AdminExtendPreservation(ctx, s.h("ph_friend"), p.ID, 30, "amir"); client.ErrorCode(err) != "preservation_not_found" {
			t.Errorf("extending it through another account: %v", err)
		}
		list, err := s.admin.AdminPreservations(ctx, h)
		if err != nil || len(list.Preservations) != 1 || list.Preservations[0].Reference != "BDF/TEST/1" || !list.Preservations[0].ExpiresAt.Equal(ext.ExpiresAt) {
			t.Errorf("list = %+v %v", list, err)
		}
		if st, _ := s.raw("GET", "/api/v1/admin/accounts/"+h+"/preservations", subject.Token, "", nil); st != http.StatusUnauthorized && st != http.StatusNotFound && st != http.StatusForbidden {
			t.Errorf("the subject lists their own preservations: %d", st)
		}
		audit := auditActions(t, s)
		if !strings.Contains(audit, "account.preserved") || !strings.Contains(audit, "account.preservation_extended") ||
			!strings.Contains(audit, `"agency":"Test Police"`) {
			t.Errorf("audit:\n%s", audit)
		}

		// The subject sees nothing of it: /me, the export, the deletion
		// answer and the live events are as for anyone.
		if _, err := friend.SendText(ctx, conv.ID, "ok (synthetic)"); err != nil {
			t.Fatal(err)
		}
		for _, ev := range eventsUntil(t, events, "the subject's stream", func(ev client.Event) bool { return ev.Message != nil }) {
			if b, _ := json.Marshal(ev); strings.Contains(string(b), "preserv") || strings.Contains(string(b), "Police") {
				t.Errorf("the subject's stream tells of it: %s", b)
			}
		}
		meAfter, err := subject.Me(ctx)
		if err != nil || !cmp.Equal(meBefore, meAfter) {
			t.Errorf("/me changed: %+v, was %+v (%v)", meAfter, meBefore, err)
		}
		export, err := subject.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(export); strings.Contains(string(b), "BDF/TEST") || strings.Contains(string(b), "Test Police") || strings.Contains(string(b), "preserv") {
			t.Errorf("the subject's export tells of it")
		}
		plan, err := subject.DeletionPlan(ctx)
		calm, err2 := bystander.DeletionPlan(ctx)
		if err != nil || err2 != nil || cmp.Diff(calm, plan) != "" {
			t.Errorf("the subject's deletion answer differs from anyone's: %v %v\n%s", err, err2, cmp.Diff(calm, plan))
		}

		// Deleting the account keeps what is held.
		got, err := subject.DeleteAccount(ctx, pw)
		if err != nil || cmp.Diff(plan, got) != "" {
			t.Fatalf("the subject's deletion answer = %+v %v", got, err)
		}
		if c, err := friend.Contacts(ctx); err != nil || len(c.Contacts) != 0 {
			t.Errorf("the friend still sees the deleted account as a contact: %+v %v", c, err)
		}
		id := meBefore.ID
		rows := func() (contacts, logins int, born bool) {
			t.Helper()
			err := s.st.View(ctx, func(tx store.Tx) error {
				c, err := tx.AccountCounts(ctx, id)
				if err != nil {
					return err
				}
				ls, err := tx.Logins(ctx, id, time.Time{})
				if err != nil {
					return err
				}
				a, err := tx.Account(ctx, id)
				contacts, logins, born = c.Contacts, len(ls), err == nil && !a.BirthDate.IsZero()
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		if c, l, b := rows(); c != 1 || l < 1 || !b {
			t.Fatalf("after deletion: contacts %d, logins %d, birth date kept %v; want all held", c, l, b)
		}
		retain := func(at time.Time) messaging.RetainResult {
			t.Helper()
			md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "m"), make([]byte, media.KeySize))
			svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
				messaging.Deps{Store: s.st, Media: md, Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			res, err := svc.RetainDeleted(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		now := time.Now()
		if res := retain(now.Add(100 * 24 * time.Hour)); res.Held != 1 || res.Erased != 0 {
			t.Errorf("retention while held = %+v", res)
		}
		if c, l, b := rows(); c != 1 || l < 1 || !b {
			t.Errorf("retention erased held data: contacts %d, logins %d, birth date %v", c, l, b)
		}
		// The hold ends (120 days): the contacts go; the last login and the
		// details stay the year every deleted account keeps them.
		if res := retain(now.Add(200 * 24 * time.Hour)); res.Held != 0 || res.Erased != 0 {
			t.Errorf("retention after the hold = %+v", res)
		}
		if c, l, b := rows(); c != 0 || l != 1 || !b {
			t.Errorf("after the hold: contacts %d, logins %d, birth date %v; want 0, the last login, kept", c, l, b)
		}
		if res := retain(now.Add(400 * 24 * time.Hour)); res.Erased != 1 {
			t.Errorf("retention after a year = %+v", res)
		}
		if c, l, b := rows(); c != 0 || l != 0 || b {
			t.Errorf("after a year: contacts %d, logins %d, birth date %v; want nothing", c, l, b)
		}
		if page, err := friend.History(ctx, conv.ID, client.HistoryQuery{}); err != nil || len(page.Messages) != 2 {
			t.Errorf("the friend's history after retention = %+v %v", page, err)
		}
		_ = safeguard.Deleted
	})
}

// TestBannedSenderStaysReportable: a sender suspended by the operator
// leaves what they sent readable, and reportable: the case holds the
// message and their account record, and the receipt names them to block.
func TestBannedSenderStaysReportable(t *testing.T) {
	eachCase(t, func(t *testing.T, s *caseStack) {
		ctx := t.Context()
		girl := s.user("bs_girl", 14, "Bedford")
		adult := s.user("bs_adult", 38, "Cambridge")
		s.connect(girl, s.h("bs_adult"), adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("bs_girl")}})
		if err != nil {
			t.Fatal(err)
		}
		sent, err := adult.SendText(ctx, conv.ID, "don't tell your mum we talk (synthetic)")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.admin.AdminAccountChange(ctx, s.h("bs_adult"), "suspend", client.OperatorChange{Reason: "TEST ban", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		page, err := girl.History(ctx, conv.ID, client.HistoryQuery{})
		if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != sent.ID {
			t.Fatalf("her history after the ban = %+v %v", page, err)
		}
		rec, err := girl.Report(ctx, client.ReportRequest{MessageID: sent.ID, Reason: "something_else", Note: "TEST report"})
		if err != nil {
			t.Fatalf("reporting the banned sender's message: %v", err)
		}
		if rec.BlockHandle != s.h("bs_adult") {
			t.Errorf("the receipt's account to block = %q", rec.BlockHandle)
		}
		s.process(t)
		cs := s.cases(t)
		if len(cs) != 1 {
			t.Fatalf("cases = %+v", cs)
		}
		var acc struct {
			Handle string `json:"handle"`
			Status string `json:"status"`
		}
		d, err := s.admin.AdminAccountDetail(ctx, s.h("bs_adult"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(revealed(t, s, cs[0].ID, "account", "account:"+itoa(d.ID)), &acc); err != nil {
			t.Fatal(err)
		}
		if acc.Handle != s.h("bs_adult") || acc.Status != "suspended" {
			t.Errorf("the sender's preserved record = %+v", acc)
		}
		if b := revealed(t, s, cs[0].ID, "message", "message:"); !strings.Contains(string(b), "don't tell your mum") {
			t.Errorf("the preserved message = %s", b)
		}
	})
}

// TestRecoveryCodesEndForAChild: a teen whose date of birth is corrected to
// make her a child loses her recovery codes; a child resets her password
// through a guardian only.
func TestRecoveryCodesEndForAChild(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		anon := client.New(s.url)
		teen, err := anon.SignUp(ctx, client.SignUpRequest{Nickname: "rcc_tia", Password: pw, BirthDate: born(14)})
		if err != nil || len(teen.RecoveryCodes) == 0 {
			t.Fatalf("sign-up: %+v %v", teen, err)
		}
		if _, err := s.admin.CorrectBirthDate(ctx, teen.Handle, client.OperatorChange{BirthDate: born(11), Method: "birth certificate seen",
			Reason: "TEST typed wrong at sign-up", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		err = anon.ResetPassword(ctx, client.PasswordResetRequest{Handle: teen.Handle, RecoveryCode: teen.RecoveryCodes[0], NewPassword: "a brand new long passphrase"})
		if e := apiErr(t, err); e.Status != 400 || e.Code != "invalid_reset_code" {
			t.Errorf("a teen's recovery code works for a child: %+v", e)
		}
		if _, err := client.New(s.url).Login(ctx, teen.Handle, pw); err != nil {
			t.Errorf("the child's password changed: %v", err)
		}
	})
}

// TestRetentionPassesAtOnce: retention passes run at once (the server that
// holds the lease and an operator's command, on one database) erase each
// deleted account once: one audit entry each, and the passes' counts add
// up to the accounts.
func TestRetentionPassesAtOnce(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		const accounts, passes = 6, 4
		var ids []int64
		for i := range accounts {
			c := s.user(fmt.Sprintf("gone_%d", i), 30+i, "Bedford")
			me, err := c.Me(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteAccount(ctx, pw); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, me.ID)
		}
		later := time.Now().Add(400 * 24 * time.Hour)
		erased := make([]int, passes)
		var wg sync.WaitGroup
		for i := range passes {
			wg.Go(func() {
				md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "m"), make([]byte, media.KeySize))
				svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
					messaging.Deps{Store: s.st, Media: md, Now: func() time.Time { return later }})
				if err != nil {
					t.Error(err)
					return
				}
				defer svc.Close()
				res, err := svc.RetainDeleted(ctx)
				if err != nil {
					t.Error(err)
				}
				erased[i] = res.Erased
			})
		}
		wg.Wait()
		if sum := erased[0] + erased[1] + erased[2] + erased[3]; sum != accounts {
			t.Errorf("the passes erased %v, %d in all; want %d", erased, sum, accounts)
		}
		for _, id := range ids {
			var n int
			err := s.st.View(ctx, func(tx store.Tx) error {
				es, err := tx.AuditEntries(ctx, id, 100)
				for _, e := range es {
					if e.Action == "account.retention_erased" {
						n++
					}
				}
				return err
			})
			if err != nil || n != 1 {
				t.Errorf("account %d: %d retention entries in the audit log (%v), want 1", id, n, err)
			}
		}
	})
}
