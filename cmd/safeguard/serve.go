package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/blob"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// Defaults of serve's flags.
const (
	defaultAddr     = "127.0.0.1:8080"
	defaultLogLevel = "info"

	// defaultMetricsAddr keeps metrics on loopback: they are the
	// operator's, never the users'.
	defaultMetricsAddr = "127.0.0.1:9464"
)

// serveConfig is everything serve reads from flags and the environment.
type serveConfig struct {
	where                            dataFlags  // where the data is, resolved into the fields below
	files                            blob.Store // in a cluster, the files the servers share; nil: the directories
	addr, db, mediaDir, mediaKeyFile string
	metricsAddr                      string
	apps                             string
	encryption                       string
	guardianApproves                 bool
	guardianKeyFile                  string
	guardianCodeTTL                  time.Duration
	passwordResetTTL                 time.Duration
	auditRetention                   time.Duration
	guardianLimits                   messaging.GuardianLimits
	sessionTTL                       time.Duration
	maxImageBytes                    int64
	tlsCert, tlsKey                  string
	proxyProtocol                    bool
	clientAddrHeader                 string
	trustedProxies                   string
	maxStreamsPerAccount             int
	maxStreamsPerAddress             int
	logLevel, logFormat              string
	limits                           messaging.Limits
	argon2                           messaging.Argon2
	argon2BudgetMiB                  int64
	argon2Wait                       time.Duration
	decodeBudgetMiB                  int64
	decodeWait                       time.Duration
	images                           images.Config
	nudity                           nudityConfig // new images
	riskRules, riskLexicons          string
	cases                            caseConfig    // cases, evidence, law-enforcement reports
	frankingKeysFile                 string        // end-to-end encryption
	e2eeRetention                    time.Duration // end-to-end encryption
	maxBlobBytes                     int64         // end-to-end encryption
	console                          consoleConfig
	supportContact                   string        // how people reach the operator, shown in the app
	nats                             string        // NATS URL: cluster mode (serve only)
	natsReplicas                     int           // copies of its stream and file store
	kekFile                          string        // the keyring's key-encryption key (cluster mode)
	leaseTTL                         time.Duration // of the job leases; lease.DefaultTTL if zero (tests shorten it)

	// secrets, from the environment only
	adminToken  string
	mediaKey    string
	guardianKey string
	kek         string // the keyring's key-encryption key, in base64

	// keys are the cluster's, opened from its keyring at start (cluster
	// mode); nil: each key from its file or variable.
	keys *keyring.Keys
}

// limitFlag is a rate limit written N/DURATION: N events per DURATION, all N
// at once if saved up. "0" is unlimited.
type limitFlag struct{ l *ratelimit.Limit }

func (f limitFlag) String() string {
	if f.l == nil || f.l.Unlimited() {
		return "0"
	}
	return fmt.Sprintf("%d/%s", f.l.Burst, time.Duration(f.l.Burst)*f.l.Per)
}

func (f limitFlag) Set(s string) error {
	if s == "0" {
		*f.l = ratelimit.Limit{}
		return nil
	}
	n, d, ok := strings.Cut(s, "/")
	burst, err1 := strconv.Atoi(n)
	per, err2 := time.ParseDuration(d)
	if !ok || err1 != nil || err2 != nil || burst <= 0 || per <= 0 {
		return errors.New("want N/DURATION, e.g. 60/1s, or 0 for no limit")
	}
	*f.l = ratelimit.Limit{Burst: burst, Per: per / time.Duration(burst)}
	return nil
}

