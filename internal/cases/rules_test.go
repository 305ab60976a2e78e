package cases

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/lawreport/lawreporttest"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/store/sqlite"
)

// t0 is when every test's clock starts.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// world is a cases service over a real SQLite store, with a clock the test
// moves.
type world struct {
	t   *testing.T
	st  store.Store
	svc *Service
	now time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cases.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, media.KeySize)
	rand.Read(key)
	items, err := media.OpenDisk(filepath.Join(t.TempDir(), "evidence"), key)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	w := &world{t: t, st: st, now: t0}
	reports := t.TempDir()
	w.svc, err = New(Config{TestReports: true},
		Deps{Store: st, Vault: evidence.New(items, priv, w.clock), Builder: lawreporttest.Builder(),
			Submitter: &lawreport.FileExport{Dir: reports}, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) clock() time.Time { return w.now }

// account stores an account born years before t0.
func (w *world) account(handle string, years int) *safeguard.Account {
	w.t.Helper()
	born, err := safeguard.ParseDate(t0.AddDate(-years, 0, -1).Format(time.DateOnly))
	if err != nil {
		w.t.Fatal(err)
	}
	a := &safeguard.Account{Handle: handle, BirthDate: born, Status: safeguard.Active, App: safeguard.DefaultApp, CreatedAt: t0}
	w.update(func(tx store.Tx) error { return tx.CreateAccount(w.t.Context(), a, "x") })
	return a
}

// contact stores an accepted contact between a and b.
func (w *world) contact(a, b *safeguard.Account) {
	w.t.Helper()
	w.update(func(tx store.Tx) error {
		return tx.CreateContact(w.t.Context(), &safeguard.Contact{FromID: a.ID, ToID: b.ID, State: safeguard.ContactAccepted,
			CreatedAt: t0, UpdatedAt: t0})
	})
}

// detect records a detection of sender's content key reaching to, and lets
// the service turn it into a case.
func (w *world) detect(d safeguard.Detection) *safeguard.Case {
	w.t.Helper()
	d.At = w.now
	w.update(func(tx store.Tx) error { return store.RecordDetection(w.t.Context(), tx, &d) })
	if _, err := w.svc.Process(w.t.Context()); err != nil {
		w.t.Fatal(err)
	}
	var c *safeguard.Case
	err := w.st.View(w.t.Context(), func(tx store.Tx) (err error) {
		c, err = tx.CaseByKey(w.t.Context(), d.SenderID, d.ContentKey)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) update(fn func(tx store.Tx) error) {
	w.t.Helper()
	if err := w.st.Update(w.t.Context(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// decide decides case id as moderator m, failing the test if it cannot.
func (w *world) decide(id int64, m Moderator, d safeguard.Decision) {
	w.t.Helper()
	if _, _, err := w.svc.Decide(w.t.Context(), id, Decision{Moderator: m, Decision: d, Reason: "seen"}); err != nil {
		w.t.Fatal(err)
	}
}

var (
	alice  = Moderator{Name: "alice"}
	bob    = Moderator{Name: "bob", Role: safeguard.RoleSenior}
	senior = Moderator{Name: "sam", Role: safeguard.RoleSenior}
)

func TestPriority(t *testing.T) {
	tests := []struct {
		name       string
		source     safeguard.DetectionSource
		category   safeguard.Category
		childTo    bool // the recipient is 14, not an adult
		contact    bool // sender and recipient are accepted contacts
		want       int
		wantReason string
	}{
		{"sextortion", safeguard.RiskRule, safeguard.CategorySextortion, false, false, 1, lawreport.ReasonSextortionOngoing},
		{"meeting proposed by a rule", safeguard.RiskRule, safeguard.CategoryMeeting, true, false, 1, lawreport.ReasonMeetingArranged},
		{"meeting reported by a user", safeguard.UserReport, safeguard.CategoryMeeting, true, false, 2, lawreport.ReasonChildIdentified},
		{"known image to a child in contact", safeguard.HashMatch, safeguard.CategoryKnownImage, true, true, 1, lawreport.ReasonKnownImageContact},
		{"known image to a child", safeguard.HashMatch, safeguard.CategoryKnownImage, true, false, 2, lawreport.ReasonChildIdentified},
		{"grooming between adults", safeguard.RiskRule, safeguard.CategoryGrooming, false, false, 3, lawreport.ReasonNoneIdentified},
		{"a link between adults", safeguard.URLMatch, safeguard.CategoryURL, false, false, 3, lawreport.ReasonNoneIdentified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			from := w.account("sender", 30)
			age := 30
			if tt.childTo {
				age = 14
			}
			to := w.account("recipient", age)
			if tt.contact {
				w.contact(from, to)
			}
			c := w.detect(safeguard.Detection{Source: tt.source, Category: tt.category, SenderID: from.ID,
				RecipientIDs: []int64{to.ID}, ContentKey: "content:1"})
			if c.Priority != tt.want || len(c.Reasons) == 0 || c.Reasons[0] != tt.wantReason {
				t.Errorf("priority %d %v, want %d [%s …]", c.Priority, c.Reasons, tt.want, tt.wantReason)
			}
		})
	}
}

func TestOneCasePerContentPerSender(t *testing.T) {
	type det struct {
		sender int // index into the senders
		key    string
	}
	tests := []struct {
		name        string
		dets        []det
		cases       int
		occurrences []int // of each case, in order of opening
	}{
		{"a follow-up joins the case", []det{{0, "k1"}, {0, "k1"}}, 1, []int{2}},
		{"other content opens another", []det{{0, "k1"}, {0, "k2"}}, 2, []int{1, 1}},
		{"another sender opens another", []det{{0, "k1"}, {1, "k1"}}, 2, []int{1, 1}},
		{"three of one, one of another", []det{{0, "k1"}, {1, "k1"}, {0, "k1"}, {0, "k1"}}, 2, []int{3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			senders := []*safeguard.Account{w.account("one", 30), w.account("two", 30)}
			to := w.account("to", 30)
			var order []int64
			for _, d := range tt.dets {
				c := w.detect(safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL,
					SenderID: senders[d.sender].ID, RecipientIDs: []int64{to.ID}, ContentKey: d.key})
				if len(order) == 0 || order[len(order)-1] < c.ID {
					order = append(order, c.ID)
				}
			}
			if len(order) != tt.cases {
				t.Fatalf("%d cases, want %d", len(order), tt.cases)
			}
			for i, id := range order {
				v, err := w.svc.Case(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Occurrences) != tt.occurrences[i] || v.Case.Occurrences != tt.occurrences[i] {
					t.Errorf("case %d: %d occurrences (counted %d), want %d", id, len(v.Occurrences), v.Case.Occurrences, tt.occurrences[i])
				}
			}
		})
	}
}

func TestSeniorReviewForAYoungSender(t *testing.T) {
	tests := []struct {
		name       string
		senderAge  int
		by         Moderator
		wantSenior bool
		wantCode   string // "" when the decision stands
	}{
		{"an adult sender, any moderator", 30, alice, false, ""},
		{"a young sender, a moderator", 15, alice, true, "senior_review_required"},
		{"a young sender, a senior moderator", 15, senior, true, ""},
		{"a sender of 17, a moderator", 17, alice, true, "senior_review_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			from := w.account("sender", tt.senderAge)
			to := w.account("to", 30)
			c := w.detect(safeguard.Detection{Source: safeguard.RiskRule, Category: safeguard.CategoryGrooming,
				SenderID: from.ID, RecipientIDs: []int64{to.ID}, ContentKey: "conversation:1"})
			if c.SeniorReview != tt.wantSenior || c.MinorSender != tt.wantSenior {
				t.Errorf("senior review %v, minor sender %v; want %v", c.SeniorReview, c.MinorSender, tt.wantSenior)
			}
			_, _, err := w.svc.Decide(t.Context(), c.ID, Decision{Moderator: tt.by, Decision: safeguard.Warn, Reason: "seen"})
			if got := codeOf(err); got != tt.wantCode {
				t.Errorf("Decide by %s: %v (code %q), want code %q", tt.by.Name, err, got, tt.wantCode)
			}
			if tt.wantCode != "" && !errors.Is(err, safeguard.ErrPermission) {
				t.Errorf("Decide: %v, want a permission error", err)
			}
		})
	}
}

func TestAppeals(t *testing.T) {
	w := newWorld(t)
	from := w.account("sender", 30)
	other := w.account("other", 30)
	c := w.detect(safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL,
		SenderID: from.ID, RecipientIDs: []int64{other.ID}, ContentKey: "url:1"})
	w.decide(c.ID, alice, safeguard.Warn)

	// Someone else's appeal learns nothing: the answer is not found.
	for _, tt := range []struct {
		name     string
		account  int64
		caseID   int64
		wantCode string
	}{
		{"by someone else", other.ID, c.ID, "nothing_to_appeal"},
		{"of no such case", from.ID, c.ID + 100, "nothing_to_appeal"},
		{"by the sender", from.ID, c.ID, ""},
		{"by the sender again", from.ID, c.ID, "appeal_exists"},
	} {
		_, err := w.svc.Appeal(t.Context(), tt.account, tt.caseID, "it was a joke")
		if got := codeOf(err); got != tt.wantCode {
			t.Errorf("appeal %s: %v (code %q), want code %q", tt.name, err, got, tt.wantCode)
		}
	}
	v, err := w.svc.Case(t.Context(), c.ID)
	if err != nil || len(v.Appeals) != 1 {
		t.Fatalf("case %d: %v, appeals %+v", c.ID, err, v)
	}
	appeal := v.Appeals[0].ID

	// The moderator who decided the case does not decide the appeal.
	for _, tt := range []struct {
		by       Moderator
		wantCode string
	}{
		{alice, "same_moderator"},
		{bob, ""},
		{senior, "appeal_not_open"},
	} {
		_, err := w.svc.DecideAppeal(t.Context(), appeal, AppealOutcome{Moderator: tt.by, Reason: "looked again"})
		if got := codeOf(err); got != tt.wantCode {
			t.Errorf("DecideAppeal by %s: %v (code %q), want code %q", tt.by.Name, err, got, tt.wantCode)
		}
	}
}

func TestAppealWindow(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  bool
	}{
		{0, true},
		{DefaultAppealWindow - time.Minute, true},
		{DefaultAppealWindow, true},
		{DefaultAppealWindow + time.Minute, false},
	}
	for _, tt := range tests {
		w := newWorld(t)
		from := w.account("sender", 30)
		to := w.account("to", 30)
		c := w.detect(safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL,
			SenderID: from.ID, RecipientIDs: []int64{to.ID}, ContentKey: "url:1"})
		w.decide(c.ID, alice, safeguard.RemoveContent)
		w.now = w.now.Add(tt.after)
		listed, err := w.svc.Appealable(t.Context(), from.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, aerr := w.svc.Appeal(t.Context(), from.ID, c.ID, "please look again")
		if (len(listed) == 1) != tt.want || (aerr == nil) != tt.want {
			t.Errorf("%v after the decision: %d appealable, appeal %v; want appealable %v", tt.after, len(listed), aerr, tt.want)
		}
	}
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name      string
		after     time.Duration
		hold      bool
		wantGone  bool
		wantHeld  int
		undecided bool
	}{
		{"within the period", evidence.ContentPeriod - time.Hour, false, false, 0, false},
		{"past the period", evidence.ContentPeriod + time.Hour, false, true, 0, false},
		{"past the period, under a legal hold", evidence.ContentPeriod + time.Hour, true, false, 1, false},
		{"never decided", 10 * evidence.ContentPeriod, false, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			from := w.account("sender", 30)
			to := w.account("to", 30)
			c := w.detect(safeguard.Detection{Source: safeguard.URLMatch, Category: safeguard.CategoryURL,
				SenderID: from.ID, RecipientIDs: []int64{to.ID}, ContentKey: "url:1"})
			if !tt.undecided {
				w.decide(c.ID, alice, safeguard.Warn)
			}
			if tt.hold {
				if _, err := w.svc.SetLegalHold(t.Context(), c.ID, senior, true, "police asked"); err != nil {
					t.Fatal(err)
				}
			}
			items := evidenceCount(t, w, c.ID, safeguard.EvidenceItem)
			if items == 0 {
				t.Fatal("the case preserved nothing")
			}
			w.now = w.now.Add(tt.after)
			res, err := w.svc.Vault.Retain(t.Context(), w.st, evidence.Retention{}, w.clock())
			if err != nil {
				t.Fatal(err)
			}
			gone := evidenceCount(t, w, c.ID, safeguard.EvidenceTombstone)
			if (gone > 0) != tt.wantGone || res.Held != tt.wantHeld || (tt.wantGone && gone != items) {
				t.Errorf("%d of %d items deleted, %d held; want deleted %v, held %d", gone, items, res.Held, tt.wantGone, tt.wantHeld)
			}
		})
	}
}

