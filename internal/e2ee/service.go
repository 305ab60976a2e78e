// Package e2ee is the server's side of end-to-end encryption: the key
// directory (each device's signed identity keys, one-time keys handed out
// once, fallback keys), the relay (direct envelopes and group envelopes
// queued for each device and deleted once fetched), the encrypted blobs of
// attachments, franking receipts stamped as envelopes are handed out, and
// verified franking reports that become detections.
//
// The server never sees a plaintext or a private key. It enforces the
// encryption policy at every step: only verified adults' devices take part,
// and only with devices of accounts they share an end-to-end encrypted
// conversation with; an account that is no longer a verified adult (its
// verification revoked, or a corrected birth date) gets nothing more.
//
// Package client/e2ee defines the wire formats; this package parses them
// with its parsers and reads only the headers.
package e2ee

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// Defaults of Config.
const (
	// DefaultRetention is how long an envelope waits for a device that
	// does not fetch it, and how long a blob is kept: history lives on the
	// devices, the server only relays.
	DefaultRetention    = 30 * 24 * time.Hour
	DefaultMaxBlobBytes = 16 << 20
	DefaultMaxDevices   = 10
	// DefaultMaxKeys caps the unclaimed one-time keys a device may hold in
	// the directory (goolm keeps at most 100).
	DefaultMaxKeys      = 100
	DefaultInboxLimit   = 100
	MaxInboxLimit       = 500
	DefaultSweepEvery   = time.Hour
	blobIDBytes         = 16
	maxDeviceChangeFans = 4096
)

// Limits are the rate limits of the service, per account. The zero Limit
// is unlimited.
type Limits struct {
	Blobs    ratelimit.Limit // blob uploads
	ToDevice ratelimit.Limit // to-device requests
	Claims   ratelimit.Limit // key claims
	Reports  ratelimit.Limit // franking reports
}

// DefaultLimits are the limits used unless configured.
var DefaultLimits = Limits{
	Blobs:    ratelimit.Limit{Burst: 30, Per: 2 * time.Second},
	ToDevice: ratelimit.Limit{Burst: 60, Per: time.Second},
	Claims:   ratelimit.Limit{Burst: 60, Per: time.Second},
	Reports:  ratelimit.Limit{Burst: 10, Per: 6 * time.Second},
}

// Config configures a Service. Zero fields take the defaults.
type Config struct {
	Retention    time.Duration
	MaxBlobBytes int64
	MaxDevices   int
	MaxKeys      int
	Limits       *Limits // nil: DefaultLimits
}

func (c *Config) setDefaults() {
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.MaxBlobBytes <= 0 {
		c.MaxBlobBytes = DefaultMaxBlobBytes
	}
	if c.MaxDevices <= 0 {
		c.MaxDevices = DefaultMaxDevices
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = DefaultMaxKeys
	}
	if c.Limits == nil {
		l := DefaultLimits
		c.Limits = &l
	}
}

// Notification is a live event for some accounts, sent after the change it
// describes is committed.
type Notification struct {
	Type    string // safeguard.EventDeviceChanged
	To      []int64
	Account *safeguard.Account // whose device changed
	Device  string
	Change  string // "added" or "removed"
}

// Notifier delivers notifications to the live event streams of accounts. It
// must not block.
type Notifier interface {
	Notify(ctx context.Context, n Notification)
}

// KeySaver persists the franking key ring in the server's secret store.
// The service calls it with the ring's keys before it hands out a receipt
// made with a key it has not saved.
type KeySaver func(keys []franking.ServerKey) error

// Vault keeps a verified report's text in the evidence vault, encrypted,
// until the case the report opens logs it; *evidence.Vault is one.
type Vault interface {
	Stage(ctx context.Context, items []evidence.Item) ([]evidence.Staged, error)
	Discard(ctx context.Context, staged []evidence.Staged)
}

// Deps are what a Service is built on. Store, Media and Keys are required;
// without Evidence, franking reports of a text are refused.
type Deps struct {
	Store    store.Store
	Media    media.Store // blob bytes, encrypted at rest
	Evidence Vault       // where a reported text is kept
	Keys     *franking.KeyRing
	SaveKeys KeySaver // nil: the ring lives in memory only
	// RefreshKeys, if set, adds to Keys the keys other servers made; it
	// is called when a report names a key the ring does not hold.
	RefreshKeys func(ctx context.Context) error
	Notify      Notifier
	Now         func() time.Time
	Log         *slog.Logger
}

// Service is the server's side of end-to-end encryption. Create it with New.
type Service struct {
	cfg     Config
	store   store.Store
	media   media.Store
	vault   Vault
	keys    *franking.KeyRing
	save    KeySaver
	refresh func(ctx context.Context) error
	notify  Notifier
	now     func() time.Time
	log     *slog.Logger

	blobLimit, toDeviceLimit, claimLimit, reportLimit *ratelimit.Limiter

	savedMu sync.Mutex
	saved   map[uint32]bool // kids of the keys the saver has
}

