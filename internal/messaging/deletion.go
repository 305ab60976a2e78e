package messaging

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Retention periods that account deletion states. The evidence periods are
// those of the evidence vault (internal/evidence), which the server passes
// in; the defaults here are the same.
const (
	DefaultContentRetention   = 365 * 24 * time.Hour
	DefaultReferenceRetention = 5 * 365 * 24 * time.Hour
)

// Retention is how long what deletion keeps is kept.
type Retention struct {
	// Content: evidence (content and related data) preserved for a case,
	// from the law-enforcement report, or the decision when not reported.
	Content time.Duration
	// Reference: the records of law-enforcement reports made.
	Reference time.Duration
	// Audit: audit entries, from when they were written; zero means they
	// are kept without a set end (the audit log is append-only).
	Audit time.Duration
}

func (r *Retention) setDefaults() {
	if r.Content <= 0 {
		r.Content = DefaultContentRetention
	}
	if r.Reference <= 0 {
		r.Reference = DefaultReferenceRetention
	}
}

// Retained is one kind of thing deletion keeps, or deletes: what, why, and
// until when.
type Retained struct {
	What  string
	Why   string
	Until string
}

// Deletion is what deleting an account keeps and what it deletes.
type Deletion struct {
	Kept    []Retained
	Deleted []Retained
}

// period says a duration in years or days.
func period(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	if days%365 == 0 {
		if y := days / 365; y == 1 {
			return "1 year"
		} else {
			return strconv.Itoa(y) + " years"
		}
	}
	if days == 1 {
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// DeletionPlan says what deleting an account keeps and why, and what it
// deletes. It is the same for every account: whether anything of the kinds
// kept exists for this one is not said, since a person under a silent
// review must not learn of it from here (docs/threat-model.md).
func (s *Service) DeletionPlan() Deletion {
	r := s.cfg.Retention
	audit := "Without a set end: the audit log is never rewritten."
	if r.Audit > 0 {
		audit = period(r.Audit) + " after each entry."
	}
	return Deletion{
		Kept: []Retained{
			{What: "Messages you sent that others received.",
				Why:   "They are part of the other people's conversations. They will see them as from \"a deleted account\", never with your name.",
				Until: "As long as those conversations are kept."},
			{What: "Anything under review by our safety team, and evidence kept for a case or a report to law enforcement, with the account details and connection records that go with it.",
				Why: "The law asks a provider that reports child sexual exploitation and abuse to keep the content and related data " +
					"(Online Safety Act 2023 s.66 and its reporting regulations). A legal hold, or a request from the police to preserve data, keeps it until the hold ends.",
				Until: period(r.Content) + " after the report, or after the decision when nothing was reported; longer under a legal hold or a preservation request."},
			{What: "Your account details (date of birth, where you live, the app and when you joined) and the address and port of your last login.",
				Why: "Messages you sent stay with the people who received them, and they can still report one. So that our safety team, " +
					"and the police where the law requires, can still act on such a report, we keep what identifies the sender for a while.",
				Until: period(r.Content) + " after the deletion; longer while a case, a legal hold or a request from the police to preserve data needs them."},
			{What: "Records of reports made to law enforcement.",
				Why:   "The reporting regulations ask for a record of every report made.",
				Until: period(r.Reference) + " after the report."},
			{What: "Reports you made about others, and your appeals.",
				Why:   "They are part of the cases they belong to.",
				Until: "As long as those cases are kept."},
			{What: "The audit log of what was done to and by your account, including this deletion.",
				Why:   "So that what our staff did can always be checked.",
				Until: audit},
			{What: "Your handle, as a name nobody can take.",
				Why:   "So that nobody can take it, or one that looks like it, and pass themselves off as you.",
				Until: "Always."},
		},
		Deleted: []Retained{
			{What: "Your password and every session: you are logged out everywhere at once."},
			{What: "Your date of birth and where you live, once the time above has passed. Only whether you were a child, a teenager or an adult is kept, with your handle, so that the names that look like it are guarded as before."},
			{What: "Your contacts and contact requests, the blocks you made, your place in every conversation and your read markers, unless a request from the police to preserve data needs your contacts (see above)."},
			{What: "Messages you sent that nobody received, unless they are under review or must be preserved."},
			{What: "Your end-to-end encryption devices and the keys and messages waiting for them."},
			{What: "Your login history but the last login, unless a case or a preservation needs it (see above); any password reset code and recovery codes."},
		},
	}
}

var errConfirm = safeguard.Invalid("confirm_required", "To delete your account, confirm that you want to (confirm: true).")

var errWrongPassword = safeguard.Errorf(safeguard.ErrPermission, "wrong_password", "That password isn't right.")

var errSuspendedDelete = safeguard.Errorf(safeguard.ErrPermission, "account_suspended",
	"A suspended account can't delete itself. You can appeal the suspension; if you want the account deleted, ask us and we will delete it.")

// DeleteOwn deletes the account of its holder, who gives their password and
// confirms. A suspended account cannot: deleting it would free its name for
// a new sign-up at once; it can appeal, and an operator can delete it. The answer is DeletionPlan, whatever this account had.
func (s *Service) DeleteOwn(ctx context.Context, accountID int64, password string, confirm bool, origin safeguard.Origin) (Deletion, error) {
	if !confirm {
		return Deletion{}, errConfirm
	}
	if password == "" {
		return Deletion{}, safeguard.Invalid("missing_password", "Enter your password.")
	}
	var a *safeguard.Account
	var hash string
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if a, err = load(ctx, tx, accountID); err != nil {
			return err
		}
		hash, err = tx.PasswordHash(ctx, accountID)
		return err
	})
	if err != nil {
		return Deletion{}, err
	}
	if a.Status == safeguard.Suspended {
		return Deletion{}, errSuspendedDelete
	}
	key := strings.ToLower(a.Handle)
	if err := s.logins.Check(key, origin.Addr.Addr(), "rate_limited"); err != nil {
		return Deletion{}, err
	}
	ok, err := s.passwords.Check(ctx, hash, password)
	if err != nil {
		return Deletion{}, err
	}
	if !ok {
		return Deletion{}, errWrongPassword
	}
	s.logins.Succeeded(key, origin.Addr.Addr())
	if _, _, err := s.erase(ctx, a.ID, accountID, "account", "", ""); err != nil {
		return Deletion{}, err
	}
	return s.DeletionPlan(), nil
}

