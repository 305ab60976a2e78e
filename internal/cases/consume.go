package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/lawreport"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// facts is what a detection's case is made from, read before the
// transaction that records it.
type facts struct {
	d          *safeguard.Detection
	sender     *safeguard.Account
	recipients []*safeguard.Account
	msg        *safeguard.Message
	media      *safeguard.Media
	mediaData  []byte
	context    []*safeguard.Message
	logins     map[int64][]safeguard.Login
	preserved  map[string]bool // refs the case already holds
}

// gather reads detection id and what its case is made from, in one
// snapshot.
func (s *Service) gather(ctx context.Context, id int64) (*facts, error) {
	f := &facts{logins: map[int64][]safeguard.Login{}, preserved: map[string]bool{}}
	err := viewTx(ctx, s.Store, func(tx Tx) error {
		d, err := tx.Detection(ctx, id)
		if err != nil {
			return err
		}
		f.d = d
		since := d.At.Add(-s.cfg.ContextWindow)
		if err := f.readAccounts(ctx, tx, since); err != nil {
			return err
		}
		if err := f.readContent(ctx, tx); err != nil {
			return err
		}
		if err := f.readContext(ctx, tx, since, s.cfg.ContextCap); err != nil {
			return err
		}
		return f.readPreserved(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	if f.media != nil && s.Media != nil {
		data, err := s.Media.Get(ctx, f.media.StorageKey)
		if err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return nil, fmt.Errorf("media %d: %w", f.media.ID, err)
		}
		f.mediaData = data
	}
	return f, nil
}

// readAccounts reads the sender, the recipients and their logins since.
func (f *facts) readAccounts(ctx context.Context, tx Tx, since time.Time) error {
	d := f.d
	ids := append([]int64{d.SenderID}, d.RecipientIDs...)
	accts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return err
	}
	f.sender = accts[d.SenderID]
	for _, id := range d.RecipientIDs {
		if a := accts[id]; a != nil && id != d.SenderID {
			f.recipients = append(f.recipients, a)
		}
	}
	for _, a := range accts {
		if f.logins[a.ID], err = tx.Logins(ctx, a.ID, since); err != nil {
			return err
		}
	}
	if f.sender != nil {
		return f.lastLogin(ctx, tx, since)
	}
	return nil
}

// lastLogin adds the sender's last successful login when none falls in the
// window: a sender who has gone quiet, or deleted their account (which
// keeps that login for a while), is still named by address and port.
func (f *facts) lastLogin(ctx context.Context, tx Tx, since time.Time) error {
	id := f.sender.ID
	for _, l := range f.logins[id] {
		if l.OK {
			return nil
		}
	}
	all, err := tx.Logins(ctx, id, time.Time{})
	if err != nil {
		return err
	}
	for _, l := range all { // newest first
		if l.OK && l.Origin.At.Before(since) {
			f.logins[id] = append(f.logins[id], l)
			return nil
		}
	}
	return nil
}

// readContent reads the detection's message and media, where they still
// exist.
func (f *facts) readContent(ctx context.Context, tx Tx) error {
	d := f.d
	var err error
	if d.MessageID != 0 {
		if f.msg, err = tx.Message(ctx, d.MessageID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
	}
	if d.MediaID != 0 {
		if f.media, err = tx.Media(ctx, d.MediaID); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
			return err
		}
	}
	return nil
}

// readContext reads up to limit messages of the conversation, up to the
// detected one and sent since, oldest first.
func (f *facts) readContext(ctx context.Context, tx Tx, since time.Time, limit int) error {
	d := f.d
	if d.ConversationID == 0 {
		return nil
	}
	q := store.MessageQuery{ConversationID: d.ConversationID, Limit: limit}
	if d.MessageID != 0 {
		q.Before = d.MessageID + 1
	}
	ms, err := tx.Messages(ctx, q)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !m.CreatedAt.Before(since) {
			f.context = append(f.context, m)
		}
	}
	slices.Reverse(f.context)
	return nil
}

// readPreserved reads which items the case of this sender and content
// already holds, if there is one.
func (f *facts) readPreserved(ctx context.Context, tx Tx) error {
	c, err := caseOf(ctx, tx, f.d)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	es, err := tx.CaseEvidence(ctx, c.ID)
	for _, e := range es {
		if e.Kind == safeguard.EvidenceItem {
			f.preserved[e.Ref] = true
		}
	}
	return err
}

var errSeen = errors.New("detection already in a case")

