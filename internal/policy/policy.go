// Package policy decides who may reach whom on Safeguard, what may be end-to-end
// encrypted, and which notice a person sees. It is pure: callers gather the
// facts (age bands, assurance, contacts, blocks) and the package answers with a
// Decision that carries a precise reason for the audit log and the answer the
// requester is shown, which for a minor asked about by a stranger adult is
// exactly the answer for an account that does not exist.
//
// The rules are those of docs/policy.md; every branch has a stable reason code.
package policy

import (
	safeguard "github.com/safeguard-dev/safeguard"
)

// Mode is the encryption policy of the service.
type Mode string

// The encryption modes. NSPCC, the default, allows end-to-end encryption only
// between verified adults; None encrypts nothing end to end.
const (
	NSPCC Mode = "nspcc"
	None  Mode = "none"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == NSPCC || m == None }

// Config is the operator's policy settings. The zero Config is not usable;
// start from Default.
type Config struct {
	Mode Mode
	// GuardianApprovesContacts makes every new contact of a child under 13
	// wait for the child's guardian. On by default.
	GuardianApprovesContacts bool
}

// Default returns the default configuration: NSPCC mode, guardians approve
// children's contacts.
func Default() Config { return Config{Mode: NSPCC, GuardianApprovesContacts: true} }

// Party is what the policy needs to know of an account at the moment of a
// decision.
type Party struct {
	ID        int64
	Band      safeguard.AgeBand
	Assurance safeguard.Assurance
	Status    safeguard.AccountStatus
}

// Minor reports whether p is a child or a teen.
func (p Party) Minor() bool { return p.Band.Minor() }

// VerifiedAdult reports whether p is an adult with verified age.
func (p Party) VerifiedAdult() bool {
	return p.Band == safeguard.Adult && p.Assurance == safeguard.Verified
}

// Relation is what holds between two accounts.
type Relation struct {
	Contacts bool // an accepted contact, in either direction
	// BlockedBy is true when the second account has blocked the first;
	// Blocks when the first has blocked the second.
	BlockedBy bool
	Blocks    bool
}

// Relations answers Relation(a, b) for any two accounts of a decision.
type Relations func(a, b int64) Relation

// Reason codes. They are recorded for audit and as risk signals; which of them
// a requester is told is decided by Decision.Conceal.
const (
	ReasonStrangerContactMinor = "stranger_contact_minor"
	ReasonBlocked              = "blocked"
	ReasonTargetInactive       = "target_inactive"
	ReasonRequesterInactive    = "account_inactive"
	ReasonNotContacts          = "not_contacts"
	ReasonAlreadyContacts      = "already_contacts"
	ReasonSelf                 = "self"
	ReasonGroupContacts        = "group_contacts_required"
	ReasonE2EEVerifiedAdults   = "e2ee_requires_verified_adults"
	ReasonE2EEDisabled         = "e2ee_disabled"
	ReasonGuardianNotVerified  = "guardian_not_verified"
	ReasonGroupFull            = "group_full"
	ReasonE2EEEnded            = "e2ee_ended"
)

// Decision is the policy's answer. When Allow is false, Reason is the precise
// reason (for the audit log), and Err is what the requester is told. Conceal
// means Err is exactly the answer for an account that does not exist.
type Decision struct {
	Allow   bool
	Reason  string
	Conceal bool
	Err     *safeguard.Error
	// Apart names, on a group_contacts_required refusal of Group or Join,
	// the two accounts that are not contacts: both are ones the requester
	// sees (named in the request, or members of the group), so the
	// requester may be told which.
	Apart [2]int64

	// Set on allowed decisions.
	NeedsGuardian bool     // a child's guardian must approve first
	Invite        bool     // the new member must accept (minors joining groups)
	Notices       []string // notice codes the requester is shown
}

func allow(notices ...string) Decision { return Decision{Allow: true, Notices: notices} }

// conceal refuses with exactly the answer an unknown account gets.
func conceal(reason string) Decision {
	return Decision{Reason: reason, Conceal: true, Err: safeguard.UnknownAccount}
}

func deny(reason string, err *safeguard.Error) Decision {
	return Decision{Reason: reason, Err: err}
}

