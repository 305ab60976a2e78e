// Package messaging holds the use cases of the messaging core: accounts and
// guardians, sessions, contacts and blocks, conversations and groups, messages,
// media and read markers. Every decision about who may reach whom is asked of
// internal/policy; every change goes through the store contract in one
// transaction, with the events it causes written to the outbox beside it; live
// delivery goes over the bus after the commit.
package messaging

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/media"
	pw "github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of Config.
const (
	DefaultSessionTTL      = 30 * 24 * time.Hour
	DefaultGuardianCodeTTL = 72 * time.Hour // see guardian.go
	DefaultMaxImageBytes   = 10 << 20
	DefaultHistoryLimit    = 50
	MaxHistoryLimit        = 200
)

// Limits are the rate limits of the service. The zero Limit is unlimited.
// Addresses are keyed by ratelimit.AddrKey: an IPv6 client by its /64.
type Limits struct {
	// LoginPerAccountAddress bounds attempts on one account from one
	// address: a wrong guess locks out only the address it came from.
	LoginPerAccountAddress ratelimit.Limit
	// LoginPerAccount bounds attempts on one account from addresses it has
	// not logged in from lately; much looser, against guessing spread over
	// many addresses.
	LoginPerAccount  ratelimit.Limit
	LoginPerAddress  ratelimit.Limit // attempts from one address on any account
	SignUpPerAddress ratelimit.Limit
	ContactRequests  ratelimit.Limit // per account
	Messages         ratelimit.Limit // per account
	// ResetPerAccount and ResetPerAddress bound attempts to redeem a
	// password reset code, per handle tried (whether or not an account
	// has it) and per address.
	ResetPerAccount ratelimit.Limit
	ResetPerAddress ratelimit.Limit
}

// DefaultLimits are the limits used unless configured.
var DefaultLimits = Limits{
	LoginPerAccountAddress: ratelimit.Limit{Burst: 5, Per: time.Minute},
	LoginPerAccount:        ratelimit.Limit{Burst: 50, Per: time.Minute},
	LoginPerAddress:        ratelimit.Limit{Burst: 20, Per: 10 * time.Second},
	SignUpPerAddress:       ratelimit.Limit{Burst: 10, Per: 6 * time.Minute},
	ContactRequests:        ratelimit.Limit{Burst: 20, Per: 3 * time.Minute},
	Messages:               ratelimit.Limit{Burst: 60, Per: time.Second},
	ResetPerAccount:        ratelimit.Limit{Burst: 5, Per: 10 * time.Minute},
	ResetPerAddress:        ratelimit.Limit{Burst: 20, Per: 10 * time.Minute},
}

// Config configures a Service.
type Config struct {
	Policy          policy.Config
	Apps            []string // app names accounts may sign up through; default ["chat"]
	SessionTTL      time.Duration
	GuardianCodeTTL time.Duration
	// GuardianKey is the server's secret that guardian codes are hashed
	// with (GuardianKeySize bytes). Without one a random key is made, and
	// codes last only as long as the process.
	GuardianKey []byte
	// GuardianLimits limit attempts to link a guardian; the zero value
	// gives DefaultGuardianLimits.
	GuardianLimits GuardianLimits
	MaxImageBytes  int64
	Argon2         Argon2
	Limits         Limits
	// RefusalQueue is how many refusals may wait to be recorded; default
	// DefaultRefusalQueue.
	RefusalQueue int
	// RefusalEvery is how often queued refusals are stored; default
	// DefaultRefusalEvery.
	RefusalEvery time.Duration
	// DeliverWhileUnderReview turns off the silent hold: by default an
	// adult whose known image is under review has everything they send
	// held for review, unknown to them, until a moderator decides.
	DeliverWhileUnderReview bool
	// PasswordResetTTL is how long a reset code an operator gives out
	// lasts; default DefaultPasswordResetTTL.
	PasswordResetTTL time.Duration
	// Retention is what account deletion tells people is kept, and for
	// how long; the zero value gives DefaultRetention.
	Retention Retention
	// RepublishWindow: a send repeated with its idempotency key within
	// this time of the message's storing publishes the first send's
	// message.created events again, under the same keys
	// (Notification.Key), to those the message would reach both when it
	// was sent and now (see republish). For a bus shared by several
	// servers, which keeps one copy of an event published twice within
	// its duplicate window (natsbus.DuplicateWindow, which this should
	// be): the server that stored the message may have died before it
	// published them. A later repeat publishes nothing: a recipient who
	// missed the events reads the message in history. Zero (one server,
	// whose events die with it): a repeat never publishes.
	RepublishWindow time.Duration
}