// caseOf returns the case a detection belongs to, or ErrNotFound when it
// opens one: the case that already holds a finding about the same image —
// the same message, from a hash match, the nudity classifier or a check
// that could not be made — so that one image sent is one case however many
// checks found it; otherwise the case of the sender's content (the content
// key).
func caseOf(ctx context.Context, tx Tx, d *safeguard.Detection) (*safeguard.Case, error) {
	if d.MessageID != 0 && aboutImage(d.Source) {
		occ, err := tx.MessageOccurrences(ctx, d.MessageID)
		if err != nil {
			return nil, err
		}
		for _, o := range occ {
			if !aboutImage(o.Source) {
				continue
			}
			c, err := tx.Case(ctx, o.CaseID)
			if err != nil {
				return nil, err
			}
			if c.SenderID == d.SenderID {
				return c, nil
			}
		}
	}
	return tx.CaseByKey(ctx, d.SenderID, d.ContentKey)
}

// outranks reports whether a detection of source a names a case better
// than the case's source b: a hash match, the strongest evidence, outranks
// any other; the nudity classifier's finding outranks a check that could
// not be made.
func outranks(a, b safeguard.DetectionSource) bool {
	switch a {
	case safeguard.HashMatch:
		return b != safeguard.HashMatch
	case safeguard.NewImage:
		return b == safeguard.ScanFailure
	}
	return false
}

// escalates reports whether a detection turns a case about grooming, a
// meeting or age deception into one about sextortion (the young person's
// plea, or a threat, in a conversation already a case), so that the case
// is counted and reported as sextortion. Image findings keep their category.
func escalates(d *safeguard.Detection, c *safeguard.Case) bool {
	return d.Category == safeguard.CategorySextortion && d.Source == c.Source && !aboutImage(d.Source) &&
		(c.Category == safeguard.CategoryGrooming || c.Category == safeguard.CategoryMeeting ||
			c.Category == safeguard.CategoryAgeDeception)
}

// aboutImage reports whether detections of a source are findings about a
// message's image.
func aboutImage(s safeguard.DetectionSource) bool {
	return s == safeguard.HashMatch || s == safeguard.NewImage || s == safeguard.ScanFailure
}

// outcome is what a recorded detection leaves to do after the commit.
type outcome struct {
	c          *safeguard.Case
	opened     bool
	becameP1   bool
	occurrence safeguard.Occurrence
}

// record opens or extends the case in tx. The caller appends the evidence
// to the vault after it, last in the transaction: the vault's log is one
// chain, which other transactions wait for until this one commits.
func (s *Service) record(ctx context.Context, tx Tx, f *facts, out *outcome) error {
	d := f.d
	now := s.clock()
	c, err := caseOf(ctx, tx, d)
	switch {
	case errors.Is(err, safeguard.ErrNotFound):
		c = &safeguard.Case{SenderID: d.SenderID, ContentKey: d.ContentKey, ConversationID: d.ConversationID,
			Source: d.Source, Category: d.Category, Status: safeguard.CaseOpen, Priority: 3, CreatedAt: now, UpdatedAt: now}
		if f.sender != nil && f.sender.Band(d.At).Minor() {
			c.MinorSender, c.SeniorReview = true, true
		}
		if err := tx.CreateCase(ctx, c); err != nil {
			return err
		}
		out.opened = true
	case err != nil:
		return err
	}
	o := safeguard.Occurrence{CaseID: c.ID, DetectionID: d.ID, Source: d.Source, At: d.At, MessageID: d.MessageID,
		ConversationID: d.ConversationID, MediaID: d.MediaID, RecipientIDs: d.RecipientIDs, Held: d.Held, Node: s.cfg.Node}
	if err := tx.AddOccurrence(ctx, &o); err != nil {
		if errors.Is(err, safeguard.ErrConflict) {
			return errSeen
		}
		return err
	}
	// AddOccurrence counted the occurrence in the case's row, and holds
	// that row until the commit: read it again, for another server may
	// have changed the case since it was read.
	if c, err = tx.Case(ctx, c.ID); err != nil {
		return err
	}
	out.occurrence = o
	if c.Category == "" || outranks(d.Source, c.Source) || escalates(d, c) {
		c.Category, c.Source = d.Category, d.Source
	}
	for _, sig := range signalsOf(d) {
		if !slices.Contains(c.Signals, sig) {
			c.Signals = append(c.Signals, sig)
		}
	}
	detail, _ := json.Marshal(map[string]any{"detection_id": d.ID, "source": d.Source, "message_id": d.MessageID,
		"recipients": d.RecipientIDs, "held": d.Held})
	action := "occurrence"
	if out.opened {
		action = "opened"
	}
	if err := event(ctx, tx, c, now, "system", action, "", string(d.Source), detail); err != nil {
		return err
	}
	was := c.Priority
	if err := s.assess(ctx, tx, c, f); err != nil {
		return err
	}
	out.becameP1 = c.Priority == 1 && (was != 1 || out.opened)
	if c.Priority != was || out.opened {
		pd, _ := json.Marshal(map[string]any{"priority": c.Priority, "reasons": c.Reasons})
		if err := event(ctx, tx, c, now, "system", "assessed", c.Status, strconv.Itoa(c.Priority), pd); err != nil {
			return err
		}
	}
	if err := s.holdOnMatch(ctx, tx, c, f, now); err != nil {
		return err
	}
	c.UpdatedAt = now
	out.c = c
	return tx.UpdateCase(ctx, c)
}

