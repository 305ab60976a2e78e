package riskscan

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
	"github.com/safeguard-dev/safeguard/internal/safety/safetytest"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// notes records the notifications the scanner sends.
type notes struct {
	mu   sync.Mutex
	list []messaging.Notification
}

func (n *notes) Notify(_ context.Context, note messaging.Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, note)
}

func (n *notes) take() []messaging.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.list
	n.list = nil
	return out
}

// world is a store with accounts, contacts and conversations made directly,
// and a risk scanner over it.
type world struct {
	*safetytest.World
	t     testing.TB
	st    store.Store
	risk  *Scanner
	notes *notes
}

func newWorld(t testing.TB, cfg Config) *world {
	t.Helper()
	st := openSQLite(t)
	n := &notes{}
	r, err := New(cfg, Deps{Store: st, Notify: n})
	if err != nil {
		t.Fatal(err)
	}
	return &world{World: safetytest.New(t, st, t0), t: t, st: st, risk: r, notes: n}
}

// t0 is the tests' clock's start.
var t0 = time.Date(2026, time.March, 14, 15, 9, 26, 0, time.UTC)

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// send scans and delivers a text message.
func (w *world) send(c *safeguard.Conversation, from *safeguard.Account, to []*safeguard.Account, text string, at time.Time) *safeguard.Message {
	w.t.Helper()
	ct := safetytest.Content(c, from, to, text, at)
	v, err := w.risk.Scan(w.t.Context(), ct)
	if err != nil {
		w.t.Fatalf("Scan(%q): %v", text, err)
	}
	if v.Hold {
		w.t.Errorf("the risk scanner held %q", text)
	}
	return w.Deliver(ct, v)
}

