// Command safeguard is the one binary of Safeguard: the server, the demo, and
// the operator's tools, one subcommand each.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a subcommand may touch of the outside world. Tests run
// subcommands with their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. Its run parses its own flags.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order -help shows them.
var commands = []command{
	{"serve", "run the server", cmdServe},
	{"demo", "start a server on a fresh database and play the demo story", cmdDemo},
	{"stats", "statistics: police returns, the platform's own figures, policy impact", cmdStats},
	{"transparency", "the transparency report of a period", cmdTransparency},
	{"risk", "replay conversations through the grooming and sextortion rules, and score them", cmdRisk},
	{"url", "URL lists (IWF URL-list shape): import, list, remove, match", cmdURL},
	{"pdq", "hash images with PDQ", cmdPDQ},
	{"chat", "chat in the terminal, end-to-end encrypted between verified adults", cmdChat},
	{"case", "review cases: list, show, decide", cmdCase},
	{"report", "export a case's law-enforcement report package", cmdReport},
	{"evidence", "the evidence vault: verify, keygen, retain", cmdEvidence},
	{"account", "chat accounts: find, show, verify, unverify, suspend, unsuspend, reset-password, delete, sessions, logout", cmdAccount},
	{"moderator", "moderators of the console: add, list, disable, enable, role, password", cmdModerator},
	{"bank", "hash banks of known images: import, list, add, remove, match, bench", cmdBank},
	{"version", "print the version", cmdVersion},
}

// exitError carries a process exit code other than 1 out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(stderr, "safeguard %s: %v\n", c.name, ee.err)
			}
			return ee.code
		default:
			fmt.Fprintf(stderr, "safeguard %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "safeguard: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: safeguard <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'safeguard <command> -h' for a command's flags. Every flag can also be set")
	fmt.Fprintln(w, "through the environment: --db is SAFEGUARD_DB, --media-key-file is SAFEGUARD_MEDIA_KEY_FILE.")
}

// newFlagSet returns a flag set for a subcommand whose -h output lists, for
// each flag, the environment variable that can also set it.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("safeguard "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: safeguard %s\n\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			kind, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\n    \t%s", f.Name, kind, usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			if commandLineOnly[f.Name] {
				fmt.Fprintln(out)
				return
			}
			fmt.Fprintf(out, " [$%s]\n", envName(f.Name))
		})
	}
	return fs
}

// commandLineOnly names the flags that are an action's own argument, taken
// from the command line alone: a stray environment variable must never
// delete data or decide anything.
var commandLineOnly = map[string]bool{"reset": true}

// envName is the environment variable that stands for a flag: --media-dir is
// SAFEGUARD_MEDIA_DIR.
func envName(flagName string) string {
	return "SAFEGUARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, then sets every flag not given on the command line
// from its environment variable, if that is set. The command line wins.
func parseFlags(fs *flag.FlagSet, e *env, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2, err: errors.New("")}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil || commandLineOnly[f.Name] {
			return
		}
		if v := e.getenv(envName(f.Name)); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = &exitError{code: 2, err: fmt.Errorf("$%s: %v", envName(f.Name), serr)}
			}
		}
	})
	return err
}

// subcommands runs the subcommand of parent that args[0] names, or prints
// the list: on stdout for -h (exit 0), on stderr otherwise (exit 2).
func subcommands(ctx context.Context, e *env, parent string, subs []command, args []string) error {
	if len(args) > 0 {
		for _, s := range subs {
			if s.name == args[0] {
				return s.run(ctx, e, args[1:])
			}
		}
	}
	w := e.stderr
	code := 2
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		w, code = e.stdout, 0
	} else if len(args) > 0 {
		fmt.Fprintf(w, "safeguard %s: unknown command %q\n\n", parent, args[0])
	}
	fmt.Fprintf(w, "Usage: safeguard %s <command> [flags]\n\n", parent)
	fmt.Fprintln(w, "Commands:")
	for _, s := range subs {
		fmt.Fprintf(w, "  %-7s %s\n", s.name, s.summary)
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}
