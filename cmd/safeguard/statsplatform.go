package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/cases"
	"github.com/safeguard-dev/safeguard/internal/policy"
	"github.com/safeguard-dev/safeguard/internal/stats"
	"github.com/safeguard-dev/safeguard/internal/stats/platform"
	"github.com/safeguard-dev/safeguard/internal/store"
)

// platformConfig is what the platform's statistics commands read: the
// database, and the service's settings that the figures describe.
type platformConfig struct {
	store                                 storeFlags
	apps, encryption, serviceName, period string
	unsuppressed                          bool
}

func bindPlatformFlags(fs *flag.FlagSet, c *platformConfig) {
	bindStore(fs, &c.store)
	fs.StringVar(&c.apps, "apps", safeguard.DefaultApp, "comma-separated names of the apps the service runs (columns even when empty)")
	fs.StringVar(&c.encryption, "encryption", string(policy.NSPCC), "the encryption policy in force: nspcc or none")
	fs.StringVar(&c.serviceName, "service-name", cases.DefaultServiceName, "the service's name in the transparency report")
	fs.StringVar(&c.period, "period", "", "the period: a year (2026), a quarter (2026-Q3) or a month (2026-07)")
	fs.BoolVar(&c.unsuppressed, "unsuppressed", false, "show counts below 3 — for operators only: the output is marked INTERNAL, never publish it")
}

// open parses the period and builds the statistics service over the store.
func (c *platformConfig) open(ctx context.Context, e *env) (*platform.Service, platform.Period, func(), error) {
	if c.period == "" {
		return nil, platform.Period{}, nil, &exitError{code: 2, err: fmt.Errorf("--period is required (e.g. 2026-Q3)")}
	}
	p, err := platform.ParsePeriod(c.period)
	if err != nil {
		return nil, p, nil, &exitError{code: 2, err: err}
	}
	mode := policy.Mode(c.encryption)
	if !mode.Valid() {
		return nil, p, nil, &exitError{code: 2, err: fmt.Errorf("--encryption %q: want nspcc or none", c.encryption)}
	}
	st, err := c.store.openRead(ctx)
	if err != nil {
		return nil, p, nil, err
	}
	if c.unsuppressed {
		fmt.Fprintln(e.stderr, "safeguard: "+stats.InternalBanner)
	}
	svc, err := platform.New(platform.Config{Mode: mode, Apps: splitApps(c.apps), ServiceName: c.serviceName},
		platform.Deps{Store: st, Now: statsNow, Banks: platform.StoreBanks{Store: st}})
	if err != nil {
		st.Close()
		return nil, p, nil, err
	}
	return svc, p, func() { st.Close() }, nil
}

func splitApps(s string) []string {
	var apps []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			apps = append(apps, a)
		}
	}
	return apps
}