func (w *world) state(convID int64) (*risk.Conversation, int64) {
	w.t.Helper()
	var st risk.Conversation
	var v int64
	err := w.st.View(w.t.Context(), func(tx store.Tx) error {
		b, ver, err := tx.RiskState(w.t.Context(), convID)
		if err != nil {
			return err
		}
		v = ver
		return json.Unmarshal(b, &st)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return &st, v
}

func TestRiskAlertsOnceWithNotice(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := t.Context()
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0.AddDate(0, -2, 0)) // an established contact
	c := w.Conversation(false, adult, teen)

	w.send(c, adult, []*safeguard.Account{teen}, "hey how was school today", t0.Add(time.Minute))
	w.send(c, teen, []*safeguard.Account{adult}, "good thanks", t0.Add(2*time.Minute))
	w.send(c, adult, []*safeguard.Account{teen}, "send me a pic", t0.Add(3*time.Minute))
	if ds := w.Detections(c.ID); len(ds) != 0 || len(w.notes.take()) != 0 {
		t.Fatalf("an established contact's plain request alerted: %d detections", len(ds))
	}
	m := w.send(c, adult, []*safeguard.Account{teen}, "dont tell anyone about our chats", t0.Add(4*time.Minute))
	ds := w.Detections(c.ID)
	if len(ds) != 1 {
		t.Fatalf("%d detections after the secrecy request, want 1", len(ds))
	}
	d := ds[0]
	if d.Source != safeguard.RiskRule || d.MessageID != m.ID || d.SenderID != adult.ID || d.Severity != "critical" || d.Category != "grooming" ||
		d.ContentKey != "conversation:"+strconv.FormatInt(c.ID, 10) || d.Held || d.ConversationE2EE ||
		len(d.RecipientIDs) != 1 || d.RecipientIDs[0] != teen.ID || len(d.Members) != 2 {
		t.Errorf("detection: %+v", d)
	}
	if strings.Contains(d.Summary, "secret") || !strings.Contains(d.Summary, "grooming.image_request.secrecy") {
		t.Errorf("summary %q: names the rule, never the text", d.Summary)
	}
	var detail safeguard.RiskAlert
	if err := json.Unmarshal(d.Detail, &detail); err != nil {
		t.Fatal(err)
	}
	// The fourth message: index 3 in the detail, message 4 in words, as
	// people count and as the console numbers it.
	if detail.MessageIndex != 3 || !strings.HasSuffix(d.Summary, " at message 4 of the conversation") {
		t.Errorf("index %d, summary %q: want index 3, message 4", detail.MessageIndex, d.Summary)
	}
	if detail.RuleSetVersion != w.risk.RuleSet().Version() || len(detail.Rules) != 1 || detail.Rules[0].ID != "grooming.image_request.secrecy" ||
		detail.MessageIndex != 3 || detail.Notice != "risk_warning" || len(detail.NoticeTo) != 1 {
		t.Errorf("detail: %+v", detail)
	}
	names := map[string]bool{}
	for _, s := range detail.Signals {
		names[s.Name] = true
	}
	if !names["image_request"] || !names["secrecy"] {
		t.Errorf("detail signals %+v lack the request and the secrecy", detail.Signals)
	}
	if len(detail.Members) != 2 || detail.Members[0].Role != "sender" || detail.Members[0].AccountID != adult.ID ||
		detail.Members[0].Connected == nil || !*detail.Members[0].Connected || detail.Members[0].DeclaredAge != 35 ||
		detail.Members[0].RefusedMinorAttempts == nil || detail.Members[1].Role != "recipient" || detail.Members[1].DeclaredAge != 13 ||
		detail.Members[0].ContactOrigin != originMinor {
		t.Errorf("detail members: %+v", detail.Members)
	}

	// The teen, and only the teen, is shown the notice.
	ns := w.notes.take()
	if len(ns) != 1 || ns[0].Type != safeguard.EventSafetyNotice || ns[0].Notice != "risk_warning" ||
		len(ns[0].To) != 1 || ns[0].To[0] != teen.ID || ns[0].Message == nil || ns[0].Message.ID != m.ID {
		t.Errorf("notifications: %+v", ns)
	}
	// The outbox has the event that opens a case, and the notice.
	var types []string
	w.st.View(ctx, func(tx store.Tx) error {
		evs, err := tx.Events(ctx, 0, 100)
		for _, e := range evs {
			if e.MessageID == m.ID {
				types = append(types, e.Type)
				if e.Type == safeguard.EventDetection && string(e.Payload) != `{"detection_id":`+strconv.FormatInt(d.ID, 10)+`}` {
					t.Errorf("detection event payload %s", e.Payload)
				}
				if e.Type == safeguard.EventSafetyNotice && e.AccountID != teen.ID {
					t.Errorf("notice event for account %d", e.AccountID)
				}
			}
		}
		return err
	})
	if strings.Join(types, ",") != "detection.created,safety.notice" {
		t.Errorf("outbox events of the message: %q", types)
	}

	// The rule keeps firing on later messages; it is not a new alert.
	w.send(c, adult, []*safeguard.Account{teen}, "send me another pic", t0.Add(5*time.Minute))
	if ds := w.Detections(c.ID); len(ds) != 1 || len(w.notes.take()) != 0 {
		t.Errorf("a rule firing again made %d detections", len(ds))
	}
	if st, _ := w.state(c.ID); st.Messages != 5 {
		t.Errorf("state of %d messages, want 5", st.Messages)
	}
}

func TestRiskConnectedFacts(t *testing.T) {
	tests := []struct {
		name     string
		accepted time.Time // when the contact was accepted; the conversation begins at t0
		guardian bool
		text     string
		want     bool
	}{
		// A plain request for a picture alerts from a stranger alone.
		{"contact made the day the chat began", t0.Add(-time.Hour), false, "send me a pic", true},
		{"contact of six days", t0.AddDate(0, 0, -6), false, "send me a pic", true},
		{"contact of eight days", t0.AddDate(0, 0, -8), false, "send me a pic", false},
		{"guardian", t0.Add(-time.Hour), true, "send me a pic", false},
		// A request for a picture of the child alerts from a contact too;
		// a guardian link changes what it means.
		{"contact of eight days, a picture of the child", t0.AddDate(0, 0, -8), false, "send me a pic of you", true},
		{"guardian, a picture of the child", t0.AddDate(0, 0, -8), true, "send me a pic of you", false},
		// Secrecy from carers is never silenced by a guardian link.
		{"guardian, secrecy", t0.AddDate(0, 0, -8), true, "dont tell your mum we talk, its our secret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Config{})
			adult, child := w.Account("adult", 40), w.Account("kid", 11)
			if tt.guardian {
				child.GuardianID = adult.ID
				w.Update(func(tx store.Tx) error { return tx.UpdateAccount(t.Context(), child) })
			}
			w.Connect(child, adult, tt.accepted)
			c := w.Conversation(false, adult, child)
			w.send(c, adult, []*safeguard.Account{child}, tt.text, t0.Add(time.Minute))
			ds := w.Detections(c.ID)
			if got := len(ds) == 1; got != tt.want {
				t.Fatalf("alert = %v, want %v (%d detections)", got, tt.want, len(ds))
			}
			if tt.want && ds[0].Category != "grooming" {
				t.Errorf("detection %+v", ds[0])
			}
		})
	}
}

