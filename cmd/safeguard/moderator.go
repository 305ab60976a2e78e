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

// cmdModerator manages the console's moderators: accounts apart from chat
// accounts, made by the operator.
func cmdModerator(ctx context.Context, e *env, args []string) error {
	subs := map[string]bool{"add": true, "list": true, "disable": true, "enable": true, "role": true, "password": true}
	if len(args) == 0 || !subs[args[0]] {
		fmt.Fprintln(e.stderr, moderatorUsage)
		return &exitError{code: 2, err: errors.New("")}
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet(e, "moderator "+sub, "moderator "+sub+" [NAME] [flags]")
	db := fs.String("db", defaultDB, "database: a SQLite file path, or a postgres:// URL")
	roleText := fs.String("role", "", "moderator, senior (senior moderator) or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (otherwise one is generated and printed once)")
	var name string
	if sub != "list" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return &exitError{code: 2, err: errors.New("a moderator's NAME is required")}
		}
		name, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, e, rest); err != nil {
		return err
	}
	var role safeguard.ModeratorRole
	if sub == "add" || sub == "role" {
		r, err := safeguard.ParseModeratorRole(*roleText)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--role: %s", safeguard.ErrorMessage(err))}
		}
		role = r
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return &exitError{code: 2, err: errors.New("--password-stdin: no password on standard input")}
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return &exitError{code: 2, err: errors.New("--password-stdin: the password is empty")}
		}
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	mods, err := moderators.New(moderators.Config{Argon2: messaging.DefaultArgon2}, st, nil, nil)
	if err != nil {
		return err
	}
	by := moderators.Operator
	switch sub {
	case "add":
		added, err := mods.Add(ctx, by, name, role, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "moderator %s added as %s\n", added.Moderator.Name, added.Moderator.Role.Words())
		if added.Generated != "" {
			fmt.Fprintf(e.stdout, "password (shown once, not stored in clear): %s\n", added.Generated)
		}
	case "list":
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
	case "disable":
		if _, err := mods.Disable(ctx, by, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "moderator %s disabled; their console sessions have ended\n", name)
	case "enable":
		if _, err := mods.Enable(ctx, by, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "moderator %s enabled\n", name)
	case "role":
		m, err := mods.SetRole(ctx, by, name, role)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "moderator %s is now %s\n", m.Name, m.Role.Words())
	case "password":
		gen, err := mods.SetPassword(ctx, by, name, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "moderator %s has a new password; their console sessions have ended\n", name)
		if gen != "" {
			fmt.Fprintf(e.stdout, "password (shown once, not stored in clear): %s\n", gen)
		}
	}
	return nil
}
