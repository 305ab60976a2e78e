package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
)

const newPw = "a brand new passphrase"

// TestChangePassword: a wrong current password is refused and changes
// nothing; a right one changes the password, keeps the session that asked
// and ends the account's other sessions and their streams, audited.
func TestChangePassword(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana := s.user("ana_p", 30, "")
		other := client.New(s.url) // the same account on another device
		if _, err := other.Login(ctx, s.h("ana_p"), pw); err != nil {
			t.Fatal(err)
		}
		me, err := ana.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}

		if err := ana.ChangePassword(ctx, "not the password", newPw); apiErr(t, err).Code != "wrong_password" || apiErr(t, err).Status != 403 {
			t.Fatalf("wrong current password: %v, want 403 wrong_password", err)
		}
		for _, bad := range []struct{ next, code string }{
			{"short", "invalid_password"},
			{"abcdefghij", "weak_password"},
			{"ana_p ana_p", "weak_password"},
			{pw, "same_password"},
		} {
			if err := ana.ChangePassword(ctx, pw, bad.next); apiErr(t, err).Code != bad.code {
				t.Errorf("new password %q: %v, want %s", bad.next, err, bad.code)
			}
		}
		code, body := s.raw("POST", "/api/v1/me/password", ana.Token, "application/json", strings.NewReader(`{"new_password":"x"}`))
		if code != 400 || body.Error.Code != "missing_field" {
			t.Errorf("no current password: %d %s, want 400 missing_field", code, body.Error.Code)
		}
		// Nothing changed: both sessions work, the old password logs in.
		if _, err := other.Me(ctx); err != nil {
			t.Fatalf("other session after refusals: %v", err)
		}
		if _, err := client.New(s.url).Login(ctx, s.h("ana_p"), pw); err != nil {
			t.Fatalf("old password after refusals: %v", err)
		}
		if _, err := client.New(s.url).Login(ctx, s.h("ana_p"), newPw); apiErr(t, err).Status != 401 {
			t.Fatalf("new password before the change: %v", err)
		}
		// Logged in again above: that session is one of the "others" too.
		third := client.New(s.url)
		if _, err := third.Login(ctx, s.h("ana_p"), pw); err != nil {
			t.Fatal(err)
		}
		events := stream(t, other)

		if err := ana.ChangePassword(ctx, pw, newPw); err != nil {
			t.Fatalf("change: %v", err)
		}
		if _, err := ana.Me(ctx); err != nil {
			t.Errorf("the session that changed it: %v, want it to go on", err)
		}
		for name, c := range map[string]*client.Client{"other": other, "third": third} {
			if _, err := c.Me(ctx); apiErr(t, err).Status != 401 {
				t.Errorf("%s session after the change: %v, want 401", name, err)
			}
		}
		endsWith(t, events, "the other session's stream", "session.ended")
		if _, err := client.New(s.url).Login(ctx, s.h("ana_p"), pw); apiErr(t, err).Status != 401 {
			t.Errorf("old password after the change: %v, want 401", err)
		}
		if _, err := client.New(s.url).Login(ctx, s.h("ana_p"), newPw); err != nil {
			t.Errorf("new password: %v", err)
		}
		entries, err := s.admin.Audit(ctx, me.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entries, func(e client.AuditEntry) bool { return e.Action == "account.password_changed" }) {
			t.Errorf("no account.password_changed in the audit log: %+v", entries)
		}
	})
}

