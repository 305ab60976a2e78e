package safeguard

import "time"

// URLEntryKind says how a URL list entry matches the links in messages.
type URLEntryKind string

// The ways an entry matches. Entries and links are compared in their
// normalised form (see internal/safety): no scheme, lower-case host without
// "www." or a trailing dot, no default port, no tracking parameters.
const (
	// URLExact matches exactly one URL.
	URLExact URLEntryKind = "url"
	// URLDomain matches a host and every host under it.
	URLDomain URLEntryKind = "domain"
	// URLPath matches every URL on one host whose path starts with the
	// entry's path at a segment boundary (/dir matches /dir and /dir/x, not
	// /directory).
	URLPath URLEntryKind = "path"
)

// Valid reports whether m is one of the three kinds.
func (m URLEntryKind) Valid() bool { return m == URLExact || m == URLDomain || m == URLPath }

// URLList is a list of URLs imported from a source such as the Internet Watch
// Foundation's URL list, with where it came from. A message with a link on a
// list is held back from delivery.
type URLList struct {
	ID          int64
	Name        string // unique; re-importing a name replaces the list
	Source      string // who supplied it ("IWF URL List", "internal", …)
	Description string
	SHA256      string // hex SHA-256 of the imported file
	Entries     int
	ImportedAt  time.Time
	ImportedBy  string // the operator who imported it
}

// URLEntry is one entry of a URL list.
type URLEntry struct {
	ListID int64
	Kind   URLEntryKind
	// Key is the normalised entry: host[:port], then the path and query
	// for URLExact, the path for URLPath.
	Key  string
	Line int // the line of the imported file it came from
}
