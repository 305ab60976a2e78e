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
	"path/filepath"
	"strings"
	"syscall"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/nudity"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	invokedAs = programName(os.Args[0])
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// invokedAs is how the binary was invoked (programName), for the commands
// a command prints to be run as written; "safeguard" unless main sets it.
var invokedAs = "safeguard"

// programName is how to run again the binary invoked as arg0 (os.Args[0]):
// a name found on $PATH as its base name, a path as given (quoted for the
// shell if need be), and a binary "go run" built in a temporary directory
// as "go run ./cmd/safeguard".
func programName(arg0 string) string {
	switch {
	case arg0 == "":
		return "safeguard"
	case !strings.ContainsRune(arg0, filepath.Separator) && !strings.ContainsRune(arg0, '/'):
		return arg0
	case strings.Contains(filepath.ToSlash(arg0), "/go-build") && strings.HasPrefix(filepath.Clean(arg0), filepath.Clean(os.TempDir())):
		return "go run ./cmd/safeguard"
	}
	return shellQuote(arg0)
}

// shellQuote quotes s for a POSIX shell when it holds a character the
// shell would read.
func shellQuote(s string) string {
	if !strings.ContainsAny(s, " '\"$\\`*?[]#~;&|<>(){}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// env is what a subcommand may touch of the outside world. Tests run
// subcommands with their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// leaf is the command being run, set before its run is called: its
	// flag set takes its usage, example and environment rule from it.
	leaf *command

	// classifier, when set (tests), is the nudity classifier serve, the
	// demo and nudity classify use in place of the built-in model.
	classifier nudity.Classifier
}

// access says what a command does with the data directory.
type access int

const (
	_ access = iota
	// reads: it reads the data and never creates a file or a database;
	// a missing database is an error.
	reads
	// writes: it changes the data (a missing SQLite database is made).
	writes
	// serves: it runs the server, made of the data directory; every flag
	// is a server setting and may come from the environment.
	serves
	// local: it works on the files it is given, or a server's URL, and
	// touches no data directory.
	local
)

// command is a command, or a group of commands (subs). A leaf's run parses
// its own flags with newFlagSet and parseFlags, which take its usage, its
// example and the environment rule from the command.
type command struct {
	name    string
	summary string
	// args is how the positional arguments are written in the usage
	// ("ID", "BANK FILE|HASH…"); empty: the command takes none.
	args string
	// example is one command line, after "safeguard ", that works as
	// written in the directory the README's demo leaves ("demo" as the
	// data directory).
	example string
	access  access
	// ownData: the command's data directory is its own (the demo's
	// --dir); the environment never points a part of it elsewhere.
	ownData bool
	run     func(ctx context.Context, e *env, args []string) error
	subs    []command
}

// commands lists the commands in the order -help shows them.
var commands = []command{
	{name: "serve", summary: "run the server", example: "serve --data /var/lib/safeguard", access: serves, run: cmdServe},
	{name: "demo", summary: "start a server on a fresh data directory and play the demo story",
		example: "demo --exit --dir demo", access: serves, ownData: true, run: cmdDemo},
	{name: "stats", summary: "statistics: police returns, the platform's own figures, policy impact", subs: statsCommands},
	{name: "transparency", summary: "the transparency report of a period", example: "transparency --data demo --period 2026 --format markdown",
		access: reads, run: cmdTransparency},
	{name: "risk", summary: "replay conversations through the grooming and sextortion rules, and score them", subs: riskCommands},
	{name: "url", summary: "URL lists (IWF URL-list shape): import, list, remove, match", subs: urlCommands},
	{name: "pdq", summary: "hash images with PDQ", subs: pdqCommands},
	{name: "nudity", summary: "classify images for nudity as the server does", subs: nudityCommands},
	{name: "chat", summary: "chat in the terminal, end-to-end encrypted between verified adults",
		example: "chat --server http://127.0.0.1:8080 --handle leo.37", access: local, run: cmdChat},
	{name: "case", summary: "review cases: list, show, decide", subs: caseCommands},
	{name: "report", summary: "export a case's law-enforcement report package", subs: reportCommands},
	{name: "evidence", summary: "the evidence vault: verify, pubkey, keygen, retain", subs: evidenceCommands},
	{name: "files", summary: "the files a cluster keeps in the object store its servers share: import", subs: filesCommands},
	{name: "keys", summary: "the keyring a cluster keeps in its database: import, rotate-franking, rotate-kek", subs: keysCommands},
	{name: "account", summary: "chat accounts: find, show, verify, unverify, suspend, unsuspend, guardian, reset-password, delete, sessions, logout", subs: accountCommands},
	{name: "moderator", summary: "moderators of the console: add, list, disable, enable, role, password", subs: moderatorCommands},
	{name: "bank", summary: "hash banks of known images: import, list, add, remove, match, bench", subs: bankCommands},
	{name: "version", summary: "print the version", example: "version", access: local, run: cmdVersion},
}

// leaves calls fn with every leaf command and its full name ("case list").
func leaves(cmds []command, prefix string, fn func(name string, c *command)) {
	for i := range cmds {
		c := &cmds[i]
		name := strings.TrimSpace(prefix + " " + c.name)
		if len(c.subs) > 0 {
			leaves(c.subs, name, fn)
			continue
		}
		fn(name, c)
	}
}

// exitError carries a process exit code other than 1 out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// isHelp reports whether a is a request for help.
func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || isHelp(args[0]) {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for i := range commands {
		c := &commands[i]
		if c.name != args[0] {
			continue
		}
		err := dispatch(ctx, e, c.name, c, args[1:])
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
			fmt.Fprintf(stderr, "safeguard %s: %s\n", c.name, sentence(err))
			return 1
		}
	}
	fmt.Fprintf(stderr, "safeguard: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// sentence is err as the user reads it: a Safeguard error's sentence in
// place of its code.
func sentence(err error) string {
	var se *safeguard.Error
	if errors.As(err, &se) {
		return strings.Replace(err.Error(), se.Error(), se.Message, 1)
	}
	return err.Error()
}

// dispatch runs the leaf c, or the subcommand of the group c that args[0]
// names; a group without one prints its commands: on stdout for help
// (exit 0), on stderr otherwise (exit 2).
func dispatch(ctx context.Context, e *env, name string, c *command, args []string) error {
	if len(c.subs) == 0 {
		e.leaf = c
		return c.run(ctx, e, args)
	}
	if len(args) > 0 {
		for i := range c.subs {
			if c.subs[i].name == args[0] {
				return dispatch(ctx, e, name+" "+args[0], &c.subs[i], args[1:])
			}
		}
	}
	w := e.stderr
	if len(args) > 0 && isHelp(args[0]) {
		w = e.stdout
	} else if len(args) > 0 {
		fmt.Fprintf(w, "safeguard %s: unknown command %q\n\n", name, args[0])
	}
	fmt.Fprintf(w, "Usage: safeguard %s <command> [flags]\n\n", name)
	fmt.Fprintln(w, "Commands:")
	width := 0
	for _, s := range c.subs {
		width = max(width, len(s.name))
	}
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'safeguard %s <command> -h' for a command's flags and an example.\n", name)
	if w == e.stdout {
		return nil
	}
	return &exitError{code: 2, err: errors.New("")}
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
	fmt.Fprintln(w, "Run 'safeguard <command> -h' for a command's flags and an example. Every command finds")
	fmt.Fprintln(w, "its database, media, evidence, reports and keys in one data directory, --data")
	fmt.Fprintln(w, "(default "+defaultData+"). Flags may come before or after a command's arguments.")
	fmt.Fprintln(w, "Server and connection settings can also come from the environment (--data is")
	fmt.Fprintln(w, "SAFEGUARD_DATA, --db SAFEGUARD_DB); what a command is to do (--reason, --role, …)")
	fmt.Fprintln(w, "comes from the command line only.")
}

// newFlagSet returns a flag set for the leaf command being run, named name;
// its help shows synopsis, the flags with, for those the environment may
// set, their variable, and the command's example.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("safeguard "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	leaf := e.leaf
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: safeguard %s\n", synopsis)
		if leaf != nil && leaf.summary != "" {
			fmt.Fprintf(out, "\n%s.\n", strings.ToUpper(leaf.summary[:1])+leaf.summary[1:])
		}
		fmt.Fprintln(out, "\nFlags (before or after the arguments):")
		fs.VisitAll(func(f *flag.Flag) {
			kind, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  %s\n    \t%s", strings.TrimSpace("--"+f.Name+" "+kind), usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
			if !fromEnvironment(leaf, f.Name) {
				fmt.Fprintln(out)
				return
			}
			fmt.Fprintf(out, " [$%s]\n", envName(f.Name))
		})
		if leaf != nil && leaf.example != "" {
			fmt.Fprintf(out, "\nExample:\n  safeguard %s\n", leaf.example)
		}
	}
	return fs
}

