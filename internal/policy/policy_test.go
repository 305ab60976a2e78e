package policy

import (
	"fmt"
	"testing"

	safeguard "github.com/safeguard-dev/safeguard"
)

var (
	bands      = []safeguard.AgeBand{safeguard.Child, safeguard.Teen, safeguard.Adult}
	assurances = []safeguard.Assurance{safeguard.SelfDeclared, safeguard.Verified}
	modes      = []Mode{NSPCC, None}
)

type blockState int

const (
	noBlock blockState = iota
	fromBlocksTo
	toBlocksFrom
)

func (b blockState) String() string {
	return [...]string{"none", "from-blocks-to", "to-blocks-from"}[b]
}

// combo is one point of the matrix: two accounts, their relation, the mode.
type combo struct {
	from, to Party
	contacts bool
	block    blockState
	mode     Mode
	guardian bool
}

func (c combo) String() string {
	return fmt.Sprintf("%s/%s→%s/%s contacts=%v block=%s mode=%s guardian=%v",
		c.from.Band, c.from.Assurance, c.to.Band, c.to.Assurance, c.contacts, c.block, c.mode, c.guardian)
}

func (c combo) rel() Relation {
	return Relation{Contacts: c.contacts, Blocks: c.block == fromBlocksTo, BlockedBy: c.block == toBlocksFrom}
}

func (c combo) config() Config { return Config{Mode: c.mode, GuardianApprovesContacts: c.guardian} }

// everyCombo enumerates band × assurance × contact status × block × direction
// (both orders appear, since from and to range over the same values) × mode ×
// guardian setting.
func everyCombo() []combo {
	var out []combo
	for _, fb := range bands {
		for _, fa := range assurances {
			for _, tb := range bands {
				for _, ta := range assurances {
					for _, contacts := range []bool{false, true} {
						for _, block := range []blockState{noBlock, fromBlocksTo, toBlocksFrom} {
							for _, mode := range modes {
								for _, guardian := range []bool{true, false} {
									out = append(out, combo{
										from:     Party{ID: 1, Band: fb, Assurance: fa, Status: safeguard.Active},
										to:       Party{ID: 2, Band: tb, Assurance: ta, Status: safeguard.Active},
										contacts: contacts, block: block, mode: mode, guardian: guardian,
									})
								}
							}
						}
					}
				}
			}
		}
	}
	return out
}

// The expectations below restate the rules of the platform (docs/policy.md)
// directly from the table, independent of how policy.go is written.

func wantContactRequest(c combo) (allow, concealed bool, reason string) {
	switch {
	case c.block == toBlocksFrom:
		return false, true, ReasonBlocked
	case c.block == fromBlocksTo:
		return false, false, ReasonBlocked
	case c.contacts:
		return false, false, ReasonAlreadyContacts
	case c.from.Band == safeguard.Adult && c.to.Band.Minor():
		return false, true, ReasonStrangerContactMinor
	}
	return true, false, ""
}

func wantMessage(c combo) (allow bool, reason string) {
	switch {
	case c.block != noBlock:
		return false, ReasonBlocked
	case (c.from.Band.Minor() || c.to.Band.Minor()) && !c.contacts:
		if c.from.Band == safeguard.Adult {
			return false, ReasonStrangerContactMinor
		}
		return false, ReasonNotContacts
	}
	return true, ""
}

