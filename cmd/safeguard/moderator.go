package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/messaging"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// moderatorArgs is a moderator subcommand's parsed command line.
type moderatorArgs struct {
	store    storeFlags
	name     string
	role     safeguard.ModeratorRole
	password string // empty: generate one
	argon2   messaging.Argon2
}

// moderatorCommands are the subcommands of "safeguard moderator": the
// console's moderators, accounts apart from chat accounts, made by the
// operator.
var moderatorCommands = []command{
	{name: "add", summary: "add a moderator (a generated password is printed once)", args: "NAME",
		example: "moderator add alice --role senior --data demo", access: writes, run: moderatorCmd(moderatorAdd, true, true)},
	{name: "list", summary: "list the moderators", example: "moderator list --data demo", access: reads, run: moderatorCmd(moderatorList, false, false)},
	{name: "disable", summary: "disable a moderator and end their console sessions", args: "NAME",
		example: "moderator disable alice --data demo", access: writes, run: moderatorCmd(moderatorDisable, false, false)},
	{name: "enable", summary: "enable a disabled moderator", args: "NAME",
		example: "moderator enable alice --data demo", access: writes, run: moderatorCmd(moderatorEnable, false, false)},
	{name: "role", summary: "change a moderator's role", args: "NAME",
		example: "moderator role alice --role admin --data demo", access: writes, run: moderatorCmd(moderatorRole, true, false)},
	{name: "password", summary: "set a moderator's password (generated and printed once unless --password-stdin) and end their sessions", args: "NAME",
		example: "moderator password alice --data demo", access: writes, run: moderatorCmd(moderatorPassword, false, true)},
}

// moderatorCmd is a moderator subcommand that runs fn: its flags are the
// database's, --role when role, --password-stdin when password.
func moderatorCmd(fn func(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error, role, password bool) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		a, err := parseModeratorArgs(e, args, role, password)
		if err != nil {
			return err
		}
		// Only add makes a missing database; the others act on
		// moderators that must be there.
		open := a.store.openRead
		if e.leaf.name == "add" {
			open = a.store.openWrite
		}
		st, err := open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		mods, err := moderators.New(moderators.Config{Argon2: a.argon2}, moderators.Deps{Store: st})
		if err != nil {
			return err
		}
		return fn(ctx, e, mods, a)
	}
}

// parseModeratorArgs parses the command line of the leaf being run: its
// NAME (all but list have one), its flags, and the password from standard
// input when --password-stdin asks for it.
func parseModeratorArgs(e *env, args []string, role, password bool) (moderatorArgs, error) {
	var a moderatorArgs
	leaf := e.leaf
	synopsis := "moderator " + leaf.name + " " + leaf.args
	fs := newFlagSet(e, "moderator "+leaf.name, strings.TrimSpace(synopsis)+" [flags]")
	bindStore(fs, &a.store)
	var roleText string
	if role {
		fs.StringVar(&roleText, "role", "", "moderator, senior (senior moderator) or admin")
	}
	a.argon2 = messaging.DefaultArgon2
	var fromStdin bool
	if password {
		fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input (otherwise one is generated and printed once)")
		bindArgon2Flags(fs, &a.argon2)
	}
	if err := parseFlags(fs, e, args); err != nil {
		return a, err
	}
	if leaf.args != "" {
		if fs.NArg() != 1 {
			return a, &exitError{code: 2, err: errors.New("give one moderator's NAME")}
		}
		a.name = fs.Arg(0)
	}
	if role {
		r, err := safeguard.ParseModeratorRole(roleText)
		if err != nil {
			return a, &exitError{code: 2, err: fmt.Errorf("--role: %s", safeguard.ErrorMessage(err))}
		}
		a.role = r
	}
	if fromStdin {
		p, err := readPasswordLine(e)
		if err != nil {
			return a, err
		}
		a.password = p
	}
	return a, nil
}

// readPasswordLine reads a password from the first line of standard input.
func readPasswordLine(e *env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", &exitError{code: 2, err: errors.New("--password-stdin: no password on standard input")}
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", &exitError{code: 2, err: errors.New("--password-stdin: the password is empty")}
	}
	return password, nil
}

func moderatorAdd(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error {
	added, err := mods.Add(ctx, moderators.Operator, a.name, a.role, a.password)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moderator %s added as %s\n", added.Moderator.Name, added.Moderator.Role.Words())
	if added.Generated != "" {
		fmt.Fprintf(e.stdout, "password (shown once, not stored in clear): %s\n", added.Generated)
	}
	return nil
}

func moderatorList(ctx context.Context, e *env, mods *moderators.Service, _ moderatorArgs) error {
	ms, err := mods.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tADDED\tBY")
	for _, m := range ms {
		status := "active"
		if m.Disabled {
			status = "disabled " + m.DisabledAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Role, status, m.CreatedAt.Format(time.RFC3339), m.CreatedBy)
	}
	return tw.Flush()
}

func moderatorDisable(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error {
	if _, err := mods.Disable(ctx, moderators.Operator, a.name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moderator %s disabled; their console sessions have ended\n", a.name)
	return nil
}

func moderatorEnable(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error {
	if _, err := mods.Enable(ctx, moderators.Operator, a.name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moderator %s enabled\n", a.name)
	return nil
}

func moderatorRole(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error {
	m, err := mods.SetRole(ctx, moderators.Operator, a.name, a.role)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moderator %s is now %s\n", m.Name, m.Role.Words())
	return nil
}

func moderatorPassword(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error {
	gen, err := mods.SetPassword(ctx, moderators.Operator, a.name, a.password)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "moderator %s has a new password; their console sessions have ended\n", a.name)
	if gen != "" {
		fmt.Fprintf(e.stdout, "password (shown once, not stored in clear): %s\n", gen)
	}
	return nil
}
