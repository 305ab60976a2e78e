package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/franking"
	"github.com/safeguard-dev/safeguard/internal/blob/natsblob"
	"github.com/safeguard-dev/safeguard/internal/bus"
	"github.com/safeguard-dev/safeguard/internal/bus/natsbus"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/e2ee"
	"github.com/safeguard-dev/safeguard/internal/evidence"
	"github.com/safeguard-dev/safeguard/internal/imaging"
	"github.com/safeguard-dev/safeguard/internal/keyring"
	"github.com/safeguard-dev/safeguard/internal/lease"
	"github.com/safeguard-dev/safeguard/internal/media"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/nudity"
	"github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/safety"
	"github.com/safeguard-dev/safeguard/internal/safety/banks"
	"github.com/safeguard-dev/safeguard/internal/safety/images"
	"github.com/safeguard-dev/safeguard/internal/safety/nudityscan"
	"github.com/safeguard-dev/safeguard/internal/safety/riskscan"
	"github.com/safeguard-dev/safeguard/internal/safety/urls"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
	"github.com/safeguard-dev/safeguard/internal/store"
	"github.com/safeguard-dev/safeguard/internal/web"
)

// closers is what start has opened so far, closed in reverse order should a
// later step fail.
// heldJobs are background jobs whose ending writes to the store (a lease
// released, counts stored): the store closes after them.
type heldJobs struct {
	mu      sync.Mutex
	wg      sync.WaitGroup
	stopped bool
}

// Go runs fn, unless Wait was called.
func (h *heldJobs) Go(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.stopped {
		h.wg.Go(fn)
	}
}

// Wait waits for the jobs to end, up to limit, and starts no more.
func (h *heldJobs) Wait(limit time.Duration) {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
	}
}

type closers []func()

func (c *closers) add(f func()) { *c = append(*c, f) }

func (c closers) close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// stack is the services start assembles, in the order they are built.
type stack struct {
	mode       policy.Mode
	apps       []string
	trusted    []netip.Prefix
	st         store.Store
	media      media.Store
	bus        bus.Bus
	notify     messaging.Notifier // live events, shared by messaging, risk and cases
	images     *images.Scanner
	banks      *banks.Service
	risk       *riskscan.Scanner
	rules      web.RiskRules // the risk scanner as operators see it: in a cluster, sharedRisk
	scanners   safety.Scanners
	vault      *evidence.Vault
	keyring    *keyring.Cluster  // the cluster's keyring; nil on one server
	franking   *keyring.Franking // the cluster's franking keys; nil on one server
	e2ee       *e2ee.Service
	passwords  *password.Gate
	svc        *messaging.Service
	cases      *cases.Service
	mods       *moderators.Service
	console    *console.Console
	stats      *platform.Service
	reg        *prometheus.Registry // the metrics served on /metrics
	node       string               // this server's name in logs, metrics and leases
	leases     *lease.Manager
	jobs       context.Context // background work, ended by stopJobs
	stopJobs   context.CancelFunc
	held       heldJobs // the jobs that must end before the store closes
	httpServer *http.Server
}

// start opens the store and media, builds the service and serves HTTP until
// close is called.
func start(ctx context.Context, c serveConfig, log *slog.Logger) (_ *running, err error) {
	s := &stack{reg: prometheus.NewRegistry(), node: lease.Identity()}
	if c.nats != "" {
		log = log.With("node", s.node) // which server of the cluster says it
	}
	if err := s.check(&c); err != nil {
		return nil, err
	}
	var undo closers
	defer func() {
		if err != nil {
			undo.close()
		}
	}()
	if err := s.open(ctx, &c, log, &undo); err != nil {
		return nil, err
	}
	if err := s.buildSafety(c, log); err != nil {
		return nil, err
	}
	if err := s.shareRisk(ctx, c, log); err != nil {
		return nil, err
	}
	if err := s.buildServices(c, log); err != nil {
		return nil, err
	}
	s.jobs, s.stopJobs = context.WithCancel(context.WithoutCancel(ctx))
	undo.add(s.stopJobs)
	s.runJobs(c, log)
	if sr, ok := s.rules.(sharedRisk); ok {
		s.held.Go(func() { sr.run(s.jobs) })
	}
	if err := s.buildConsole(c, log); err != nil {
		return nil, err
	}
	return s.serve(ctx, c, log, &undo)
}