func TestRiskNothingForAParentAskingForHomework(t *testing.T) {
	w := newWorld(t, Config{})
	parent, child := w.Account("parent", 40), w.Account("kid", 11)
	child.GuardianID = parent.ID
	w.Update(func(tx store.Tx) error { return tx.UpdateAccount(t.Context(), child) })
	w.Connect(child, parent, t0)
	c := w.Conversation(false, parent, child)
	w.send(c, parent, []*safeguard.Account{child}, "can you send me a photo of your homework please", t0.Add(time.Minute))
	w.send(c, parent, []*safeguard.Account{child}, "send me a picture of your maths homework so I can help", t0.Add(2*time.Minute))
	if ds := w.Detections(c.ID); len(ds) != 0 {
		t.Errorf("detections: %+v", ds)
	}
	if ns := w.notes.take(); len(ns) != 0 {
		t.Errorf("notices: %+v", ns)
	}
	if st, _ := w.state(c.ID); st.Messages != 2 {
		t.Errorf("state of %d messages, want 2: scored and kept", st.Messages)
	}
}

func TestRiskNotScored(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := t.Context()
	a, b := w.Account("a", 30), w.Account("b", 31)
	w.Connect(a, b, t0.AddDate(0, 0, -1))
	adults := w.Conversation(false, a, b)
	w.send(adults, a, []*safeguard.Account{b}, "send me a pic, dont tell anyone, its our secret", t0)
	teen, d := w.Account("teen", 14), w.Account("d", 32)
	encrypted := w.Conversation(true, a, d) // never with a minor; even so, never scanned
	ct := safetytest.Content(encrypted, a, []*safeguard.Account{teen}, "send me a pic, its our secret", t0)
	if v, err := w.risk.Scan(ctx, ct); err != nil || v.Record != nil || v.After != nil || v.Hold {
		t.Errorf("E2EE conversation scanned: %+v %v", v, err)
	}
	w.st.View(ctx, func(tx store.Tx) error {
		for _, id := range []int64{adults.ID, encrypted.ID} {
			if _, _, err := tx.RiskState(ctx, id); !errors.Is(err, safeguard.ErrNotFound) {
				t.Errorf("conversation %d has a risk state: %v", id, err)
			}
		}
		return nil
	})
	for _, k := range w.risk.Counters() {
		if k.Evaluated != 0 {
			t.Errorf("rule %s evaluated %d times", k.ID, k.Evaluated)
		}
	}
}

func TestRiskShadowRuleCountedOnly(t *testing.T) {
	w := newWorld(t, Config{})
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0)
	c := w.Conversation(false, adult, teen)
	w.send(c, adult, []*safeguard.Account{teen}, "how old are you", t0.Add(time.Minute))
	if ds := w.Detections(c.ID); len(ds) != 0 || len(w.notes.take()) != 0 {
		t.Errorf("a shadow rule acted: %+v", ds)
	}
	fired := map[string]int64{}
	for _, k := range w.risk.Counters() {
		fired[k.ID] = k.Fired
		if k.Evaluated != 1 {
			t.Errorf("rule %s evaluated %d times, want 1", k.ID, k.Evaluated)
		}
	}
	if fired["grooming.age_probe.stranger"] != 1 {
		t.Errorf("shadow rule fired %d times, want 1", fired["grooming.age_probe.stranger"])
	}
}