// parseFormatOf reads --format among the formats an output has.
func parseFormatOf(s string, allowed []stats.Format) (stats.Format, error) {
	f, err := stats.ParseFormat(s)
	if err == nil {
		for _, a := range allowed {
			if a == f {
				return f, nil
			}
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", &exitError{code: 2, err: fmt.Errorf("unknown format %q; use one of %s", s, strings.Join(names, ", "))}
}

func noArgs(fs *flag.FlagSet, e *env, args []string) error {
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func cmdStatsPlatform(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats platform", "stats platform --period P [--by force|app|source|priority] [--count cases|reports] [--format F] [--unsuppressed]\n\n"+
		"The platform's own cases (or its reports to law enforcement) by police force area — the\n"+
		"child's, or with no child the reported user's — split by app, detection source or priority.\n"+
		"Counts below 3 are suppressed (<3), with secondary suppression (withheld), unless --unsuppressed.")
	var c platformConfig
	bindPlatformFlags(fs, &c)
	by := fs.String("by", string(platform.ByForce), "split the total by: force (no split), app, source or priority")
	count := fs.String("count", string(platform.CountCases), "count cases (opened in the period) or reports (first reports to law enforcement filed in it)")
	format := fs.String("format", string(stats.FormatText), "output format: text, markdown, csv, json or html")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	b, err := platform.ParseBy(*by)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	n, err := platform.ParseCount(*count)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	f, err := parseFormatOf(*format, stats.Formats)
	if err != nil {
		return err
	}
	return renderPlatform(ctx, e, &c, f, func(svc *platform.Service, p platform.Period, o platform.Options) (renderer, error) {
		return svc.Platform(ctx, p, b, n, o)
	})
}

func cmdStatsCompare(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats compare", "stats compare --period P --returns NAME [--format F] [--unsuppressed]\n\n"+
		"The platform's cases and reports to law enforcement beside a stored police return of the\n"+
		"same period (safeguard stats import FILE --name NAME --period P), force by force.")
	var c platformConfig
	bindPlatformFlags(fs, &c)
	returns := fs.String("returns", "", "the name of a stored police return (safeguard stats list)")
	format := fs.String("format", string(stats.FormatText), "output format: text, markdown, csv, json or html")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	if *returns == "" {
		return &exitError{code: 2, err: fmt.Errorf("--returns NAME is required")}
	}
	f, err := parseFormatOf(*format, stats.Formats)
	if err != nil {
		return err
	}
	return renderPlatform(ctx, e, &c, f, func(svc *platform.Service, p platform.Period, o platform.Options) (renderer, error) {
		return svc.Compare(ctx, p, *returns, o)
	})
}

func cmdStatsImpact(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "stats impact", "stats impact --period P [--format text|markdown|json] [--unsuppressed]\n\n"+
		"What each encryption policy would have cost: the platform's cases of the period that depended\n"+
		"on content the server could see only because the conversation was not end-to-end encrypted,\n"+
		"under the running policy and under E2EE for everyone, by police force area, app and source.")
	var c platformConfig
	bindPlatformFlags(fs, &c)
	format := fs.String("format", string(stats.FormatText), "output format: text, markdown or json")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	f, err := parseFormatOf(*format, platform.ImpactFormats)
	if err != nil {
		return err
	}
	return renderPlatform(ctx, e, &c, f, func(svc *platform.Service, p platform.Period, o platform.Options) (renderer, error) {
		return svc.Impact(ctx, p, o)
	})
}

func cmdTransparency(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "transparency", "transparency --period P [--format html|markdown|json] [--unsuppressed]\n\n"+
		"The transparency report of a period: what the platform found by detection source and\n"+
		"priority, how fast it reviewed and reported, decisions and appeals, reports to the NCA and\n"+
		"NCMEC, the encryption mode and the hash banks in use. Counts below 3 are suppressed.")
	var c platformConfig
	bindPlatformFlags(fs, &c)
	format := fs.String("format", string(stats.FormatHTML), "output format: html, markdown or json")
	if err := noArgs(fs, e, args); err != nil {
		return err
	}
	f, err := parseFormatOf(*format, platform.TransparencyFormats)
	if err != nil {
		return err
	}
	return renderPlatform(ctx, e, &c, f, func(svc *platform.Service, p platform.Period, o platform.Options) (renderer, error) {
		return svc.Transparency(ctx, p, o)
	})
}

// renderer is an output of the statistics service: a table, the policy
// impact, the transparency report.
type renderer interface {
	Render(w io.Writer, f stats.Format) error
}

// renderPlatform opens the statistics service, makes one output of the
// period with produce, and writes it in format f.
func renderPlatform(ctx context.Context, e *env, c *platformConfig, f stats.Format,
	produce func(*platform.Service, platform.Period, platform.Options) (renderer, error)) error {
	svc, p, done, err := c.open(ctx, e)
	if err != nil {
		return err
	}
	defer done()
	out, err := produce(svc, p, platform.Options{Unsuppressed: c.unsuppressed})
	if err != nil {
		return err
	}
	return out.Render(e.stdout, f)
}

// newStats builds serve's statistics service; the transparency report
// lists the enabled hash banks of the store.
func newStats(c serveConfig, st store.Store, apps []string, mode policy.Mode) (*platform.Service, error) {
	return platform.New(platform.Config{Mode: mode, Apps: apps, ServiceName: c.cases.serviceName}, platform.Deps{Store: st, Banks: platform.StoreBanks{Store: st}})
}
