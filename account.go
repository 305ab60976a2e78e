package safeguard

import (
	"net/netip"
	"time"
)

// AccountStatus is where an account stands in its life.
type AccountStatus string

// The account statuses. A child's account waits for a guardian before it can
// do anything; a suspended account can log in to nothing. A deleted account
// is a tombstone: its handle stays taken (no one else, and no lookalike,
// can have it) and the records the law or a case needs stay with its ID,
// but it has no password, no sessions and no contacts, and others see what
// it sent as from "a deleted account".
const (
	Active          AccountStatus = "active"
	PendingGuardian AccountStatus = "pending_guardian"
	Suspended       AccountStatus = "suspended"
	Deleted         AccountStatus = "deleted"
)

// DefaultApp is the app name used when the operator configures none.
const DefaultApp = "chat"

// Account is a person on the platform. The date of birth cannot be changed by
// its owner after sign-up; an operator can correct it, and that is audited.
type Account struct {
	ID        int64
	Handle    string
	BirthDate Date
	Assurance Assurance
	Status    AccountStatus
	App       string // the app the account signed up through

	// LocalAuthority is the ONS local authority district code of where the
	// account holder lives, when known; PoliceForce the ONS police force
	// area code it maps to. Law-enforcement reports are routed by it.
	LocalAuthority string
	PoliceForce    string

	// GuardianID is, for a child, the verified adult who approved it; 0 if
	// none. SecondGuardianID is a second guardian the first brought in; 0
	// if none, and always 0 when GuardianID is.
	GuardianID       int64
	SecondGuardianID int64
	CreatedAt        time.Time

	// ActedBand is the age band the platform last acted on for the
	// account: what followed from it (a guardian's approvals, the rules
	// for adults) has been applied. It differs from Band(now) between a
	// birthday and the moment its consequences are applied; empty for an
	// account not yet seen since the band was first recorded.
	ActedBand AgeBand
}

// MaxGuardians is how many guardians a child can have.
const MaxGuardians = 2

// Guardians returns the IDs of the account's guardians, first first.
func (a *Account) Guardians() []int64 {
	var out []int64
	for _, id := range []int64{a.GuardianID, a.SecondGuardianID} {
		if id != 0 {
			out = append(out, id)
		}
	}
	return out
}

// HasGuardian reports whether id is one of the account's guardians.
func (a *Account) HasGuardian(id int64) bool {
	return id != 0 && (a.GuardianID == id || a.SecondGuardianID == id)
}

// AddGuardian makes id a guardian of the account, in the first free place.
// It reports false when id is one already or both places are taken.
func (a *Account) AddGuardian(id int64) bool {
	switch {
	case id == 0 || a.HasGuardian(id):
		return false
	case a.GuardianID == 0:
		a.GuardianID = id
	case a.SecondGuardianID == 0:
		a.SecondGuardianID = id
	default:
		return false
	}
	return true
}

// RemoveGuardian ends id's guardianship of the account; a second guardian
// left takes the first place. It reports whether id was a guardian.
func (a *Account) RemoveGuardian(id int64) bool {
	switch {
	case id == 0:
		return false
	case a.GuardianID == id:
		a.GuardianID, a.SecondGuardianID = a.SecondGuardianID, 0
	case a.SecondGuardianID == id:
		a.SecondGuardianID = 0
	default:
		return false
	}
	return true
}

// Band returns the account's age band at now.
func (a *Account) Band(now time.Time) AgeBand { return BandOn(a.BirthDate, now) }

// VerifiedAdult reports whether the account is an adult whose age is verified
// at now. An age checked while the account was a minor does not count: until
// what follows from the 18th birthday is applied (and the check let go), the
// acted band is still a minor's.
func (a *Account) VerifiedAdult(now time.Time) bool {
	return a.Band(now) == Adult && a.Assurance == Verified && !a.ActedBand.Minor()
}

// Origin is where and when a request came from: the client address with its
// source port, as law-enforcement reports need them.
type Origin struct {
	Addr netip.AddrPort
	At   time.Time
}

// Login records one attempt to log in.
type Login struct {
	AccountID int64
	Origin    Origin
	OK        bool
}

// Session is a logged-in device. Only a hash of its token is stored.
type Session struct {
	ID        int64
	AccountID int64
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Origin    Origin
	// App is the app the session was opened through; LastUsedAt when it
	// last made a request (to a minute), zero when never since login.
	App        string
	LastUsedAt time.Time
}
