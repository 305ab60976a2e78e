package web_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	"github.com/safeguard-dev/safeguard/internal/store/storetest"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// visibilityStack is a running server (messaging, account reports) over a
// traced store: the store calls each request makes are noted in the trace
// the test arms for it.
type visibilityStack struct {
	*stack
	svc   *messaging.Service
	trace atomic.Pointer[storetest.Trace]
}

func newVisibilityStack(t testing.TB, st store.Store, tweak func(*messaging.Config)) *visibilityStack {
	t.Helper()
	key := make([]byte, media.KeySize)
	rand.Read(key)
	md, err := media.OpenDisk(filepath.Join(t.TempDir(), "media"), key)
	if err != nil {
		t.Fatal(err)
	}
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	st = storetest.Traced(st)
	b := bus.NewLocal()
	cfg := messaging.Config{Argon2: messaging.Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Apps: []string{"chat"}}
	if tweak != nil {
		tweak(&cfg)
	}
	svc, err := messaging.New(cfg, messaging.Deps{Store: st, Media: md, Notify: web.Notifier(b, nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	reportDir := filepath.Join(t.TempDir(), "reports")
	cs, err := cases.New(cases.Config{TestReports: true, PrepareDir: reportDir},
		cases.Deps{Store: st, Media: md, Vault: evidence.New(items, priv, nil), Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reportDir}, Notify: web.Notifier(b, nil), Lookup: svc})
	if err != nil {
		t.Fatal(err)
	}
	vs := &visibilityStack{svc: svc}
	h := web.New(web.Config{AdminToken: adminToken}, svc, b, nil, prometheus.NewRegistry(), web.WithCases(cs)).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tr := vs.trace.Load(); tr != nil {
			r = r.WithContext(storetest.WithTrace(r.Context(), tr))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { b.Close(); srv.Close() })
	vs.stack = &stack{t: t, url: srv.URL, admin: &client.Client{BaseURL: srv.URL, Token: adminToken}, st: st}
	return vs
}

// traced runs fn with a fresh trace armed and returns the store calls the
// server made while answering.
func (s *visibilityStack) traced(fn func()) []string {
	tr := &storetest.Trace{}
	s.trace.Store(tr)
	defer s.trace.Store(nil)
	fn()
	return tr.Calls()
}

func eachVisibility(t *testing.T, fn func(t *testing.T, s *visibilityStack)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newVisibilityStack(t, open(t), nil))
		})
	}
}

// signedUp is a signed-up, logged-in account and the handle sign-up gave it.
type signedUp struct {
	*client.Client
	handle string
	id     int64
}

// signUp signs up an account of the given age, logs it in unless it waits
// for a guardian, and returns it with its handle as sign-up returned it.
func (s *stack) signUp(nickname string, age int) signedUp {
	s.t.Helper()
	ctx := s.t.Context()
	c := client.New(s.url)
	a, err := c.SignUp(ctx, client.SignUpRequest{Handle: nickname, Password: pw, BirthDate: born(age)})
	if err != nil {
		s.t.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, pw); err != nil {
		s.t.Fatalf("log in %s: %v", a.Handle, err)
	}
	return signedUp{Client: c, handle: a.Handle, id: a.ID}
}

// nobody returns a handle shaped like h that no account has.
func (s *stack) nobody(h string) string {
	s.t.Helper()
	for _, c := range "zqxjkw" {
		u := string(c) + h[1:]
		var exists bool
		s.st.View(s.t.Context(), func(tx store.Tx) error {
			_, err := tx.AccountByHandle(s.t.Context(), u)
			exists = err == nil
			return nil
		})
		if !exists {
			return u
		}
	}
	s.t.Fatalf("no free handle like %s", h)
	return ""
}

// sameAnswer checks that two errors are the same API answer: status, code
// and sentence.
func sameAnswer(t *testing.T, what string, unknown, concealed error) {
	t.Helper()
	if unknown == nil || concealed == nil {
		t.Errorf("%s: unknown handle answered %v, concealed account %v; want the same refusal", what, unknown, concealed)
		return
	}
	if diff := cmp.Diff(apiErr(t, unknown), apiErr(t, concealed)); diff != "" {
		t.Errorf("%s: a concealed account answers differently from an unknown handle (-unknown +concealed):\n%s", what, diff)
	}
}

// refusals returns the refusals the audit log holds for actor, as
// "action reason" strings. Reading the audit log waits for the refusals
// still being recorded.
func refusals(t *testing.T, s *stack, actor int64) []string {
	t.Helper()
	entries, err := s.admin.Audit(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.ActorID == actor && e.Action == "policy.refused" {
			action, _, _ := strings.Cut(strings.TrimPrefix(e.Detail, `{"action":"`), `"`)
			out = append(out, action+" "+e.Reason)
		}
	}
	slices.Sort(out)
	return out
}

