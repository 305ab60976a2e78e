package safeguard

import "time"

// Preservation is a request from the police (or another agency acting under
// law) to keep an account's data while they seek an order to disclose it:
// its messages, media, logins with address and port, and contacts. It holds
// the data until ExpiresAt, which an extension moves; retention and account
// deletion leave held data alone until then. The account holder is never
// told.
type Preservation struct {
	ID         int64
	AccountID  int64
	Reference  string // the agency's reference for the request
	Agency     string // who asked, e.g. "Bedfordshire Police"
	RecordedBy string // the operator who recorded it
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Active reports whether the preservation still holds at now.
func (p *Preservation) Active(now time.Time) bool { return now.Before(p.ExpiresAt) }
