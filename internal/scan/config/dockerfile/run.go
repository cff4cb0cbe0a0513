package dockerfile

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// runChecks are about what RUN instructions do.
func runChecks(c *cache) []config.Check {
	return []config.Check{
		check("dockerfile-curl-pipe-shell", "Downloaded scripts are not piped into a shell", pipeline.SeverityMedium,
			"curl … | sh runs whatever the server returns, unchecked: a compromised or hijacked download site, or a truncated transfer, executes in the build with its full privileges.",
			"Download to a file, verify its checksum or signature, then run it (curl -fsSLo install.sh URL && echo \"SUM  install.sh\" | sha256sum -c && sh install.sh); better, install from a signed package repository.",
			perInstr(c, "no RUN that downloads with curl or wget", curlPipeShell)),
		check("dockerfile-sudo", "RUN does not use sudo", pipeline.SeverityMedium,
			"sudo in a Dockerfile means the image carries sudo and usually a sudoers rule for its user, a ready path back to root; its TTY and environment handling also makes builds behave unpredictably.",
			"Run privileged steps before switching user (USER root … USER app), and do not install sudo in the image; use gosu or su-exec in an entrypoint if a step must drop privileges at run time.",
			perInstr(c, "no RUN", usesSudo)),
		check("dockerfile-cd-in-run", "RUN uses WORKDIR instead of cd", pipeline.SeverityInfo,
			"cd only lasts for one RUN: later instructions run elsewhere than the reader expects, which is how files end up written or deleted in the wrong directory.",
			"Set the directory with WORKDIR /path before the RUN instead of cd /path &&.",
			perInstr(c, "no RUN", cdInRun)),
		check("dockerfile-chmod-777", "Files are not made world-writable", pipeline.SeverityMedium,
			"chmod 777 (or o+w, or COPY --chmod=777) lets any user in the container rewrite the file: a process under another user, or an attacker with a foothold, can replace programs or configuration the application trusts.",
			"Give the owner the rights it needs (chown app and chmod 755 or 644, or 1777 for a shared scratch directory); use COPY --chown to set the owner.",
			perInstr(c, "no chmod and no --chmod", chmodWorld)),
	}
}

// runCmds returns the simple commands a RUN instruction executes: its
// shell-form command line, an exec form (with the script of sh -c), and
// here-documents fed to a shell (RUN <<EOF or RUN bash <<EOF).
func runCmds(in *instr) []shellCmd {
	if in.cmd != "RUN" {
		return nil
	}
	if in.json {
		cmds := []shellCmd{{words: in.args, feeder: -1}}
		if script, ok := shellScript(in.args); ok {
			cmds = appendCmds(cmds, splitShell(script))
		}
		return cmds
	}
	cmds := splitShell(strings.Join(in.args, " "))
	if len(in.heredocs) == 0 {
		return cmds
	}
	if name, _ := program(firstWords(cmds)); name != "" && !shells[name] {
		return cmds
	}
	for _, h := range in.heredocs {
		cmds = appendCmds(cmds, splitShell(h.Content))
	}
	return cmds
}

func firstWords(cmds []shellCmd) []string {
	if len(cmds) == 0 {
		return nil
	}
	return cmds[0].words
}

// appendCmds appends src to dst, shifting src's pipe references.
func appendCmds(dst, src []shellCmd) []shellCmd {
	base := len(dst)
	for _, c := range src {
		if c.feeder >= 0 {
			c.feeder += base
		}
		dst = append(dst, c)
	}
	return dst
}

// fetchSubst matches a command substitution that downloads: $(curl …),
// `wget …` or <(curl …).
var fetchSubst = regexp.MustCompile("(?:\\$\\(|`|<\\()\\s*(?:\\S*/)?(?:curl|wget)\\b")

// scriptRunners run the script they read on stdin or get as an argument.
var scriptRunners = map[string]bool{"eval": true, "source": true, ".": true}

func curlPipeShell(_ *file, _ *stage, in *instr) (config.Status, string) {
	cmds := runCmds(in)
	fetches := false
	for i, c := range cmds {
		name, args := program(c.words)
		fetches = fetches || name == "curl" || name == "wget" || fetchSubst.MatchString(strings.Join(c.words, " "))
		if !shells[name] && !scriptRunners[name] {
			continue
		}
		for _, fd := range feeders(cmds, i) {
			if from, _ := program(fd.words); from == "curl" || from == "wget" {
				return config.Fail, fmt.Sprintf("%s output piped into %s", from, name)
			}
		}
		if fetchSubst.MatchString(strings.Join(args, " ")) {
			return config.Fail, fmt.Sprintf("%s runs a script downloaded by a command substitution", name)
		}
	}
	if !fetches {
		return 0, ""
	}
	return config.Pass, "downloads are not piped into a shell"
}

func usesSudo(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd != "RUN" {
		return 0, ""
	}
	for _, c := range runCmds(in) {
		for _, w := range c.words {
			if isAssignment(w) {
				continue
			}
			if path.Base(w) == "sudo" {
				return config.Fail, "RUN uses sudo"
			}
			break
		}
	}
	return config.Pass, "RUN without sudo"
}

func cdInRun(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd != "RUN" {
		return 0, ""
	}
	for _, c := range runCmds(in) {
		if name, args := program(c.words); name == "cd" {
			return config.Fail, fmt.Sprintf("RUN changes directory with cd %s; use WORKDIR", strings.Join(args, " "))
		}
	}
	return config.Pass, "RUN without cd"
}

func chmodWorld(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd == "COPY" || in.cmd == "ADD" {
		mode, ok := in.flag("chmod")
		switch {
		case !ok:
			return 0, ""
		case worldWritable(mode):
			return config.Fail, fmt.Sprintf("%s --chmod=%s makes files world-writable", in.cmd, mode)
		}
		return config.Pass, fmt.Sprintf("%s --chmod=%s", in.cmd, mode)
	}
	var status config.Status
	var msg string
	for _, c := range runCmds(in) {
		name, args := program(c.words)
		if name != "chmod" {
			continue
		}
		mode := chmodMode(args)
		if worldWritable(mode) {
			return config.Fail, fmt.Sprintf("chmod %s makes files world-writable", mode)
		}
		status, msg = config.Pass, fmt.Sprintf("chmod %s", mode)
	}
	return status, msg
}

// chmodMode returns the mode operand of chmod's arguments: the first one
// that is not an option (-R, -v, --recursive; -w is a mode).
func chmodMode(args []string) string {
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--"):
			continue
		case strings.HasPrefix(a, "-") && len(a) > 1 && strings.Trim(a[1:], "Rvcfh") == "":
			continue
		}
		return a
	}
	return ""
}

// worldWritable reports whether a chmod mode (octal or symbolic) gives
// others write permission. Octal modes with the sticky bit (1777, for
// shared scratch directories) do not count.
func worldWritable(mode string) bool {
	if v, err := strconv.ParseUint(mode, 8, 32); err == nil {
		return v&0o002 != 0 && v&0o1000 == 0
	}
	for _, clause := range strings.Split(mode, ",") {
		i := strings.IndexAny(clause, "+-=")
		if i < 0 || clause[i] == '-' {
			continue
		}
		who, perms := clause[:i], clause[i+1:]
		if strings.ContainsAny(who, "oa") && strings.Contains(perms, "w") {
			return true
		}
	}
	return false
}
