// Package moderators keeps the people who work in the moderator console:
// their accounts, apart from chat accounts and created by the operator (or an
// admin), with a role — moderator, senior moderator, admin — and a password
// hashed with argon2id; their console sessions, stored hashed, which end when
// idle, at an absolute limit, or at logout; login rate limits; and the role
// matrix (Can) that says what each role may do. Every change to a moderator
// and every login is audited.
package moderators

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	safeguard "github.com/safeguard-dev/safeguard"
	pw "github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of Config.
const (
	DefaultIdleTimeout = 30 * time.Minute // a session unused this long ends
	DefaultMaxSession  = 12 * time.Hour   // a session ends this long after login, used or not
	MinPassword        = 12               // characters
	MaxPassword        = 256              // bytes
	MaxName            = 64               // bytes
	// touchEvery bounds how often a session's LastSeen is written: the idle
	// limit is kept to within this.
	touchEvery = time.Minute
)

// Default login limits: per name and client address, 5 attempts then one
// every 3 minutes; per name from addresses it has not logged in from lately,
// 50 then one every 3 minutes; per client address, 20 then one every 30
// seconds. A wrong guess locks out only the address it came from.
var (
	DefaultLoginPerNameAddress = ratelimit.Limit{Burst: 5, Per: 3 * time.Minute}
	DefaultLoginPerName        = ratelimit.Limit{Burst: 50, Per: 3 * time.Minute}
	DefaultLoginPerAddress     = ratelimit.Limit{Burst: 20, Per: 30 * time.Second}
)

// Config configures the Service. Zero fields take their defaults.
type Config struct {
	Argon2              Argon2
	IdleTimeout         time.Duration
	MaxSession          time.Duration
	LoginPerNameAddress ratelimit.Limit
	LoginPerName        ratelimit.Limit // from addresses the name has not logged in from lately
	LoginPerAddress     ratelimit.Limit
	// Passwords bounds the memory of password hashing; nil means a gate
	// of its own with the defaults.
	Passwords *pw.Gate
}

// Service is the moderators use case. Create it with New.
type Service struct {
	cfg       Config
	store     store.Store
	now       func() time.Time
	log       *slog.Logger
	logins    *ratelimit.LoginGuard
	dummyHash string
}

// Deps are what the Service is built on. Now, Log and RateLimits are
// optional.
type Deps struct {
	Store store.Store
	Now   func() time.Time // the clock; time.Now if nil
	Log   *slog.Logger
	// RateLimits, if not nil, keeps the login limits where the servers of
	// a cluster share them, so that guesses spread over the servers are
	// limited as on one; nil keeps them in this server's memory.
	RateLimits ratelimit.Shared
}

// New returns a Service over d.Store.
func New(cfg Config, d Deps) (*Service, error) {
	st, now, log := d.Store, d.Now, d.Log
	if st == nil {
		return nil, errors.New("moderators: a store is required")
	}
	if cfg.Argon2 == (Argon2{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxSession <= 0 {
		cfg.MaxSession = DefaultMaxSession
	}
	if cfg.LoginPerNameAddress == (ratelimit.Limit{}) {
		cfg.LoginPerNameAddress = DefaultLoginPerNameAddress
	}
	if cfg.LoginPerName == (ratelimit.Limit{}) {
		cfg.LoginPerName = DefaultLoginPerName
	}
	if cfg.LoginPerAddress == (ratelimit.Limit{}) {
		cfg.LoginPerAddress = DefaultLoginPerAddress
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dummy, err := cfg.Argon2.Hash(GeneratePassword())
	if err != nil {
		return nil, err
	}
	if cfg.Passwords == nil {
		cfg.Passwords = pw.NewGate(pw.DefaultMemoryBudget, pw.DefaultWait, now)
	}
	return &Service{cfg: cfg, store: st, now: now, log: log, dummyHash: dummy,
		logins: ratelimit.NewLoginGuard(ratelimit.LoginLimits{PerAddress: cfg.LoginPerAddress,
			PerAccountAddress: cfg.LoginPerNameAddress, PerAccount: cfg.LoginPerName,
			Shared: d.RateLimits, Name: "console.login"}, now)}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) clock() time.Time { return s.now().UTC() }

// validName checks a moderator's name: 1 to 64 bytes of letters, digits and
// . _ - (names appear in timelines and reports' declarations).
func validName(name string) error {
	if name == "" || len(name) > MaxName || !utf8.ValidString(name) {
		return safeguard.Invalid("invalid_name", "A moderator's name is 1 to %d letters, digits, dots, dashes or underscores.", MaxName)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-", r) {
			return safeguard.Invalid("invalid_name", "A moderator's name is 1 to %d letters, digits, dots, dashes or underscores.", MaxName)
		}
	}
	if name == "system" || name == "operator" {
		return safeguard.Invalid("invalid_name", "%q is reserved; choose another name.", name)
	}
	return nil
}

func validPassword(password, name string) error {
	if utf8.RuneCountInString(password) < MinPassword || len(password) > MaxPassword {
		return safeguard.Invalid("invalid_password", "Choose a password of %d to %d characters.", MinPassword, MaxPassword)
	}
	return pw.Guessable(password, name)
}

// audit writes an audit entry about moderator m, done by who ("operator",
// or an admin's name). TargetID stays 0 (it names chat accounts); the
// moderator is in the detail.
func audit(ctx context.Context, tx Tx, at time.Time, who, action string, m *safeguard.Moderator, reason string, detail map[string]any) error {
	actor := "moderator"
	if who == Operator || who == "" {
		actor, who = Operator, Operator
	}
	d := map[string]any{"moderator_id": m.ID, "moderator": m.Name, "by": who}
	for k, v := range detail {
		d[k] = v
	}
	b, _ := json.Marshal(d)
	return tx.Audit(ctx, &safeguard.AuditEntry{At: at, Actor: actor, Action: action, Reason: reason, Detail: string(b)})
}

// Operator is who acts from the command line.
const Operator = "operator"
