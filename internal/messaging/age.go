package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
)

// Ages change over the life of an account. Every decision computes the band
// from the date of birth at that moment, so the rules follow a birthday on
// their own; what follows from the change — a guardian's approvals no longer
// needed, a check of age made as a minor no longer counting, contacts and
// groups the rules now forbid, end-to-end encrypted chats that can no longer
// be — is applied once, by settleAge, and the account remembers the band it
// was applied for (Account.ActedBand). It runs when the account next
// authenticates, when an operator changes its age or assurance, and from
// SettleAges, which the server runs every hour. docs/policy.md, "When an age
// changes", is the rule book.

// Why an age band changed.
const (
	causeBirthday   = "birthday"
	causeCorrection = "correction"
)

// Notices of an age change (texts in internal/notice).
const (
	NoticeAgeNow13           = "age_now_13"
	NoticeAgeNow18           = "age_now_18"
	NoticeAgeCorrectedMinor  = "age_corrected_minor"
	NoticeAgeCorrectedAdult  = "age_corrected_adult"
	NoticeAgeCorrectedChild  = "age_corrected_child"
	NoticeAgeCorrectedTeen   = "age_corrected_teen"
	NoticeGuardianAgeCorrect = "guardian_age_corrected"
	NoticeContactEndedForAge = "contact_ended_age"
)

// ageChange is what followed from one account's change of band, told to
// the people concerned once the transaction has committed.
type ageChange struct {
	account   *safeguard.Account
	notice    string
	departed  []departure
	closed    []*ConversationView  // E2EE conversations that take no more messages
	ended     []int64              // young people told that a contact ended
	released  []*safeguard.Contact // requests that no longer wait for a guardian
	guardians []int64              // told that a child they look after had her date of birth corrected
}

// ageNotice is what the account is told of its change from one band to
// another.
func ageNotice(from, to safeguard.AgeBand, cause string) string {
	switch {
	case cause == causeCorrection && to == safeguard.Adult:
		return NoticeAgeCorrectedAdult
	case cause == causeCorrection && from.Minor() && to == safeguard.Child:
		return NoticeAgeCorrectedChild
	case cause == causeCorrection && from.Minor():
		return NoticeAgeCorrectedTeen
	case cause == causeCorrection:
		return NoticeAgeCorrectedMinor
	case to == safeguard.Adult:
		return NoticeAgeNow18
	case from == safeguard.Child && to == safeguard.Teen:
		return NoticeAgeNow13
	}
	return NoticeAgeCorrectedMinor // a birthday never makes anyone younger
}

// settleAge applies, in tx, what follows when a's band at now is not the
// band last acted on. It returns nil when nothing changed, or when the
// account had no band recorded yet (it is recorded, with no consequences:
// an account from before bands were recorded is taken as it is).
func (s *Service) settleAge(ctx context.Context, tx Tx, a *safeguard.Account, now time.Time, cause string) (*ageChange, error) {
	from, to := a.ActedBand, a.Band(now)
	if from == to {
		return nil, nil
	}
	a.ActedBand = to
	if from == "" || a.Status == safeguard.Deleted {
		return nil, tx.UpdateAccount(ctx, a)
	}
	ch := &ageChange{account: a, notice: ageNotice(from, to, cause)}
	if err := s.ageStatus(ctx, tx, ch, from, to, cause, now); err != nil {
		return nil, err
	}
	if err := s.ageContacts(ctx, tx, ch, from, to, cause, now); err != nil {
		return nil, err
	}
	if cause == causeCorrection {
		ch.guardians = a.Guardians()
		if err := s.recordNotice(ctx, tx, ch.guardians, NoticeGuardianAgeCorrect, now); err != nil {
			return nil, err
		}
	}
	if to.Minor() {
		if err := s.closeE2EE(ctx, tx, ch, now); err != nil {
			return nil, err
		}
	}
	var err error
	if ch.departed, err = s.keepGroupRule(ctx, tx, a, now); err != nil {
		return nil, err
	}
	if err := tx.UpdateAccount(ctx, a); err != nil {
		return nil, err
	}
	payload := s.eventPayload(map[string]string{"notice": ch.notice, "from": string(from), "to": string(to), "cause": cause})
	if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventAgeChanged, At: now, AccountID: a.ID, Payload: payload}); err != nil {
		return nil, err
	}
	return ch, tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "age_band.changed", TargetID: a.ID,
		Reason: cause, Detail: `{"from":"` + string(from) + `","to":"` + string(to) + `"}`})
}