func TestMatrix(t *testing.T) {
	n := 0
	for _, c := range everyCombo() {
		n++
		cfg := c.config()

		// Contact requests.
		d := cfg.ContactRequest(c.from, c.to, c.rel())
		allowC, concealC, reasonC := wantContactRequest(c)
		if d.Allow != allowC || d.Conceal != concealC || (!allowC && d.Reason != reasonC) {
			t.Errorf("ContactRequest %v = allow %v conceal %v reason %q; want %v %v %q",
				c, d.Allow, d.Conceal, d.Reason, allowC, concealC, reasonC)
		}
		if d.Conceal && d.Err != safeguard.UnknownAccount {
			t.Errorf("ContactRequest %v: concealed refusal answers %v, not the unknown-account answer", c, d.Err)
		}
		if d.Allow {
			wantGuardian := c.guardian && (c.from.Band == safeguard.Child || c.to.Band == safeguard.Child)
			if d.NeedsGuardian != wantGuardian {
				t.Errorf("ContactRequest %v: NeedsGuardian = %v, want %v", c, d.NeedsGuardian, wantGuardian)
			}
			wantNotice := c.from.Band.Minor() && c.to.Band == safeguard.Adult
			if got := contains(d.Notices, NoticeMinorAddsAdult); got != wantNotice {
				t.Errorf("ContactRequest %v: minor-adds-adult notice = %v, want %v", c, got, wantNotice)
			}
		}

		// Messages in a one-to-one conversation.
		m := cfg.Message(c.from, c.to, c.rel())
		allowM, reasonM := wantMessage(c)
		if m.Allow != allowM || (!allowM && m.Reason != reasonM) {
			t.Errorf("Message %v = %v %q; want %v %q", c, m.Allow, m.Reason, allowM, reasonM)
		}
		if m.Reason == ReasonStrangerContactMinor && m.Err.Code == ReasonStrangerContactMinor {
			t.Errorf("Message %v: the precise reason reached the requester", c)
		}

		// Starting a one-to-one conversation: an adult never learns of a
		// minor who is not a contact.
		dd := cfg.Direct(c.from, c.to, c.rel())
		if c.from.Band == safeguard.Adult && c.to.Band.Minor() && !c.contacts {
			if dd.Allow || !dd.Conceal || dd.Err != safeguard.UnknownAccount {
				t.Errorf("Direct %v = %+v; want concealed refusal", c, dd)
			}
		}
		if dd.Allow && !m.Allow && c.block == noBlock {
			t.Errorf("Direct %v allowed a conversation whose messages are refused (%s)", c, m.Reason)
		}

		// Encryption of a conversation of the two.
		members := []Party{c.from, c.to}
		for _, want := range []bool{false, true} {
			e := cfg.Encryption(members, want)
			bothVerifiedAdults := c.from.VerifiedAdult() && c.to.VerifiedAdult()
			wantAllow := !want || (c.mode == NSPCC && bothVerifiedAdults)
			if e.Allow != wantAllow {
				t.Errorf("Encryption %v e2ee=%v: allow %v, want %v", c, want, e.Allow, wantAllow)
			}
			if e.Allow && e.E2EE != want {
				t.Errorf("Encryption %v e2ee=%v: silently changed to %v", c, want, e.E2EE)
			}
			if want && !e.Allow && c.mode == NSPCC && e.Err != ErrE2EEVerifiedAdults {
				t.Errorf("Encryption %v: refusal %v, want e2ee_requires_verified_adults", c, e.Err)
			}
			anyMinor := c.from.Band.Minor() || c.to.Band.Minor()
			if !e.E2EE && anyMinor && e.Notice != NoticeMinorPresent {
				t.Errorf("Encryption %v e2ee=%v: notice %q, want minor_present", c, want, e.Notice)
			}
			if !e.E2EE && !anyMinor && c.mode == NSPCC && !bothVerifiedAdults && e.Notice != NoticeAgeNotVerified {
				t.Errorf("Encryption %v e2ee=%v: notice %q, want age_not_verified", c, want, e.Notice)
			}
			if e.E2EE && anyMinor {
				t.Errorf("Encryption %v: E2EE with a minor", c)
			}
		}
	}
	// 3 bands × 2 assurances, squared, × 2 contact × 3 block × 2 modes × 2 guardian settings.
	if want := 6 * 6 * 2 * 3 * 2 * 2; n != want {
		t.Fatalf("matrix has %d combinations, want %d", n, want)
	}
}

func TestInactiveAccounts(t *testing.T) {
	cfg := Default()
	adult := Party{ID: 1, Band: safeguard.Adult, Assurance: safeguard.Verified, Status: safeguard.Active}
	for _, st := range []safeguard.AccountStatus{safeguard.PendingGuardian, safeguard.Suspended} {
		child := Party{ID: 2, Band: safeguard.Child, Status: st}
		if d := cfg.ContactRequest(adult, child, Relation{}); d.Allow || !d.Conceal {
			t.Errorf("request to a %s account: %+v, want concealed", st, d)
		}
		if d := cfg.ContactRequest(child, adult, Relation{}); d.Allow || d.Reason != ReasonRequesterInactive {
			t.Errorf("request from a %s account: %+v, want account_inactive", st, d)
		}
		if d := cfg.Message(child, adult, Relation{Contacts: true}); d.Allow {
			t.Errorf("message from a %s account allowed", st)
		}
	}
}

func TestSelf(t *testing.T) {
	p := Party{ID: 1, Band: safeguard.Adult, Status: safeguard.Active}
	if d := Default().ContactRequest(p, p, Relation{}); d.Allow || d.Reason != ReasonSelf {
		t.Errorf("self request: %+v", d)
	}
	if d := Default().Direct(p, p, Relation{}); d.Allow || d.Reason != ReasonSelf {
		t.Errorf("self conversation: %+v", d)
	}
}

