package auth

import (
	"context"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// strongMethod reports whether a login.defs ENCRYPT_METHOD or pam_unix
// hash option (any case) is acceptable.
func strongMethod(m string) bool {
	switch strings.ToLower(m) {
	case "sha512", "yescrypt", "gost_yescrypt", "bcrypt", "blowfish":
		return true
	}
	return false
}

// pamUnixHash returns the rule's hash option; the last one given applies.
func pamUnixHash(l pamLine) string {
	opt := ""
	for _, a := range l.Args {
		switch strings.ToLower(a) {
		case "md5", "bigcrypt", "sha256", "sha512", "blowfish", "gost_yescrypt", "yescrypt":
			opt = a
		}
	}
	return opt
}

func hashingResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	defs, defsPresent, err := loadLoginDefs(r)
	if err != nil {
		return nil, err
	}
	rules, _, stackFound, err := passwordStack(r)
	if err != nil {
		return nil, err
	}
	if !defsPresent && !stackFound {
		return notApplicable("no %s and no PAM password stack", loginDefsPath), nil
	}
	method, defsResult := encryptMethod(defs, defsPresent)
	var out []config.Result
	if defsPresent {
		out = append(out, defsResult)
	}
	for _, l := range rules {
		if l.Module != "pam_unix.so" {
			continue
		}
		opt := pamUnixHash(l)
		v := value{Path: l.Path, Line: l.Line}
		if opt == "" {
			out = append(out, judged(strongMethod(method), v,
				"pam_unix.so without a hash option (%s) uses ENCRYPT_METHOD %s", l.where(), method))
			continue
		}
		out = append(out, judged(strongMethod(opt), v, "pam_unix.so %s (%s)", opt, l.where()))
	}
	return out, nil
}

// encryptMethod returns the method login.defs selects and the result
// judging it; shadow-utils falls back to DES, or MD5 when MD5_CRYPT_ENAB
// is yes.
func encryptMethod(defs settings, present bool) (string, config.Result) {
	if v, ok := defs["ENCRYPT_METHOD"]; ok {
		return v.Value, judged(strongMethod(v.Value), v, "ENCRYPT_METHOD %s (%s), want SHA512 or YESCRYPT", v.Value, v.where())
	}
	method := "DES"
	if v, ok := defs["MD5_CRYPT_ENAB"]; ok && strings.EqualFold(v.Value, "yes") {
		method = "MD5"
	}
	if !present {
		return method, config.Result{}
	}
	return method, fail(loginDefsPath, 0, "ENCRYPT_METHOD not set: shadow-utils falls back to %s; want SHA512 or YESCRYPT", method)
}

func weakHashResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	shadow, err := loadShadow(r)
	if err != nil {
		return nil, err
	}
	passwd, err := loadPasswd(r)
	if err != nil {
		return nil, err
	}
	if !shadow.Present && !passwd.Present {
		return notApplicable("no %s and no %s", shadowPath, passwdPath), nil
	}
	var out []config.Result
	for _, db := range []accountDB{shadow, passwd} {
		for _, rec := range db.Records {
			h := rec.field(1)
			if classifyHash(h) != hashUsable {
				continue
			}
			scheme, weak := hashScheme(h)
			v := value{Path: db.Path, Line: rec.Line}
			out = append(out, judged(!weak, v, "account %s: %s hash (%s)", rec.field(0), scheme, v.where()))
		}
	}
	if len(out) == 0 {
		p := shadowPath
		if !shadow.Present {
			p = passwdPath
		}
		out = append(out, pass(p, 0, "no account has a usable password hash"))
	}
	return out, nil
}
