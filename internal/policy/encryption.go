package policy

// Notice codes. The texts live in internal/notice, in one place.
const (
	// Encryption notices: every member's client shows one, in words.
	NoticeE2EE           = "e2ee"             // end-to-end encrypted
	NoticeMinorPresent   = "minor_present"    // a young person is here, so not E2EE
	NoticeAgeNotVerified = "age_not_verified" // someone's age is not verified, so not E2EE
	NoticeNotRequested   = "not_requested"    // verified adults who chose a plain chat
	NoticeEncryptionOff  = "encryption_off"   // the service runs in mode none

	// Support notices (Ofcom ICU F2).
	NoticeMinorAddsAdult = "support_minor_adds_adult"
	NoticeNewContact     = "support_new_contact"
	NoticeBlocked        = "support_blocked"
	NoticeReported       = "support_reported"

	// Nudity notices: an image toward or from a young person that may
	// show nudity (internal/nudity decides which).
	NoticeNudityStopped = "nudity_stopped"  // to a young person: an adult's image was stopped
	NoticeNudityNotSent = "nudity_not_sent" // to a young sender: their image to an adult was not sent
	NoticeNudityBlurred = "nudity_blurred"  // to a young recipient: a young person's image is blurred
	NoticeNudityConfirm = "nudity_confirm"  // to a young sender: think first (the 409 confirm_image)
)

// EncryptionDecision says whether a conversation with these members is, or
// may be, end-to-end encrypted, and which notice its members see.
type EncryptionDecision struct {
	Decision
	E2EE   bool
	Notice string // one of the encryption notice codes
}

// Encryption decides the encryption of a conversation with members when e2ee
// is requested or not. A refused request never silently downgrades: the
// caller gets the refusal and must ask again without e2ee.
func (c Config) Encryption(members []Party, e2ee bool) EncryptionDecision {
	notice := c.plainNotice(members)
	if !e2ee {
		return EncryptionDecision{Decision: allow(), Notice: notice}
	}
	if c.Mode != NSPCC {
		return EncryptionDecision{Decision: deny(ReasonE2EEDisabled, errE2EEDisabled), Notice: notice}
	}
	for _, m := range members {
		if !m.VerifiedAdult() {
			return EncryptionDecision{Decision: deny(ReasonE2EEVerifiedAdults, ErrE2EEVerifiedAdults), Notice: notice}
		}
	}
	return EncryptionDecision{Decision: allow(), E2EE: true, Notice: NoticeE2EE}
}

// Notice returns the encryption notice of a conversation as it stands.
func (c Config) Notice(members []Party, e2ee bool) string {
	if e2ee {
		return NoticeE2EE
	}
	return c.plainNotice(members)
}

// plainNotice is the notice of a conversation that is not E2EE: the most
// important reason first, so a chat with a minor always says so.
func (c Config) plainNotice(members []Party) string {
	minor, unverified := false, false
	for _, m := range members {
		if m.Minor() {
			minor = true
		} else if !m.VerifiedAdult() {
			unverified = true
		}
	}
	switch {
	case minor:
		return NoticeMinorPresent
	case c.Mode == None:
		return NoticeEncryptionOff
	case unverified:
		return NoticeAgeNotVerified
	}
	return NoticeNotRequested
}

// MayStayInE2EE reports whether p may remain a member of an E2EE
// conversation. An account whose verification is revoked, or who is not an
// adult, leaves.
func MayStayInE2EE(p Party) bool { return p.VerifiedAdult() }
