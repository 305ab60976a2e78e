package messaging_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	teenBorn  = "2011-01-01"
	adultBorn = "1990-01-01"
)

// recorder keeps the notifications the service sends.
type recorder struct {
	mu  sync.Mutex
	got []messaging.Notification
}

func (r *recorder) Notify(_ context.Context, n messaging.Notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
}

// take returns the notifications sent since the last take.
func (r *recorder) take() []messaging.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// world is a messaging service over a real SQLite store, on a clock that
// stands at now until a test moves it (advance).
type world struct {
	t   *testing.T
	svc *messaging.Service
	st  store.Store
	rec *recorder

	mu    sync.Mutex
	clock time.Time
}

// now is the world's time.
func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clock
}

// advance moves the world's clock on by d.
func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.clock = w.clock.Add(d)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newScannedWorld(t, nil)
}

// newScannedWorld is a world whose messages sc scans (nil: delivered
// unscanned).
func newScannedWorld(t *testing.T, sc messaging.Scanner) *world {
	t.Helper()
	return newWorldWith(t, messaging.Config{}, sc)
}

// newWorldWith is a world of a service with cfg (its Argon2 made cheap)
// whose messages sc scans.
func newWorldWith(t *testing.T, cfg messaging.Config, sc messaging.Scanner) *world {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, st: st, rec: &recorder{}, clock: now}
	cfg.Argon2 = messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}
	w.svc, err = messaging.New(cfg,
		messaging.Deps{Store: st, Media: md, Notify: w.rec, Scanner: sc, Now: w.now})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// account signs up nick and returns the account as the server named it.
func (w *world) account(nick, born string) *safeguard.Account {
	w.t.Helper()
	out, err := w.svc.SignUp(w.t.Context(), messaging.SignUp{Nickname: nick, Password: "correct horse battery", BirthDate: born}, safeguard.Origin{})
	if err != nil {
		w.t.Fatalf("sign up %s: %v", nick, err)
	}
	return out.Account
}

// connect makes from and to contacts: from asks, to accepts.
func (w *world) connect(from, to *safeguard.Account) {
	w.t.Helper()
	c, err := w.svc.RequestContact(w.t.Context(), from.ID, to.Handle)
	if err != nil {
		w.t.Fatalf("%s asks %s: %v", from.Handle, to.Handle, err)
	}
	if _, err := w.svc.AcceptContact(w.t.Context(), to.ID, c.ID); err != nil {
		w.t.Fatalf("%s accepts: %v", to.Handle, err)
	}
}

// group starts a group of host with members; the young ones accept.
func (w *world) group(host *safeguard.Account, members ...*safeguard.Account) int64 {
	w.t.Helper()
	ctx := w.t.Context()
	var handles []string
	for _, m := range members {
		handles = append(handles, m.Handle)
	}
	v, _, err := w.svc.CreateConversation(ctx, host.ID, messaging.NewConversation{Members: handles, Title: "the group"})
	if err != nil {
		w.t.Fatalf("create group: %v", err)
	}
	for _, m := range v.Members {
		if m.State == safeguard.MemberInvited {
			if _, err := w.svc.AcceptInvitation(ctx, m.AccountID, v.ID); err != nil {
				w.t.Fatalf("accept invitation: %v", err)
			}
		}
	}
	w.rec.take()
	return v.ID
}

// states returns every member's state in a group, by handle.
func (w *world) states(viewer *safeguard.Account, id int64) map[string]safeguard.MemberState {
	w.t.Helper()
	v, err := w.svc.Conversation(w.t.Context(), viewer.ID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]safeguard.MemberState{}
	for _, m := range v.Members {
		out[v.Accounts[m.AccountID].Handle] = m.State
	}
	return out
}

