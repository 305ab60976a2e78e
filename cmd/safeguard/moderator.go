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

const moderatorUsage = "Usage: safeguard moderator add NAME --role moderator|senior|admin [--password-stdin] | list | disable NAME | enable NAME | role NAME --role R | password NAME [--password-stdin]"

// moderatorArgs is a moderator subcommand's parsed command line.
type moderatorArgs struct {
	sub      string
	db       string
	name     string
	role     safeguard.ModeratorRole
	password string // empty: generate one
}

// moderatorSubs runs each subcommand of moderator.
var moderatorSubs = map[string]func(ctx context.Context, e *env, mods *moderators.Service, a moderatorArgs) error{
	"add":      moderatorAdd,
	"list":     moderatorList,
	"disable":  moderatorDisable,
	"enable":   moderatorEnable,
	"role":     moderatorRole,
	"password": moderatorPassword,
}

// cmdModerator manages the console's moderators: accounts apart from chat
// accounts, made by the operator.
func cmdModerator(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || moderatorSubs[args[0]] == nil {
		fmt.Fprintln(e.stderr, moderatorUsage)
		return &exitError{code: 2, err: errors.New("")}
	}
	a, err := parseModeratorArgs(e, args[0], args[1:])
	if err != nil {
		return err
	}
	st, err := openStore(ctx, a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	mods, err := moderators.New(moderators.Config{Argon2: messaging.DefaultArgon2}, moderators.Deps{Store: st})
	if err != nil {
		return err
	}
	return moderatorSubs[a.sub](ctx, e, mods, a)
}

// parseModeratorArgs parses the command line of the subcommand sub: its
// NAME (all but list have one), its flags, and the password from standard
// input when --password-stdin asks for it.
func parseModeratorArgs(e *env, sub string, rest []string) (moderatorArgs, error) {
	a := moderatorArgs{sub: sub}
	fs := newFlagSet(e, "moderator "+sub, "moderator "+sub+" [NAME] [flags]")
	fs.StringVar(&a.db, "db", defaultDB, "database: a SQLite file path, or a postgres:// URL")
	roleText := fs.String("role", "", "moderator, senior (senior moderator) or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (otherwise one is generated and printed once)")
	if sub != "list" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return a, &exitError{code: 2, err: errors.New("a moderator's NAME is required")}
		}
		a.name, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, e, rest); err != nil {
		return a, err
	}
	if sub == "add" || sub == "role" {
		r, err := safeguard.ParseModeratorRole(*roleText)
		if err != nil {
			return a, &exitError{code: 2, err: fmt.Errorf("--role: %s", safeguard.ErrorMessage(err))}
		}
		a.role = r
	}
	if *fromStdin {
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