// check validates what serve's flags say before anything is opened, and
// fills in s.mode, s.trusted and s.apps.
func (s *stack) check(c *serveConfig) error {
	s.mode = policy.Mode(c.encryption)
	if !s.mode.Valid() {
		return fmt.Errorf("--encryption %q: want nspcc or none", c.encryption)
	}
	if c.argon2BudgetMiB < 1 {
		return errors.New("--argon2-budget: want at least 1 MiB")
	}
	if c.decodeBudgetMiB < 1 {
		return errors.New("--decode-budget: want at least 1 MiB")
	}
	c.images.Limits.Memory = imaging.NewMemory(c.decodeBudgetMiB<<20, c.decodeWait, nil)
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.maxStreamsPerAccount < 1 || c.maxStreamsPerAddress < 1 {
		return errors.New("--max-streams-per-account and --max-streams-per-address must be at least 1")
	}
	if c.nats != "" && c.natsReplicas != 1 && c.natsReplicas != 3 && c.natsReplicas != 5 {
		// NATS takes 2 and 4 too, but a majority of 2 is 2 and of 4 is 3:
		// they survive no more lost servers than 1 and 3, and cost more.
		return fmt.Errorf("--nats-replicas %d: give 1 (one NATS server), 3 or 5 (a NATS cluster of at least that many servers); "+
			"an even number keeps no more of the data through a lost server than one fewer", c.natsReplicas)
	}
	if c.nats != "" && !isPostgres(c.db) {
		return errors.New("--nats: a cluster keeps its data in PostgreSQL; give --db postgres://…")
	}
	if c.nats != "" && (c.mediaKey != "" || c.guardianKey != "") {
		return errors.New("--nats: a cluster keeps its keys in the database's keyring, not in SAFEGUARD_MEDIA_KEY or SAFEGUARD_GUARDIAN_KEY: " +
			"put them there with 'safeguard keys import' before the first server starts, and unset them")
	}
	if err := checkSupportContact(c.supportContact); err != nil {
		return err
	}
	for _, p := range splitList(c.trustedProxies) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return fmt.Errorf("--trusted-proxies: %q is not a CIDR", p)
		}
		s.trusted = append(s.trusted, prefix)
	}
	s.apps = splitList(c.apps)
	// Reporting configured but incomplete would fail at the first report.
	if _, err := c.cases.reporting(); err != nil {
		return err
	}
	return c.cases.retention.check(c.cases.testReports)
}

// open opens the store, the cluster's keyring, the bus, the shared files of
// a cluster and the media store. In a cluster it sets c.keys, c.files (and
// c.cases.files).
func (s *stack) open(ctx context.Context, c *serveConfig, log *slog.Logger, undo *closers) error {
	if c.nats != "" {
		// Before the database is written to (the keyring made): a server
		// that cannot run changes nothing.
		if err := probeNATS(c.nats); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, c.db)
	if err != nil {
		return err
	}
	s.st = st
	undo.add(func() { st.Close() })
	if err := c.cases.retention.checkStore(ctx, st); err != nil {
		return err
	}
	if c.nats != "" {
		if s.keyring, c.keys, err = clusterKeys(ctx, *c, st, log); err != nil {
			return err
		}
	}
	if s.bus, err = openBus(ctx, *c, log); err != nil {
		return err
	}
	undo.add(func() { s.bus.Close() })
	s.notify = web.Notifier(s.bus, log)
	if nb, ok := s.bus.(*natsbus.Bus); ok {
		// A database that names stored files has its object store already:
		// on a NATS without one, this server would split the cluster (its
		// files where the others never look).
		var holds bool
		if err := st.View(ctx, func(tx store.Tx) (err error) { holds, err = tx.HoldsFiles(ctx); return }); err != nil {
			return err
		}
		files, err := natsblob.Open(ctx, nb.JetStream(), natsblob.Config{Replicas: c.natsReplicas, Cluster: clusterID(c.keys), Existing: holds})
		if err != nil && holds {
			return fmt.Errorf("--nats: this database names stored files (uploads, attachments or evidence), which its cluster keeps in an object store: %w "+
				"(moving one server to a cluster: run 'safeguard files import' first, docs/scaling.md)", err)
		}
		if err != nil {
			return fmt.Errorf("--nats: %w", err)
		}
		c.files, c.cases.files = files, files
	}
	if s.media, err = openMedia(*c); err != nil {
		return err
	}
	if s.leases, err = newLeases(*c, s.node, st, log); err != nil {
		return err
	}
	s.reg.MustRegister(nodeCollector{s.leases})
	return nil
}