// assess sets the case's priority from all its facts: the signals gathered,
// the children it involves (minor recipients and minor reporters), whether
// the sender is still in contact with one, and whether the sender can be
// traced. A priority never drops on its own: a moderator's decision is what
// ends a case.
func (s *Service) assess(ctx context.Context, tx Tx, c *safeguard.Case, f *facts) error {
	occ, err := tx.Occurrences(ctx, c.ID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, o := range occ {
		ids = append(ids, o.RecipientIDs...)
	}
	ids = append(ids, c.SenderID)
	accts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return err
	}
	inc := &lawreport.Incident{Type: incidentType(c), DetectedAt: f.d.At}
	for _, sig := range c.Signals {
		inc.Signals = append(inc.Signals, lawreport.Signal(sig))
	}
	var minors []int64
	for id, a := range accts {
		if id != c.SenderID && a.Band(f.d.At).Minor() {
			minors = append(minors, id)
			inc.Children = append(inc.Children, lawreport.User{AccountID: strconv.FormatInt(id, 10), DateOfBirth: a.BirthDate})
		}
	}
	if sender := accts[c.SenderID]; sender != nil {
		u := lawreport.User{AccountID: strconv.FormatInt(sender.ID, 10), DateOfBirth: sender.BirthDate, AgeAssurance: sender.Assurance}
		for _, l := range f.logins[sender.ID] {
			if l.Origin.Addr.IsValid() {
				u.Connections = append(u.Connections, lawreport.Connection{IP: l.Origin.Addr.Addr(), At: l.Origin.At})
			}
		}
		if f.msg != nil && f.msg.Origin.Addr.IsValid() {
			u.Connections = append(u.Connections, lawreport.Connection{IP: f.msg.Origin.Addr.Addr(), At: f.msg.CreatedAt})
		}
		inc.ReportedUsers = append(inc.ReportedUsers, u)
	}
	if len(minors) > 0 && c.SenderID != 0 {
		pairs, err := tx.ContactPairs(ctx, append(minors, c.SenderID))
		if err != nil {
			return err
		}
		for _, p := range pairs {
			if p[0] == c.SenderID || p[1] == c.SenderID {
				inc.Signals = append(inc.Signals, lawreport.SignalOngoingContact)
				break
			}
		}
	}
	p := lawreport.Assess(inc)
	if c.Priority == 0 || p.Level <= c.Priority || len(c.Reasons) == 0 {
		c.Priority, c.Reasons = p.Level, p.Reasons
	}
	return nil
}

// holdOnMatch records that the adult sender of a known image is held
// silently, when the operator's policy says so: the messaging service holds
// whatever they send while the case is under review (see messaging's
// heldCase). Their account, sessions and streams are left as they are, for
// a suspension they could observe would tell them which image matched; a
// moderator's decision suspends. A minor is a child to safeguard first and
// is never held.
func (s *Service) holdOnMatch(ctx context.Context, tx Tx, c *safeguard.Case, f *facts, now time.Time) error {
	if !s.cfg.HoldOnMatch || f.d.Source != safeguard.HashMatch || f.sender == nil || c.MinorSender {
		return nil
	}
	a, err := tx.Account(ctx, f.sender.ID)
	if err != nil || a.Status != safeguard.Active || a.Band(now) != safeguard.Adult {
		return err
	}
	if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "account.held",
		TargetID: a.ID, Reason: "known_image_match", Detail: fmt.Sprintf(`{"case_id":%d}`, c.ID)}); err != nil {
		return err
	}
	return event(ctx, tx, c, now, "system", "sender_held", c.Status, "hold_on_match", nil)
}

// after does what follows a committed detection: support for a minor
// sender, the on-call alert and the report package at priority 1, and a
// follow-up report for a case already reported.
func (s *Service) after(ctx context.Context, f *facts, out *outcome) {
	c := out.c
	// A young sender of a known image is told the photo was stopped, and
	// where to get help. (Of a new image, the scanner showed its own
	// notice; of a text or link someone reported or a rule found, there is
	// no photo, and a young person is not told they were reported.)
	if out.opened && c.MinorSender && c.Source == safeguard.HashMatch && s.Notify != nil {
		s.Notify.Notify(ctx, notice(c.SenderID, "support_minor_sender"))
	}
	if out.becameP1 {
		s.raiseAlert(ctx, c)
		if _, err := s.prepare(ctx, c.ID); err != nil {
			s.Log.ErrorContext(ctx, "cases: build the priority 1 report package", "case", c.ID, "err", err)
		}
	}
	if c.Status == safeguard.CaseReported && !out.opened {
		if _, err := s.followUp(ctx, c.ID); err != nil {
			s.Log.ErrorContext(ctx, "cases: follow-up report", "case", c.ID, "err", err)
		}
	}
}