var (
	errInactive = safeguard.Errorf(safeguard.ErrPermission, ReasonRequesterInactive,
		"Your account is not active yet.")
	errSelf            = safeguard.Invalid(ReasonSelf, "You can't do that with your own account.")
	errAlreadyContacts = safeguard.Errorf(safeguard.ErrConflict, ReasonAlreadyContacts,
		"You are already contacts.")
	errNotContacts = safeguard.Errorf(safeguard.ErrPermission, ReasonNotContacts,
		"You can only chat with people who are your contacts.")
	errUnavailable = safeguard.Errorf(safeguard.ErrPermission, "recipient_unavailable",
		"This person can't get your messages.")
	errGroupContacts = safeguard.Errorf(safeguard.ErrPermission, ReasonGroupContacts,
		"Everyone in a group with a young person must be one of their contacts.")
	errGroupFull = safeguard.Errorf(safeguard.ErrConflict, ReasonGroupFull,
		"This group is full.")
	// ErrE2EEVerifiedAdults names no member, so it says nothing about anyone's age.
	ErrE2EEVerifiedAdults = safeguard.Errorf(safeguard.ErrPermission, ReasonE2EEVerifiedAdults,
		"End-to-end encryption is only for chats where everyone is an adult who has verified their age.")
	errE2EEDisabled = safeguard.Errorf(safeguard.ErrPermission, ReasonE2EEDisabled,
		"End-to-end encryption is turned off on this service.")
	errGuardianNotVerified = safeguard.Errorf(safeguard.ErrPermission, ReasonGuardianNotVerified,
		"Only an adult who has verified their age can be a guardian.")
)

// Visible reports whether viewer may learn that target exists: not a minor to
// a stranger adult, not an inactive account, not someone who blocked the
// viewer. A refusal carries the reason and conceals. It is the one rule every
// request that names an account asks first, before anything else about it;
// a minor waiting for a guardian is refused as a minor, so the refusal counts
// as a stranger's attempt to reach a young person.
func (c Config) Visible(viewer, target Party, rel Relation) Decision {
	switch {
	case viewer.ID == target.ID:
		return allow()
	case rel.BlockedBy:
		return conceal(ReasonBlocked)
	case target.Minor() && viewer.Band == safeguard.Adult && !rel.Contacts:
		return conceal(ReasonStrangerContactMinor)
	case target.Status != safeguard.Active && !rel.Contacts:
		return conceal(ReasonTargetInactive)
	}
	return allow()
}

// VisibleToUnblock is Visible for lifting a block: an account the viewer has
// blocked is on the viewer's own block list, which the viewer reads anyway,
// so the viewer may always lift the block. Any other account is answered as
// Visible answers.
func (c Config) VisibleToUnblock(viewer, target Party, rel Relation) Decision {
	if rel.Blocks {
		return allow()
	}
	return c.Visible(viewer, target, rel)
}

// ContactRequest decides whether from may ask to, with rel the relation of
// from to to.
func (c Config) ContactRequest(from, to Party, rel Relation) Decision {
	if from.ID == to.ID {
		return deny(ReasonSelf, errSelf)
	}
	if from.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	if to.Status != safeguard.Active {
		return conceal(ReasonTargetInactive)
	}
	if rel.BlockedBy {
		return conceal(ReasonBlocked)
	}
	if rel.Blocks {
		return deny(ReasonBlocked, safeguard.Errorf(safeguard.ErrConflict, "you_blocked",
			"You have blocked this person. Unblock them first."))
	}
	if rel.Contacts {
		return deny(ReasonAlreadyContacts, errAlreadyContacts)
	}
	if from.Band == safeguard.Adult && to.Minor() {
		return conceal(ReasonStrangerContactMinor)
	}
	d := allow()
	if from.Minor() && to.Band == safeguard.Adult {
		d.Notices = append(d.Notices, NoticeMinorAddsAdult)
	}
	if c.GuardianApprovesContacts && (from.Band == safeguard.Child || to.Band == safeguard.Child) {
		d.NeedsGuardian = true
	}
	return d
}

// Acting decides whether p may act at all: an account that is not active
// (not yet approved, suspended, closed) is refused before anything else is
// judged.
func Acting(p Party) Decision {
	if p.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	return allow()
}

// Message decides whether sender may send a message that recipient would
// receive in a one-to-one conversation. In groups, Group governs membership and
// blocks only hide messages from the blocker (see Hidden).
func (c Config) Message(sender, recipient Party, rel Relation) Decision {
	if d := Acting(sender); !d.Allow {
		return d
	}
	if rel.BlockedBy || rel.Blocks {
		return deny(ReasonBlocked, errUnavailable)
	}
	if recipient.Status != safeguard.Active {
		return deny(ReasonTargetInactive, errUnavailable)
	}
	if (sender.Minor() || recipient.Minor()) && !rel.Contacts {
		if sender.Band == safeguard.Adult {
			return deny(ReasonStrangerContactMinor, errUnavailable)
		}
		return deny(ReasonNotContacts, errNotContacts)
	}
	return allow()
}

// Hidden reports whether a message from sender is hidden from viewer: viewers
// never see the messages of someone they have blocked, in groups too.
func Hidden(viewer int64, rel Relation) bool { return rel.Blocks }