// group builds a relation function from a list of contact pairs and blocks.
func group(contacts [][2]int64, blocks [][2]int64) Relations {
	return func(a, b int64) Relation {
		var r Relation
		for _, p := range contacts {
			if (p[0] == a && p[1] == b) || (p[0] == b && p[1] == a) {
				r.Contacts = true
			}
		}
		for _, p := range blocks {
			if p[0] == a && p[1] == b {
				r.Blocks = true
			}
			if p[0] == b && p[1] == a {
				r.BlockedBy = true
			}
		}
		return r
	}
}

func TestGroups(t *testing.T) {
	active := func(id int64, b safeguard.AgeBand, a safeguard.Assurance) Party {
		return Party{ID: id, Band: b, Assurance: a, Status: safeguard.Active}
	}
	aunt := active(1, safeguard.Adult, safeguard.Verified)
	uncle := active(2, safeguard.Adult, safeguard.SelfDeclared)
	teen := active(3, safeguard.Teen, safeguard.SelfDeclared)
	stranger := active(4, safeguard.Adult, safeguard.Verified)
	friend := active(5, safeguard.Teen, safeguard.SelfDeclared)
	verified2 := active(6, safeguard.Adult, safeguard.Verified)
	cfg := Default()

	family := group([][2]int64{{1, 3}, {2, 3}, {1, 2}, {3, 5}}, nil)

	tests := []struct {
		name    string
		d       Decision
		allow   bool
		reason  string
		conceal bool
		invite  bool
	}{
		{"aunt adds teen contact to group with uncle (also a contact)",
			cfg.Join(aunt, teen, []Party{aunt, uncle}, false, family), true, "", false, true},
		{"stranger adds teen he does not know",
			cfg.Join(stranger, teen, []Party{stranger}, false, family), false, ReasonStrangerContactMinor, true, false},
		{"aunt adds teen to group where a stranger adult is a member",
			cfg.Join(aunt, teen, []Party{aunt, stranger}, false, family), false, ReasonGroupContacts, false, false},
		{"aunt adds stranger adult to a group with the teen",
			cfg.Join(aunt, stranger, []Party{aunt, teen}, false, family), false, ReasonGroupContacts, false, false},
		{"teen adds a friend (contact) to a group with aunt, who does not know the friend",
			cfg.Join(teen, friend, []Party{teen, aunt}, false, family), false, ReasonGroupContacts, false, false},
		{"teen can never be added to an E2EE group",
			cfg.Join(aunt, teen, []Party{aunt, verified2}, true, group([][2]int64{{1, 3}, {6, 3}}, nil)), false, ReasonE2EEVerifiedAdults, false, false},
		{"unverified adult cannot join an E2EE group",
			cfg.Join(aunt, uncle, []Party{aunt, verified2}, true, family), false, ReasonE2EEVerifiedAdults, false, false},
		{"verified adult joins an E2EE group",
			cfg.Join(aunt, verified2, []Party{aunt, stranger}, true, family), true, "", false, false},
		{"someone who blocked the adder cannot be added anywhere",
			cfg.Join(stranger, verified2, []Party{stranger}, false, group(nil, [][2]int64{{6, 4}})), false, ReasonBlocked, true, false},
		{"group of aunt, uncle and teen",
			cfg.Group(aunt, []Party{uncle, teen}, false, family), true, "", false, false},
		{"group with teen and stranger",
			cfg.Group(aunt, []Party{teen, stranger}, false, family), false, ReasonGroupContacts, false, false},
		{"stranger's group with teen",
			cfg.Group(stranger, []Party{teen}, false, family), false, ReasonStrangerContactMinor, true, false},
		{"E2EE group with a teen",
			cfg.Group(aunt, []Party{teen}, true, family), false, ReasonE2EEVerifiedAdults, false, false},
		{"stranger's E2EE group with a teen conceals before encryption is judged",
			cfg.Group(stranger, []Party{teen}, true, family), false, ReasonStrangerContactMinor, true, false},
		{"stranger's E2EE group with a child waiting for a guardian",
			cfg.Group(stranger, []Party{{ID: 7, Band: safeguard.Child, Status: safeguard.PendingGuardian}}, true, family), false, ReasonStrangerContactMinor, true, false},
		{"stranger looks up a child waiting for a guardian: a refusal about a minor",
			cfg.Visible(stranger, Party{ID: 7, Band: safeguard.Child, Status: safeguard.PendingGuardian}, Relation{}), false, ReasonStrangerContactMinor, true, false},
		{"adult looks up a suspended adult",
			cfg.Visible(stranger, Party{ID: 8, Band: safeguard.Adult, Status: safeguard.Suspended}, Relation{}), false, ReasonTargetInactive, true, false},
		{"E2EE group of verified adults",
			cfg.Group(aunt, []Party{stranger, verified2}, true, family), true, "", false, false},
		{"E2EE group in mode none",
			Config{Mode: None}.Group(aunt, []Party{stranger}, true, family), false, ReasonE2EEDisabled, false, false},
		{"teen accepts when everyone is a contact",
			cfg.Accept(teen, []Party{aunt, uncle, teen}, family), true, "", false, false},
		{"teen cannot accept once a stranger has joined",
			cfg.Accept(teen, []Party{aunt, stranger, teen}, family), false, ReasonGroupContacts, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.d.Allow != tt.allow || tt.d.Reason != tt.reason || tt.d.Conceal != tt.conceal || tt.d.Invite != tt.invite {
				t.Errorf("got allow=%v reason=%q conceal=%v invite=%v; want %v %q %v %v",
					tt.d.Allow, tt.d.Reason, tt.d.Conceal, tt.d.Invite, tt.allow, tt.reason, tt.conceal, tt.invite)
			}
			if tt.d.Conceal && tt.d.Err != safeguard.UnknownAccount {
				t.Errorf("concealed refusal answers %v", tt.d.Err)
			}
		})
	}
}