func TestRiskRefusedMinors(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := t.Context()
	adult, teen := w.Account("adult", 35), w.Account("teen", 14)
	w.Update(func(tx store.Tx) error {
		for i, at := range []time.Time{t0.AddDate(0, 0, -40), t0.AddDate(0, 0, -2), t0.AddDate(0, 0, -1), t0.Add(-time.Hour), t0.Add(-time.Minute)} {
			to := int64(1000 + i)
			if i == 4 {
				to = 1003 // the same minor twice counts once
			}
			if err := tx.RecordRefusal(ctx, &safeguard.Refusal{At: at, FromID: adult.ID, ToID: to, Action: "contact_request",
				Reason: "stranger_contact_minor", ToMinor: true, FromBand: safeguard.Adult}); err != nil {
				return err
			}
		}
		return nil
	})
	w.Connect(teen, adult, t0.AddDate(0, -1, 0))
	c := w.Conversation(false, adult, teen)
	w.send(c, adult, []*safeguard.Account{teen}, "hello", t0.Add(time.Minute))
	ds := w.Detections(c.ID)
	if len(ds) != 1 || !strings.Contains(ds[0].Summary, "contact.many_minors") || ds[0].Severity != "medium" {
		t.Fatalf("detections: %+v", ds)
	}
	var detail safeguard.RiskAlert
	json.Unmarshal(ds[0].Detail, &detail)
	if n := detail.Members[0].RefusedMinorAttempts; n == nil || *n != 3 {
		t.Errorf("refused attempts in the last 30 days: %v, want 3", n)
	}
}

// TestRiskCorrectedAge: when an operator corrects a sender's date of birth
// from a teen's to an adult's, the next message is scored with the adult's
// facts, not the teen's kept in the facts cache.
func TestRiskCorrectedAge(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := t.Context()
	sam, teen := w.Account("sam", 16), w.Account("teen", 14)
	w.Update(func(tx store.Tx) error {
		for i := range 3 {
			if err := tx.RecordRefusal(ctx, &safeguard.Refusal{At: t0.Add(-time.Duration(i+1) * time.Hour), FromID: sam.ID, ToID: int64(2000 + i),
				Action: "contact_request", Reason: "stranger_contact_minor", ToMinor: true, FromBand: safeguard.Adult}); err != nil {
				return err
			}
		}
		return nil
	})
	w.Connect(teen, sam, t0.AddDate(0, -1, 0))
	c := w.Conversation(false, sam, teen)
	w.send(c, sam, []*safeguard.Account{teen}, "hello", t0.Add(time.Minute))
	if ds := w.Detections(c.ID); len(ds) != 0 {
		t.Fatalf("a teen's message alerted: %+v", ds)
	}
	sam.BirthDate = safeguard.DateOf(t0.AddDate(-35, 0, -1)) // corrected, within the facts' minute
	w.send(c, sam, []*safeguard.Account{teen}, "hello again", t0.Add(time.Minute+10*time.Second))
	ds := w.Detections(c.ID)
	if len(ds) != 1 || !strings.Contains(ds[0].Summary, "contact.many_minors") {
		t.Fatalf("the corrected adult's next message: %+v", ds)
	}
}

func TestRiskGroupRecipientIsTheYoungest(t *testing.T) {
	w := newWorld(t, Config{})
	aunt, uncle, nephew, niece := w.Account("aunt", 45), w.Account("uncle", 47), w.Account("nephew", 16), w.Account("niece", 13)
	for _, m := range []*safeguard.Account{nephew, niece} {
		w.Connect(m, aunt, t0.AddDate(-1, 0, 0))
		w.Connect(m, uncle, t0.AddDate(-1, 0, 0))
	}
	w.Connect(niece, nephew, t0.AddDate(-1, 0, 0))
	c := w.Conversation(false, aunt, uncle, nephew, niece)
	w.send(c, uncle, []*safeguard.Account{aunt, nephew, niece}, "pay me £100 or ill send your pics to all your friends", t0.Add(time.Minute))
	ds := w.Detections(c.ID)
	if len(ds) != 1 || ds[0].Category != "sextortion" {
		t.Fatalf("detections: %+v", ds)
	}
	var detail safeguard.RiskAlert
	json.Unmarshal(ds[0].Detail, &detail)
	if detail.Members[1].AccountID != niece.ID || detail.Members[1].Role != "recipient" || detail.Notice != "sextortion_warning" {
		t.Errorf("detail: %+v", detail)
	}
	ns := w.notes.take()
	if len(ns) != 1 || len(ns[0].To) != 2 || ns[0].Notice != "sextortion_warning" {
		t.Fatalf("notices: %+v", ns)
	}
	for _, id := range ns[0].To {
		if id != nephew.ID && id != niece.ID {
			t.Errorf("an adult (%d) was shown the minors' notice", id)
		}
	}
}