// TestAttackUnblockRevealsChild replays the finding that DELETE
// /api/v1/blocks/{handle} answered 204 for a young person and 404 for an
// unknown handle, and recorded no refusal: now both get the unknown-handle
// answer, the refusal is recorded, and a block one made can still be lifted.
func TestAttackUnblockRevealsChild(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		adult := s.signUp("unblocker", 35)
		teen := s.signUp("teen", 15)
		child := s.signUp("child", 11) // waits for a guardian
		unknown := s.nobody(teen.handle)

		errUnknown := adult.Unblock(ctx, unknown)
		sameAnswer(t, "unblock a teen", errUnknown, adult.Unblock(ctx, teen.handle))
		sameAnswer(t, "unblock a child waiting for a guardian", errUnknown, adult.Unblock(ctx, child.handle))
		want := []string{"unblock stranger_contact_minor", "unblock stranger_contact_minor"}
		if got := refusals(t, s.stack, adult.id); !slices.Equal(got, want) {
			t.Errorf("refusals recorded = %q, want %q", got, want)
		}

		// A block one made stays one's own to lift.
		other := s.signUp("other", 40)
		if _, err := adult.Block(ctx, other.handle); err != nil {
			t.Fatal(err)
		}
		if err := adult.Unblock(ctx, other.handle); err != nil {
			t.Errorf("lifting one's own block: %v", err)
		}
	})
}

// TestAttackBlockRevealsPendingChild replays the finding that POST
// /api/v1/blocks answered 200 for a child still waiting for a guardian,
// where an unknown handle gets 404.
func TestAttackBlockRevealsPendingChild(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		adult := s.signUp("blocker", 35)
		child := s.signUp("pending", 11)
		teen := s.signUp("teen", 16)
		unknown := s.nobody(child.handle)

		_, errUnknown := adult.Block(ctx, unknown)
		_, errChild := adult.Block(ctx, child.handle)
		_, errTeen := adult.Block(ctx, teen.handle)
		sameAnswer(t, "block a child waiting for a guardian", errUnknown, errChild)
		sameAnswer(t, "block a teen", errUnknown, errTeen)
		want := []string{"block stranger_contact_minor", "block stranger_contact_minor"}
		if got := refusals(t, s.stack, adult.id); !slices.Equal(got, want) {
			t.Errorf("refusals recorded = %q, want %q", got, want)
		}
		cs, err := adult.Contacts(ctx)
		if err != nil || len(cs.Blocked) != 0 {
			t.Errorf("blocked list = %v, %v; want empty", cs, err)
		}
	})
}

// TestAttackEncryptionBeforeVisibility replays the finding that POST
// /api/v1/conversations with a young person and "e2ee":true answered 403
// e2ee_requires_verified_adults, where an unknown handle gets 404: the
// encryption rule was asked before the visibility rule.
func TestAttackEncryptionBeforeVisibility(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		adult := s.signUp("e2ee_adult", 35)
		if _, err := s.admin.SetAgeAssurance(ctx, adult.id, "verified"); err != nil {
			t.Fatal(err)
		}
		friend := s.signUp("e2ee_friend", 36)
		if _, err := s.admin.SetAgeAssurance(ctx, friend.id, "verified"); err != nil {
			t.Fatal(err)
		}
		s.connect(adult.Client, friend.handle, friend.Client)
		teen := s.signUp("teen", 15)
		child := s.signUp("child", 11)
		unknown := s.nobody(teen.handle)

		for _, minor := range []signedUp{teen, child} {
			for name, req := range map[string]client.ConversationRequest{
				"one-to-one":             {Members: []string{minor.handle}, E2EE: true},
				"group":                  {Members: []string{minor.handle}, E2EE: true, Title: "hello"},
				"with a verified friend": {Members: []string{friend.handle, minor.handle}, E2EE: true, Title: "hello"},
			} {
				_, errMinor := adult.CreateConversation(ctx, req)
				req.Members = slices.Clone(req.Members)
				req.Members[len(req.Members)-1] = unknown
				_, errUnknown := adult.CreateConversation(ctx, req)
				sameAnswer(t, "E2EE "+name+" with "+minor.handle, errUnknown, errMinor)
			}
		}
	})
}