// bindServeFlags defines the flags shared by serve and demo; withData
// defines --data too (the demo has its --dir instead).
func bindServeFlags(fs *flag.FlagSet, c *serveConfig, withData bool) {
	c.limits = messaging.DefaultLimits
	c.argon2 = messaging.DefaultArgon2
	c.guardianLimits = messaging.DefaultGuardianLimits
	fs.StringVar(&c.addr, "addr", defaultAddr, "address to listen on")
	fs.StringVar(&c.metricsAddr, "metrics-addr", defaultMetricsAddr, `address of the operator-only listener for Prometheus /metrics; "" or "off" serves none; on --addr, /metrics needs the operator token`)
	bindData(fs, &c.where, withData)
	if withData { // serve, not the demo, which is one server
		fs.StringVar(&c.nats, "nats", "", "NATS server URL (JetStream): several servers on one PostgreSQL database act as one service, with live events through NATS and the keys in the database's keyring; empty: one server, events in process")
		fs.IntVar(&c.natsReplicas, "nats-replicas", 1, "with --nats: copies NATS keeps of the event stream and the file store, 1 for one NATS server, 3 or 5 for a NATS cluster (each must have at least that many servers)")
		bindKEK(fs, &c.kekFile)
	}
	fs.StringVar(&c.apps, "apps", safeguard.DefaultApp, "comma-separated names of the apps served by this backend")
	fs.StringVar(&c.encryption, "encryption", string(policy.NSPCC), "encryption policy: nspcc (E2EE only between verified adults) or none")
	fs.BoolVar(&c.guardianApproves, "guardian-approves-contacts", true, "a child's guardian approves each new contact")
	fs.StringVar(&c.guardianKeyFile, "guardian-key-file", "", "file holding the key guardian codes are hashed with (mode 0600, created if absent; default: guardian.key in the data directory); SAFEGUARD_GUARDIAN_KEY gives the key itself in hex")
	fs.DurationVar(&c.guardianCodeTTL, "guardian-code-ttl", messaging.DefaultGuardianCodeTTL, "how long a child's guardian code is valid")
	fs.Var(limitFlag{&c.guardianLimits.PerAccount}, "limit-guardian-account", "guardian code attempts per account, N/DURATION")
	fs.Var(limitFlag{&c.guardianLimits.PerAddress}, "limit-guardian-address", "guardian code attempts per client address, N/DURATION")
	fs.DurationVar(&c.sessionTTL, "session-ttl", messaging.DefaultSessionTTL, "how long a login lasts")
	fs.DurationVar(&c.passwordResetTTL, "password-reset-ttl", messaging.DefaultPasswordResetTTL, "how long a one-time password reset code an operator gives out lasts")
	fs.DurationVar(&c.auditRetention, "audit-retention", 0, "how long audit entries are kept, as account deletion states it (0: without a set end)")
	fs.Int64Var(&c.maxImageBytes, "max-image-bytes", messaging.DefaultMaxImageBytes, "largest image upload in bytes")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate file (serve HTTPS when set with --tls-key)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key file")
	fs.BoolVar(&c.proxyProtocol, "proxy-protocol", false, "expect a PROXY protocol v2 header on every connection (behind a TCP load balancer)")
	fs.StringVar(&c.clientAddrHeader, "client-addr-header", "", "header a trusted reverse proxy appends the client's address and port to (X-Forwarded-For style, or Forwarded); read from the right, past --trusted-proxies")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", "127.0.0.1/32,::1/128", "comma-separated CIDRs whose --client-addr-header is believed")
	fs.IntVar(&c.maxStreamsPerAccount, "max-streams-per-account", web.DefaultMaxStreamsPerAccount, "live event streams one account may have open; a new one over the cap ends the oldest")
	fs.IntVar(&c.maxStreamsPerAddress, "max-streams-per-address", web.DefaultMaxStreamsPerAddress, "live event streams open from one client address (an IPv6 /64); a new one over the cap ends a spare stream of the account holding the most there, never another account's only one, or is refused")
	fs.StringVar(&c.frankingKeysFile, "franking-keys-file", "", "file holding the server's franking receipt keys (mode 0600, created if absent; default: franking.keys in the data directory); keep it away from the database")
	fs.DurationVar(&c.e2eeRetention, "e2ee-retention", e2ee.DefaultRetention, "how long end-to-end encrypted envelopes wait for a device, and blobs are kept")
	fs.Int64Var(&c.maxBlobBytes, "max-blob-bytes", e2ee.DefaultMaxBlobBytes, "largest encrypted attachment in bytes")
	fs.StringVar(&c.supportContact, "support-contact", "", "how people reach this service's support team, in words, an email address or a URL (shown in the app)")
	fs.StringVar(&c.logLevel, "log-level", defaultLogLevel, "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	fs.StringVar(&c.riskRules, "risk-rules", riskscan.DefaultRules, `grooming and sextortion rule files, comma-separated; "default" is the embedded set (reloaded on SIGHUP)`)
	fs.StringVar(&c.riskLexicons, "risk-lexicon", "", "lexicon files that extend the embedded one, comma-separated (reloaded on SIGHUP)")
	fs.Var(limitFlag{&c.limits.Messages}, "limit-messages", "messages per account, N/DURATION")
	fs.Var(limitFlag{&c.limits.ContactRequests}, "limit-contacts", "contact requests per account, N/DURATION")
	fs.Var(limitFlag{&c.limits.LoginPerAccountAddress}, "limit-login-account-address", "login attempts per account from one client address (an IPv6 /64), N/DURATION")
	fs.Var(limitFlag{&c.limits.LoginPerAccount}, "limit-login-account", "login attempts per account from addresses it has not logged in from lately, N/DURATION")
	fs.Var(limitFlag{&c.limits.LoginPerAddress}, "limit-login-address", "login attempts per client address (an IPv6 /64), N/DURATION")
	fs.Var(limitFlag{&c.limits.SignUpPerAddress}, "limit-signup-address", "sign-ups per client address (an IPv6 /64), N/DURATION")
	fs.Var(limitFlag{&c.limits.ResetPerAccount}, "limit-reset-account", "password reset code attempts per handle tried, N/DURATION")
	fs.Var(limitFlag{&c.limits.ResetPerAddress}, "limit-reset-address", "password reset code attempts per client address (an IPv6 /64), N/DURATION")
	bindCaseFlags(fs, &c.cases)
	bindMatchFlags(fs, &c.images)
	bindNudityFlags(fs, &c.nudity)
	fs.IntVar(&c.images.RetroDays, "retro-days", images.DefaultRetroDays, "days of media checked against hashes added to a bank later (and how long media hashes are kept)")
	fs.DurationVar(&c.images.IndexWait, "bank-wait", images.DefaultIndexWait, "how long an image waits for the hash-bank index while it loads at start; then it counts as unchecked (held toward a minor)")
	bindConsoleFlags(fs, &c.console)
	bindArgon2Flags(fs, &c.argon2)
	fs.Int64Var(&c.argon2BudgetMiB, "argon2-budget", password.DefaultMemoryBudget>>20, "MiB that all password hashes running at once may take; more wait their turn")
	fs.DurationVar(&c.argon2Wait, "argon2-wait", password.DefaultWait, "how long a login or sign-up waits for room in --argon2-budget before it is answered 503")
	fs.Int64Var(&c.decodeBudgetMiB, "decode-budget", imaging.DefaultMemoryBudget>>20, "MiB that all images being decoded at once may take; more wait their turn, and a larger image is refused")
	fs.DurationVar(&c.decodeWait, "decode-wait", imaging.DefaultMemoryWait, "how long an image waits for room in --decode-budget before its upload is answered 503")
}

// keyFilesInCluster refuses key files given to a server of a cluster,
// which reads its keys from the database's keyring only: a file given
// would be ignored without a word.
func (c *serveConfig) keyFilesInCluster() error {
	if c.nats == "" {
		return nil
	}
	var given []string
	for _, f := range []struct{ flag, path string }{
		{"--media-key-file", c.where.mediaKeyFile}, {"--guardian-key-file", c.guardianKeyFile},
		{"--franking-keys-file", c.frankingKeysFile}, {"--evidence-key", c.where.evidenceKey},
	} {
		if f.path != "" {
			given = append(given, f.flag)
		}
	}
	if len(given) > 0 {
		return fmt.Errorf("--nats: a cluster keeps its keys in the database's keyring and reads no key file (%s): "+
			"put the keys there with 'safeguard keys import' before the first server starts, and leave these out", strings.Join(given, ", "))
	}
	return nil
}

// resolve fills in every path not given from the data directory.
func (c *serveConfig) resolve() {
	c.where.resolve()
	c.db, c.mediaDir, c.mediaKeyFile = c.where.db, c.where.mediaDir, c.where.mediaKeyFile
	c.where.cases(&c.cases)
	c.frankingKeysFile = c.where.in(c.frankingKeysFile, layoutFranking)
	c.guardianKeyFile = c.where.in(c.guardianKeyFile, layoutGuardian)
}

// readSecrets takes what must never be a flag from the environment.
func (c *serveConfig) readSecrets(e *env) {
	c.adminToken = e.getenv("SAFEGUARD_ADMIN_TOKEN")
	c.mediaKey = e.getenv("SAFEGUARD_MEDIA_KEY")
	c.guardianKey = e.getenv("SAFEGUARD_GUARDIAN_KEY")
	c.kek = e.getenv("SAFEGUARD_KEK")
	c.cases.readSecrets(e)
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [flags]")
	var c serveConfig
	bindServeFlags(fs, &c, true)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if err := c.nudity.checkThresholds(); err != nil {
		return err
	}
	if err := c.keyFilesInCluster(); err != nil {
		return &exitError{code: 2, err: err}
	}
	c.resolve()
	c.readSecrets(e)
	c.nudity.classifier = e.classifier
	log, err := newLogger(e, c.logLevel, c.logFormat)
	if err != nil {
		return err
	}
	if isTestData(c.where.data) {
		c.cases.testReports = true
		log.Warn(testDataSaid(c.where.data))
	}
	srv, err := start(ctx, c, log)
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go reloadOnSignal(ctx, hup, srv.reload)
	log.Info("serving", "url", srv.url, "db", redactDSN(c.db), "encryption", c.encryption, "operator_api", c.adminToken != "", "cluster", c.nats != "", "node", srv.node)
	<-ctx.Done()
	log.Info("shutting down")
	return srv.close()
}

// running is a started server.
type running struct {
	url  string
	node string // this server's name in logs, metrics and leases
	// leases are the job leases this server holds or waits for.
	leases *lease.Manager
	// metricsURL is the operator-only metrics listener's, empty when there
	// is none.
	metricsURL string
	svc        *messaging.Service
	store      store.Store
	risk       *riskscan.Scanner
	reload     reloader // the risk rules: in a cluster, on every server
	cases      *cases.Service
	mods       *moderators.Service
	images     *images.Scanner
	vault      *evidence.Vault
	franking   *keyring.Franking // the cluster's franking keys; nil on one server
	close      func() error
}

// splitList splits a comma-separated flag value, dropping empty parts.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// reloadOnSignal reloads the risk rules each time sig delivers, until ctx
// ends (in a cluster, on every server). A reload that fails keeps the rules
// in force (the scanner logs why).
func reloadOnSignal(ctx context.Context, sig <-chan os.Signal, r reloader) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			r.Reload(ctx)
		}
	}
}

