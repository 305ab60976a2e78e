package risk

// The types below are what rule expressions see. Their fields are named for
// CEL by their cel tags; see docs/risk.md for the list.

// Party is the facts about one member as a rule sees them: sender, or
// recipient (the youngest other member).
type Party struct {
	ID                   string `cel:"id"`
	AgeBand              string `cel:"age_band"` // child, teen, adult or ""
	Minor                bool   `cel:"minor"`
	Adult                bool   `cel:"adult"`
	Child                bool   `cel:"child"`
	Teen                 bool   `cel:"teen"`
	DeclaredAge          int    `cel:"declared_age"` // 0 if unknown
	Verified             bool   `cel:"verified"`     // age assurance is verified
	Connected            bool   `cel:"connected"`
	AccountAgeDays       int    `cel:"account_age_days"` // -1 if unknown
	ContactOrigin        string `cel:"contact_origin"`
	RefusedMinorAttempts int    `cel:"refused_minor_attempts"`
	ClaimedAge           int    `cel:"claimed_age"` // last age stated in text, 0 if none
	Messages             int    `cel:"messages"`    // messages sent so far, this one included
}

// SignalCount is one signal's count for a member, as a rule sees it.
type SignalCount struct {
	Count int `cel:"count"` // messages it fired in
	First int `cel:"first"` // index of the first, -1 if none
	Last  int `cel:"last"`  // index of the last, -1 if none
}

// MessageFacts describes the message being scored.
type MessageFacts struct {
	Index    int      `cel:"index"`
	Seconds  int      `cel:"seconds"` // since the conversation began
	HasImage bool     `cel:"has_image"`
	Signals  []string `cel:"signals"` // signals that fired in this message
	// LocalHour is the hour (0-23) at which it was sent where the young
	// person lives, -1 if unknown; Night is true from NightFrom to
	// NightUntil o'clock.
	LocalHour int  `cel:"local_hour"`
	Night     bool `cel:"night"`
}

// ConversationFacts describes the conversation so far.
type ConversationFacts struct {
	Messages int  `cel:"messages"` // scored so far, this one included
	Members  int  `cel:"members"`
	Minors   int  `cel:"minors"`
	Adults   int  `cel:"adults"`
	Group    bool `cel:"group"`
	AgeGap   int  `cel:"age_gap"` // sender's minus recipient's declared age; 0 if either is unknown
	// GuardianLink is true when the sender is the recipient's guardian or
	// the recipient is the sender's.
	GuardianLink bool `cel:"guardian_link"`
	// GuardianPresent is true when a member other than the sender is the
	// guardian of a minor in the conversation.
	GuardianPresent bool `cel:"guardian_present"`
}

// partyOf returns the facts of m.
func partyOf(m *Member, ms *MemberState) Party {
	p := Party{
		ID:                   m.ID,
		AgeBand:              string(m.AgeBand),
		Minor:                m.AgeBand.Minor(),
		Adult:                m.AgeBand == "adult",
		Child:                m.AgeBand == "child",
		Teen:                 m.AgeBand == "teen",
		DeclaredAge:          m.DeclaredAge,
		Verified:             m.AgeAssurance == "verified",
		Connected:            m.Connected,
		AccountAgeDays:       -1,
		ContactOrigin:        m.ContactOrigin,
		RefusedMinorAttempts: m.RefusedMinorAttempts,
	}
	if m.AccountAgeDays != nil {
		p.AccountAgeDays = *m.AccountAgeDays
	}
	if ms != nil {
		p.ClaimedAge = ms.ClaimedAge
		p.Messages = ms.Messages
	}
	return p
}