// ageStatus applies what a change of band does to the account itself: a
// child who turns 13 no longer waits for a guardian, nor do her contact
// requests on her side; someone who becomes a child with no guardian waits
// for one, and her recovery codes end; an adult's age checked before they were an adult no longer
// counts.
func (s *Service) ageStatus(ctx context.Context, tx Tx, ch *ageChange, from, to safeguard.AgeBand, cause string, now time.Time) error {
	a := ch.account
	switch {
	case from == safeguard.Child && a.Status == safeguard.PendingGuardian:
		a.Status = safeguard.Active
	case to == safeguard.Child && a.Status == safeguard.Active && len(a.Guardians()) == 0:
		a.Status = safeguard.PendingGuardian
	}
	if from == safeguard.Child {
		if err := s.releaseGuardianWait(ctx, tx, ch, now); err != nil {
			return err
		}
	}
	if to == safeguard.Child { // a child resets through a guardian only
		if err := tx.SetRecoveryCodes(ctx, a.ID, nil, now); err != nil {
			return err
		}
	}
	if to != safeguard.Adult || !from.Minor() || a.Assurance != safeguard.Verified {
		return nil
	}
	a.Assurance = safeguard.SelfDeclared
	method := "turned 18"
	if cause == causeCorrection {
		method = "date of birth corrected"
	}
	b, _ := json.Marshal(map[string]string{"from": string(safeguard.Verified), "by": "safeguard", "method": method,
		"note": "an age checked before the account was an adult does not count for an adult"})
	return tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "age_assurance.set", TargetID: a.ID,
		Reason: string(safeguard.SelfDeclared), Detail: string(b)})
}

// releaseGuardianWait lets the requests of someone no longer a child go on
// without their guardian: her side of each request still waiting is
// approved, and a request approved on both sides goes to its recipient, as
// if she had asked that day.
func (s *Service) releaseGuardianWait(ctx context.Context, tx Tx, ch *ageChange, now time.Time) error {
	a := ch.account
	cs, err := tx.AwaitingGuardian(ctx, []int64{a.ID})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.FromID == a.ID {
			c.FromGuardianOK = true
		}
		if c.ToID == a.ID {
			c.ToGuardianOK = true
		}
		if c.FromGuardianOK && c.ToGuardianOK {
			c.State = safeguard.ContactPending
			if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventContactRequested, At: now, AccountID: c.ToID}); err != nil {
				return err
			}
			ch.released = append(ch.released, c)
		}
		c.UpdatedAt = now
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// ageContacts ends the contacts and requests the rules now forbid. A
// birthday ends none: friends grow up at different times. A correction that
// makes someone a minor ends what an adult asked of them (an adult may not
// ask a young person); the young person's own requests to adults stay, as a
// young person may ask an adult. A correction that makes someone an adult
// ends every contact and request with a young person: the young person
// chose them believing them younger. The young people whose contact ended
// are told, without a name; the adults are not, since that would tell them
// a young person is there.
func (s *Service) ageContacts(ctx context.Context, tx Tx, ch *ageChange, from, to safeguard.AgeBand, cause string, now time.Time) error {
	if cause != causeCorrection || from.Minor() == to.Minor() {
		return nil
	}
	a := ch.account
	cs, err := tx.Contacts(ctx, a.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.Other(a.ID))
	}
	others, err := tx.AccountsByID(ctx, uniq(ids))
	if err != nil {
		return err
	}
	for _, c := range cs {
		other := others[c.Other(a.ID)]
		if other == nil {
			continue
		}
		forbidden := to == safeguard.Adult && other.Band(now).Minor() ||
			to.Minor() && other.Band(now) == safeguard.Adult && c.FromID == other.ID
		if !forbidden {
			continue
		}
		if err := tx.DeleteContact(ctx, c.ID); err != nil {
			return err
		}
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "contact.ended", TargetID: a.ID,
			Reason: "age_corrected", Detail: `{"contact":` + strconv.FormatInt(c.ID, 10) + `,"other":` + strconv.FormatInt(other.ID, 10) + `}`}); err != nil {
			return err
		}
		if to == safeguard.Adult && c.State == safeguard.ContactAccepted {
			ch.ended = append(ch.ended, other.ID)
		}
	}
	return s.recordNotice(ctx, tx, ch.ended, NoticeContactEndedForAge, now)
}