func TestRiskHeldMessageShowsNoNotice(t *testing.T) {
	w := newWorld(t, Config{})
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0)
	c := w.Conversation(false, adult, teen)
	ct := safetytest.Content(c, adult, []*safeguard.Account{teen}, "send me a pic of you", t0.Add(time.Minute))
	v, err := w.risk.Scan(t.Context(), ct)
	if err != nil {
		t.Fatal(err)
	}
	v.Hold = true // another scanner held the message
	w.Deliver(ct, v)
	ds := w.Detections(c.ID)
	if len(ds) != 1 || !ds[0].Held {
		t.Errorf("detections: %+v", ds)
	}
	if ns := w.notes.take(); len(ns) != 0 {
		t.Errorf("notice for a message the teen never got: %+v", ns)
	}
}

// TestRiskConcurrentMessages scores two messages of one conversation against
// the same stored state, as two requests at once do: the second to save
// scores again against the first's state, and nothing is lost.
func TestRiskConcurrentMessages(t *testing.T) {
	w := newWorld(t, Config{})
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0.AddDate(0, -2, 0))
	c := w.Conversation(false, adult, teen)
	first := safetytest.Content(c, adult, []*safeguard.Account{teen}, "send me a pic", t0.Add(time.Minute))
	second := safetytest.Content(c, adult, []*safeguard.Account{teen}, "if you really trusted me you would", t0.Add(time.Minute))
	v1, err := w.risk.Scan(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := w.risk.Scan(t.Context(), second)
	if err != nil {
		t.Fatal(err)
	}
	w.Deliver(first, v1)
	w.Deliver(second, v2)
	if st, _ := w.state(c.ID); st.Messages != 2 || st.Members[strconv.FormatInt(adult.ID, 10)].Messages != 2 {
		t.Errorf("state %+v", st)
	}
	// Scored together, the request and the pressure are grooming.
	if ds := w.Detections(c.ID); len(ds) != 1 || ds[0].Severity != "high" {
		t.Errorf("detections: %+v", ds)
	}
}

// TestRiskStateCache checks that the state kept in memory is only a hint: a
// state whose transaction rolled back, or one another server moved past, is
// read again from the store.
func TestRiskStateCache(t *testing.T) {
	w := newWorld(t, Config{})
	ctx := t.Context()
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0.AddDate(0, -2, 0))
	c := w.Conversation(false, adult, teen)
	to := []*safeguard.Account{teen}

	// A message whose transaction fails after the scanner saved its state.
	ct := safetytest.Content(c, adult, to, "send me a pic", t0.Add(time.Minute))
	v, err := w.risk.Scan(ctx, ct)
	if err != nil {
		t.Fatal(err)
	}
	errLater := errors.New("a later step failed")
	err = w.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateMessage(ctx, ct.Message); err != nil {
			return err
		}
		if err := v.Record(ctx, tx, ct.Message); err != nil {
			return err
		}
		return errLater
	})
	if !errors.Is(err, errLater) {
		t.Fatal(err)
	}
	w.send(c, adult, to, "if you really trusted me you would", t0.Add(2*time.Minute))
	if st, _ := w.state(c.ID); st.Messages != 1 {
		t.Errorf("a rolled-back message is in the state: %d messages", st.Messages)
	}
	if ds := w.Detections(c.ID); len(ds) != 0 {
		t.Errorf("pressure alone from an established contact alerted, as if the rolled-back request counted: %+v", ds)
	}

	// Another server scores messages of the same conversation.
	other, err := New(Config{}, Deps{Store: w.st})
	if err != nil {
		t.Fatal(err)
	}
	ct2 := safetytest.Content(c, adult, to, "send me a pic", t0.Add(3*time.Minute))
	v2, err := other.Scan(ctx, ct2)
	if err != nil {
		t.Fatal(err)
	}
	w.Deliver(ct2, v2)
	w.send(c, adult, to, "hello again", t0.Add(4*time.Minute))
	if st, _ := w.state(c.ID); st.Messages != 3 {
		t.Errorf("state of %d messages after messages through two servers, want 3", st.Messages)
	}
	if ds := w.Detections(c.ID); len(ds) != 1 || ds[0].Severity != "high" {
		t.Errorf("the request (other server) and the pressure (this one) together: %+v", ds)
	}
}

