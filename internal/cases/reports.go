package cases

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

//go:embed reasons.json
var reasonsJSON []byte

// Reason is one reason a person can give for a report: a stable code and
// the words shown, plain enough for a child.
type Reason struct {
	Code     string             `json:"code"`
	Text     string             `json:"text"`
	Category safeguard.Category `json:"category"`
	Severity safeguard.Severity `json:"severity"`
	// Signal is the fact the reason gives the priority assessment; with
	// MinorOnlySignal, only when a minor reports it.
	Signal          string `json:"signal,omitempty"`
	MinorOnlySignal bool   `json:"minor_only_signal,omitempty"`
}

var reasons = mustReasons(reasonsJSON)

func mustReasons(b []byte) []Reason {
	rs, err := parseReasons(b)
	if err != nil {
		panic("cases: reasons.json: " + err.Error())
	}
	return rs
}

func parseReasons(b []byte) ([]Reason, error) {
	var f struct {
		Reasons []Reason `json:"reasons"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, r := range f.Reasons {
		if r.Code == "" || r.Text == "" || r.Category == "" {
			return nil, fmt.Errorf("reason %d: code, text and category are required", i+1)
		}
		if seen[r.Code] {
			return nil, fmt.Errorf("reason %q twice", r.Code)
		}
		seen[r.Code] = true
	}
	return f.Reasons, nil
}

// Reasons returns the reasons a report can give, in the order shown.
func Reasons() []Reason { return append([]Reason(nil), reasons...) }

func reasonByCode(code string) (Reason, bool) {
	for _, r := range reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// MaxNote is the longest note a report may carry, in bytes.
const MaxNote = 2000

// Report is what a member reports: exactly one of MessageID, ConversationID
// or Account (a handle), a reason code and an optional note.
type Report struct {
	MessageID      int64
	ConversationID int64
	Account        string
	Reason         string
	Note           string
}

// Receipt is what the reporter gets back: the report's id, when it was
// received, and the notices to show (support for a minor; for an adult
// worried about a child, the NSPCC helpline). BlockHandle names the account
// the reporter may want to block, when there is one.
type Receipt struct {
	ID          int64
	ReceivedAt  time.Time
	Notices     []string
	BlockHandle string
	Duplicate   bool // the same report was received moments ago
}

// Report files a member's report in one step. What the reporter cannot see
// is not found, exactly as what does not exist. A second report of the same
// target by the same reporter within the report window returns the first
// receipt and opens nothing new.
func (s *Service) Report(ctx context.Context, reporterID int64, r Report) (*Receipt, error) {
	reason, ok := reasonByCode(r.Reason)
	if !ok {
		codes := make([]string, len(reasons))
		for i, x := range reasons {
			codes[i] = x.Code
		}
		return nil, safeguard.Invalid("invalid_reason", "Choose a reason: %s.", strings.Join(codes, ", "))
	}
	n := 0
	for _, set := range []bool{r.MessageID != 0, r.ConversationID != 0, r.Account != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, safeguard.Invalid("invalid_target", "Report one message, conversation or account.")
	}
	if len(r.Note) > MaxNote || !utf8.ValidString(r.Note) {
		return nil, safeguard.Errorf(safeguard.ErrTooLarge, "note_too_long", "The note can be at most %d characters.", MaxNote)
	}
	if !safeguard.ValidText(r.Note, true) {
		return nil, safeguard.InvalidText("The note")
	}
	var subjectHandle string
	if r.Account != "" {
		if s.Lookup == nil {
			return nil, safeguard.NotFound
		}
		a, _, err := s.Lookup.Lookup(ctx, reporterID, r.Account)
		if err != nil {
			return nil, err
		}
		r.Account, subjectHandle = strconv.FormatInt(a.ID, 10), a.Handle
	}
	now := s.clock()
	var rec *Receipt
	err := updateTx(ctx, s.Store, func(tx Tx) error {
		reporter, err := tx.Account(ctx, reporterID)
		if err != nil {
			return err
		}
		t, err := s.resolveTarget(ctx, tx, reporter, r, now)
		if err != nil {
			return err
		}
		rec = &Receipt{Notices: receiptNotices(reporter, t, now)}
		// A deleted sender is "a deleted account" to everyone: its handle
		// is not given, and there is no one left to block.
		if t.subject != nil && t.subject.Status != safeguard.Deleted {
			rec.BlockHandle = t.subject.Handle
		} else if subjectHandle != "" {
			rec.BlockHandle = subjectHandle
		}
		if prev, err := tx.RecentUserReport(ctx, reporterID, t.key, now.Add(-s.cfg.ReportWindow)); err == nil {
			rec.ID, rec.ReceivedAt, rec.Duplicate = prev.ID, prev.At, true
			return nil
		} else if !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
		d := t.detection(reporter, reason, now)
		if err := recordDetection(ctx, tx, d); err != nil {
			return err
		}
		ur := &safeguard.MemberReport{ReporterID: reporterID, Target: t.key, Reason: reason.Code, Note: r.Note, At: now, DetectionID: d.ID}
		if err := tx.CreateUserReport(ctx, ur); err != nil {
			return err
		}
		rec.ID, rec.ReceivedAt = ur.ID, now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// target is what a report is about, as far as the reporter may see it.
type target struct {
	key          string // the report's target, for duplicates
	subject      *safeguard.Account
	message      *safeguard.Message
	conversation *safeguard.Conversation
	members      []*safeguard.Account // every member, for the case
	// seen are the members the reporter may know of: all of them, or for
	// a former member those whose membership last changed before they left
	// (nobody who joined after). The receipt depends on these only.
	seen       []*safeguard.Account
	contentKey string
}

func (s *Service) resolveTarget(ctx context.Context, tx Tx, reporter *safeguard.Account, r Report, now time.Time) (*target, error) {
	var t *target
	var err error
	switch {
	case r.MessageID != 0:
		t, err = messageTarget(ctx, tx, reporter, r.MessageID, now)
	case r.ConversationID != 0:
		t, err = conversationTarget(ctx, tx, reporter, r.ConversationID)
	default:
		t, err = accountTarget(ctx, tx, reporter, r.Account)
	}
	if err != nil {
		return nil, err
	}
	if t.conversation != nil {
		if err := t.addMembers(ctx, tx, reporter); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// messageTarget is a report of message id: its sender is the subject, and
// its content is its image or else its conversation. A message the reporter
// did not see, sent, or sees no longer is not found.
func messageTarget(ctx context.Context, tx Tx, reporter *safeguard.Account, id int64, now time.Time) (*target, error) {
	t := &target{}
	m, err := tx.Message(ctx, id)
	if err != nil {
		return nil, safeguard.NotFound
	}
	c, err := tx.Conversation(ctx, m.ConversationID)
	if err != nil || !saw(c.Member(reporter.ID), m) || m.SenderID == reporter.ID {
		return nil, safeguard.NotFound
	}
	if m.Status == safeguard.Held {
		return nil, safeguard.NotFound // only its sender sees a held message
	}
	if mb := c.Member(reporter.ID); reporter.Band(now).Minor() && mb != nil && m.CreatedAt.Before(mb.JoinedAt) {
		return nil, safeguard.NotFound // sent before a young person joined: never shown to them (docs/policy.md)
	}
	blocks, err := tx.BlocksBy(ctx, reporter.ID)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if b.BlockedID == m.SenderID && c.Kind == safeguard.Group {
			return nil, safeguard.NotFound // hidden from the reporter
		}
	}
	t.key, t.message, t.conversation = "message:"+strconv.FormatInt(m.ID, 10), m, c
	if t.subject, err = tx.Account(ctx, m.SenderID); err != nil {
		return nil, err
	}
	t.contentKey = "conversation:" + strconv.FormatInt(c.ID, 10)
	if m.MediaID != 0 {
		md, err := tx.Media(ctx, m.MediaID)
		if err != nil {
			return nil, err
		}
		if len(md.SHA256) > 0 {
			t.contentKey = fmt.Sprintf("sha256:%x", md.SHA256)
		} else {
			t.contentKey = "media:" + strconv.FormatInt(md.ID, 10)
		}
	}
	return t, nil
}

// conversationTarget is a report of conversation id, which the reporter is
// or was a member of.
func conversationTarget(ctx context.Context, tx Tx, reporter *safeguard.Account, id int64) (*target, error) {
	t := &target{}
	c, err := tx.Conversation(ctx, id)
	if err != nil || c.Member(reporter.ID) == nil {
		return nil, safeguard.NotFound
	}
	t.key, t.conversation = "conversation:"+strconv.FormatInt(c.ID, 10), c
	t.contentKey = t.key
	// The subject is the other member of a one-to-one chat, or in a
	// group the last one who wrote while the reporter was there.
	subject, err := lastOtherSender(ctx, tx, c.ID, c.Member(reporter.ID))
	if err != nil {
		return nil, err
	}
	if c.Kind == safeguard.Direct {
		for _, m := range c.Members {
			if m.AccountID != reporter.ID {
				subject = m.AccountID
			}
		}
	}
	if subject != 0 {
		if t.subject, err = tx.Account(ctx, subject); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// accountTarget is a report of the account whose ID is account, not the
// reporter's own.
func accountTarget(ctx context.Context, tx Tx, reporter *safeguard.Account, account string) (*target, error) {
	id, _ := strconv.ParseInt(account, 10, 64)
	a, err := tx.Account(ctx, id)
	if err != nil || a.ID == reporter.ID {
		return nil, safeguard.NotFound
	}
	t := &target{key: "account:" + account, subject: a}
	t.contentKey = t.key
	return t, nil
}

// addMembers reads the members of the target's conversation, and which of
// them the reporter may know of.
func (t *target) addMembers(ctx context.Context, tx Tx, reporter *safeguard.Account) error {
	var ids []int64
	for _, m := range t.conversation.Members {
		ids = append(ids, m.AccountID)
	}
	accts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return err
	}
	self := t.conversation.Member(reporter.ID)
	for _, m := range t.conversation.Members {
		a := accts[m.AccountID]
		if a == nil {
			continue
		}
		t.members = append(t.members, a)
		if !former(self) || m.UpdatedAt.Before(self.UpdatedAt) {
			t.seen = append(t.seen, a)
		}
	}
	return nil
}

// former reports whether m is the membership of someone who left or was
// removed.
func former(m *safeguard.Member) bool {
	return m != nil && (m.State == safeguard.MemberLeft || m.State == safeguard.MemberRemoved)
}

// saw reports whether the member m was shown message msg: a joined member
// every message, a former member those sent before they left, an invited
// one none.
func saw(m *safeguard.Member, msg *safeguard.Message) bool {
	switch {
	case m == nil:
		return false
	case m.State == safeguard.MemberJoined:
		return true
	case former(m):
		return msg.CreatedAt.Before(m.UpdatedAt)
	}
	return false
}

// subjectScan bounds how far back lastOtherSender looks, in messages.
const subjectScan = 500

// lastOtherSender returns the last account other than the member m's that
// wrote in a conversation while m could read it; 0 if none.
func lastOtherSender(ctx context.Context, tx Tx, conversationID int64, m *safeguard.Member) (int64, error) {
	if m.State == safeguard.MemberInvited {
		return 0, nil
	}
	var before int64
	for seen := 0; seen < subjectScan; {
		ms, err := tx.Messages(ctx, store.MessageQuery{ConversationID: conversationID, Before: before, Limit: 50, Viewer: m.AccountID})
		if err != nil || len(ms) == 0 {
			return 0, err
		}
		for _, msg := range ms {
			if msg.SenderID != m.AccountID && saw(m, msg) {
				return msg.SenderID, nil
			}
		}
		seen += len(ms)
		before = ms[len(ms)-1].ID
	}
	return 0, nil
}

// receiptNotices chooses what the reporter is shown: a minor, support (with
// Report Remove and the option to block); an adult reporting something that
// involves a child, the NSPCC helpline.
func receiptNotices(reporter *safeguard.Account, t *target, now time.Time) []string {
	if reporter.Band(now).Minor() {
		return []string{"support_reported"}
	}
	child := t.subject != nil && t.subject.Band(now).Minor()
	for _, m := range t.seen {
		child = child || m.Band(now).Minor()
	}
	if child {
		return []string{"adult_concern"}
	}
	return nil
}

// detection is the detection a report makes.
func (t *target) detection(reporter *safeguard.Account, reason Reason, now time.Time) *safeguard.Detection {
	d := &safeguard.Detection{
		Source: safeguard.UserReport, At: now, ContentKey: t.contentKey, Severity: reason.Severity,
		Category: reason.Category, Summary: "Reported by a member: " + reason.Text,
		RecipientIDs: []int64{reporter.ID},
	}
	if t.subject != nil {
		d.SenderID = t.subject.ID
	}
	if t.message != nil {
		d.MessageID, d.MediaID = t.message.ID, t.message.MediaID
	}
	if t.conversation != nil {
		d.ConversationID, d.ConversationE2EE = t.conversation.ID, t.conversation.E2EE
	}
	for _, m := range t.members {
		d.Members = append(d.Members, safeguard.MemberFacts{AccountID: m.ID, Band: m.Band(now), Assurance: m.Assurance})
	}
	var signals []string
	if reason.Signal != "" && (!reason.MinorOnlySignal || reporter.Band(now).Minor()) {
		signals = append(signals, reason.Signal)
	}
	d.SetFinding(safeguard.Finding{Report: &safeguard.ReportFinding{Reason: reason.Code, ReporterID: reporter.ID,
		ReporterBand: reporter.Band(now), Signals: signals}}) // one part: cannot fail
	return d
}

// recordDetection writes d and its outbox event in tx.
func recordDetection(ctx context.Context, tx Tx, d *safeguard.Detection) error {
	return store.RecordDetection(ctx, tx, d)
}