// recordNotice writes an account.age_changed event with notice code, and
// no account, to each of to.
func (s *Service) recordNotice(ctx context.Context, tx Tx, to []int64, code string, now time.Time) error {
	payload := s.eventPayload(map[string]string{"notice": code})
	for _, id := range to {
		if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventAgeChanged, At: now, AccountID: id, Payload: payload}); err != nil {
			return err
		}
	}
	return nil
}

// closeE2EE tells every member of each end-to-end encrypted conversation a
// now young person is in that it can no longer be end-to-end encrypted. The
// encryption of a conversation is fixed, so it takes no more messages
// (policy.E2EEContinues); its members stay, so that each of them sees why.
func (s *Service) closeE2EE(ctx context.Context, tx Tx, ch *ageChange, now time.Time) error {
	ids, err := tx.MemberConversations(ctx, ch.account.ID, true)
	if err != nil {
		return err
	}
	payload := s.eventPayload(map[string]string{"notice": policy.NoticeE2EEEnded})
	for _, id := range ids {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return err
		}
		for _, m := range c.Current() {
			if err := tx.AppendEvent(ctx, &safeguard.Event{Type: safeguard.EventE2EEEnded, At: now, AccountID: m.AccountID,
				ConversationID: id, Payload: payload}); err != nil {
				return err
			}
		}
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "conversation.e2ee_ended", TargetID: ch.account.ID,
			Reason: "age_corrected", Detail: `{"conversation":` + strconv.FormatInt(id, 10) + `}`}); err != nil {
			return err
		}
		v, err := s.conversationView(ctx, tx, c, now)
		if err != nil {
			return err
		}
		ch.closed = append(ch.closed, v)
	}
	return nil
}