func TestRiskBoundsWork(t *testing.T) {
	w := newWorld(t, Config{})
	adult, teen := w.Account("adult", 35), w.Account("teen", 13)
	w.Connect(teen, adult, t0)
	c := w.Conversation(false, adult, teen)
	huge := strings.Repeat("la ", 350_000) // about 1 MB, past any API limit
	w.send(c, adult, []*safeguard.Account{teen}, huge, t0.Add(time.Minute))
	st, _ := w.state(c.ID)
	b, _ := json.Marshal(st)
	if len(b) > 4096 {
		t.Errorf("state of %d bytes after a 1 MB message", len(b))
	}
	ms := st.Members[strconv.FormatInt(adult.ID, 10)]
	if ms == nil || ms.Signals["oversized"] == nil {
		t.Errorf("a 1 MB message: the size is not noted: %+v", ms)
	}
}

func TestRiskReload(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	good := "version: 1\nrules:\n  - id: local.hello\n    description: A test rule.\n    category: contact\n    severity: low\n    mode: shadow\n    expr: sender.adult && recipient.minor\n"
	if err := os.WriteFile(rules, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, Config{Rules: []string{DefaultRules, rules}})
	before := w.risk.RuleSet()
	embedded := len(mustDefault(t).Rules())
	if n := len(before.Rules()); n != embedded+1 {
		t.Fatalf("%d rules, want the %d embedded and one local", n, embedded)
	}
	bad := "version: 1\nrules:\n  - id: local.hello\n    description: A test rule.\n    category: contact\n    severity: low\n    mode: shadow\n    expr: sender.adult && recipient.nonsense\n"
	os.WriteFile(rules, []byte(bad), 0o600)
	_, err := w.risk.Reload(t.Context())
	if !errors.Is(err, safeguard.ErrInvalid) || safeguard.ErrorCode(err) != "invalid_rules" ||
		!strings.Contains(safeguard.ErrorMessage(err), rules+":8:") {
		t.Errorf("reload of a bad file: %v", err)
	}
	if w.risk.RuleSet() != before {
		t.Errorf("a failed reload changed the rules in force")
	}
	os.Remove(rules)
	if _, err := w.risk.Reload(t.Context()); safeguard.ErrorCode(err) != "invalid_rules" || !strings.Contains(safeguard.ErrorMessage(err), rules) {
		t.Errorf("reload of a missing file: %v", err)
	}
	os.WriteFile(rules, []byte(strings.Replace(good, "severity: low", "severity: medium", 1)), 0o600)
	rs, err := w.risk.Reload(t.Context())
	if err != nil || rs.Version() == before.Version() || w.risk.RuleSet() != rs {
		t.Errorf("reload of a good file: %v", err)
	}
	if _, err := New(Config{Lexicons: []string{filepath.Join(dir, "missing.yaml")}}, Deps{Store: w.st}); safeguard.ErrorCode(err) != "invalid_rules" {
		t.Errorf("New with a missing lexicon: %v", err)
	}
}

func TestRiskNoticeInterval(t *testing.T) {
	w := newWorld(t, Config{})
	adult, teen := w.Account("adult", 35), w.Account("teen", 14)
	w.Connect(teen, adult, t0) // a new contact: one signal is enough
	c := w.Conversation(false, adult, teen)
	to := []*safeguard.Account{teen}
	steps := []struct {
		at     time.Duration
		text   string
		notice string // "" for none
	}{
		{time.Minute, "you are so mature for your age", "risk_warning"},
		{2 * time.Minute, "send me a pic of you", ""}, // a new rule, a new detection, no second warning today
		{25 * time.Hour, "dont tell anyone, its our secret", "risk_warning"},
		{26 * time.Hour, "pay me £100 or ill send your pics to all your friends", "sextortion_warning"},
		{27 * time.Hour, "ill post them online everywhere", ""},
	}
	for i, s := range steps {
		w.send(c, adult, to, s.text, t0.Add(s.at))
		ns := w.notes.take()
		got := ""
		if len(ns) == 1 {
			got = ns[0].Notice
		}
		if len(ns) > 1 || got != s.notice {
			t.Errorf("step %d %q: notices %+v, want %q", i, s.text, ns, s.notice)
		}
	}
	if ds := w.Detections(c.ID); len(ds) < 4 {
		t.Errorf("%d detections: every first firing is one, notice or not", len(ds))
	}
}