func TestGroupFull(t *testing.T) {
	members := make([]Party, safeguard.MaxGroupMembers)
	for i := range members {
		members[i] = Party{ID: int64(i + 10), Band: safeguard.Adult, Status: safeguard.Active}
	}
	adder := members[0]
	joiner := Party{ID: 1, Band: safeguard.Adult, Status: safeguard.Active}
	if d := Default().Join(adder, joiner, members, false, group(nil, nil)); d.Allow || d.Reason != ReasonGroupFull {
		t.Errorf("joining a full group: %+v", d)
	}
}

func TestGuardian(t *testing.T) {
	cfg := Default()
	if d := cfg.Guardian(Party{Band: safeguard.Adult, Assurance: safeguard.Verified, Status: safeguard.Active}); !d.Allow {
		t.Errorf("verified adult refused as guardian: %+v", d)
	}
	for _, p := range []Party{
		{Band: safeguard.Adult, Assurance: safeguard.SelfDeclared, Status: safeguard.Active},
		{Band: safeguard.Teen, Assurance: safeguard.Verified, Status: safeguard.Active},
	} {
		if d := cfg.Guardian(p); d.Allow || d.Reason != ReasonGuardianNotVerified {
			t.Errorf("Guardian(%+v) = %+v", p, d)
		}
	}
}

func TestHidden(t *testing.T) {
	if !Hidden(1, Relation{Blocks: true}) {
		t.Error("a blocker sees the blocked member's messages")
	}
	if Hidden(1, Relation{BlockedBy: true}) || Hidden(1, Relation{Contacts: true}) {
		t.Error("messages hidden without a block by the viewer")
	}
}

func TestMayStayInE2EE(t *testing.T) {
	if MayStayInE2EE(Party{Band: safeguard.Adult, Assurance: safeguard.SelfDeclared}) {
		t.Error("revoked adult stays in E2EE")
	}
	if !MayStayInE2EE(Party{Band: safeguard.Adult, Assurance: safeguard.Verified}) {
		t.Error("verified adult removed from E2EE")
	}
}

// TestE2EEContinues: an end-to-end encrypted conversation takes messages only
// while every current member is a verified adult, and its notice says so.
func TestE2EEContinues(t *testing.T) {
	va := Party{ID: 1, Band: safeguard.Adult, Assurance: safeguard.Verified, Status: safeguard.Active}
	for _, c := range []struct {
		name    string
		other   Party
		allowed bool
	}{
		{"verified adults", Party{ID: 2, Band: safeguard.Adult, Assurance: safeguard.Verified}, true},
		{"a teen", Party{ID: 2, Band: safeguard.Teen, Assurance: safeguard.Verified}, false},
		{"a child", Party{ID: 2, Band: safeguard.Child, Assurance: safeguard.SelfDeclared}, false},
		{"an adult not verified", Party{ID: 2, Band: safeguard.Adult, Assurance: safeguard.SelfDeclared}, false},
	} {
		members := []Party{va, c.other}
		d := E2EEContinues(members)
		if d.Allow != c.allowed {
			t.Errorf("%s: allowed %v, want %v", c.name, d.Allow, c.allowed)
		}
		notice := Default().Notice(members, true)
		if c.allowed && notice != NoticeE2EE || !c.allowed && (notice != NoticeE2EEEnded || d.Reason != ReasonE2EEEnded || d.Err.Code != "e2ee_ended") {
			t.Errorf("%s: notice %q, decision %+v", c.name, notice, d)
		}
	}
	if Default().Notice([]Party{va, {ID: 2, Band: safeguard.Teen}}, false) != NoticeMinorPresent {
		t.Error("a plain chat with a teen lost its notice")
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