// DeleteAccount deletes the account an operator names, with the reason.
// The answer is DeletionPlan with, first, what this account had that is
// kept: its cases, open or under a legal hold.
func (s *Service) DeleteAccount(ctx context.Context, ref, reason, by string) (*safeguard.Account, Deletion, error) {
	if err := firstErr(requireBy(by), requireReason(reason)); err != nil {
		return nil, Deletion{}, err
	}
	a, err := s.AccountByRef(ctx, ref)
	if err != nil {
		return nil, Deletion{}, err
	}
	cs, ps, err := s.erase(ctx, a.ID, 0, "operator", reason, by)
	if err != nil {
		return nil, Deletion{}, err
	}
	d := s.DeletionPlan()
	if k := casesKept(cs, preservationIDs(ps, s.clock())); k != nil {
		d.Kept = append([]Retained{*k}, d.Kept...)
	}
	a.Status = safeguard.Deleted
	return a, d, nil
}

// casesKept describes the cases about an account and the preservation
// requests that hold it (IDs), for the operator.
func casesKept(cs []*safeguard.Case, holds []string) *Retained {
	var open, held []string
	for _, c := range cs {
		if c.LegalHold {
			held = append(held, "#"+strconv.FormatInt(c.ID, 10))
		} else if c.Status != safeguard.CaseClosed {
			open = append(open, "#"+strconv.FormatInt(c.ID, 10))
		}
	}
	if len(open)+len(held)+len(holds) == 0 {
		return nil
	}
	what := []string{}
	if len(open) > 0 {
		what = append(what, fmt.Sprintf("open cases %s", strings.Join(open, ", ")))
	}
	if len(held) > 0 {
		what = append(what, fmt.Sprintf("cases under legal hold %s", strings.Join(held, ", ")))
	}
	if len(holds) > 0 {
		what = append(what, fmt.Sprintf("preservation requests %s (with its messages, media, logins and contacts)", strings.Join(holds, ", ")))
	}
	return &Retained{What: "This account's " + strings.Join(what, " and ") + ", with its evidence, date of birth, where it lives and its login history.",
		Why:   "A case, a legal hold or a preservation request needs them.",
		Until: "Until the case closes and its evidence's retention ends, the hold is lifted, or the preservation ends."}
}

// guardiansToTell returns the guardians of a child under 13 who deletes her
// own account: they approved the account, so are told it is gone (a live
// event; the child no longer shows under their children either). An
// operator's deletion tells no one here; nor does a teen's, who has no
// guardian on Safeguard.
func guardiansToTell(ctx context.Context, tx Tx, a *safeguard.Account, actor string, now time.Time) []int64 {
	if actor != "account" || a.Band(now) != safeguard.Child {
		return nil
	}
	var out []int64
	for _, id := range a.Guardians() {
		if g, err := tx.Account(ctx, id); err == nil && g.Status == safeguard.Active {
			out = append(out, id)
		}
	}
	return out
}