// TestExport: the export holds the account, its contacts and blocks, the
// conversations it is or was in with the messages it can read (every page of
// them), and nothing of a conversation it was never in.
func TestExport(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana := s.user("ana_x", 30, "")
		ben := s.user("ben_x", 31, "")
		cat := s.user("cat_x", 32, "")
		dan := s.user("dan_x", 33, "")
		s.user("eve_x", 34, "")
		s.connect(ana, s.h("ben_x"), ben)
		s.connect(ana, s.h("cat_x"), cat)
		s.connect(cat, s.h("dan_x"), dan)
		s.connect(ben, s.h("cat_x"), cat)
		if _, err := ana.Block(ctx, s.h("eve_x")); err != nil {
			t.Fatal(err)
		}
		direct, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ben_x")}})
		if err != nil {
			t.Fatal(err)
		}
		n := messaging.ExportPage + 3 // more than one page
		for i := range n {
			from := ana
			if i%2 == 1 {
				from = ben
			}
			sendAll(t, from, direct.ID, fmt.Sprint("direct ", i))
		}
		left, err := ben.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ana_x"), s.h("cat_x")}, Title: "walks"})
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, ben, left.ID, "ben before ana left")
		sendAll(t, ana, left.ID, "ana before she left")
		if _, err := ana.Leave(ctx, left.ID); err != nil {
			t.Fatal(err)
		}
		sendAll(t, ben, left.ID, "ben after ana left")
		never, err := cat.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("dan_x")}})
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, cat, never.ID, "cat and dan only")
		shared, err := ben.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ana_x"), s.h("cat_x")}, Title: "shared"})
		if err != nil {
			t.Fatal(err)
		}
		sendAll(t, cat, shared.ID, "from cat, whom ana blocks")
		sendAll(t, ben, shared.ID, "from ben in shared")
		if _, err := ana.Block(ctx, s.h("cat_x")); err != nil {
			t.Fatal(err)
		}

		req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/api/v1/me/export", nil)
		req.Header.Set("Authorization", "Bearer "+ana.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="safeguard-export-`+s.h("ana_x")) {
			t.Fatalf("export: %d, Content-Disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		var ex client.Export
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ex); err != nil {
			t.Fatalf("export is not an Export: %v", err)
		}
		if ex.Format != client.ExportFormat || ex.Account.Handle != s.h("ana_x") || ex.Account.BirthDate != born(30) || ex.About == "" {
			t.Errorf("export head: format %q account %+v", ex.Format, ex.Account)
		}
		var contacts []string
		for _, c := range ex.Contacts.Contacts {
			contacts = append(contacts, c.Handle)
		}
		slices.Sort(contacts)
		if want := []string{s.h("ben_x")}; !slices.Equal(contacts, want) || !slices.Equal(ex.Contacts.Blocked, []string{s.h("cat_x"), s.h("eve_x")}) {
			t.Errorf("contacts %v blocked %v, want %v, and cat and eve blocked", contacts, ex.Contacts.Blocked, want)
		}
		byID := map[int64]client.ExportConversation{}
		for _, c := range ex.Conversations {
			byID[c.ID] = c
		}
		if len(byID) != 3 {
			t.Errorf("%d conversations, want the direct one, the one she left and the shared one", len(byID))
		}
		if sh := byID[shared.ID]; len(sh.Messages) != 1 || sh.Messages[0].Text != "from ben in shared" || bytes.Contains(raw, []byte("whom ana blocks")) {
			t.Errorf("shared group's messages %+v: want ben's only, none of the blocked member's", sh.Messages)
		}
		if _, ok := byID[never.ID]; ok || bytes.Contains(raw, []byte("cat and dan only")) {
			t.Error("the export holds a conversation she was never in")
		}
		d := byID[direct.ID]
		if d.Membership != "joined" || len(d.Messages) != n {
			t.Fatalf("direct: membership %q, %d messages, want joined and %d", d.Membership, len(d.Messages), n)
		}
		for i, m := range d.Messages {
			if m.Text != fmt.Sprint("direct ", i) {
				t.Fatalf("direct message %d is %q: want every message once, oldest first", i, m.Text)
			}
		}
		l := byID[left.ID]
		var texts []string
		for _, m := range l.Messages {
			texts = append(texts, m.Text)
		}
		if l.Membership != "left" || !slices.Equal(texts, []string{"ana before she left"}) || len(l.Members) != 1 {
			t.Errorf("left: membership %q, messages %q, members %+v; want her own message and membership only", l.Membership, texts, l.Members)
		}
		if bytes.Contains(raw, []byte(born(31))) || bytes.Contains(raw, []byte(born(32))) {
			t.Error("the export holds another person's date of birth")
		}
		// The SDK reads the same.
		got, err := ana.Export(ctx)
		if err != nil || len(got.Conversations) != 3 {
			t.Errorf("client Export: %v, %v", got, err)
		}
		if _, err := client.New(s.url).Export(ctx); apiErr(t, err).Status != 401 {
			t.Errorf("export without a session: %v", err)
		}
	})
}