func TestBlockKeepsGroupRule(t *testing.T) {
	tests := []struct {
		name           string
		blocker, other string // who blocks whom: "teen", "teen2", "adult"
		goes           string // who is no longer in the group; "" for no one
		state          safeguard.MemberState
	}{
		{"a young person blocks an adult: the adult is removed", "teen", "adult", "adult", safeguard.MemberRemoved},
		{"an adult blocks a young person: the adult leaves", "adult", "teen", "adult", safeguard.MemberLeft},
		{"a young person blocks another: the blocked one is removed", "teen", "teen2", "teen2", safeguard.MemberRemoved},
		{"an adult blocks another adult: no one goes", "adult", "host", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := t.Context()
			who := map[string]*safeguard.Account{
				"host":  w.account("host", adultBorn),
				"adult": w.account("adult", adultBorn),
				"teen":  w.account("teen", teenBorn),
				"teen2": w.account("teen2", teenBorn),
			}
			for _, minor := range []string{"teen", "teen2"} {
				w.connect(who[minor], who["host"])
				w.connect(who[minor], who["adult"])
			}
			w.connect(who["teen"], who["teen2"])
			id := w.group(who["host"], who["adult"], who["teen"], who["teen2"])
			// A second group without the other side stays as it was.
			alone := w.group(who["host"], who[tt.blocker])

			if _, err := w.svc.Block(ctx, who[tt.blocker].ID, who[tt.other].Handle); err != nil {
				t.Fatal(err)
			}

			got := w.states(who["host"], id)
			for name, a := range who {
				want := safeguard.MemberJoined
				if name == tt.goes {
					want = tt.state
				}
				if got[a.Handle] != want {
					t.Errorf("%s is %q, want %q", name, got[a.Handle], want)
				}
			}
			if st := w.states(who["host"], alone); st[who[tt.blocker].Handle] != safeguard.MemberJoined {
				t.Errorf("the blocker's group without the other changed: %v", st)
			}

			notes := w.rec.take()
			if tt.goes == "" {
				if len(notes) != 0 {
					t.Errorf("a block between adults sent %+v", notes)
				}
				return
			}
			goer := who[tt.goes]
			var toOthers, toGoer, ends int
			for _, n := range notes {
				switch {
				case n.End == messaging.EndMembership && slices.Equal(n.To, []int64{goer.ID}):
					ends++
				case n.Type == safeguard.EventMemberChanged && slices.Equal(n.To, []int64{goer.ID}):
					toGoer++
					if len(n.Conversation.Members) != 1 || n.Conversation.Members[0].AccountID != goer.ID || n.Conversation.Notice != "" {
						t.Errorf("the one who went is told %+v", n.Conversation.Members)
					}
				case n.Type == safeguard.EventMemberChanged:
					toOthers++
					if slices.Contains(n.To, goer.ID) {
						t.Errorf("the one who went gets the full member list: %v", n.To)
					}
					if len(n.To) != 3 {
						t.Errorf("the membership change goes to %v, want the three who stay", n.To)
					}
				default:
					t.Errorf("unexpected notification %+v", n)
				}
			}
			if toOthers != 1 || toGoer != 1 || ends != 1 {
				t.Errorf("notifications: %d to the others, %d to the one who went, %d stream ends; want 1 each", toOthers, toGoer, ends)
			}
			entries, err := w.svc.AuditEntries(ctx, goer.ID, 20)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range entries {
				found = found || e.Action == "conversation.member_"+string(tt.state) && e.Reason == "blocked"
			}
			if !found {
				t.Errorf("the reason is not in the audit log: %+v", entries)
			}
		})
	}
}

func TestMembershipEventsGoToCurrentMembers(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	host := w.account("host", adultBorn)
	stays := w.account("stays", adultBorn)
	leaves := w.account("leaves", adultBorn)
	removed := w.account("removed", adultBorn)
	later := w.account("later", adultBorn)
	id := w.group(host, stays, leaves, removed)

	steps := []struct {
		name string
		do   func() error
		gone *safeguard.Account
		to   []int64
	}{
		{"leave", func() error { _, err := w.svc.Leave(ctx, leaves.ID, id); return err }, leaves, []int64{host.ID, stays.ID, removed.ID}},
		{"remove", func() error { _, err := w.svc.RemoveMember(ctx, host.ID, id, removed.Handle); return err }, removed, []int64{host.ID, stays.ID}},
		{"add", func() error { _, err := w.svc.AddMember(ctx, host.ID, id, later.Handle); return err }, nil, []int64{host.ID, stays.ID, later.ID}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		notes := w.rec.take()
		var full []int64
		for _, n := range notes {
			switch {
			case n.End != "":
				if step.gone == nil || !slices.Equal(n.To, []int64{step.gone.ID}) || n.End != messaging.EndMembership {
					t.Errorf("%s: stream end %+v", step.name, n)
				}
			case step.gone != nil && slices.Equal(n.To, []int64{step.gone.ID}):
				if len(n.Conversation.Members) != 1 {
					t.Errorf("%s: the one who went is told of %d members", step.name, len(n.Conversation.Members))
				}
			default:
				full = append(full, n.To...)
			}
		}
		slices.Sort(full)
		if !slices.Equal(full, step.to) {
			t.Errorf("%s: the member list went to %v, want %v", step.name, full, step.to)
		}
	}
}