// erase deletes an account (see DeletionPlan) in one transaction, and
// returns the cases about it. It keeps the account as a tombstone, its
// handle reserved.
func (s *Service) erase(ctx context.Context, id, actorID int64, actor, reason, by string) ([]*safeguard.Case, []*safeguard.Preservation, error) {
	now := s.clock()
	var cs []*safeguard.Case
	var ps []*safeguard.Preservation
	var convs []int64
	var told []int64 // the guardians to tell, and of which child
	var child safeguard.Account
	var wards []*safeguard.Account // children this account was a guardian of
	err := updateTx(ctx, s.store, func(tx Tx) error {
		a, err := tx.Account(ctx, id)
		if err != nil {
			return err
		}
		if a.Status == safeguard.Deleted {
			return errAccountDeleted
		}
		told, child = guardiansToTell(ctx, tx, a, actor, now), *a
		if cs, err = tx.Cases(ctx, store.CaseQuery{SenderID: id, Limit: 1000}); err != nil {
			return err
		}
		if ps, err = tx.Preservations(ctx, id); err != nil {
			return err
		}
		held := len(preservationIDs(ps, now)) > 0
		keep := casesHold(cs) || held
		if wards, err = unlinkWards(ctx, tx, id, now); err != nil {
			return err
		}
		for _, e2ee := range []bool{false, true} {
			ids, err := tx.MemberConversations(ctx, id, e2ee)
			if err != nil {
				return err
			}
			convs = append(convs, ids...)
		}
		// What every deleted account keeps for a while: its details (on
		// the account row) and its last login, so that a report of a
		// message it sent can still name the sender; a case or a
		// preservation keeps every login, and a preservation its
		// contacts and undelivered messages too.
		if err := tx.EraseAccountData(ctx, id, store.Keep{At: now, LastLogin: true, Logins: keep, Held: held}, a.Band(now)); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, id, ""); err != nil {
			return err
		}
		a.Status = safeguard.Deleted
		if !keep {
			a.GuardianID, a.SecondGuardianID = 0, 0
		}
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		detail := `{"kept_for_cases":` + strconv.FormatBool(casesHold(cs))
		if held {
			detail += `,"preserved":true`
		}
		if by != "" {
			detail += `,"by":` + quote(by) + `,"reason":` + quote(reason)
		}
		return tx.Audit(ctx, &safeguard.AuditEntry{At: now, ActorID: actorID, Actor: actor, Action: "account.deleted",
			TargetID: id, Detail: detail + "}"})
	})
	if err != nil {
		return nil, nil, err
	}
	s.publish(ctx, id, Notification{End: EndSession})
	for _, g := range told { // the handle only: the rest of the account is gone
		gone := &safeguard.Account{ID: child.ID, Handle: child.Handle, Status: safeguard.Deleted}
		s.publish(ctx, g, Notification{Type: safeguard.EventGuardianChildDeleted, Account: gone, Notice: "guardian_child_deleted"})
	}
	for _, w := range wards {
		s.tellGuardianChange(ctx, w, append(w.Guardians(), w.ID), NoticeGuardianRemoved)
	}
	for _, c := range convs {
		s.publishConversation(ctx, c, safeguard.EventMemberChanged)
	}
	return cs, ps, nil
}

// unlinkWards unlinks a guardian being deleted from each child they look
// after, as an operator's unlink does: a child left with no guardian waits
// for one again (pending_guardian, asking for a new code), and the child and
// any other guardian are told in the change's transaction.
func unlinkWards(ctx context.Context, tx Tx, guardianID int64, now time.Time) ([]*safeguard.Account, error) {
	all, err := tx.Wards(ctx, guardianID)
	if err != nil {
		return nil, err
	}
	var wards []*safeguard.Account
	for _, w := range all {
		if w.Status == safeguard.Deleted {
			continue
		}
		w.RemoveGuardian(guardianID)
		if len(w.Guardians()) == 0 && w.Status == safeguard.Active {
			w.Status = safeguard.PendingGuardian
		}
		if err := tx.UpdateAccount(ctx, w); err != nil {
			return nil, err
		}
		if err := recordGuardianChange(ctx, tx, w, append(w.Guardians(), w.ID), NoticeGuardianRemoved, now); err != nil {
			return nil, err
		}
		wards = append(wards, w)
	}
	return wards, nil
}
