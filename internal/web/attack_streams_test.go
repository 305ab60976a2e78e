package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now().UTC(), timers: map[*fakeTimer]bool{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) At(at time.Time) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &fakeTimer{at: at, ch: make(chan time.Time, 1)}
	if !c.now.Before(at) {
		tm.ch <- c.now
		return tm.ch, func() bool { return false }
	}
	c.timers[tm] = true
	return tm.ch, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := c.timers[tm]
		delete(c.timers, tm)
		return was
	}
}

// Advance moves the clock on by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for tm := range c.timers {
		if !c.now.Before(tm.at) {
			tm.ch <- c.now
			delete(c.timers, tm)
		}
	}
}

// streamStack is a running server with the cases service (moderators
// suspend accounts), a clock the test moves, and the given stream caps.
type streamStack struct {
	*stack
	clock *fakeClock
	cs    *cases.Service
}

const streamSessionTTL = time.Hour

func newStreamStack(t *testing.T, st store.Store, cfg web.Config) *streamStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, _ := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	items, _ := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	clock := newFakeClock()
	b := bus.NewLocal()
	svc, err := messaging.New(messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, SessionTTL: streamSessionTTL},
		messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	reportDir := filepath.Join(t.TempDir(), "reports")
	cs, err := cases.New(cases.Config{TestReports: true, PrepareDir: reportDir},
		cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, nil), Lookup: svc})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AdminToken = adminToken
	srv := httptest.NewServer(web.New(cfg, svc, b, nil, prometheus.NewRegistry(), web.WithCases(cs), web.WithClock(clock)).Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	s := &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st}
	return &streamStack{stack: s, clock: clock, cs: cs}
}

func eachStream(t *testing.T, cfg web.Config, fn func(t *testing.T, s *streamStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStreamStack(t, open(t), cfg))
		})
	}
}

// stream opens a live event stream of c.
func stream(t *testing.T, c *client.Client) <-chan client.Event {
	t.Helper()
	ev, err := c.Events(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// nextMessage reads a stream up to the next message, which must come.
func nextMessage(t *testing.T, events <-chan client.Event, what string) {
	t.Helper()
	eventsUntil(t, events, what, func(ev client.Event) bool { return ev.Type == "message.created" })
}

// endsWith checks that a stream ended with the final event typ and
// delivered no message first.
func endsWith(t *testing.T, events <-chan client.Event, what, typ string) {
	t.Helper()
	got := streamEnd(t, events, what)
	if len(got) == 0 || got[len(got)-1].Type != typ {
		t.Errorf("%s: the stream ended after %s, want it to end with %s", what, types(got), typ)
	}
	for _, ev := range got {
		if ev.Type == "message.created" {
			b, _ := json.Marshal(ev)
			t.Errorf("%s: the stream delivered a message: %s", what, b)
		}
	}
}

// TestStreamEndsAtLogout replays the finding that a live event stream
// opened before logout kept delivering messages after it.
func TestStreamEndsAtLogout(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		adult, handle := s.newMember("lo_adult", 35)
		friend, _ := s.newMember("lo_friend", 36)
		elsewhere := client.New(s.url) // the same account, logged in on another device
		if _, err := elsewhere.Login(ctx, handle, pw); err != nil {
			t.Fatal(err)
		}
		events := stream(t, adult)
		other := stream(t, elsewhere)
		if err := adult.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := friend.SendDirect(ctx, handle, "are you there? (synthetic)"); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the logged-out session's stream", "session.ended")
		// The other session's stream goes on.
		nextMessage(t, other, "the other session's stream")
	})
}

// TestStreamEndsAtSuspension replays the finding that a stream opened
// before a moderator suspended the account kept delivering messages.
func TestStreamEndsAtSuspension(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		suspect, handle := s.newMember("su_adult", 35)
		friend, _ := s.newMember("su_friend", 36)
		conv, err := friend.CreateConversation(ctx, client.ConversationRequest{Members: []string{handle}, Title: "quiz night"})
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, suspect)
		if _, err := friend.Report(ctx, client.ReportRequest{Account: handle, Reason: "mean_or_threatening"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cs.Process(ctx); err != nil {
			t.Fatal(err)
		}
		queue, err := s.admin.AdminCases(ctx)
		if err != nil || len(queue) != 1 {
			t.Fatalf("cases: %d %v", len(queue), err)
		}
		if _, err := s.admin.AdminCaseAction(ctx, queue[0].ID, "decide", client.CaseAction{Moderator: "mod_a", Decision: "suspend", Reason: "threats"}); err != nil {
			t.Fatal(err)
		}
		if _, err := friend.SendText(ctx, conv.ID, "quiz at eight (synthetic)"); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the suspended account's stream", "session.ended")
	})
}

