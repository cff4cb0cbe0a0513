package auth

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

const useraddPath = "etc/default/useradd"

// aging is a password-aging rule: a default for new accounts (in
// login.defs or useradd's defaults) and the same field of each existing
// account in shadow.
type aging struct {
	file string // loginDefsPath or useraddPath
	key  string // PASS_MAX_DAYS
	// field is the shadow(5) field holding the per-account value.
	field int
	// what names the value in messages: "maximum password age".
	what string
	// lo and hi bound acceptable values; unset describes the absent key.
	lo, hi int
	unset  string
}

// run evaluates the default and every account with a usable password.
func (a aging) run(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	defs, present, err := loadDefaults(r, a.file)
	if err != nil {
		return nil, err
	}
	shadow, err := loadShadow(r)
	if err != nil {
		return nil, err
	}
	if !present && !shadow.Present {
		return notApplicable("no %s and no %s", a.file, shadowPath), nil
	}
	out := []config.Result{a.defaultResult(defs)}
	for _, rec := range shadow.Records {
		if classifyHash(rec.field(1)) != hashUsable {
			continue
		}
		n, ok := rec.num(a.field)
		v := value{Path: shadowPath, Line: rec.Line}
		if !ok {
			out = append(out, fail(v.Path, v.Line, "account %s: no %s set, want %s", rec.field(0), a.what, a.want()))
			continue
		}
		out = append(out, judged(a.ok(n), v, "account %s: %s %s, want %s", rec.field(0), a.what, days(n), a.want()))
	}
	return out, nil
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func (a aging) ok(n int) bool { return n >= a.lo && n <= a.hi }

func (a aging) want() string {
	if a.hi >= 1<<30 {
		return fmt.Sprintf("%d or more", a.lo)
	}
	return fmt.Sprintf("%d to %d", a.lo, a.hi)
}

// defaultResult judges the value new accounts get.
func (a aging) defaultResult(defs settings) config.Result {
	v, ok := defs[a.key]
	if !ok {
		return fail(a.file, 0, "%s not set in %s: %s; want %s", a.key, a.file, a.unset, a.want())
	}
	n, err := atoi(v.Value)
	if err != nil {
		return fail(v.Path, v.Line, "%s %q is not a number (%s)", a.key, v.Value, v.where())
	}
	return judged(a.ok(n), v, "%s %d (%s), want %s", a.key, n, v.where(), a.want())
}

// loadDefaults reads login.defs or useradd's defaults file.
func loadDefaults(r rootfs.Root, file string) (settings, bool, error) {
	if file == loginDefsPath {
		return loadLoginDefs(r)
	}
	s := settings{}
	ok, err := loadKeyValues(r, file, s)
	return s, ok, err
}

// agingChecks cover password lifetime and account inactivity.
func agingChecks() []config.Check {
	const many = 1 << 30
	maxDays := aging{file: loginDefsPath, key: "PASS_MAX_DAYS", field: 4, what: "maximum password age",
		lo: 1, hi: 365, unset: "passwords never expire"}
	minDays := aging{file: loginDefsPath, key: "PASS_MIN_DAYS", field: 3, what: "minimum password age",
		lo: 1, hi: many, unset: "passwords may be changed again at once"}
	warn := aging{file: loginDefsPath, key: "PASS_WARN_AGE", field: 5, what: "expiry warning",
		lo: 7, hi: many, unset: "users get no warning before expiry"}
	inactive := aging{file: useraddPath, key: "INACTIVE", field: 6, what: "inactivity lock",
		lo: 0, hi: 30, unset: "accounts with expired passwords are never locked"}
	reads := []string{loginDefsPath, shadowPath}
	return []config.Check{
		newCheck("auth-pass-max-days", "Passwords expire within 365 days", pipeline.SeverityMedium, reads,
			"A password that never expires stays useful to whoever obtained it for as long as the account "+
				"exists. login.defs PASS_MAX_DAYS sets the maximum age for new accounts and shadow's fifth "+
				"field for existing ones; both must be 365 days or less.",
			"Set PASS_MAX_DAYS 365 (or your policy's lower value) in /etc/login.defs and apply it to existing "+
				"accounts with chage --maxdays 365 USER.",
			[]string{cis("Ensure password expiration is 365 days or less"), "login.defs(5)", "shadow(5)", "chage(1)"},
			maxDays.run),
		newCheck("auth-pass-min-days", "Passwords cannot be changed back at once", pipeline.SeverityMedium, reads,
			"Without a minimum age a user forced to change a password can cycle through changes straight "+
				"back to the old one, defeating expiry and history.",
			"Set PASS_MIN_DAYS 1 in /etc/login.defs and run chage --mindays 1 USER for existing accounts.",
			[]string{cis("Ensure minimum days between password changes is configured"), "login.defs(5)", "chage(1)"},
			minDays.run),
		newCheck("auth-pass-warn-age", "Users are warned 7 days before a password expires", pipeline.SeverityMedium, reads,
			"A warning before expiry lets users choose a good password in time instead of a hurried one, "+
				"or being locked out.",
			"Set PASS_WARN_AGE 7 in /etc/login.defs and run chage --warndays 7 USER for existing accounts.",
			[]string{cis("Ensure password expiration warning days is 7 or more"), "login.defs(5)", "chage(1)"},
			warn.run),
		newCheck("auth-inactive-lock", "Accounts lock 30 days after their password expires", pipeline.SeverityMedium,
			[]string{useraddPath, shadowPath},
			"Accounts whose passwords expired and were never renewed are usually abandoned; locking them "+
				"after a grace period (useradd's INACTIVE, shadow's seventh field) removes them as targets. "+
				"The default -1 never locks.",
			"Run useradd -D -f 30 and chage --inactive 30 USER for existing accounts.",
			[]string{cis("Ensure inactive password lock is 30 days or less"), "useradd(8)", "shadow(5)"},
			inactive.run),
	}
}
