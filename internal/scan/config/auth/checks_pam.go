package auth

import (
	"context"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

const (
	faillockConf = "etc/security/faillock.conf"
	maxDeny      = 5
)

// pamChecks cover PAM rules outside the password-quality ones.
func pamChecks() []config.Check {
	return []config.Check{
		newCheck("auth-nullok", "PAM refuses empty passwords", pipeline.SeverityMedium, []string{pamDir + "/*"},
			"pam_unix's nullok option lets an account with an empty password authenticate (and change "+
				"its password) without one. Debian's shipped common-auth has it.",
			"Remove nullok (and nullok_secure) from every pam_unix.so rule in /etc/pam.d, e.g. with "+
				"pam-auth-update after editing /usr/share/pam-configs/unix.",
			[]string{cis("Ensure pam_unix does not include nullok"), "pam_unix(8)"},
			nullokResults),
		newCheck("auth-faillock", "Repeated failed logins lock the account", pipeline.SeverityMedium,
			[]string{pamDir + "/common-auth", pamDir + "/system-auth", pamDir + "/password-auth", pamDir + "/login", faillockConf},
			"Locking an account after a few failed attempts stops online password guessing. The auth "+
				"stack must run pam_faillock with authfail (or pam_tally2) and deny between 1 and 5; "+
				"deny 0 never locks. pam_faillock's default deny is 3.",
			"Add pam_faillock.so preauth and authfail rules to the auth stack (pam-auth-update on Debian, "+
				"authselect enable-feature with-faillock on Red Hat) and set deny = 5 or less in "+
				"/etc/security/faillock.conf.",
			[]string{cis("Ensure password failed attempts lockout is configured"), "pam_faillock(8)", "faillock.conf(5)"},
			faillockResults),
	}
}

// pamFiles parses every file in etc/pam.d; ok is false without the directory.
func pamFiles(r rootfs.Root) ([]pamLine, bool, error) {
	dir, err := rootfs.Resolve(r, pamDir)
	if err != nil {
		return nil, false, nil
	}
	var out []pamLine
	for _, e := range rootfs.Dir(r, dir) {
		name := pamDir + "/" + path.Base(e.Path)
		data, ok, err := readOptional(r, name)
		if err != nil {
			return nil, true, err
		}
		if ok {
			out = append(out, parsePAM(name, data)...)
		}
	}
	return out, true, nil
}

func nullokResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	rules, ok, err := pamFiles(r)
	if err != nil || !ok {
		return notApplicable("no %s", pamDir), err
	}
	var out []config.Result
	for _, l := range rules {
		if l.Module != "pam_unix.so" {
			continue
		}
		v := value{Path: l.Path, Line: l.Line}
		switch {
		case l.flag("nullok"):
			out = append(out, fail(v.Path, v.Line, "%s pam_unix.so nullok (%s): empty passwords are accepted", l.Type, l.where()))
		case l.flag("nullok_secure"):
			out = append(out, fail(v.Path, v.Line, "%s pam_unix.so nullok_secure (%s): empty passwords are accepted on secure terminals", l.Type, l.where()))
		default:
			out = append(out, pass(v.Path, v.Line, "%s pam_unix.so without nullok (%s)", l.Type, l.where()))
		}
	}
	if len(out) == 0 {
		return notApplicable("no pam_unix.so rule in %s", pamDir), nil
	}
	return out, nil
}

// authStacks names the services whose auth stack decides lockout: the
// shared stacks of Debian (common-auth) or Red Hat (system-auth,
// password-auth), else login.
func authStacks(r rootfs.Root) []string {
	if rootfs.Exists(r, pamDir+"/common-auth") {
		return []string{"common-auth"}
	}
	var out []string
	for _, s := range []string{"system-auth", "password-auth"} {
		if rootfs.Exists(r, pamDir+"/"+s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 && rootfs.Exists(r, pamDir+"/login") {
		out = append(out, "login")
	}
	return out
}

func faillockResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	services := authStacks(r)
	if len(services) == 0 {
		return notApplicable("no PAM auth stack (common-auth, system-auth, password-auth or login) in %s", pamDir), nil
	}
	conf := settings{}
	if _, err := loadKeyValues(r, faillockConf, conf); err != nil {
		return nil, err
	}
	var out []config.Result
	for _, svc := range services {
		rules, _, err := pamStack(r, svc, "auth")
		if err != nil {
			return nil, err
		}
		out = append(out, lockoutResult(rules, conf, pamDir+"/"+svc))
	}
	return out, nil
}

// lockoutResult judges one auth stack.
func lockoutResult(rules []pamLine, conf settings, file string) config.Result {
	var preauth *pamLine
	for i, l := range rules {
		switch {
		case l.Module == "pam_faillock.so" && l.flag("authfail"):
			v, how := moduleSetting(l, conf, "deny", "3")
			return denyResult(v, how, l.Module)
		case l.Module == "pam_faillock.so" && preauth == nil:
			preauth = &rules[i]
		case l.Module == "pam_tally2.so" || l.Module == "pam_tally.so":
			v, how := moduleSetting(l, settings{}, "deny", "0")
			return denyResult(v, how, l.Module)
		}
	}
	if preauth != nil {
		return fail(preauth.Path, preauth.Line, "pam_faillock.so (%s) has no authfail rule in %s: failures are not counted", preauth.where(), file)
	}
	return fail(file, 0, "no pam_faillock or pam_tally2 rule in the auth stack of %s", file)
}

func denyResult(v value, how, module string) config.Result {
	n, err := atoi(strings.TrimSpace(v.Value))
	switch {
	case err != nil:
		return fail(v.Path, v.Line, "%s deny %q is not a number (%s)", module, v.Value, v.where())
	case n == 0:
		return fail(v.Path, v.Line, "%s deny 0 (%s, %s): accounts are never locked", module, how, v.where())
	}
	return judged(n <= maxDeny, v, "%s deny %d (%s, %s), want 1 to %d", module, n, how, v.where(), maxDeny)
}
