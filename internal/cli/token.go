package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

func newTokenCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the API tokens of a server",
		Long: `Create, list and revoke the bearer tokens the server's API accepts. These
commands open the server's state directly (--data DIR or --database URL, as
secpipe server does), so they work while the server runs and before its
first start.

Roles: viewer (reads), operator (also starts, cancels, retries, approves;
manages pipelines and images), admin (also tokens and the audit log), and
worker (only the job API, limited to --action-type types when given).`,
	}
	cmd.AddCommand(newTokenCreateCmd(e), newTokenListCmd(e), newTokenRevokeCmd(e))
	return cmd
}

// withState runs fn on the server state the flags name.
func withState(ctx context.Context, e *env, f *stateFlags, fn func(st *serverState) error) error {
	st, err := openState(ctx, e, f)
	if err != nil {
		return err
	}
	defer st.db.Close()
	return fn(st)
}

func newTokenCreateCmd(e *env) *cobra.Command {
	var (
		f       stateFlags
		role    string
		types   []string
		expires time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create NAME --role ROLE",
		Short: "Create a token and print it (it is shown only this once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return usageError{fmt.Errorf("--role: %w", err)}
			}
			if expires < 0 {
				return usageError{fmt.Errorf("--expires: must not be negative")}
			}
			spec := auth.Spec{Name: args[0], Role: r, ActionTypes: types, TTL: expires}
			return withState(cmd.Context(), e, &f, func(st *serverState) error {
				now := time.Now()
				tok, t, err := auth.Create(cmd.Context(), st.store, spec, now)
				if err != nil {
					return err
				}
				err = st.store.AddAudit(cmd.Context(), &store.AuditEntry{At: now.UTC(), Actor: "local",
					Action: "token.create", Target: t.Name, Detail: "role " + string(t.Role)})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, tok)
				fmt.Fprintf(e.stderr, "token %s (%s) created; keep it now, it is not shown again\n", t.Name, t.Role)
				return nil
			})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&role, "role", "", "`ROLE`: viewer, operator, admin or worker (required)")
	fl.StringArrayVar(&types, "action-type", nil, "limit a worker token to custom action `TYPE` (repeatable)")
	fl.DurationVar(&expires, "expires", 0, "make the token expire after `DURATION` (e.g. 720h; default never)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokenListCmd(e *env) *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the tokens (never their secrets)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withState(cmd.Context(), e, &f, func(st *serverState) error {
				ts, err := st.store.Tokens(cmd.Context())
				if err != nil {
					return err
				}
				printTokens(e, ts, time.Now())
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

// printTokens writes the token table.
func printTokens(e *env, ts []store.Token, now time.Time) {
	if len(ts) == 0 {
		fmt.Fprintln(e.stdout, "no tokens (create one: secpipe token create NAME --role admin)")
		return
	}
	tw := newTable(e.stdout)
	fmt.Fprintln(tw, "NAME\tID\tROLE\tACTION TYPES\tCREATED\tLAST USED\tEXPIRES\tSTATE")
	for _, t := range ts {
		state := auth.Usable(t, now)
		if state == "" {
			state = "active"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.ID, t.Role,
			orDash(strings.Join(t.ActionTypes, ",")), day(t.Created), day(t.LastUsed), day(t.Expires), state)
	}
	tw.Flush()
}

// day renders a time to the minute, "-" when unset.
func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func newTokenRevokeCmd(e *env) *cobra.Command {
	var f stateFlags
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: the API refuses it from now on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withState(cmd.Context(), e, &f, func(st *serverState) error {
				now := time.Now()
				t, err := auth.Revoke(cmd.Context(), st.store, args[0], now)
				if err != nil {
					return err
				}
				err = st.store.AddAudit(cmd.Context(), &store.AuditEntry{At: now.UTC(), Actor: "local",
					Action: "token.revoke", Target: t.Name})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "token %s revoked\n", t.Name)
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}
