package auth

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// strictUmask holds the bits a default umask must mask: group write and
// all access for others.
const strictUmask = 0o027

// envChecks cover the login environment: default umask and root's PATH.
func envChecks() []config.Check {
	return []config.Check{
		newCheck("auth-umask", "The default umask is 027 or stricter", pipeline.SeverityMedium,
			[]string{loginDefsPath, "etc/profile", "etc/profile.d/*.sh", "etc/bash.bashrc", "etc/bashrc"},
			"With umask 022 every file users create is readable by everyone on the system. login.defs "+
				"UMASK (applied by pam_umask and useradd, default 022) and umask commands in the shell "+
				"start-up files must all mask group write and every permission for others.",
			"Set UMASK 027 in /etc/login.defs and change umask commands in /etc/profile, /etc/profile.d "+
				"and /etc/bash.bashrc to umask 027.",
			[]string{cis("Ensure default user umask is configured"), "login.defs(5)", "pam_umask(8)"},
			umaskResults),
		newCheck("auth-root-path-integrity", "root's PATH has no relative or writable directories", pipeline.SeverityMedium,
			[]string{loginDefsPath, "etc/environment", "etc/profile", "root/.profile", "root/.bashrc", "root/.bash_profile"},
			"An empty element, '.' or a relative directory in root's PATH runs whatever program of that "+
				"name sits in the current directory; a directory others can write lets them plant one. "+
				"PATH values set in the image's files are checked; $PATH references are inherited and skipped.",
			"Remove empty elements (leading, trailing or doubled ':'), '.' and relative directories from "+
				"PATH assignments, and make every PATH directory owned by root and not group- or world-writable.",
			[]string{cis("Ensure root PATH Integrity"), "login.defs(5)"},
			rootPathResults),
	}
}

var umaskLine = regexp.MustCompile(`(?m)^[ \t]*umask[ \t]+([0-7]{1,4})\b`)

func umaskResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	defs, present, err := loadLoginDefs(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	if present {
		v, ok := defs["UMASK"]
		if !ok {
			out = append(out, fail(loginDefsPath, 0, "UMASK not set in %s: pam_umask and useradd use 022", loginDefsPath))
		} else {
			out = append(out, umaskResult(v, "UMASK"))
		}
	}
	files := []string{"etc/profile", "etc/bash.bashrc", "etc/bashrc"}
	for _, e := range rootfs.Glob(r, "etc/profile.d/*.sh") {
		files = append(files, e.Path)
	}
	for _, f := range files {
		data, ok, err := readOptional(r, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, m := range umaskLine.FindAllSubmatchIndex(data, -1) {
			line := 1 + strings.Count(string(data[:m[0]]), "\n")
			out = append(out, umaskResult(value{Value: string(data[m[2]:m[3]]), Path: f, Line: line}, "umask"))
		}
	}
	if len(out) == 0 {
		return notApplicable("no %s and no umask command in the shell start-up files", loginDefsPath), nil
	}
	return out, nil
}

// umaskResult judges one octal umask value.
func umaskResult(v value, what string) config.Result {
	n, err := strconv.ParseUint(v.Value, 8, 32)
	if err != nil {
		return fail(v.Path, v.Line, "%s %q is not octal (%s)", what, v.Value, v.where())
	}
	return judged(n&strictUmask == strictUmask, v, "%s %s (%s), want 027 or stricter", what, v.Value, v.where())
}

var pathAssign = regexp.MustCompile(`(?m)(?:^|[\s;])(?:export[ \t]+)?PATH=("[^"\n]*"|'[^'\n]*'|[^\s;]*)`)

func rootPathResults(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	defs, _, err := loadLoginDefs(r)
	if err != nil {
		return nil, err
	}
	if v, ok := defs["ENV_SUPATH"]; ok {
		out = append(out, pathResult(r, v, strings.TrimPrefix(v.Value, "PATH=")))
	}
	for _, f := range []string{"etc/environment", "etc/profile", "root/.profile", "root/.bashrc", "root/.bash_profile"} {
		data, ok, err := readOptional(r, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, m := range pathAssign.FindAllSubmatchIndex(data, -1) {
			line := 1 + strings.Count(string(data[:m[2]]), "\n")
			val := strings.Trim(string(data[m[2]:m[3]]), `"'`)
			out = append(out, pathResult(r, value{Value: val, Path: f, Line: line}, val))
		}
	}
	if len(out) == 0 {
		return notApplicable("no PATH assignment for root in the image's files"), nil
	}
	return out, nil
}

// pathResult judges one PATH value.
func pathResult(r rootfs.Root, v value, p string) config.Result {
	var bad []string
	for i, dir := range strings.Split(p, ":") {
		if why := pathElementProblem(r, dir); why != "" {
			bad = append(bad, fmt.Sprintf("element %d %s", i+1, why))
		}
	}
	if len(bad) == 0 {
		return pass(v.Path, v.Line, "PATH=%s (%s)", p, v.where())
	}
	return fail(v.Path, v.Line, "PATH=%s (%s): %s", p, v.where(), strings.Join(bad, "; "))
}

// pathElementProblem returns what is wrong with one PATH element, or "".
func pathElementProblem(r rootfs.Root, dir string) string {
	switch {
	case dir == "":
		return "is empty (the current directory)"
	case dir == ".":
		return "is '.' (the current directory)"
	case strings.HasPrefix(dir, "$") || strings.HasPrefix(dir, "~"):
		return "" // inherited or home-relative, resolved at run time
	case !strings.HasPrefix(dir, "/"):
		return fmt.Sprintf("%q is relative", dir)
	}
	real, err := rootfs.Resolve(r, dir)
	if err != nil {
		return ""
	}
	e, ok := r.Lookup(real)
	if !ok || !e.Mode.IsDir() {
		return ""
	}
	if e.Mode.Perm()&0o022 != 0 || e.UID != 0 {
		return fmt.Sprintf("%s is %s owned by UID %d", path.Clean(dir), modeWords(e), e.UID)
	}
	return ""
}

func modeWords(e rootfs.Entry) string {
	switch {
	case e.Mode.Perm()&0o002 != 0:
		return fmt.Sprintf("world-writable (%04o)", e.Mode.Perm())
	case e.Mode.Perm()&0o020 != 0:
		return fmt.Sprintf("group-writable (%04o)", e.Mode.Perm())
	}
	return fmt.Sprintf("mode %04o", e.Mode.Perm())
}
