package moderators

import pw "github.com/safeguard-dev/safeguard/internal/password"

// Argon2 is the cost of hashing console passwords (argon2id).
type Argon2 = pw.Argon2

// DefaultArgon2 is the console's password hashing cost unless configured.
var DefaultArgon2 = pw.Default

// GeneratePassword returns a new random password to hand out once.
func GeneratePassword() string { return pw.Generate() }
