package auth

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

const (
	pwqualityConf = "etc/security/pwquality.conf"
	pwqualityDir  = "etc/security/pwquality.conf.d"
	minPassLen    = 14
)

// policyChecks cover what a new password must look like and how it is stored.
func policyChecks() []config.Check {
	pamReads := []string{"etc/pam.d/passwd", "etc/pam.d/common-password", "etc/pam.d/system-auth",
		pwqualityConf, pwqualityDir + "/*.conf", loginDefsPath}
	return []config.Check{
		newCheck("auth-pass-min-length", "Passwords are at least 14 characters", pipeline.SeverityMedium, pamReads,
			"Length is what makes a password hard to guess or crack offline. The minimum comes from "+
				"pam_pwquality (its minlen argument, else pwquality.conf, else 8), pam_cracklib (default 9) "+
				"or pam_unix (default 6) in the password stack; without PAM, login.defs PASS_MIN_LEN.",
			"Install libpam-pwquality (Debian) or libpwquality and set minlen = 14 in "+
				"/etc/security/pwquality.conf; do not lower it with a minlen argument in /etc/pam.d.",
			[]string{cis("Ensure password length is configured"), "pam_pwquality(8)", "pwquality.conf(5)"},
			minLengthResults),
		newCheck("auth-pass-complexity", "Passwords must mix character classes", pipeline.SeverityMedium, pamReads,
			"Checking new passwords against a dictionary and requiring several character classes stops the "+
				"commonest passwords. pam_pwquality (or pam_cracklib) must be in the password stack as "+
				"required or requisite, with minclass 3 or more, or at least three of dcredit, ucredit, "+
				"lcredit, ocredit negative (each a required class). Its defaults require no class.",
			"Install libpam-pwquality, make sure the password stack has "+
				"\"password requisite pam_pwquality.so retry=3\", and set minclass = 3 in /etc/security/pwquality.conf.",
			[]string{cis("Ensure password complexity is configured"), "pam_pwquality(8)", "pam_cracklib(8)"},
			complexityResults),
		newCheck("auth-pass-hashing", "New passwords are hashed with SHA-512 or yescrypt", pipeline.SeverityMedium,
			[]string{loginDefsPath, "etc/pam.d/passwd", "etc/pam.d/common-password", "etc/pam.d/system-auth"},
			"Fast or legacy hashes (DES, MD5, SHA-256-crypt) make stolen shadow files quick to crack. "+
				"login.defs ENCRYPT_METHOD (used by chpasswd, newusers and pam_unix without a hash option) "+
				"and the pam_unix hash option must be SHA512 or YESCRYPT (bcrypt and gost-yescrypt also "+
				"pass). Without ENCRYPT_METHOD, shadow-utils falls back to DES (MD5 with MD5_CRYPT_ENAB yes).",
			"Set ENCRYPT_METHOD YESCRYPT (or SHA512) in /etc/login.defs and use pam_unix.so with yescrypt "+
				"(or sha512) in the password stack; users' hashes change on their next password change.",
			[]string{cis("Ensure strong password hashing algorithm is configured"), "login.defs(5)", "pam_unix(8)"},
			hashingResults),
		newCheck("auth-weak-password-hashes", "No account has a legacy password hash", pipeline.SeverityHigh,
			[]string{shadowPath, passwdPath},
			"A DES, MD5-crypt or NT hash in shadow is cracked in minutes to hours once the file leaks, "+
				"whatever the current policy. Only the hash scheme is inspected and reported.",
			"Have the users concerned set a new password (passwd -e USER forces it at next login) after "+
				"fixing ENCRYPT_METHOD, or lock the accounts with passwd -l.",
			[]string{cis("Ensure strong password hashing algorithm is configured"), "crypt(5)"},
			weakHashResults),
	}
}