// TestStreamEndsAtExpiry replays the finding that a stream outlived its
// session's expiry.
func TestStreamEndsAtExpiry(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		adult, handle := s.newMember("ex_adult", 35)
		friend, _ := s.newMember("ex_friend", 36)
		events := stream(t, adult)
		if _, err := friend.SendDirect(ctx, handle, "before (synthetic)"); err != nil {
			t.Fatal(err)
		}
		nextMessage(t, events, "the stream before expiry")
		s.clock.Advance(streamSessionTTL)
		endsWith(t, events, "the expired session's stream", "session.ended")
		if _, err := adult.Me(ctx); httpStatus(err) != 401 {
			t.Errorf("the expired session still works: %v", err)
		}
	})
}

// TestStreamEndsAtRemoval replays the finding that a stream kept running
// for a member removed from a group: it now ends, after telling the member
// of the removal, so that the client reconnects with what it is still in.
func TestStreamEndsAtRemoval(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		owner, _ := s.newMember("rv_owner", 40)
		member, handle := s.newMember("rv_member", 35)
		conv, err := owner.CreateConversation(ctx, client.ConversationRequest{Members: []string{handle}, Title: "choir"})
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, member)
		if _, err := owner.RemoveMember(ctx, conv.ID, handle); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.SendText(ctx, conv.ID, "rehearsal moved (synthetic)"); err != nil {
			t.Fatal(err)
		}
		got := streamEnd(t, events, "the removed member's stream")
		if len(got) != 2 || got[0].Type != "conversation.member" || got[1].Type != "resync" {
			t.Errorf("the removed member's stream carried %s, want [conversation.member resync]", types(got))
		}
	})
}

// TestStreamsPerAccountAreCapped replays the finding that one account could
// open thousands of streams. Over the cap, the oldest stream ends.
func TestStreamsPerAccountAreCapped(t *testing.T) {
	eachStream(t, web.Config{MaxStreamsPerAccount: 2}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		adult, handle := s.newMember("cap_adult", 35)
		friend, _ := s.newMember("cap_friend", 36)
		oldest := stream(t, adult)
		kept := []<-chan client.Event{stream(t, adult), stream(t, adult)}
		if _, err := friend.SendDirect(ctx, handle, "hello (synthetic)"); err != nil {
			t.Fatal(err)
		}
		endsWith(t, oldest, "the oldest stream over the cap", "stream.replaced")
		for _, ev := range kept {
			nextMessage(t, ev, "a stream within the cap")
		}
	})
}

// TestStreamsPerAddressAreCapped is the same finding for many accounts
// from one address: over the per-address cap, the oldest stream from that
// address ends.
func TestStreamsPerAddressAreCapped(t *testing.T) {
	eachStream(t, web.Config{MaxStreamsPerAccount: 2, MaxStreamsPerAddress: 3}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		a, aHandle := s.newMember("addr_a", 35)
		b, bHandle := s.newMember("addr_b", 36)
		friend, _ := s.newMember("addr_friend", 37)
		oldest := stream(t, a)
		keptA := stream(t, a)
		keptB := []<-chan client.Event{stream(t, b), stream(t, b)}
		if _, err := friend.SendDirect(ctx, aHandle, "hello a (synthetic)"); err != nil {
			t.Fatal(err)
		}
		if _, err := friend.SendDirect(ctx, bHandle, "hello b (synthetic)"); err != nil {
			t.Fatal(err)
		}
		endsWith(t, oldest, "the oldest stream from the address", "stream.replaced")
		for _, ev := range append(keptB, keptA) {
			nextMessage(t, ev, "a stream within the cap")
		}
	})
}

// TestStreamEndsAtSuspensionAfterMatch is the same finding for a
// suspension after an adult sent a known image. The match itself changes
// nothing the sender can see (the sender is held silently): the stream goes
// on, and ends when a moderator decides to suspend.
func TestStreamEndsAtSuspensionAfterMatch(t *testing.T) {
	eachCase(t, func(t *testing.T, cs *caseStack) {
		s := cs.stack
		ctx := t.Context()
		teen, teenHandle := s.newMember("om_teen", 15)
		adult, adultHandle := s.newMember("om_adult", 35)
		s.connect(teen, adultHandle, adult)
		conv, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{teenHandle}})
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, adult)
		if _, err := adult.SendImage(ctx, conv.ID, "beach.png", "image/png", lawreporttest.Image(7), ""); err != nil {
			t.Fatal(err)
		}
		nextMessage(t, events, "the sender's own image, shown as sent")
		cs.process(t)
		if me, err := adult.Me(ctx); err != nil || me.Status != "active" {
			t.Fatalf("the sender sees %+v %v after the match, want their account as it was", me, err)
		}
		if _, err := adult.SendText(ctx, conv.ID, "still there? (synthetic)"); err != nil {
			t.Fatal(err)
		}
		nextMessage(t, events, "the stream after the match")
		queue := cs.cases(t)
		if len(queue) != 1 {
			t.Fatalf("queue = %v", queue)
		}
		id := queue[0].ID
		if _, err := cs.admin.AdminCaseAction(ctx, id, "decide", client.CaseAction{Moderator: "mod_a", Decision: "suspend", Reason: "known image"}); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the stream of an account suspended after a match", "session.ended")
	})
}

