package web_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// betweenStore is a store that runs a function once between a password
// check and the write that follows it: armed, the first Update after a
// View read a password hash runs between first. It stands for a request
// of another session landing in that window.
type betweenStore struct {
	store.Store
	mu      sync.Mutex
	between func()
	read    bool
}

func (b *betweenStore) arm(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.between, b.read = fn, false
}

type hashReadTx struct {
	store.Tx
	b *betweenStore
}

func (t hashReadTx) PasswordHash(ctx context.Context, accountID int64) (string, error) {
	t.b.mu.Lock()
	if t.b.between != nil {
		t.b.read = true
	}
	t.b.mu.Unlock()
	return t.Tx.PasswordHash(ctx, accountID)
}

func (b *betweenStore) View(ctx context.Context, fn func(tx store.Tx) error) error {
	return b.Store.View(ctx, func(tx store.Tx) error { return fn(hashReadTx{tx, b}) })
}

func (b *betweenStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	b.mu.Lock()
	var run func()
	if b.between != nil && b.read {
		run, b.between = b.between, nil
	}
	b.mu.Unlock()
	if run != nil {
		run()
	}
	return b.Store.Update(ctx, fn)
}

// TestAttackPasswordChangeRace: two sessions of one account change its
// password at once, both with the right current password. The one that
// writes second finds the password it checked gone and is refused with
// 409 password_changed; the first one's password is the account's. A
// change whose session was ended between its check and its write writes
// nothing either.
func TestAttackPasswordChangeRace(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bs := &betweenStore{Store: open(t)}
			s := newStack(t, bs, nil)
			ctx := t.Context()
			ana := s.user("race_ana", 30, "")
			other := client.New(s.url)
			if _, err := other.Login(ctx, s.h("race_ana"), pw); err != nil {
				t.Fatal(err)
			}
			const otherPw = "another long passphrase"
			bs.arm(func() {
				if err := other.ChangePassword(ctx, pw, otherPw); err != nil {
					t.Errorf("the change that writes first: %v", err)
				}
			})
			err := ana.ChangePassword(ctx, pw, newPw)
			if e := apiErr(t, err); e.Status != http.StatusConflict || e.Code != "password_changed" || e.Message == "" {
				t.Fatalf("the change that writes second: %v, want 409 password_changed", err)
			}
			if _, err := client.New(s.url).Login(ctx, s.h("race_ana"), otherPw); err != nil {
				t.Errorf("the first change's password: %v", err)
			}
			if _, err := client.New(s.url).Login(ctx, s.h("race_ana"), newPw); apiErr(t, err).Status != http.StatusUnauthorized {
				t.Errorf("the refused change's password logs in: %v", err)
			}
			if _, err := other.Me(ctx); err != nil {
				t.Errorf("the session whose change won: %v", err)
			}

			// Ended by an operator between the check and the write.
			bob := s.user("race_bob", 30, "")
			bs.arm(func() {
				if err := s.admin.AdminLogout(ctx, s.h("race_bob"), "amir"); err != nil {
					t.Errorf("operator logout: %v", err)
				}
			})
			if err := bob.ChangePassword(ctx, pw, newPw); apiErr(t, err).Status != http.StatusUnauthorized {
				t.Fatalf("a change whose session ended meanwhile: %v, want 401", err)
			}
			if _, err := client.New(s.url).Login(ctx, s.h("race_bob"), pw); err != nil {
				t.Errorf("the password after the refused change: %v", err)
			}
		})
	}
}

// TestAttackResetCodeOutlivesPassword: a reset code an operator gave stops
// working once the holder logs in with their password, or changes it.
func TestAttackResetCodeOutlivesPassword(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		s.user("rc_mia", 12, "")
		handle := s.h("rc_mia")
		rc, err := s.admin.AdminResetPassword(ctx, handle, "amir")
		if err != nil {
			t.Fatal(err)
		}
		mia := client.New(s.url) // she remembered it after all
		if _, err := mia.Login(ctx, handle, pw); err != nil {
			t.Fatal(err)
		}
		redeem := func(code string) error {
			return client.New(s.url).ResetPassword(ctx, client.PasswordResetRequest{Handle: handle, Code: code, NewPassword: "taken over by a code"})
		}
		if err := redeem(rc.Code); apiErr(t, err).Code != "invalid_reset_code" {
			t.Fatalf("a reset code after a login with the password: %v, want invalid_reset_code", err)
		}

		// Given again: logging in and changing the password leaves no
		// code behind either.
		rc, err = s.admin.AdminResetPassword(ctx, handle, "amir")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mia.Login(ctx, handle, pw); err != nil {
			t.Fatal(err)
		}
		if err := mia.ChangePassword(ctx, pw, newPw); err != nil {
			t.Fatal(err)
		}
		if err := redeem(rc.Code); apiErr(t, err).Code != "invalid_reset_code" {
			t.Fatalf("a reset code after a password change: %v, want invalid_reset_code", err)
		}
		if _, err := client.New(s.url).Login(ctx, handle, newPw); err != nil {
			t.Errorf("the changed password: %v", err)
		}
	})
}