// evidenceCount counts case id's evidence entries of kind.
func evidenceCount(t *testing.T, w *world, id int64, kind safeguard.EvidenceKind) int {
	t.Helper()
	var n int
	err := w.st.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.CaseEvidence(t.Context(), id)
		for _, e := range es {
			if e.Kind == kind {
				n++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// codeOf is err's code, or "" for no error.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return safeguard.ErrorCode(err)
}

// TestSextortionJoinsGroomingCase: a sextortion alert in a conversation
// that is already a grooming case makes it a sextortion case, so that it is
// counted and reported as one; a later grooming alert does not turn it back.
func TestSextortionJoinsGroomingCase(t *testing.T) {
	w := newWorld(t)
	from := w.account("sender", 30)
	to := w.account("recipient", 14)
	for i, tt := range []struct {
		category, want safeguard.Category
		priority       int
	}{
		{safeguard.CategoryGrooming, safeguard.CategoryGrooming, 0},
		{safeguard.CategorySextortion, safeguard.CategorySextortion, 1},
		{safeguard.CategoryGrooming, safeguard.CategorySextortion, 1},
	} {
		c := w.detect(safeguard.Detection{Source: safeguard.RiskRule, Category: tt.category, SenderID: from.ID,
			RecipientIDs: []int64{to.ID}, ContentKey: "conversation:1"})
		if c.Category != tt.want || tt.priority != 0 && c.Priority != tt.priority {
			t.Errorf("after detection %d (%s): case %s priority %d, want %s", i, tt.category, c.Category, c.Priority, tt.want)
		}
	}
}
