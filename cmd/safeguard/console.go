package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/console"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
	"github.com/safeguard-dev/safeguard/internal/password"
	"github.com/safeguard-dev/safeguard/internal/ratelimit"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// consoleConfig is what the moderator console reads from flags (serve and
// demo).
type consoleConfig struct {
	enabled      bool
	idle, max    time.Duration
	secureCookie bool
	revealFor    time.Duration
}

func bindConsoleFlags(fs *flag.FlagSet, c *consoleConfig) {
	fs.BoolVar(&c.enabled, "console", true, "serve the moderator console under /console/")
	fs.DurationVar(&c.idle, "console-idle-timeout", moderators.DefaultIdleTimeout, "a console session unused this long ends")
	fs.DurationVar(&c.max, "console-session-max", moderators.DefaultMaxSession, "a console session ends this long after login, used or not")
	fs.BoolVar(&c.secureCookie, "console-secure-cookie", false, "mark the console's cookie Secure even without TLS here or a trusted proxy's X-Forwarded-Proto: https")
	fs.DurationVar(&c.revealFor, "console-reveal-for", console.DefaultRevealFor, "how long a revealed evidence item stays visible to the moderator who revealed it")
}

// newConsole builds the moderators service and the console over st, with
// the login limits in shared if not nil (a cluster's).
func newConsole(c consoleConfig, testReports bool, argon messaging.Argon2, passwords *password.Gate, st store.Store, shared ratelimit.Shared,
	cs *cases.Service, log *slog.Logger) (*moderators.Service, *console.Console, error) {
	mods, err := moderators.New(moderators.Config{Argon2: argon, IdleTimeout: c.idle, MaxSession: c.max, Passwords: passwords},
		moderators.Deps{Store: st, Log: log, RateLimits: shared})
	if err != nil {
		return nil, nil, err
	}
	con, err := console.New(console.Config{TestReports: testReports, SecureCookie: c.secureCookie, RevealFor: c.revealFor},
		console.Deps{Cases: cs, Moderators: mods, Log: log})
	return mods, con, err
}

// pruneConsoleSessions deletes ended console sessions every hour until ctx
// ends.
func pruneConsoleSessions(ctx context.Context, mods *moderators.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := mods.Prune(ctx); err != nil && ctx.Err() == nil {
				log.Error("console sessions: prune", "err", err)
			}
		}
	}
}