// TestRenameConversation: any joined member renames a group, the members
// hear of it and reads show it; anyone else gets the answer a conversation
// that does not exist gets.
func TestRenameConversation(t *testing.T) {
	each(t, func(t *testing.T, s *stack) {
		ctx := t.Context()
		ana := s.user("ana_n", 30, "")
		ben := s.user("ben_n", 31, "")
		cat := s.user("cat_n", 32, "")
		dan := s.user("dan_n", 33, "")
		s.connect(ana, s.h("ben_n"), ben)
		s.connect(ana, s.h("cat_n"), cat)
		g, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ben_n"), s.h("cat_n")}, Title: "walks"})
		if err != nil {
			t.Fatal(err)
		}
		evctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, err := ben.Events(evctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ben.RenameConversation(ctx, g.ID, "  Sunday walks 🥾 ")
		if err != nil || got.Title != "Sunday walks 🥾" {
			t.Fatalf("rename by a member: %+v %v", got, err)
		}
		ev := next(t, events, "rename")
		if ev.Type != "conversation.changed" || ev.Conversation == nil || ev.Conversation.Title != "Sunday walks 🥾" {
			t.Errorf("live event %s %+v, want conversation.changed with the title", ev.Type, ev.Conversation)
		}
		if c, err := cat.Conversation(ctx, g.ID); err != nil || c.Title != "Sunday walks 🥾" {
			t.Errorf("read after rename: %+v %v", c, err)
		}

		// Not a member, a former member, and no such conversation: one answer.
		code, missing := s.raw("PATCH", fmt.Sprintf("/api/v1/conversations/%d", g.ID+1000), dan.Token, "application/json", strings.NewReader(`{"title":"x"}`))
		if code != 404 {
			t.Fatalf("rename of a missing conversation: %d", code)
		}
		if _, err := cat.Leave(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*client.Client{"never a member": dan, "former member": cat} {
			code, body := s.raw("PATCH", fmt.Sprintf("/api/v1/conversations/%d", g.ID), c.Token, "application/json", strings.NewReader(`{"title":"mine now"}`))
			if code != 404 || body != missing {
				t.Errorf("%s: %d %+v, want %+v as for a missing conversation", name, code, body, missing)
			}
		}
		if c, _ := ana.Conversation(ctx, g.ID); c.Title != "Sunday walks 🥾" {
			t.Errorf("title after refused renames: %q", c.Title)
		}

		for _, bad := range []struct{ title, code string }{
			{"evil\u202Eeman", "invalid_text"},
			{"\u200B", "invalid_text"},
			{strings.Repeat("x", messaging.MaxTitle+1), "invalid_title"},
		} {
			if _, err := ana.RenameConversation(ctx, g.ID, bad.title); apiErr(t, err).Code != bad.code {
				t.Errorf("title %q: %v, want %s", bad.title, err, bad.code)
			}
		}
		direct, err := ana.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("ben_n")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ana.RenameConversation(ctx, direct.ID, "us"); apiErr(t, err).Code != "not_a_group" {
			t.Errorf("rename a one-to-one chat: %v, want not_a_group", err)
		}
		if got, err := ana.RenameConversation(ctx, g.ID, ""); err != nil || got.Title != "" {
			t.Errorf("clearing the title: %+v %v", got, err)
		}
	})
}

// TestChangePasswordIsLimitedAsLogin: guesses of the current password count
// against the login limits of the account and address, so a stolen session
// cannot guess faster than logging in could; the right password is then
// refused too until the wait is over.
func TestChangePasswordIsLimitedAsLogin(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, open(t), func(c *messaging.Config) {
				c.Limits.LoginPerAccountAddress = ratelimit.Limit{Burst: 4, Per: time.Hour}
			})
			ctx := t.Context()
			ana := s.user("ana_l", 30, "") // a login that succeeds starts the count afresh
			for i := range 4 {
				if err := ana.ChangePassword(ctx, fmt.Sprint("guess ", i), newPw); apiErr(t, err).Code != "wrong_password" {
					t.Fatalf("guess %d: %v, want wrong_password", i, err)
				}
			}
			err := ana.ChangePassword(ctx, pw, newPw)
			if e := apiErr(t, err); e.Status != 429 || e.Code != "rate_limited" {
				t.Fatalf("after the guesses: %v, want 429 rate_limited", err)
			}
			if _, err := client.New(s.url).Login(ctx, s.h("ana_l"), pw); apiErr(t, err).Status != 429 {
				t.Errorf("login after the guesses: %v, want 429: they share the limit", err)
			}
		})
	}
}