// clusterID names a cluster by its evidence signing key, the one signer of
// its evidence log: the first 8 bytes of the SHA-256 of the public key, in
// hex. NATS keeps it with the cluster's stream and bucket, so that a
// second cluster pointed at the same NATS is refused.
func clusterID(keys *keyring.Keys) string {
	if keys == nil || keys.EvidenceSigning == nil {
		return ""
	}
	sum := sha256.Sum256(keys.EvidenceSigning.Public().(ed25519.PublicKey))
	return hex.EncodeToString(sum[:8])
}

// probeNATS connects to the cluster's NATS once, and refuses one it cannot
// reach, or one before 2.10 (which drops the metadata naming the cluster).
func probeNATS(url string) error {
	nc, err := nats.Connect(url, nats.Name("safeguard start"), nats.Timeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("--nats %s: %w (nothing was changed)", url, err)
	}
	defer nc.Close()
	var major, minor int
	if _, err := fmt.Sscanf(nc.ConnectedServerVersion(), "%d.%d.", &major, &minor); err == nil && (major < 2 || (major == 2 && minor < 10)) {
		return fmt.Errorf("--nats %s: NATS %s drops the metadata of streams and buckets, where a server names its cluster (so another cluster would not be refused): use NATS 2.10 or later (nothing was changed)",
			url, nc.ConnectedServerVersion())
	}
	return nil
}

// openBus opens the in-process bus, or with --nats the NATS JetStream bus
// that the servers of a cluster share.
func openBus(ctx context.Context, c serveConfig, log *slog.Logger) (bus.Bus, error) {
	if c.nats == "" {
		return bus.NewLocal(), nil
	}
	b, err := natsbus.Open(ctx, natsbus.Config{URL: c.nats, Name: "safeguard", Replicas: c.natsReplicas, Cluster: clusterID(c.keys), Log: log})
	if err != nil {
		return nil, fmt.Errorf("--nats: %w", err)
	}
	return b, nil
}

// buildSafety builds the safety pipeline: the risk rules on conversations
// with a minor, the URL lists and the known images on every conversation the
// server can see, and bank management.
func (s *stack) buildSafety(c serveConfig, log *slog.Logger) error {
	var err error
	// The hash-bank index is loaded in the background by Run.
	s.images, err = images.New(c.images, images.Deps{Store: s.st, Log: log})
	if err != nil {
		return fmt.Errorf("--bank-radius: %w", err)
	}
	if s.banks, err = banks.New(banks.Config{}, banks.Deps{Store: s.st, Log: log, Changed: s.images.Kick}); err != nil {
		return err
	}
	s.risk, err = riskscan.New(riskscan.Config{Rules: splitList(c.riskRules), Lexicons: splitList(c.riskLexicons)},
		riskscan.Deps{Store: s.st, Notify: s.notify, Log: log})
	if err != nil {
		return fmt.Errorf("--risk-rules, --risk-lexicon: %w", err)
	}
	us, err := urls.New(urls.Config{}, urls.Deps{Store: s.st, Log: log})
	if err != nil {
		return err
	}
	s.scanners = safety.Scanners{s.risk, us, s.images}
	ns, err := newNudityScanner(c, s.st, s.notify, log, s.reg)
	if err != nil {
		return err
	}
	s.scanners = append(s.scanners, ns)
	return nil
}