// TestAttackRefusalTiming replays the finding that a refusal toward a young
// person ran a write transaction before answering (a median lookup of 0.93
// ms against 0.38 ms for an unknown handle; direct messages, chats and
// account reports alike). Each request naming a young person must make
// exactly the store calls, in the same order, that the same request naming
// a handle nobody has makes; the refusals are still recorded, off the
// request path, with their reason.
func TestAttackRefusalTiming(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		adult := s.signUp("prober", 35)
		if _, err := s.admin.SetAgeAssurance(ctx, adult.id, "verified"); err != nil {
			t.Fatal(err)
		}
		friend := s.signUp("friend", 37)
		s.connect(adult.Client, friend.handle, friend.Client)
		group, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{friend.handle}, Title: "adults"})
		if err != nil {
			t.Fatal(err)
		}
		teen := s.signUp("teen", 14)
		child := s.signUp("child", 10)

		probes := []struct {
			name string
			ask  func(handle string) error
		}{
			{"lookup", func(h string) error { _, err := adult.Lookup(ctx, h); return err }},
			{"contact request", func(h string) error { _, err := adult.RequestContact(ctx, h); return err }},
			{"direct message", func(h string) error { _, err := adult.SendDirect(ctx, h, "hello"); return err }},
			{"conversation", func(h string) error {
				_, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{h}})
				return err
			}},
			{"E2EE conversation", func(h string) error {
				_, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{h}, E2EE: true})
				return err
			}},
			{"group", func(h string) error {
				_, err := adult.CreateConversation(ctx, client.ConversationRequest{Members: []string{friend.handle, h}, Title: "g"})
				return err
			}},
			{"group add", func(h string) error { _, err := adult.AddMember(ctx, group.ID, h); return err }},
			{"block", func(h string) error { _, err := adult.Block(ctx, h); return err }},
			{"unblock", func(h string) error { return adult.Unblock(ctx, h) }},
			{"account report", func(h string) error {
				_, err := adult.Report(ctx, client.ReportRequest{Account: h, Reason: "asked_for_photos"})
				return err
			}},
		}
		var want []string
		for _, minor := range []signedUp{teen, child} {
			unknown := s.nobody(minor.handle)
			for _, p := range probes {
				var errMinor, errUnknown error
				callsMinor := s.traced(func() { errMinor = p.ask(minor.handle) })
				callsUnknown := s.traced(func() { errUnknown = p.ask(unknown) })
				sameAnswer(t, p.name, errUnknown, errMinor)
				if diff := cmp.Diff(callsUnknown, callsMinor); diff != "" {
					t.Errorf("%s: store calls toward a young person differ from an unknown handle's (-unknown +minor):\n%s", p.name, diff)
				}
				if len(callsMinor) == 0 || !slices.Contains(callsMinor, "AccountByHandle") {
					t.Errorf("%s: no lookup by handle traced: %q", p.name, callsMinor)
				}
				for _, write := range []string{"RecordRefusal", "Audit", "AppendEvent"} {
					if slices.Contains(callsMinor, write) {
						t.Errorf("%s: %s on the request path: %q", p.name, write, callsMinor)
					}
				}
			}
			want = append(want, "contact_request stranger_contact_minor", "conversation stranger_contact_minor",
				"conversation stranger_contact_minor", "conversation stranger_contact_minor", "conversation stranger_contact_minor",
				"group_add stranger_contact_minor", "block stranger_contact_minor", "unblock stranger_contact_minor",
				"lookup stranger_contact_minor", "lookup stranger_contact_minor") // the lookup and the account report's
		}
		slices.Sort(want)

		// Recorded all the same, off the request path: the audit entry with
		// its reason, the refusal the risk rules count.
		if got := refusals(t, s.stack, adult.id); !slices.Equal(got, want) {
			t.Errorf("refusals recorded:\n%s", cmp.Diff(want, got))
		}
		var minors int
		err = s.st.View(ctx, func(tx store.Tx) (err error) {
			minors, err = tx.RefusedMinors(ctx, adult.id, time.Time{})
			return err
		})
		if err != nil || minors != 2 {
			t.Errorf("distinct minors refused = %d, %v; want 2", minors, err)
		}
		if st := s.svc.RefusalStats(); st.Dropped != 0 || st.Written != int64(len(want)) {
			t.Errorf("refusal log = %+v, want %d written, none dropped", st, len(want))
		}
	})
}

// TestAttackBlockContactRevealsRequest replays a probe by contact ID: POST
// /api/v1/contacts/{id}/block on a request a child made that still waits
// for the child's guardian (not yet shown to the adult asked) answered 404
// account_not_found, where an ID that is not the adult's answers 404
// not_found — so counting through IDs found the children who had asked. And
// an adult could not block a young person whose request they had been shown.
func TestAttackBlockContactRevealsRequest(t *testing.T) {
	eachVisibility(t, func(t *testing.T, s *visibilityStack) {
		ctx := t.Context()
		adult := s.signUp("asked", 35)

		// A teen's request, shown to the adult: the adult can block it.
		teen := s.signUp("teen", 15)
		req, err := teen.RequestContact(ctx, adult.handle)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := adult.BlockContact(ctx, req.ID); err != nil {
			t.Errorf("blocking a young person's request one was shown: %v", err)
		}

		// A child's request waiting for the guardian is not the adult's yet.
		guardian := s.signUp("guardian", 40)
		if _, err := s.admin.SetAgeAssurance(ctx, guardian.id, "verified"); err != nil {
			t.Fatal(err)
		}
		c := client.New(s.url)
		child, err := c.SignUp(ctx, client.SignUpRequest{Handle: "kid", Password: pw, BirthDate: born(10)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := guardian.LinkGuardian(ctx, child.GuardianCode); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Login(ctx, child.Handle, pw); err != nil {
			t.Fatal(err)
		}
		waiting, err := c.RequestContact(ctx, adult.handle)
		if err != nil || waiting.State != "awaiting_guardian" {
			t.Fatalf("child's request: %+v, %v", waiting, err)
		}
		_, errWaiting := adult.BlockContact(ctx, waiting.ID)
		_, errNone := adult.BlockContact(ctx, waiting.ID+1000)
		sameAnswer(t, "block a request waiting for a guardian", errNone, errWaiting)
	})
}