// keepGroupRule keeps the group rule true for a at its new band: for every
// young person in a group, every other member is one of their contacts. In
// each plain group or 1:1 chat a is in with someone with whom it no longer
// holds, a is removed (so an adult whose contact ended sees her leave, as
// any contact who goes, and no notice that a young person is there); the others stay, since nothing changed about them. Members see
// an ordinary membership change; why is written only to the audit log.
// End-to-end encrypted groups are closed instead (closeE2EE).
func (s *Service) keepGroupRule(ctx context.Context, tx Tx, a *safeguard.Account, now time.Time) ([]departure, error) {
	cs, err := tx.Conversations(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var out []departure
	for _, c := range cs {
		if c.E2EE || !current(c, a.ID) { // a plain 1:1 chat keeps the rule as a group of two
			continue
		}
		ok, err := s.groupRuleHolds(ctx, tx, c, a, now)
		if err != nil || ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		m := c.Member(a.ID)
		v, err := s.setMember(ctx, tx, c.ID, safeguard.Member{AccountID: a.ID, State: safeguard.MemberRemoved, InvitedBy: m.InvitedBy, UpdatedAt: now}, now)
		if err != nil {
			return nil, err
		}
		if err := tx.Audit(ctx, &safeguard.AuditEntry{At: now, Actor: "system", Action: "conversation.member_removed", TargetID: a.ID,
			Reason: "age_changed", Detail: `{"conversation":` + strconv.FormatInt(c.ID, 10) + `}`}); err != nil {
			return nil, err
		}
		out = append(out, departure{view: v, gone: a.ID})
	}
	return out, nil
}

// groupRuleHolds reports whether a may share group c with each of its other
// current members.
func (s *Service) groupRuleHolds(ctx context.Context, tx Tx, c *safeguard.Conversation, a *safeguard.Account, now time.Time) (bool, error) {
	parties, ids, err := s.currentParties(ctx, tx, c, now)
	if err != nil {
		return false, err
	}
	rels, err := relations(ctx, tx, ids)
	if err != nil {
		return false, err
	}
	me := s.party(a, now)
	for _, p := range parties {
		if p.ID != a.ID && !policy.MayShareGroup(me, p, rels(a.ID, p.ID)) {
			return false, nil
		}
	}
	return true, nil
}

// tellAgeChange tells everyone concerned, after the commit: the account its
// notice; the young people whose contact ended theirs; each group's members
// the membership change; each closed conversation's members that it is no
// longer end-to-end encrypted; the recipients of requests that no longer
// wait.
func (s *Service) tellAgeChange(ctx context.Context, ch *ageChange) {
	if ch == nil {
		return
	}
	s.publish(ctx, ch.account.ID, Notification{Type: safeguard.EventAgeChanged, Account: ch.account, Notice: ch.notice})
	for _, id := range ch.ended {
		s.publish(ctx, id, Notification{Type: safeguard.EventAgeChanged, Notice: NoticeContactEndedForAge})
	}
	for _, id := range ch.guardians {
		s.publish(ctx, id, Notification{Type: safeguard.EventAgeChanged, Notice: NoticeGuardianAgeCorrect})
	}
	for _, d := range ch.departed {
		s.publishConversationView(ctx, d.view, safeguard.EventMemberChanged, d.gone)
	}
	for _, v := range ch.closed {
		var to []int64
		for _, m := range v.Current() {
			to = append(to, m.AccountID)
		}
		s.notify.Notify(ctx, Notification{Type: safeguard.EventE2EEEnded, To: to, Conversation: v, Notice: policy.NoticeE2EEEnded})
	}
	for _, c := range ch.released {
		s.publishContact(ctx, c, []int64{c.ToID})
	}
}

// settleAccount applies the change of band of the account id at now, if
// any, in a transaction of its own, and tells everyone concerned. It
// returns the account as it now is.
func (s *Service) settleAccount(ctx context.Context, id int64, now time.Time) (*safeguard.Account, error) {
	var a *safeguard.Account
	var ch *ageChange
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if a, err = tx.Account(ctx, id); err != nil {
			return err
		}
		ch, err = s.settleAge(ctx, tx, a, now, causeBirthday)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tellAgeChange(ctx, ch)
	return a, nil
}

// settleBatch is how many accounts SettleAges reads at a time.
const settleBatch = 100

// SettleAges applies what follows from every birthday that changed an
// account's band since the platform last acted on it (a child turning 13, a
// teen turning 18), and tells each person. It returns how many accounts
// changed. The server runs it at start and every hour; an account also
// settles its own change when it next makes a request.
func (s *Service) SettleAges(ctx context.Context) (int, error) {
	now := s.clock()
	teenBy, adultBy := safeguard.BornBy(safeguard.TeenFrom, now), safeguard.BornBy(safeguard.AdultFrom, now)
	n := 0
	var after int64
	for {
		var batch []*safeguard.Account
		err := s.view(ctx, func(tx Tx) (err error) { batch, err = tx.BandChanged(ctx, teenBy, adultBy, after, settleBatch); return })
		if err != nil || len(batch) == 0 {
			return n, err
		}
		for _, a := range batch {
			after = a.ID
			if _, err := s.settleAccount(ctx, a.ID, now); err != nil && !errors.Is(err, safeguard.ErrNotFound) {
				return n, err
			}
			n++
		}
	}
}

// DefaultSettleAgesEvery is how often the server runs SettleAges.
const DefaultSettleAgesEvery = time.Hour

// RunAges runs SettleAges now and then every period until ctx ends,
// logging what it did.
func (s *Service) RunAges(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSettleAgesEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.SettleAges(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "settle age changes", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "settled age changes", "accounts", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