func mustDefault(t *testing.T) *risk.RuleSet {
	t.Helper()
	rs, err := risk.Default()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestRiskNoticeIntervalPerSender: the day's limit on warnings is per
// conversation and sender, not per young person: a second adult in the same
// group brings a warning of their own, while the first adult's next rule the
// same day brings none.
func TestRiskNoticeIntervalPerSender(t *testing.T) {
	w := newWorld(t, Config{})
	first, second, teen := w.Account("adult_a", 35), w.Account("adult_b", 41), w.Account("teen", 14)
	w.Connect(teen, first, t0)
	w.Connect(teen, second, t0)
	c := w.Conversation(false, first, second, teen)
	steps := []struct {
		at     time.Duration
		from   *safeguard.Account
		to     []*safeguard.Account
		text   string
		notice string
	}{
		{time.Minute, first, []*safeguard.Account{second, teen}, "you are so mature for your age", "risk_warning"},
		{2 * time.Minute, second, []*safeguard.Account{first, teen}, "dont tell anyone, its our secret", "risk_warning"},
		{3 * time.Minute, first, []*safeguard.Account{second, teen}, "send me a pic of you", ""},
	}
	for i, s := range steps {
		w.send(c, s.from, s.to, s.text, t0.Add(s.at))
		ns := w.notes.take()
		got := ""
		if len(ns) == 1 {
			got = ns[0].Notice
		}
		if len(ns) > 1 || got != s.notice {
			t.Errorf("step %d %q: notices %+v, want %q", i, s.text, ns, s.notice)
		}
	}
}

// TestRiskNightRaisesSeverity: an established contact's flattery of a
// 14-year-old's maturity is a medium alert by day and a high one at night in
// the young people's time zone, with the night signal in the detection; the
// hour is read in Config.Zone (default Europe/London).
func TestRiskNightRaisesSeverity(t *testing.T) {
	for _, tt := range []struct {
		name     string
		zone     *time.Location
		at       time.Time
		severity safeguard.Severity
		night    bool
	}{
		{"London afternoon", nil, t0, safeguard.SeverityMedium, false},                                            // 15:09 GMT
		{"London night", nil, t0.Add(9 * time.Hour), safeguard.SeverityHigh, true},                                // 00:09 GMT
		{"summer time", nil, time.Date(2026, time.July, 1, 22, 30, 0, 0, time.UTC), safeguard.SeverityHigh, true}, // 23:30 BST
		{"summer evening", nil, time.Date(2026, time.July, 1, 21, 30, 0, 0, time.UTC), safeguard.SeverityMedium, false},
		{"another zone", time.FixedZone("UTC+10", 10*3600), t0, safeguard.SeverityHigh, true}, // 01:09 there
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, Config{Zone: tt.zone})
			adult, teen := w.Account("adult", 35), w.Account("teen", 14)
			w.Connect(teen, adult, t0.AddDate(0, -2, 0))
			c := w.Conversation(false, adult, teen)
			w.send(c, adult, []*safeguard.Account{teen}, "you are so mature for your age", tt.at)
			ds := w.Detections(c.ID)
			if len(ds) != 1 {
				t.Fatalf("%d detections, want 1", len(ds))
			}
			if ds[0].Severity != tt.severity {
				t.Errorf("severity %q, want %q", ds[0].Severity, tt.severity)
			}
			var detail safeguard.RiskAlert
			if err := json.Unmarshal(ds[0].Detail, &detail); err != nil {
				t.Fatal(err)
			}
			night := false
			for _, s := range detail.Signals {
				night = night || s.Name == risk.SignalNight
			}
			if night != tt.night || len(detail.Rules) != 1 || detail.Rules[0].Severity != tt.severity {
				t.Errorf("night signal %v, rules %+v", night, detail.Rules)
			}
		})
	}
}
