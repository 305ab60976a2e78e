package safeguard

import (
	"strings"
	"time"
)

// ModeratorRole is what a moderator of the console may do. Roles are ordered:
// a senior moderator may do all a moderator may, an admin all a senior
// moderator may. docs/console.md has the matrix.
type ModeratorRole string

// The moderator roles.
const (
	// RoleModerator reviews the queue: claims, decides, reveals evidence
	// (every reveal audited) and exports report packages.
	RoleModerator ModeratorRole = "moderator"
	// RoleSenior also reviews cases whose sender is a young person, decides
	// appeals and closes reported cases.
	RoleSenior ModeratorRole = "senior"
	// RoleAdmin also places and lifts legal holds and manages moderators.
	RoleAdmin ModeratorRole = "admin"
)

// Roles lists the roles, least to most.
var Roles = []ModeratorRole{RoleModerator, RoleSenior, RoleAdmin}

// rank orders the roles; an unknown role ranks below all.
func (r ModeratorRole) rank() int {
	switch r {
	case RoleModerator:
		return 1
	case RoleSenior:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r ModeratorRole) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes what min allows. An unknown role
// includes nothing.
func (r ModeratorRole) AtLeast(min ModeratorRole) bool { return r.Valid() && r.rank() >= min.rank() }

// Words returns the role in plain words: "senior moderator".
func (r ModeratorRole) Words() string {
	switch r {
	case RoleSenior:
		return "senior moderator"
	case RoleAdmin:
		return "admin"
	}
	return string(r)
}

// ParseModeratorRole reads a role as people write it: "moderator",
// "senior", "senior-moderator", "senior moderator", "admin".
func ParseModeratorRole(s string) (ModeratorRole, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.NewReplacer("-", " ", "_", " ").Replace(k)
	switch k {
	case "moderator":
		return RoleModerator, nil
	case "senior", "senior moderator":
		return RoleSenior, nil
	case "admin", "administrator":
		return RoleAdmin, nil
	}
	return "", Invalid("invalid_role", "Choose a role: moderator, senior or admin.")
}

// Moderator is a person who works in the moderator console. Moderators are
// apart from chat accounts: an operator creates them, and a chat account's
// session never opens the console.
type Moderator struct {
	ID         int64
	Name       string // unique, compared case-insensitively
	Role       ModeratorRole
	Disabled   bool // a disabled moderator cannot log in; their sessions end
	CreatedAt  time.Time
	CreatedBy  string // "operator", or the admin who added them
	DisabledAt time.Time
}

// ModeratorSession is a console login. Only a hash of its token is stored. It
// ends when idle for too long (LastSeen), at ExpiresAt whatever happens
// (the absolute limit), or at logout. CSRFToken is the synchronizer token
// every form of the session carries.
type ModeratorSession struct {
	TokenHash   []byte
	ModeratorID int64
	CSRFToken   string
	CreatedAt   time.Time
	LastSeen    time.Time
	ExpiresAt   time.Time
	Origin      Origin
}