// loadPwquality reads pwquality.conf.d/*.conf in name order, then
// pwquality.conf; later values override earlier ones.
func loadPwquality(r rootfs.Root) (settings, error) {
	s := settings{}
	var files []string
	if dir, err := rootfs.Resolve(r, pwqualityDir); err == nil {
		for _, e := range rootfs.Dir(r, dir) {
			if strings.HasSuffix(e.Path, ".conf") {
				files = append(files, pwqualityDir+"/"+path.Base(e.Path))
			}
		}
	}
	for _, f := range append(files, pwqualityConf) {
		if _, err := loadKeyValues(r, f, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// moduleSetting returns a module option: its argument on the rule, else
// (for pam_pwquality) the configuration files, else def at the rule.
func moduleSetting(l pamLine, conf settings, name, def string) (value, string) {
	if v, ok := l.arg(name); ok {
		return value{Value: v, Path: l.Path, Line: l.Line}, "argument"
	}
	if v, ok := conf[name]; ok {
		return v, "configured"
	}
	return value{Value: def, Path: l.Path, Line: l.Line}, "default"
}

// qualityModule finds the password-quality module in the stack and its
// configuration (pwquality files apply to pam_pwquality only).
func qualityModule(r rootfs.Root, rules []pamLine) (pamLine, settings, bool, error) {
	if l, ok := findModule(rules, "pam_pwquality.so"); ok {
		conf, err := loadPwquality(r)
		return l, conf, true, err
	}
	l, ok := findModule(rules, "pam_cracklib.so")
	return l, settings{}, ok, nil
}

// stackFile names the file to fix when a module is missing: the file of
// the stack's pam_unix rule, else the service file.
func stackFile(rules []pamLine, service string) string {
	if l, ok := findModule(rules, "pam_unix.so"); ok {
		return l.Path
	}
	return service
}

func minLengthResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	rules, service, found, err := passwordStack(r)
	if err != nil {
		return nil, err
	}
	if !found {
		return loginDefsMinLen(r)
	}
	v, how, module, err := minLenSetting(r, rules)
	if err != nil {
		return nil, err
	}
	if module == "" {
		return []config.Result{fail(service, 0, "no pam_pwquality, pam_cracklib or pam_unix rule in the password stack of %s", service)}, nil
	}
	n, err := atoi(v.Value)
	if err != nil {
		return []config.Result{fail(v.Path, v.Line, "%s minlen %q is not a number (%s)", module, v.Value, v.where())}, nil
	}
	if module == "pam_pwquality.so" && n < 6 {
		n = 6 // libpwquality raises lower values to 6
	}
	return []config.Result{judged(n >= minPassLen, v, "%s minlen %d (%s, %s), want %d or more",
		module, n, how, v.where(), minPassLen)}, nil
}

// minLenSetting finds the module that enforces a minimum length and its
// minlen; module is "" when the stack has none.
func minLenSetting(r rootfs.Root, rules []pamLine) (v value, how, module string, err error) {
	l, conf, ok, err := qualityModule(r, rules)
	if err != nil {
		return value{}, "", "", err
	}
	def := map[string]string{"pam_pwquality.so": "8", "pam_cracklib.so": "9", "pam_unix.so": "6"}
	if !ok {
		if l, ok = findModule(rules, "pam_unix.so"); !ok {
			return value{}, "", "", nil
		}
	}
	v, how = moduleSetting(l, conf, "minlen", def[l.Module])
	return v, how, l.Module, nil
}

// loginDefsMinLen judges PASS_MIN_LEN, which passwd applies without PAM.
func loginDefsMinLen(r rootfs.Root) ([]config.Result, error) {
	defs, ok, err := loadLoginDefs(r)
	if err != nil || !ok {
		return notApplicable("no PAM password stack and no %s", loginDefsPath), err
	}
	v, set := defs["PASS_MIN_LEN"]
	if !set {
		return []config.Result{fail(loginDefsPath, 0, "no PAM password stack and PASS_MIN_LEN not set (default 5), want %d or more", minPassLen)}, nil
	}
	n, err := atoi(v.Value)
	return []config.Result{judged(err == nil && n >= minPassLen, v, "no PAM password stack: PASS_MIN_LEN %s (%s), want %d or more",
		v.Value, v.where(), minPassLen)}, nil
}

func complexityResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	rules, service, found, err := passwordStack(r)
	if err != nil {
		return nil, err
	}
	if !found {
		if _, ok, err := loadLoginDefs(r); err != nil || !ok {
			return notApplicable("no PAM password stack and no %s", loginDefsPath), err
		}
		return []config.Result{fail(loginDefsPath, 0, "no PAM password stack: passwd checks no character classes")}, nil
	}
	l, conf, ok, err := qualityModule(r, rules)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []config.Result{fail(stackFile(rules, service), 0, "no pam_pwquality or pam_cracklib rule in the password stack of %s", service)}, nil
	}
	if l.Control == "optional" || l.Control == "sufficient" {
		return []config.Result{fail(l.Path, l.Line, "%s is %s (%s): its verdict does not stop a weak password", l.Module, l.Control, l.where())}, nil
	}
	mc, _ := moduleSetting(l, conf, "minclass", "0")
	minclass, _ := atoi(strings.TrimSpace(mc.Value))
	var required []string
	for _, c := range [...]struct{ credit, class string }{
		{"dcredit", "digit"}, {"ucredit", "upper case"}, {"lcredit", "lower case"}, {"ocredit", "other"},
	} {
		if v, _ := moduleSetting(l, conf, c.credit, "0"); strings.HasPrefix(strings.TrimSpace(v.Value), "-") {
			required = append(required, c.class)
		}
	}
	desc := fmt.Sprintf("%s (%s): minclass %d, required classes %s", l.Module, l.where(), minclass, orNone(required))
	if minclass >= 3 {
		return []config.Result{pass(mc.Path, mc.Line, "%s", desc)}, nil
	}
	if len(required) >= 3 {
		return []config.Result{pass(l.Path, l.Line, "%s", desc)}, nil
	}
	return []config.Result{fail(mc.Path, mc.Line, "%s; want minclass 3 or three negative credits", desc)}, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