// New returns a Service.
func New(cfg Config, d Deps) (*Service, error) {
	if d.Store == nil || d.Media == nil || d.Keys == nil {
		return nil, errors.New("e2ee: store, media and franking keys are required")
	}
	cfg.setDefaults()
	s := &Service{cfg: cfg, store: d.Store, media: d.Media, vault: d.Evidence, keys: d.Keys, save: d.SaveKeys, refresh: d.RefreshKeys, notify: d.Notify,
		now: d.Now, log: d.Log, saved: map[uint32]bool{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.notify == nil {
		s.notify = discard{}
	}
	for _, k := range d.Keys.Keys() {
		s.saved[k.ID] = true // a ring loaded from the secret store
	}
	clock := func() time.Time { return s.now() }
	s.blobLimit = ratelimit.New(cfg.Limits.Blobs, clock)
	s.toDeviceLimit = ratelimit.New(cfg.Limits.ToDevice, clock)
	s.claimLimit = ratelimit.New(cfg.Limits.Claims, clock)
	s.reportLimit = ratelimit.New(cfg.Limits.Reports, clock)
	return s, nil
}

// Config returns the service's configuration after defaults.
func (s *Service) Config() Config { return s.cfg }

type discard struct{}

// Notify implements Notifier, delivering nothing.
func (discard) Notify(context.Context, Notification) {}

func (s *Service) clock() time.Time { return s.now().UTC() }

// errNotVerified is the answer to anyone who is not a verified adult.
var errNotVerified = safeguard.Errorf(safeguard.ErrPermission, "e2ee_requires_verified_adults",
	"End-to-end encryption is only for adults whose age is verified.")

// participant loads the acting account afresh and checks that it may take
// part in end-to-end encryption now: an active, verified adult.
func (s *Service) participant(ctx context.Context, tx Tx, accountID int64, now time.Time) (*safeguard.Account, error) {
	a, err := tx.Account(ctx, accountID)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.Errorf(safeguard.ErrUnauthenticated, "unauthenticated", "Please log in again.")
	}
	if err != nil {
		return nil, err
	}
	if a.Status != safeguard.Active || !a.VerifiedAdult(now) {
		return nil, errNotVerified
	}
	return a, nil
}

// e2eeConversation loads conversation id for accountID, who must be a
// joined member of it, and it must be end-to-end encrypted. Anything else is
// not found.
func e2eeConversation(ctx context.Context, tx Tx, id, accountID int64) (*safeguard.Conversation, error) {
	c, err := tx.Conversation(ctx, id)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, safeguard.NotFound
	}
	if err != nil {
		return nil, err
	}
	if !c.Joined(accountID) || !c.E2EE {
		return nil, safeguard.NotFound
	}
	return c, nil
}

// peers returns the accounts that share a joined end-to-end encrypted
// conversation with accountID, accountID itself among them.
func peers(ctx context.Context, tx Tx, accountID int64) (map[int64]bool, error) {
	ids, err := tx.MemberConversations(ctx, accountID, true)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{accountID: true}
	for _, id := range ids {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if !c.Joined(accountID) {
			continue
		}
		for _, m := range c.Members {
			if m.State == safeguard.MemberJoined {
				out[m.AccountID] = true
			}
		}
	}
	return out, nil
}

// verifiedAccounts returns those of ids that are active verified adults at
// now.
func verifiedAccounts(ctx context.Context, tx Tx, ids []int64, now time.Time) (map[int64]*safeguard.Account, error) {
	accounts, err := tx.AccountsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, a := range accounts {
		if a.Status != safeguard.Active || !a.VerifiedAdult(now) {
			delete(accounts, id)
		}
	}
	return accounts, nil
}

// limit applies a rate limiter to an account.
func limit(l *ratelimit.Limiter, accountID int64) error {
	return l.Check(strconv.FormatInt(accountID, 10), "rate_limited")
}

// deviceNotFound is the answer for a device the caller does not have.
func deviceNotFound(name string) error {
	return safeguard.Errorf(safeguard.ErrNotFound, "device_not_found", "There is no device %q on this account.", name)
}

// ownDevice loads one of the caller's devices.
func ownDevice(ctx context.Context, tx Tx, accountID int64, name string) (*safeguard.Device, error) {
	d, err := tx.Device(ctx, accountID, name)
	if errors.Is(err, safeguard.ErrNotFound) {
		return nil, deviceNotFound(name)
	}
	return d, err
}

// ensureSaved makes sure the franking keys with the given ids are in the
// secret store before receipts made with them leave the server.
func (s *Service) ensureSaved(kids []uint32) error {
	if s.save == nil {
		return nil
	}
	s.savedMu.Lock()
	defer s.savedMu.Unlock()
	missing := false
	for _, k := range kids {
		if !s.saved[k] {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	keys := s.keys.Keys()
	if err := s.save(keys); err != nil {
		return fmt.Errorf("save franking keys: %w", err)
	}
	for _, k := range keys {
		s.saved[k.ID] = true
	}
	return nil
}