// commandLineOnly names the flags that are an action's own argument, taken
// from the command line alone even by serve and demo: a stray environment
// variable must never delete data or decide anything.
var commandLineOnly = map[string]bool{"reset": true, "exit": true, "dir": true}

// connectionFlags are the settings that say where the data and the services
// are (the data directory, the database, the cluster's NATS, the key files, addresses, TLS,
// logs) and the server's settings other commands share (the apps, the
// encryption policy, what reports say of the service, the retention
// periods): the environment may give them to every command. Any other flag
// is what one command is to do, and comes from the command line only,
// except in serve and demo, whose every flag is a server setting.
var connectionFlags = map[string]bool{
	"data": true, "db": true, "media": true, "media-key-file": true,
	"evidence-dir": true, "evidence-key": true, "evidence-pubkey": true, "report-dir": true,
	"franking-keys-file": true, "guardian-key-file": true, "kek-file": true,
	"addr": true, "metrics-addr": true, "server": true, "state-dir": true, "tls-cert": true, "tls-key": true,
	"log-level": true, "log-format": true, "ncmec-url": true, "ncmec-user": true,
	"password-reset-ttl": true, "audit-retention": true, "content-retention": true, "reference-retention": true,
	"apps": true, "encryption": true, "service-name": true, "report-email": true, "report-org": true, "test-reports": true,
	"argon2-memory": true, "argon2-time": true, "nats": true,
}

