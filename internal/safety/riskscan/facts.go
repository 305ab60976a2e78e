package riskscan

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/risk"
)

// Contact origins, as rules read them in contact_origin.
const (
	originMinor = "minor_requested"
	originAdult = "adult_requested"
	originGroup = "group"
)

// members orders the accounts who would see the message — the sender
// first, then the youngest other member (the rules' recipient), then the
// rest — with the facts every member has: age band, age from the date of
// birth, assurance and account age.
func members(c *messaging.Content) ([]*safeguard.Account, []risk.Member, []safeguard.RiskMember) {
	now := c.Now
	others := c.Recipients
	youngest := 0
	for i, a := range others {
		if younger(a, others[youngest], now) {
			youngest = i
		}
	}
	accounts := []*safeguard.Account{c.Sender, others[youngest]}
	for i, a := range others {
		if i != youngest {
			accounts = append(accounts, a)
		}
	}
	ms := make([]risk.Member, len(accounts))
	details := make([]safeguard.RiskMember, len(accounts))
	for i, a := range accounts {
		days := int(now.Sub(a.CreatedAt) / (24 * time.Hour))
		if a.CreatedAt.IsZero() || days < 0 {
			days = -1
		}
		band := a.Band(now)
		ms[i] = risk.Member{ID: strconv.FormatInt(a.ID, 10), AgeBand: band, DeclaredAge: safeguard.AgeOn(a.BirthDate, now),
			AgeAssurance: a.Assurance}
		if days >= 0 {
			ms[i].AccountAgeDays = &days
		}
		details[i] = safeguard.RiskMember{AccountID: a.ID, Role: "member", Band: band, DeclaredAge: ms[i].DeclaredAge,
			Assurance: a.Assurance, AccountAgeDays: days}
	}
	for i, a := range accounts {
		for j, b := range accounts {
			if i != j && b.GuardianID != 0 && b.GuardianID == a.ID {
				ms[i].GuardianOf = append(ms[i].GuardianOf, ms[j].ID)
			}
		}
	}
	details[0].Role, details[1].Role = "sender", "recipient"
	return accounts, ms, details
}

// keyOf names the stored facts of a message for the cache. The members'
// bands are part of the name: which facts are read depends on them (an
// adult's refused attempts), so a birthday or a corrected date of birth
// reads them afresh at the next message.
func keyOf(c *messaging.Content, accounts []*safeguard.Account) factsKey {
	h := fnv.New64a()
	var b [8]byte
	for _, a := range accounts {
		binary.LittleEndian.PutUint64(b[:], uint64(a.ID))
		h.Write(b[:])
		h.Write([]byte(a.Band(c.Now)))
	}
	return factsKey{conv: c.Conversation.ID, sender: accounts[0].ID, recipient: accounts[1].ID, members: h.Sum64()}
}

// loadFacts reads what the rules know of the sender and the recipient from
// the store: whether each was an established contact of the others, how
// their contact began, and (for an adult) how many distinct minors it
// tried and was refused to reach lately. Only those two are read, as rules
// see only them: the work per message stays the same in a group of 200.
func (r *Scanner) loadFacts(ctx context.Context, tx Tx, c *messaging.Content, accounts []*safeguard.Account) (storedFacts, error) {
	var f storedFacts
	rels, err := r.contacts(ctx, tx, c, accounts[0], accounts[1])
	if err != nil {
		return f, err
	}
	for i := range 2 {
		a, other := accounts[i], accounts[1-i]
		f.connected[i] = r.connected(a, accounts, rels, c)
		f.origin[i] = contactOrigin(rels(a.ID, other.ID), c)
		if a.Band(c.Now) == safeguard.Adult {
			n, err := tx.RefusedMinors(ctx, a.ID, c.Now.Add(-r.cfg.RefusalWindow))
			if err != nil {
				return f, err
			}
			f.refused[i], f.adult[i] = n, true
		}
	}
	return f, nil
}

// apply puts the stored facts into the members' facts.
func (f storedFacts) apply(ms []risk.Member, details []safeguard.RiskMember) {
	for i := range 2 {
		ms[i].Connected, ms[i].ContactOrigin = f.connected[i], f.origin[i]
		connected := f.connected[i]
		details[i].Connected, details[i].ContactOrigin = &connected, f.origin[i]
		if f.adult[i] {
			n := f.refused[i]
			ms[i].RefusedMinorAttempts, details[i].RefusedMinorAttempts = n, &n
		}
	}
}

// younger reports whether a is younger than b, as the rules choose their
// recipient: by band, then by age.
func younger(a, b *safeguard.Account, now time.Time) bool {
	ra, rb := bandRank(a.Band(now)), bandRank(b.Band(now))
	if ra != rb {
		return ra < rb
	}
	return safeguard.AgeOn(a.BirthDate, now) < safeguard.AgeOn(b.BirthDate, now)
}

func bandRank(b safeguard.AgeBand) int {
	switch b {
	case safeguard.Child:
		return 0
	case safeguard.Teen:
		return 1
	}
	return 2
}

// contactOf returns the contact between two accounts, or nil.
type contactOf func(a, b int64) *safeguard.Contact

// contacts loads the contacts the facts need: in a one-to-one conversation
// the one between its two members; in a group every contact of the sender
// and of the recipient.
func (r *Scanner) contacts(ctx context.Context, tx Tx, c *messaging.Content, sender, recipient *safeguard.Account) (contactOf, error) {
	byPair := map[[2]int64]*safeguard.Contact{}
	add := func(k *safeguard.Contact) {
		byPair[[2]int64{min(k.FromID, k.ToID), max(k.FromID, k.ToID)}] = k
	}
	if len(c.Recipients) == 1 {
		k, err := tx.ContactBetween(ctx, sender.ID, recipient.ID)
		switch {
		case errors.Is(err, safeguard.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			add(k)
		}
	} else {
		for _, id := range []int64{sender.ID, recipient.ID} {
			ks, err := tx.Contacts(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, k := range ks {
				add(k)
			}
		}
	}
	return func(a, b int64) *safeguard.Contact { return byPair[[2]int64{min(a, b), max(a, b)}] }, nil
}

// connected reports whether a was an established contact of every other
// member before the conversation began: for every pair that includes a
// minor, a guardian link, or a contact accepted at least EstablishedAfter
// before the conversation was created. Pairs of adults do not count.
func (r *Scanner) connected(a *safeguard.Account, accounts []*safeguard.Account, rels contactOf, c *messaging.Content) bool {
	now := c.Now
	cutoff := c.Conversation.CreatedAt.Add(-r.cfg.EstablishedAfter)
	for _, b := range accounts {
		if b.ID == a.ID || !a.Band(now).Minor() && !b.Band(now).Minor() {
			continue
		}
		if a.HasGuardian(b.ID) || b.HasGuardian(a.ID) {
			continue
		}
		k := rels(a.ID, b.ID)
		if k == nil || k.State != safeguard.ContactAccepted || k.UpdatedAt.After(cutoff) {
			return false
		}
	}
	return true
}

// contactOrigin says who asked first, from the contact between two
// accounts: a minor or an adult; "group" when they met in a group without
// being contacts; "" when unknown.
func contactOrigin(k *safeguard.Contact, c *messaging.Content) string {
	if k == nil {
		if c.Conversation.Kind == safeguard.Group {
			return originGroup
		}
		return ""
	}
	for _, a := range append([]*safeguard.Account{c.Sender}, c.Recipients...) {
		if a.ID == k.FromID {
			if a.Band(c.Now).Minor() {
				return originMinor
			}
			return originAdult
		}
	}
	return ""
}
