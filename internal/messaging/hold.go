package messaging

import (
	"context"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// underReview lists the case statuses during which an adult whose known
// image is being looked at is held: until a moderator closes the case
// (no violation, or a suspension or ban, which the sender then sees), and
// for as long as a law-enforcement report about it is open.
var underReview = []safeguard.CaseStatus{safeguard.CaseOpen, safeguard.CaseInReview, safeguard.CaseDecided,
	safeguard.CaseReportFailed, safeguard.CaseAwaitingSubmission, safeguard.CaseReported}

// heldCase returns the case under review that holds an adult sender, or
// nil. An adult who sent a known image is held silently: whatever they
// send afterwards is held for review, and young people they were in
// contact with are strangers to them, but nothing they can see changes —
// a suspension they could observe would tell them the image matched. The
// visible suspension comes with a moderator's decision. A young sender is
// a child to safeguard and is never held this way.
func (s *Service) heldCase(ctx context.Context, tx Tx, sender *safeguard.Account, now time.Time) (*safeguard.Case, error) {
	if s.cfg.DeliverWhileUnderReview || sender == nil || sender.Band(now) != safeguard.Adult {
		return nil, nil
	}
	cs, err := tx.Cases(ctx, store.CaseQuery{SenderID: sender.ID, Statuses: underReview})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Source == safeguard.HashMatch && !c.MinorSender {
			return c, nil
		}
	}
	return nil, nil
}

// strangerToMinors answers rels as if a held adult had no young contacts:
// what they ask of a young person is refused as for a stranger.
func strangerToMinors(rels policy.Relations, held int64, minor func(int64) bool) policy.Relations {
	return func(a, b int64) policy.Relation {
		r := rels(a, b)
		if (a == held && minor(b)) || (b == held && minor(a)) {
			r.Contacts = false
		}
		return r
	}
}

// holdSender is the hold decision for a sender held by a case under
// review: their message is held like any other held message (the sender's
// view is that of a sent one) and joins the case, for the moderator to see.
func (s *Service) holdSender(ctx context.Context, c *Content, v Verdict) (Verdict, error) {
	if v.Hold {
		return v, nil
	}
	var held *safeguard.Case
	err := s.view(ctx, func(tx Tx) error {
		var err error
		held, err = s.heldCase(ctx, tx, c.Sender, c.Now)
		return err
	})
	if err != nil || held == nil {
		return v, err
	}
	record := v.Record
	v.Hold, v.Reason = true, "sender_under_review"
	v.Record = func(ctx context.Context, tx VerdictTx, m *safeguard.Message) error {
		if record != nil {
			if err := record(ctx, tx, m); err != nil {
				return err
			}
		}
		d := holdDetection(c, m, v.Reason)
		d.ContentKey = held.ContentKey
		return store.RecordDetection(ctx, tx, d)
	}
	return v, nil
}

// minorsOf returns the young people among accounts.
func minorsOf(accounts []*safeguard.Account, now time.Time) map[int64]bool {
	out := map[int64]bool{}
	for _, a := range accounts {
		if a.Band(now).Minor() {
			out[a.ID] = true
		}
	}
	return out
}