// TestAttackSuspendedCannotDeleteItself: a suspended account deleting
// itself would free its name for a new sign-up at once. It is refused with
// a sentence, the account stays and its name stays taken; an operator can
// delete it.
func TestAttackSuspendedCannotDeleteItself(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		s.user("sus_kai", 30, "")
		handle := s.h("sus_kai")
		if _, err := s.admin.AdminAccountChange(ctx, handle, "suspend", client.OperatorChange{Reason: "spam", By: "amir"}); err != nil {
			t.Fatal(err)
		}
		kai := client.New(s.url)
		if _, err := kai.Login(ctx, handle, pw); err != nil {
			t.Fatal(err)
		}
		_, err := kai.DeleteAccount(ctx, pw)
		if e := apiErr(t, err); e.Status != http.StatusForbidden || e.Code != "account_suspended" || e.Message == "" {
			t.Fatalf("a suspended account deleting itself: %v, want 403 account_suspended", err)
		}
		if _, err := kai.Me(ctx); err != nil {
			t.Errorf("the suspended account after the refusal: %v", err)
		}
		if _, err := s.admin.AdminDeleteAccount(ctx, handle, "ban evasion", "amir"); err != nil {
			t.Errorf("an operator deleting the suspended account: %v", err)
		}
	})
}

// TestAttackBlockOutlivesDeletion: what a block hides stays hidden once the
// blocked person deletes their account, in the history and in the export;
// and the export, like the history, shows the messages of someone who
// deleted their account as from a deleted account.
func TestAttackBlockOutlivesDeletion(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana, bo, conv := pair(t, s, "bd_ana", "bd_bo")
		sendAll(t, bo, conv, "first from bo (synthetic)")
		carl := s.user("bd_carl", 32, "")
		s.connect(ana, s.h("bd_carl"), carl)
		conv2, err := carl.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("bd_ana")}})
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, carl, conv2.ID, "hello from carl (synthetic)")
		if _, err := ana.Block(ctx, s.h("bd_bo")); err != nil {
			t.Fatal(err)
		}
		texts := func(ms []client.Message) (out []string) {
			for _, m := range ms {
				out = append(out, m.Text)
			}
			return out
		}
		before, err := ana.History(ctx, conv, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(before.Messages) != 0 {
			t.Fatalf("history after the block: %q", texts(before.Messages))
		}
		for _, c := range []*client.Client{bo, carl} {
			if _, err := c.DeleteAccount(ctx, pw); err != nil {
				t.Fatal(err)
			}
		}
		after, err := ana.History(ctx, conv, client.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Messages) != 0 {
			t.Errorf("history once the blocked person deleted their account: %q", texts(after.Messages))
		}
		ex, err := ana.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ex.Conversations {
			for _, m := range c.Messages {
				switch {
				case m.Text != "hello from carl (synthetic)":
					t.Errorf("the export shows %q", m.Text)
				case !m.SenderDeleted || m.Sender != "":
					t.Errorf("a deleted account's message in the export: sender %q, sender_deleted %v", m.Sender, m.SenderDeleted)
				}
			}
		}
	})
}

// TestAttackDeletedChildCountsAsNoAdult: a child deletes their account (no
// case, so the date of birth goes). An adult asking for a lookalike of the
// child's nickname gets what they would have got while the child's account
// lived, the answer for a nickname nobody has: the deleted child is not
// counted as an adult. A deleted adult's nickname stays guarded against lookalikes.
func TestAttackDeletedChildCountsAsNoAdult(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		kid := s.user("lilyk", 12, "")
		adult := func(nick string) error {
			_, err := client.New(s.url).SignUp(ctx, client.SignUpRequest{Nickname: nick, Password: pw, BirthDate: born(30)})
			return err
		}
		if _, err := kid.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		if err := adult("1i1yk"); err != nil {
			t.Errorf("an adult's lookalike of a deleted child's nickname: %v, want it taken as for a nickname nobody has", err)
		}

		grown := s.user("rnoro", 40, "")
		if _, err := grown.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		teen := func(nick string) error {
			_, err := client.New(s.url).SignUp(ctx, client.SignUpRequest{Nickname: nick, Password: pw, BirthDate: born(15)})
			return err
		}
		if err := adult("moro"); client.ErrorCode(err) != "handle_confusable" {
			t.Errorf("an adult's lookalike of a deleted adult's nickname: %v, want handle_confusable", err)
		}
		if err := teen("rn0ro"); client.ErrorCode(err) != "handle_confusable" {
			t.Errorf("a teen's lookalike of a deleted adult's nickname: %v, want handle_confusable", err)
		}
	})
}