// dataLocation are the flags that say where a part of the data is.
var dataLocation = map[string]bool{"data": true, "db": true, "media": true, "media-key-file": true,
	"evidence-dir": true, "evidence-key": true, "report-dir": true, "franking-keys-file": true, "guardian-key-file": true}

// fromEnvironment reports whether the flag name of leaf may be set from
// the environment.
func fromEnvironment(leaf *command, name string) bool {
	if commandLineOnly[name] || (leaf != nil && leaf.ownData && dataLocation[name]) {
		return false
	}
	return connectionFlags[name] || (leaf != nil && leaf.access == serves)
}

// envName is the environment variable that stands for a flag: --media-dir is
// SAFEGUARD_MEDIA_DIR.
func envName(flagName string) string {
	return "SAFEGUARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, whose flags may come before, between or after the
// positional arguments (all after "--" are positional), then sets every
// flag the environment may set (fromEnvironment) and the command line did
// not from its variable, if that is set. -h, --help, or "help" as the first
// argument prints the command's help on stdout and returns flag.ErrHelp. A
// command whose usage shows no arguments refuses any.
func parseFlags(fs *flag.FlagSet, e *env, args []string) error {
	if wantsHelp(args) {
		fs.SetOutput(e.stdout)
		fs.Usage()
		fs.SetOutput(e.stderr)
		return flag.ErrHelp
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return &exitError{code: 2, err: errors.New("")}
	}
	if e.leaf != nil && e.leaf.args == "" && fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q (this command takes flags only; see -h)", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil || !fromEnvironment(e.leaf, f.Name) {
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

// wantsHelp reports whether args ask for help: "help" first, or -h or
// --help among the flags (before "--").
func wantsHelp(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// interleave reorders args so that the flags come first and the positional
// arguments after a "--", each group in its own order: a flag is an
// argument that starts with "-" (but is not "-" alone), with its value in
// the next argument unless it is a boolean flag or written --flag=value;
// everything after a "--" is positional.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if hasValue || f == nil || isBoolFlag(f) || i+1 == len(args) {
			continue
		}
		i++
		flags = append(flags, args[i])
	}
	return append(append(flags, "--"), pos...)
}

// isBoolFlag reports whether f takes no value (a boolean flag).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