func (c *Config) setDefaults() {
	if c.Policy.Mode == "" {
		c.Policy = policy.Default()
	}
	if len(c.Apps) == 0 {
		c.Apps = []string{safeguard.DefaultApp}
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.GuardianCodeTTL <= 0 {
		c.GuardianCodeTTL = DefaultGuardianCodeTTL
	}
	if c.GuardianLimits == (GuardianLimits{}) {
		c.GuardianLimits = DefaultGuardianLimits
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = DefaultMaxImageBytes
	}
	if c.Argon2.Time == 0 {
		c.Argon2 = DefaultArgon2
	}
	if c.PasswordResetTTL <= 0 {
		c.PasswordResetTTL = DefaultPasswordResetTTL
	}
	c.Retention.setDefaults()
}

// Service is the messaging core. Create it with New.
type Service struct {
	cfg     Config
	store   store.Store
	media   media.Store
	notify  Notifier
	scanner Scanner
	relay   EnvelopeRelay
	now     func() time.Time
	log     *slog.Logger

	logins       *ratelimit.LoginGuard
	signUpLimit  *ratelimit.Limiter
	passwords    *pw.Gate
	contactLimit *ratelimit.Limiter
	messageLimit *ratelimit.Limiter

	guardianKey     []byte
	guardianAccount *ratelimit.Limiter
	guardianAddr    *ratelimit.Limiter

	dummyHash string // compared against when a handle is unknown, to even out timing
	refusals  *refusalLog

	touched      touches
	resetAccount *ratelimit.Limiter
	resetAddr    *ratelimit.Limiter
	keyed        atomic.Uint64 // sends with an idempotency key, for pruning
}

// Deps are what a Service is built on. Notify, Scanner, Relay, Now and Log
// are optional.
type Deps struct {
	Store   store.Store
	Media   media.Store
	Notify  Notifier
	Scanner Scanner
	Relay   EnvelopeRelay // without one, envelopes stay with their messages
	// Passwords bounds the memory of password hashing; nil means a gate
	// of its own with the defaults. Share one among the services of a
	// process.
	Passwords *pw.Gate
	// RateLimits, if not nil, keeps the rate limits' buckets where the
	// servers of a cluster share them; nil keeps them in this process.
	RateLimits ratelimit.Shared
	Now        func() time.Time
	Log        *slog.Logger
}

// makeLimiters makes the rate limiters, in memory or, with shared, where
// the servers of a cluster share them.
func (s *Service) makeLimiters(cfg Config, shared ratelimit.Shared, clock func() time.Time) {
	limiter := func(name string, l ratelimit.Limit) *ratelimit.Limiter {
		if shared != nil {
			return ratelimit.NewShared(name, l, clock, shared)
		}
		return ratelimit.New(l, clock)
	}
	s.logins = ratelimit.NewLoginGuard(ratelimit.LoginLimits{PerAddress: cfg.Limits.LoginPerAddress,
		PerAccountAddress: cfg.Limits.LoginPerAccountAddress, PerAccount: cfg.Limits.LoginPerAccount,
		Shared: shared, Name: "login"}, clock)
	s.signUpLimit = limiter("signup.address", cfg.Limits.SignUpPerAddress)
	s.contactLimit = limiter("contacts.account", cfg.Limits.ContactRequests)
	s.messageLimit = limiter("messages.account", cfg.Limits.Messages)
	s.guardianAccount = limiter("guardian.account", cfg.GuardianLimits.PerAccount)
	s.guardianAddr = limiter("guardian.address", cfg.GuardianLimits.PerAddress)
	s.resetAccount = limiter("reset.account", cfg.Limits.ResetPerAccount)
	s.resetAddr = limiter("reset.address", cfg.Limits.ResetPerAddress)
}

// New returns a Service.
func New(cfg Config, d Deps) (*Service, error) {
	cfg.setDefaults()
	if !cfg.Policy.Mode.Valid() {
		return nil, fmt.Errorf("encryption mode %q: want nspcc or none", cfg.Policy.Mode)
	}
	if d.Store == nil || d.Media == nil {
		return nil, errors.New("messaging: store and media are required")
	}
	s := &Service{cfg: cfg, store: d.Store, media: d.Media, notify: d.Notify, scanner: d.Scanner, relay: d.Relay, now: d.Now, log: d.Log,
		passwords: d.Passwords}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.notify == nil {
		s.notify = discard{}
	}
	if s.scanner == nil {
		s.scanner = DeliverAll{}
	}
	clock := func() time.Time { return s.now() }
	if s.passwords == nil {
		s.passwords = pw.NewGate(pw.DefaultMemoryBudget, pw.DefaultWait, clock)
	}
	s.makeLimiters(cfg, d.RateLimits, clock)
	switch s.guardianKey = cfg.GuardianKey; len(s.guardianKey) {
	case 0:
		s.guardianKey = make([]byte, GuardianKeySize)
		rand.Read(s.guardianKey)
	case GuardianKeySize:
	default:
		return nil, fmt.Errorf("messaging: guardian key of %d bytes, want %d", len(cfg.GuardianKey), GuardianKeySize)
	}
	var err error
	if s.dummyHash, err = cfg.Argon2.Hash("not a password of anyone's"); err != nil {
		return nil, err
	}
	s.refusals = newRefusalLog(s.store, s.log, cfg.RefusalQueue, cfg.RefusalEvery)
	return s, nil
}

// Config returns the service's configuration after defaults.
func (s *Service) Config() Config { return s.cfg }

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// party is what the policy knows of a. Until what follows from a birthday
// is applied (settleAge), the policy already sees what it will be: an age
// checked while the account was a minor does not make an adult verified,
// and a child who turned 13 waits for no guardian.
func (s *Service) party(a *safeguard.Account, now time.Time) policy.Party {
	p := policy.Party{ID: a.ID, Band: a.Band(now), Assurance: a.Assurance, Status: a.Status}
	if p.Band == safeguard.Adult && a.ActedBand.Minor() {
		p.Assurance = safeguard.SelfDeclared
	}
	if p.Band != safeguard.Child && a.ActedBand == safeguard.Child && p.Status == safeguard.PendingGuardian {
		p.Status = safeguard.Active
	}
	return p
}

// relations loads contacts and blocks among ids and answers the policy's
// questions about any two of them.
func relations(ctx context.Context, tx Tx, ids []int64) (policy.Relations, error) {
	pairs, err := tx.ContactPairs(ctx, ids)
	if err != nil {
		return nil, err
	}
	blocks, err := tx.Blocks(ctx, ids)
	if err != nil {
		return nil, err
	}
	contacts := map[[2]int64]bool{}
	for _, p := range pairs {
		contacts[[2]int64{min(p[0], p[1]), max(p[0], p[1])}] = true
	}
	blocked := map[[2]int64]bool{}
	for _, b := range blocks {
		blocked[[2]int64{b.BlockerID, b.BlockedID}] = true
	}
	return func(a, b int64) policy.Relation {
		return policy.Relation{
			Contacts:  contacts[[2]int64{min(a, b), max(a, b)}],
			Blocks:    blocked[[2]int64{a, b}],
			BlockedBy: blocked[[2]int64{b, a}],
		}
	}, nil
}

// relation loads what holds between a and b.
func relation(ctx context.Context, tx Tx, a, b int64) (policy.Relation, error) {
	rels, err := relations(ctx, tx, []int64{a, b})
	if err != nil {
		return policy.Relation{}, err
	}
	return rels(a, b), nil
}

// refuse records a policy refusal — the audit entry, and the refusal itself
// as a risk signal — and returns the error the requester is shown. The
// record is queued for the service's writer, never written on the request
// path: a refusal toward a concealed account must cost no more than a handle
// nobody has.
func (s *Service) refuse(action string, from, to *safeguard.Account, d policy.Decision) error {
	if recordable(d.Reason) {
		now := s.clock()
		r := safeguard.Refusal{At: now, FromID: from.ID, Action: action, Reason: d.Reason, FromBand: from.Band(now)}
		if to != nil {
			r.ToID, r.ToMinor = to.ID, to.Band(now).Minor()
		}
		s.refusals.add(r)
	}
	if d.Err == nil {
		return safeguard.Errorf(safeguard.ErrPermission, d.Reason, "That is not allowed.")
	}
	return d.Err
}

// recordable reports whether a refusal is worth keeping: not the requester's
// own mistakes (asking oneself, asking an existing contact).
func recordable(reason string) bool {
	switch reason {
	case policy.ReasonSelf, policy.ReasonAlreadyContacts, policy.ReasonRequesterInactive:
		return false
	}
	return true
}

type actorKey struct{}

type appKey struct{}

// WithApp returns a context that carries the app a request came through
// (the client says which; the web layer checks it against the configured
// apps). Conversations and messages record it.
func WithApp(ctx context.Context, app string) context.Context {
	return context.WithValue(ctx, appKey{}, app)
}

// appOf returns the app of the request, or the account's own app.
func appOf(ctx context.Context, a *safeguard.Account) string {
	if app, ok := ctx.Value(appKey{}).(string); ok && app != "" {
		return app
	}
	return a.App
}

// ValidApp reports whether app is one of the configured apps.
func (s *Service) ValidApp(app string) bool { return slices.Contains(s.cfg.Apps, app) }

// WithActor returns a context that carries the account a request acts as,
// freshly loaded by Authenticate, so that the use cases of the same request
// need not load it again. It never says who acts: every use case takes the
// acting account's ID as an argument, and load uses the account carried
// here only when it has that ID.
func WithActor(ctx context.Context, a *safeguard.Account) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// load fetches the acting account as it is now, so every decision uses its
// current status, band and assurance: from the request (loaded when the
// request was authenticated) or the store.
func load(ctx context.Context, tx Tx, id int64) (*safeguard.Account, error) {
	if a, ok := ctx.Value(actorKey{}).(*safeguard.Account); ok && a.ID == id {
		cp := *a
		return &cp, nil
	}
	a, err := tx.Account(ctx, id)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.Errorf(safeguard.ErrUnauthenticated, "unauthenticated", "Please log in again.")
	}
	return a, err
}

// view runs fn in a read-only transaction.
func (s *Service) view(ctx context.Context, fn func(tx Tx) error) error {
	return viewTx(ctx, s.store, fn)
}

func (s *Service) audit(ctx context.Context, tx Tx, actorID int64, actor, action string, target int64, reason string) error {
	return tx.Audit(ctx, &safeguard.AuditEntry{
		At: s.clock(), ActorID: actorID, Actor: actor, Action: action, TargetID: target, Reason: reason,
	})
}

// limit applies a rate limiter to key.
func limit(l *ratelimit.Limiter, key string) error {
	return l.Check(key, "rate_limited")
}

func idKey(id int64) string { return strconv.FormatInt(id, 10) }

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// AuditEntries returns audit entries about targetID (0 for all), newest
// first, for operators.
func (s *Service) AuditEntries(ctx context.Context, targetID int64, limit int) ([]safeguard.AuditEntry, error) {
	if err := s.FlushRefusals(ctx); err != nil {
		return nil, err
	}
	var out []safeguard.AuditEntry
	err := s.view(ctx, func(tx Tx) (err error) { out, err = tx.AuditEntries(ctx, targetID, limit); return })
	return out, err
}