// TestAttackFormerMemberSeesNoNewTitle: a group renamed after a member left
// does not show its new title in that member's export.
func TestAttackFormerMemberSeesNoNewTitle(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana, ben, _ := pair(t, s, "ft_ana", "ft_ben")
		conv, err := ben.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ft_ana")}, Title: "walks"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ana.Leave(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ben.RenameConversation(ctx, conv.ID, "secret plans"); err != nil {
			t.Fatal(err)
		}
		ex, err := ana.Export(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range ex.Conversations {
			if c.ID != conv.ID {
				continue
			}
			found = true
			if c.Membership != "left" || c.Title == "secret plans" {
				t.Errorf("the group she left, in her export: membership %q, title %q", c.Membership, c.Title)
			}
		}
		if !found {
			t.Error("the group she left is not in her export")
		}
	})
}

// TestAttackEventIDProbe: event IDs are numbered across every account, so a
// stream that answered an ID not given yet with a resync would tell anyone
// when the platform's latest event happened. An ID from the future is
// answered as the account's newest: no resync, nothing replayed, then live
// events, none skipped; and the answers are the same however busy other
// accounts are.
func TestAttackEventIDProbe(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana, ben, conv := pair(t, s, "ep_ana", "ep_ben")
		cat, dan, other := pair(t, s, "ep_cat", "ep_dan")
		first, drop := context.WithCancel(ctx)
		events, err := ben.Events(first)
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, ana, conv, "seen")
		seen := next(t, events, "the message seen").ID
		drop()
		for range events {
		}
		last := seen // the newest event ben has seen
		probe := func(id uint64, live string) string {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			ben.SetLastEventID(id)
			events, err := ben.Events(cctx)
			if err != nil {
				t.Fatal(err)
			}
			sendAll(t, ana, conv, live)
			ev := next(t, events, live)
			if ev.Message == nil {
				return ev.Type
			}
			last = ev.ID
			if ev.Message.Text != live {
				return "replayed " + ev.Message.Text
			}
			return "live"
		}
		for i, ahead := range []uint64{1, 1_000_000, 3_600_000_000, 1 << 61} {
			// Others are busy between probes: the platform's numbers
			// move on past ben's.
			sendAll(t, cat, other, "busy elsewhere", "busy elsewhere again")
			sendAll(t, dan, other, "and more")
			if got := probe(last+ahead, fmt.Sprintf("live %d", i)); got != "live" {
				t.Errorf("an event ID %d past the newest ben saw: the stream begins with %s, want the live message", ahead, got)
			}
		}
	})
}

// TestAttackAssuranceOfDeletedAccount: the age-assurance call on a deleted
// account is refused as every other operator change is.
func TestAttackAssuranceOfDeletedAccount(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		gone := s.user("aod_gone", 30, "")
		me, err := gone.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gone.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		_, err = s.admin.SetAgeAssurance(ctx, me.ID, "verified")
		if e := apiErr(t, err); e.Status != http.StatusConflict || e.Code != "account_deleted" {
			t.Errorf("verifying a deleted account: %+v", e)
		}
	})
}

// TestAttackOperatorFieldOrder: a preservation with no agency is told so by
// name, and a birth-date correction missing both reason and by is told of
// the reason first, in the order the fields are listed.
func TestAttackOperatorFieldOrder(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		s.user("ofo_a", 30, "")
		_, err := s.admin.AdminPreserve(ctx, s.h("ofo_a"), client.PreservationRequest{Reference: "TEST-1", Days: 90, By: "amir"})
		if e := apiErr(t, err); e.Code != "missing_agency" {
			t.Errorf("a preservation with no agency: %+v", e)
		}
		_, err = s.admin.CorrectBirthDate(ctx, s.h("ofo_a"), client.OperatorChange{BirthDate: born(20), Method: "passport checked"})
		if e := apiErr(t, err); e.Code != "missing_reason" {
			t.Errorf("a correction with no reason nor by: %+v", e)
		}
	})
}