// shareRisk makes the risk rules the cluster's with --nats: the rules in
// force are those stored in the database, and a reload on any server is one
// on every server. One server's are its own (s.rules is s.risk).
func (s *stack) shareRisk(ctx context.Context, c serveConfig, log *slog.Logger) error {
	s.rules = s.risk
	ctl, ok := s.bus.(announcer)
	if c.nats == "" || !ok {
		return nil
	}
	if err := s.risk.Join(ctx, s.node); err != nil {
		return fmt.Errorf("risk rules of the cluster: %w", err)
	}
	s.rules = sharedRisk{Scanner: s.risk, node: s.node, ctl: ctl, log: log}
	return nil
}

// newNudityScanner builds the new-image scanner over the classifier the
// configuration names (the built-in model unless a test gave one).
func newNudityScanner(c serveConfig, st store.Store, notify messaging.Notifier, log *slog.Logger, reg prometheus.Registerer) (*nudityscan.Scanner, error) {
	if err := checkNudityThresholds(c.nudity.thresholds); err != nil {
		return nil, err
	}
	cl, model, err := c.nudity.classifierOrDefault()
	if err != nil {
		return nil, fmt.Errorf("nudity classifier: %w", err)
	}
	ns, err := nudityscan.New(nudityscan.Config{Thresholds: c.nudity.thresholds, Model: model, Limits: c.images.Limits,
		Policy: nudity.Policy{Shadow: c.nudity.shadow, RepeatLimit: c.nudity.repeatLimit, RepeatWindow: c.nudity.repeatWindow}},
		nudityscan.Deps{Store: st, Classifier: cl, Notify: notify, Log: log, Metrics: reg})
	if err != nil {
		return nil, fmt.Errorf("new-image scanner: %w", err)
	}
	nc := ns.Config()
	log.Info("new images", "model", nc.Model, "porn", nc.Thresholds.Porn, "hentai", nc.Thresholds.Hentai,
		"combined", nc.Thresholds.Combined, "shadow", nc.Policy.Shadow, "repeats", nc.Policy.RepeatLimit, "repeat_window", nc.Policy.RepeatWindow)
	return ns, nil
}

// buildServices opens the evidence vault and builds end-to-end encryption
// (when the mode allows it), messaging and cases.
func (s *stack) buildServices(c serveConfig, log *slog.Logger) error {
	// The evidence vault: cases preserve into it, and a verified report of
	// an encrypted message keeps its text there only.
	var err error
	if c.keys != nil {
		s.vault, err = clusterVault(c.cases, c.keys)
	} else {
		s.vault, _, err = openVault(c.cases, log, true, nil)
	}
	if err != nil {
		return err
	}
	if err := s.buildE2EE(c, log); err != nil {
		return err
	}
	var relay messaging.EnvelopeRelay
	if s.e2ee != nil {
		relay = s.e2ee
	}
	guardianKey, err := loadGuardianKey(c)
	if err != nil {
		return err
	}
	// In a cluster the server that stored a message may die before it
	// publishes its events: the sender's retry through another server
	// publishes them, and the stream keeps one copy, within its duplicate
	// window.
	var republish time.Duration
	if c.nats != "" {
		republish = natsbus.DuplicateWindow
	}
	// One memory budget for every password hash the process runs.
	s.passwords = password.NewGate(c.argon2BudgetMiB<<20, c.argon2Wait, nil)
	s.svc, err = messaging.New(messaging.Config{
		Policy:          policy.Config{Mode: s.mode, GuardianApprovesContacts: c.guardianApproves},
		Apps:            s.apps,
		SessionTTL:      c.sessionTTL,
		GuardianCodeTTL: c.guardianCodeTTL,
		GuardianKey:     guardianKey,
		GuardianLimits:  c.guardianLimits,
		MaxImageBytes:   c.maxImageBytes,
		Argon2:          c.argon2,
		Limits:          c.limits,
		// --suspend-on-match=false: no silent hold either.
		DeliverWhileUnderReview: !c.cases.suspendOnMatch,
		PasswordResetTTL:        c.passwordResetTTL,
		// What account deletion states is kept, and for how long: the
		// evidence vault's periods, and the audit log's.
		Retention:       c.cases.retention.messagingRetention(c.auditRetention),
		RepublishWindow: republish,
	}, messaging.Deps{Store: s.st, Media: s.media, Notify: s.notify, Scanner: s.scanners, Relay: relay, Log: log, Passwords: s.passwords,
		RateLimits: s.sharedLimits(c)})
	if err != nil {
		return err
	}
	// Cases, the evidence vault and law-enforcement reports.
	c.cases.node = s.node // recorded with each occurrence this server's consumer records
	s.cases, err = newCases(c.cases, s.st, s.media, s.vault, s.notify, s.svc, log)
	return err
}