// Direct decides whether creator may start a one-to-one conversation with
// other. An adult asking for a minor who is not a contact gets the answer for
// an unknown account.
func (c Config) Direct(creator, other Party, rel Relation) Decision {
	if creator.ID == other.ID {
		return deny(ReasonSelf, errSelf)
	}
	if creator.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	if v := c.Visible(creator, other, rel); !v.Allow {
		return v
	}
	if rel.Blocks {
		return deny(ReasonBlocked, errUnavailable)
	}
	if (creator.Minor() || other.Minor()) && !rel.Contacts {
		return deny(ReasonNotContacts, errNotContacts)
	}
	return allow()
}

// Join decides whether joiner may be added to a group by adder, given the
// group's current members (joined or invited, adder included). A minor always
// joins by accepting an invitation.
//
// The rule that keeps strangers away from children in groups: for every minor
// in the group, every other member is one of their contacts. So a minor is
// added only by a contact, only when every member is the minor's contact, and
// an adult joins a group with a minor only as that minor's contact.
func (c Config) Join(adder, joiner Party, members []Party, e2ee bool, rels Relations) Decision {
	if adder.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	if adder.ID != joiner.ID {
		if v := c.Visible(adder, joiner, rels(adder.ID, joiner.ID)); !v.Allow {
			return v
		}
	}
	if len(members)+1 > safeguard.MaxGroupMembers {
		return deny(ReasonGroupFull, errGroupFull)
	}
	if e2ee && !joiner.VerifiedAdult() {
		return deny(ReasonE2EEVerifiedAdults, ErrE2EEVerifiedAdults)
	}
	if e2ee && c.Mode != NSPCC {
		return deny(ReasonE2EEDisabled, errE2EEDisabled)
	}
	for _, m := range members {
		if m.ID == joiner.ID {
			continue
		}
		if !pairAllowed(m, joiner, rels) {
			return apart(m, joiner)
		}
	}
	d := allow()
	d.Invite = joiner.Minor() && joiner.ID != adder.ID
	return d
}

// apart refuses a group because a and b are not contacts, naming them.
func apart(a, b Party) Decision {
	d := deny(ReasonGroupContacts, errGroupContacts)
	d.Apart = [2]int64{a.ID, b.ID}
	return d
}

// pairAllowed reports whether a and b may share a group: when either is a
// minor, they must be contacts.
func pairAllowed(a, b Party, rels Relations) bool {
	return MayShareGroup(a, b, rels(a.ID, b.ID))
}

// MayShareGroup reports whether a and b, with rel between them, may be in
// the same group: when either is a minor, only as contacts.
func MayShareGroup(a, b Party, rel Relation) bool {
	if !a.Minor() && !b.Minor() {
		return true
	}
	return rel.Contacts
}

// Group decides whether creator may create a group with others, checking each
// newcomer as Join would. The first refusal wins; refusals about the creator's
// own view (a minor who is not the creator's contact) conceal, and come before
// any other answer.
func (c Config) Group(creator Party, others []Party, e2ee bool, rels Relations) Decision {
	if creator.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	for _, o := range others {
		if o.ID == creator.ID {
			return deny(ReasonSelf, errSelf)
		}
		if v := c.Visible(creator, o, rels(creator.ID, o.ID)); !v.Allow {
			return v
		}
	}
	// Encryption only once every member is known to be visible: a refusal
	// of E2EE would otherwise tell that a concealed account exists.
	if e := c.Encryption(append([]Party{creator}, others...), e2ee); !e.Allow {
		return e.Decision
	}
	if len(others)+1 > safeguard.MaxGroupMembers {
		return deny(ReasonGroupFull, errGroupFull)
	}
	all := append([]Party{creator}, others...)
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if !pairAllowed(all[i], all[j], rels) {
				return apart(all[i], all[j])
			}
		}
	}
	return allow()
}

// Accept decides whether an invited minor may accept a group invitation now:
// the group rule is checked again, since contacts may have changed.
func (c Config) Accept(invitee Party, members []Party, rels Relations) Decision {
	if invitee.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	for _, m := range members {
		if m.ID != invitee.ID && !pairAllowed(m, invitee, rels) {
			return deny(ReasonGroupContacts, errGroupContacts)
		}
	}
	return allow()
}

// Guardian decides whether g may act as a guardian of a child.
func (c Config) Guardian(g Party) Decision {
	if g.Status != safeguard.Active {
		return deny(ReasonRequesterInactive, errInactive)
	}
	if !g.VerifiedAdult() {
		return deny(ReasonGuardianNotVerified, errGuardianNotVerified)
	}
	return allow()
}