// openMedia opens the media store: the media directory, or in a cluster
// the shared files under "media/". The key is the same either way.
func openMedia(c serveConfig) (media.Store, error) {
	var key []byte
	var err error
	switch {
	case c.keys != nil: // a cluster's, from its keyring
		key = c.keys.Media
	case c.mediaKey != "":
		key, err = media.ParseKey(c.mediaKey)
	default:
		path := c.mediaKeyFile
		if path == "" {
			path = strings.TrimRight(c.mediaDir, string(os.PathSeparator)) + ".key"
		}
		key, err = media.LoadOrCreateKey(path)
	}
	if err != nil {
		return nil, err
	}
	if c.files != nil {
		return media.New(blob.Sub(c.files, sharedMedia), key)
	}
	return media.OpenDisk(c.mediaDir, key)
}

// loadGuardianKey returns the key guardian codes are hashed with: from
// SAFEGUARD_GUARDIAN_KEY, or else from --guardian-key-file, made there if
// absent. A new key makes every code issued under the old one invalid.
func loadGuardianKey(c serveConfig) ([]byte, error) {
	if c.keys != nil {
		return c.keys.Guardian, nil
	}
	if c.guardianKey != "" {
		key, err := media.ParseKey(c.guardianKey)
		if err != nil {
			return nil, fmt.Errorf("SAFEGUARD_GUARDIAN_KEY: want %d bytes in hex", messaging.GuardianKeySize)
		}
		return key, nil
	}
	key, err := media.LoadOrCreateKey(c.guardianKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--guardian-key-file: %w", err)
	}
	return key, nil
}

func newLogger(e *env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// redactDSN hides a password in a database URL before it is logged.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			creds := dsn[i+3 : at]
			if u, _, ok := strings.Cut(creds, ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}

// bindArgon2Flags defines --argon2-memory and --argon2-time, the cost of
// password hashing: serve's, and the moderator commands' that hash a
// console password, so that a moderator's password is hashed at the
// servers' cost (a login that takes longer for a name that exists would
// tell which names do).
func bindArgon2Flags(fs *flag.FlagSet, a *messaging.Argon2) {
	fs.Func("argon2-memory", "password hashing memory in KiB (default 19456)", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n < 8 {
			return errors.New("want a number of KiB, at least 8")
		}
		a.MemoryKiB = uint32(n)
		return nil
	})
	fs.Func("argon2-time", "password hashing passes (default 2)", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n < 1 {
			return errors.New("want a whole number, at least 1")
		}
		a.Time = uint32(n)
		return nil
	})
}