// sharedLimits is where the rate limits are kept in a cluster (--nats):
// in the database the servers share. One server keeps them in memory.
func (s *stack) sharedLimits(c serveConfig) ratelimit.Shared {
	if c.nats == "" {
		return nil
	}
	return storeLimits{s.st}
}

// buildE2EE builds the key directory and relay, with the franking keys in a
// file of their own. It builds nothing when the encryption mode is none.
func (s *stack) buildE2EE(c serveConfig, log *slog.Logger) error {
	if s.mode == policy.None {
		return nil
	}
	deps := e2ee.Deps{Store: s.st, Media: s.media, Evidence: s.vault, Notify: web.E2EENotifier(s.bus, log), Log: log}
	var err error
	if c.keys != nil {
		// The cluster's: every server makes and checks receipts with the
		// keys of the keyring, and reads those the others add.
		if s.franking, err = s.keyring.Franking(c.keys.Franking, franking.KeyRingConfig{}); err != nil {
			return err
		}
		deps.Keys, deps.SaveKeys, deps.RefreshKeys = s.franking.Ring(), s.franking.Save, s.franking.Refresh
	} else if deps.Keys, deps.SaveKeys, err = e2ee.OpenKeyFile(c.frankingKeysFile, franking.KeyRingConfig{}); err != nil {
		return err
	}
	s.e2ee, err = e2ee.New(e2ee.Config{Retention: c.e2eeRetention, MaxBlobBytes: c.maxBlobBytes}, deps)
	return err
}

// runJobs starts the background work: the case consumer and retention, the
// hash-bank index and retroactive matching, E2EE retention, and what follows
// from birthdays. Each job but the case consumer and the index (every
// server loads its own) runs under its lease: in a cluster, on one server at
// a time.
func (s *stack) runJobs(c serveConfig, log *slog.Logger) {
	runCaseJobs(s.jobs, c.cases, s.cases, s.svc, s.hold, log)
	s.hold(leaseAges, func(ctx context.Context) { s.svc.RunAges(ctx, messaging.DefaultSettleAgesEvery) })
	s.hold(leaseRelay, func(ctx context.Context) { s.svc.RunRelay(ctx, messaging.DefaultRelayEvery) })
	go func() {
		if s.images.LoadIndex(s.jobs) {
			s.hold(leaseRetro, s.images.RunRetro)
		}
	}()
	if s.e2ee != nil {
		s.hold(leaseE2EESweep, func(ctx context.Context) { s.e2ee.Run(ctx, e2ee.DefaultSweepEvery) })
	}
	if s.franking != nil {
		go s.franking.Run(s.jobs, keyring.DefaultRefreshEvery, log)
	}
}

// buildConsole builds the moderator console, with its own accounts, and
// the platform's own statistics, policy impact and transparency report, for
// operators (API) and moderators (the console's statistics page).
func (s *stack) buildConsole(c serveConfig, log *slog.Logger) error {
	var err error
	s.mods, s.console, err = newConsole(c.console, c.cases.testReports, c.argon2, s.passwords, s.st, s.sharedLimits(c), s.cases, log)
	if err != nil {
		return err
	}
	if s.stats, err = newStats(c, s.st, s.apps, s.mode); err != nil {
		return err
	}
	s.console.Stats = s.stats
	if c.console.enabled {
		s.hold(leaseConsoleSessions, func(ctx context.Context) { pruneConsoleSessions(ctx, s.mods, log) })
	}
	return nil
}