// TestStreamEndsWhenSessionGoesUnannounced checks the heartbeat's guard: a
// session deleted by a path that announces nothing (another server, an
// operator in the database) still ends its streams within a heartbeat.
func TestStreamEndsWhenSessionGoesUnannounced(t *testing.T) {
	eachStream(t, web.Config{SSEHeartbeat: 20 * time.Millisecond}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		adult, _ := s.newMember("hb_adult", 35)
		me, err := adult.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		events := stream(t, adult)
		if err := s.st.Update(ctx, func(tx store.Tx) error { return tx.DeleteSessions(ctx, me.ID) }); err != nil {
			t.Fatal(err)
		}
		endsWith(t, events, "the stream of a session deleted in the store", "session.ended")
	})
}

// TestResumedStreamShowsNothingHidden: a stream resumed from an earlier
// event replays what the account's history shows now, not what it showed
// when the events were published: a message from someone the teen has
// since blocked is not replayed; one from a contact still is.
func TestResumedStreamShowsNothingHidden(t *testing.T) {
	eachStream(t, web.Config{}, func(t *testing.T, s *streamStack) {
		ctx := t.Context()
		teen := s.user("rs_teen", 15, "Bedford")
		pushy := s.user("rs_pushy", 40, "Bedford")
		aunt := s.user("rs_aunt", 45, "Bedford")
		s.connect(teen, s.h("rs_pushy"), pushy)
		s.connect(teen, s.h("rs_aunt"), aunt)
		withPushy, err := pushy.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rs_teen")}})
		if err != nil {
			t.Fatal(err)
		}
		withAunt, err := aunt.CreateConversation(ctx, client.ConversationRequest{Members: []string{s.h("rs_teen")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pushy.SendText(ctx, withPushy.ID, "hello"); err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		events, err := teen.Events(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := teen.SendText(ctx, withAunt.ID, "the stream is open"); err != nil {
			t.Fatal(err)
		}
		seen := eventsUntil(t, events, "the teen's own message", func(ev client.Event) bool {
			return ev.Type == "message.created" && ev.Message.Text == "the stream is open"
		})
		cancel() // the teen goes offline; her client keeps the last ID it read
		last := seen[len(seen)-1].ID

		if _, err := pushy.SendText(ctx, withPushy.ID, "are you alone"); err != nil {
			t.Fatal(err)
		}
		if _, err := aunt.SendText(ctx, withAunt.ID, "lunch on sunday"); err != nil {
			t.Fatal(err)
		}
		if _, err := teen.Block(ctx, s.h("rs_pushy")); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(time.Minute) // she comes back a minute later

		teen.SetLastEventID(last) // what her client read, whatever came after the cancel
		events, err = teen.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		eventsUntil(t, events, "the aunt's message", func(ev client.Event) bool {
			if ev.Message != nil {
				got = append(got, ev.Type+": "+ev.Message.Text)
			}
			return ev.Type == "message.created" && ev.Message.Text == "lunch on sunday"
		})
		for _, g := range got {
			if strings.Contains(g, "are you alone") {
				t.Fatalf("the resumed stream replayed a message from the account she blocked: %q", got)
			}
		}

		// A sender who deleted their account since is replayed as the
		// history shows them: a deleted account, no handle.
		sctx, cancel = context.WithCancel(ctx)
		events, err = teen.Events(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := teen.SendText(ctx, withAunt.ID, "back again"); err != nil {
			t.Fatal(err)
		}
		seen = eventsUntil(t, events, "the teen's own message", func(ev client.Event) bool {
			return ev.Type == "message.created" && ev.Message.Text == "back again"
		})
		cancel()
		last = seen[len(seen)-1].ID
		if _, err := aunt.SendText(ctx, withAunt.ID, "bye for now"); err != nil {
			t.Fatal(err)
		}
		if _, err := aunt.DeleteAccount(ctx, pw); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(time.Minute)
		teen.SetLastEventID(last)
		events, err = teen.Events(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var evs []client.Event
		deadline := time.After(5 * time.Second)
	read:
		for {
			select {
			case ev := <-events:
				evs = append(evs, ev)
				if ev.Type == "message.created" && ev.Message.Text == "bye for now" {
					break read
				}
			case <-deadline:
				t.Fatalf("the message of the deleted account never came; the stream gave %+v", evs)
			}
		}
		if m := evs[len(evs)-1].Message; m.Sender != "" || !m.SenderDeleted {
			t.Errorf("replayed from a deleted account: sender %q, deleted %v", m.Sender, m.SenderDeleted)
		}
	})
}
