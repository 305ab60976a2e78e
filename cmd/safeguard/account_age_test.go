package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// ageFixture opens db and makes three adults (amy, bob, cyd): bob asked amy
// to be a contact, amy asked cyd, bob asked cyd, and bob made a plain group
// of the three. It returns the service over the store and the accounts.
func ageFixture(t *testing.T, st store.Store) (*messaging.Service, map[string]*safeguard.Account, int64) {
	t.Helper()
	ctx := t.Context()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}},
		messaging.Deps{Store: st, Media: noMedia{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	as := map[string]*safeguard.Account{}
	for _, nick := range []string{"amy", "bob", "cyd"} {
		out, err := svc.SignUp(ctx, messaging.SignUp{Nickname: nick, Password: "correct horse battery",
			BirthDate: time.Now().AddDate(-40, 0, -1).Format(time.DateOnly)}, safeguard.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		as[nick] = out.Account
	}
	for _, p := range [][2]string{{"bob", "amy"}, {"amy", "cyd"}, {"bob", "cyd"}} {
		c, err := svc.RequestContact(ctx, as[p[0]].ID, as[p[1]].Handle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AcceptContact(ctx, as[p[1]].ID, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	g, _, err := svc.CreateConversation(ctx, as["bob"].ID, messaging.NewConversation{Members: []string{as["amy"].Handle, as["cyd"].Handle}, Title: "Allotment"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, as, g.ID
}

// TestAccountBirthDateCommand: an operator at the command line corrects an
// adult's date of birth to a 15-year-old's, on each store. The contact an
// adult asked her for ends, the one she asked for stays, she leaves the
// group where someone is no longer her contact, and the audit log has the
// date, method, reason and who.
func TestAccountBirthDateCommand(t *testing.T) {
	for name, newDB := range bankDBs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db := newDB(t)
			st, err := openStoreMode(ctx, db, true)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			svc, as, group := ageFixture(t, st)
			amy := as["amy"].Handle
			born15 := time.Now().AddDate(-15, 0, -1).Format(time.DateOnly)
			env := map[string]string{"SAFEGUARD_DB": db}
			for _, c := range []struct {
				args    []string
				code    int
				out     string
				errText string
			}{
				{[]string{amy, "--date", born15, "--reason", "TEST", "--by", "amir"}, 1, `^$`, "Say how the date of birth was checked"},
				{[]string{amy, "--method", "passport checked", "--reason", "TEST", "--by", "amir"}, 1, `^$`, "Give the corrected date of birth"},
				{[]string{amy, "--date", born15, "--method", "passport checked", "--by", "amir"}, 1, `^$`, "Give a reason."},
				{[]string{amy, "--date", born15, "--method", "passport checked", "--reason", "TEST"}, 1, `^$`, "Say who is making this change"},
				{[]string{amy, "--date", born15, "--method", "passport checked", "--reason", "TEST her mother wrote in", "--by", "amir"}, 0,
					`^` + regexp.QuoteMeta(amy) + ` was born on ` + born15 + ` \(age band teen, assurance self-declared\), checked by passport checked; recorded in the audit log as by amir\n$`, ""},
				{[]string{amy, "--date", born15, "--method", "passport checked", "--reason", "TEST", "--by", "amir"}, 1, `^$`, "already the account's date of birth"},
			} {
				out, errOut, code := runCmd(t, env, append([]string{"account", "birth-date"}, c.args...)...)
				if code != c.code || !regexp.MustCompile(c.out).MatchString(out) || !strings.Contains(errOut, c.errText) {
					t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out, errOut)
				}
			}
			if out, _, code := runCmd(t, env, "account", "show", amy); code != 0 || !strings.Contains(out, "age band:   teen") ||
				!strings.Contains(out, "born:       "+born15+"\n") ||
				!regexp.MustCompile(`date of birth corrected: \S+, from \d{4}-\d\d-\d\d to `+born15+`, method: passport checked, reason: TEST her mother wrote in, by: amir\n`).MatchString(out) {
				t.Errorf("account show after the correction: exit %d\n%s", code, out)
			}
			list, err := svc.Contacts(ctx, as["amy"].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Contacts) != 1 || list.Contacts[0].Other.ID != as["cyd"].ID {
				t.Errorf("her contacts: %+v; want only cyd, whom she asked", list.Contacts)
			}
			v, err := svc.Conversation(ctx, as["bob"].ID, group)
			if err != nil {
				t.Fatal(err)
			}
			if m := v.Member(as["amy"].ID); m == nil || m.State != safeguard.MemberRemoved {
				t.Errorf("her place in the group: %+v", m)
			}
			entries, err := svc.AuditEntries(ctx, as["amy"].ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			var audit strings.Builder
			for _, e := range entries {
				audit.WriteString(e.Action + " " + e.Reason + " " + e.Detail + "\n")
			}
			for _, want := range []string{"birth_date.corrected operator", `"method":"passport checked"`, `"reason":"TEST her mother wrote in"`, `"by":"amir"`,
				"contact.ended age_corrected", "conversation.member_removed age_changed", `age_band.changed correction {"from":"adult","to":"teen"}`} {
				if !strings.Contains(audit.String(), want) {
					t.Errorf("the audit log lacks %s:\n%s", want, audit.String())
				}
			}
		})
	}
}

// TestAccountBirthDateCommandReachesLiveStreams: a date of birth corrected at
// the command line while a server runs on the database reaches the live
// stream of the account through the server's relay of the outbox, on each
// store.
func TestAccountBirthDateCommandReachesLiveStreams(t *testing.T) {
	for name, newDB := range bankDBs(t) {
		t.Run(name, func(t *testing.T) {
			db := newDB(t)
			srv, _ := startBankServer(t, db)
			amy := newUser(t, srv.url, "amy")
			me, err := amy.Me(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			evs, err := amy.Events(ctx)
			if err != nil {
				t.Fatal(err)
			}
			born15 := time.Now().AddDate(-15, 0, -1).Format(time.DateOnly)
			if out, errOut, code := runCmd(t, map[string]string{"SAFEGUARD_DB": db}, "account", "birth-date", me.Handle,
				"--date", born15, "--method", "passport checked", "--reason", "TEST", "--by", "amir"); code != 0 {
				t.Fatalf("birth-date: exit %d, %q %q", code, out, errOut)
			}
			for {
				select {
				case ev, ok := <-evs:
					if !ok {
						t.Fatal("stream ended before the age change arrived")
					}
					if ev.Type != safeguard.EventAgeChanged {
						continue
					}
					if ev.Notice == nil || ev.Notice.Code != messaging.NoticeAgeCorrectedMinor || ev.Account == nil || ev.Account.AgeBand != "teen" {
						t.Fatalf("age change event: %+v", ev)
					}
					return
				case <-ctx.Done():
					t.Fatal("no account.age_changed on the live stream after the command")
				}
			}
		})
	}
}