// checkSupportContact accepts one line of at most 200 characters: the app
// shows it as it is.
func checkSupportContact(s string) error {
	if s != "" && (len(s) > 200 || !safeguard.ValidText(s, false)) {
		return errors.New("--support-contact: want one line of at most 200 characters, like an email address or a web address")
	}
	return nil
}

// api builds the HTTP API over the services.
func (s *stack) api(c serveConfig, log *slog.Logger) *web.Server {
	opts := []web.Option{web.WithCases(s.cases), web.WithE2EE(s.e2ee), web.WithRisk(s.rules), web.WithBanks(s.banks), web.WithStats(s.stats)}
	if c.console.enabled {
		opts = append(opts, web.WithConsole(s.console))
	}
	if c.nats != "" {
		// The caps on live streams count every server's.
		opts = append(opts, web.WithStreamRegistry(storeStreams{st: s.st, node: s.node, now: time.Now}))
	}
	return web.New(web.Config{AdminToken: c.adminToken, ClientAddrHeader: c.clientAddrHeader, TrustedProxies: s.trusted,
		MaxStreamsPerAccount: c.maxStreamsPerAccount, MaxStreamsPerAddress: c.maxStreamsPerAddress, SupportContact: c.supportContact},
		s.svc, s.bus, log, s.reg, opts...)
}

// serve listens on --addr (with TLS when asked) and on --metrics-addr, and
// serves the API until the returned server's close is called.
func (s *stack) serve(ctx context.Context, c serveConfig, log *slog.Logger, undo *closers) (*running, error) {
	api := s.api(c, log)
	go api.KeepStreams(s.jobs)
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	undo.add(func() { ln.Close() })
	if c.proxyProtocol {
		ln = web.ProxyListener(ln)
	}
	s.httpServer = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second, // the event stream extends its own deadline
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.httpServer.RegisterOnShutdown(func() { s.bus.Close() }) // ends open event streams
	scheme := "http"
	if c.tlsCert != "" {
		scheme = "https"
		if ln, err = s.listenTLS(c, ln); err != nil {
			return nil, err
		}
	}
	ms, metricsURL, err := serveMetrics(c, api, log)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- s.httpServer.Serve(ln) }()
	return &running{
		url:        scheme + "://" + ln.Addr().String(),
		node:       s.node,
		leases:     s.leases,
		metricsURL: metricsURL,
		svc:        s.svc,
		store:      s.st,
		risk:       s.risk,
		reload:     s.rules,
		cases:      s.cases,
		mods:       s.mods,
		images:     s.images,
		vault:      s.vault,
		franking:   s.franking,
		close:      sync.OnceValue(func() error { return s.close(ms, done) }), // a second close returns the first's result
	}, nil
}

// listenTLS wraps ln in TLS with the certificate of --tls-cert and
// --tls-key.
func (s *stack) listenTLS(c serveConfig, ln net.Listener) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	s.httpServer.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return tls.NewListener(ln, s.httpServer.TLSConfig), nil
}

// serveMetrics serves metrics on a listener of their own, which only
// operators reach. It serves none when --metrics-addr is "" or "off".
func serveMetrics(c serveConfig, api *web.Server, log *slog.Logger) (*http.Server, string, error) {
	if c.metricsAddr == "" || c.metricsAddr == "off" {
		return nil, "", nil
	}
	mln, err := net.Listen("tcp", c.metricsAddr)
	if err != nil {
		return nil, "", fmt.Errorf("--metrics-addr: %w", err)
	}
	ms := &http.Server{Handler: api.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go ms.Serve(mln)
	metricsURL := "http://" + mln.Addr().String()
	log.Info("metrics", "url", metricsURL+"/metrics")
	return ms, metricsURL, nil
}

// close stops the background work, shuts the servers down, then closes the
// messaging service and the store. done delivers the API server's Serve
// result.
func (s *stack) close(ms *http.Server, done <-chan error) error {
	s.stopJobs()
	// Leases are released, and the rules' counts stored, before the store
	// closes: another server takes each job at once.
	s.held.Wait(10 * time.Second)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ms != nil {
		ms.Close()
	}
	err := s.httpServer.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.svc.Close() // the refusals still queued, before the store goes
	if cerr := s.st.Close(); err == nil {
		err = cerr
	}
	return err
}
