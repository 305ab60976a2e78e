package messaging

import pw "github.com/safeguard-dev/safeguard/internal/password"

// Argon2 is the cost of password hashing with argon2id (package password).
type Argon2 = pw.Argon2

// DefaultArgon2 is the password hashing cost used unless configured.
var DefaultArgon2 = pw.Default
