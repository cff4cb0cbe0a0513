package ssh

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// matchAllowed reports whether sshd accepts keyword kw (lower case)
// inside a Match block (sshd_config(5), "Match"). Other keywords there
// stop sshd from starting, so only these can weaken a setting for some
// connections.
func matchAllowed(kw string) bool {
	switch kw {
	case "acceptenv", "allowagentforwarding", "allowgroups", "allowstreamlocalforwarding",
		"allowtcpforwarding", "allowusers", "authenticationmethods", "authorizedkeyscommand",
		"authorizedkeyscommanduser", "authorizedkeysfile", "authorizedprincipalscommand",
		"authorizedprincipalscommanduser", "authorizedprincipalsfile", "banner",
		"casignaturealgorithms", "channeltimeout", "chrootdirectory", "clientalivecountmax",
		"clientaliveinterval", "denygroups", "denyusers", "disableforwarding", "exposeauthinfo",
		"forcecommand", "gatewayports", "gssapiauthentication", "hostbasedacceptedalgorithms",
		"hostbasedauthentication", "hostbasedusesnamefrompacketonly", "ignorerhosts", "include",
		"ipqos", "kbdinteractiveauthentication", "kerberosauthentication", "loglevel",
		"maxauthtries", "maxsessions", "pamservicename", "passwordauthentication",
		"permitemptypasswords", "permitlisten", "permitopen", "permitrootlogin", "permittty",
		"permittunnel", "permituserrc", "pubkeyacceptedalgorithms", "pubkeyauthentication",
		"pubkeyauthoptions", "rdomain", "refuseconnection", "rekeylimit", "revokedkeys", "setenv",
		"streamlocalbindmask", "streamlocalbindunlink", "trustedusercakeys",
		"unusedconnectiontimeout", "x11displayoffset", "x11forwarding", "x11uselocalhost":
		return true
	}
	return false
}

// judge returns "" when args are an acceptable value, otherwise why not.
type judge func(r rootfs.Root, args []string) string

// setting is one sshd keyword held to a rule.
type setting struct {
	// name is the keyword as the manual spells it: "PermitRootLogin".
	name string
	// def is the value sshd uses when the keyword is absent.
	def   string
	judge judge
	// aliases are other keywords (lower case) sshd maps to the same option.
	aliases []string
	// defName describes def in messages when it is too long to quote.
	defName string
}

// keywords returns the lower-case keyword and its aliases.
func (s setting) keywords() []string {
	return append([]string{strings.ToLower(s.name)}, s.aliases...)
}

// eval returns the result of the value that applies outside Match blocks
// (the first one, or the default) and a failure for every Match block
// that sets an unacceptable value.
func (s setting) eval(r rootfs.Root, srv *server) []config.Result {
	kws := s.keywords()
	var out []config.Result
	if d, ok := srv.cfg.global(kws...); ok {
		out = append(out, s.result(r, d))
	} else {
		out = append(out, s.fromDefault(r, srv))
	}
	if !matchAllowed(kws[0]) {
		return out
	}
	for _, d := range srv.cfg.inMatch(kws...) {
		if res := s.result(r, d); res.Status == config.Fail {
			out = append(out, res)
		}
	}
	return out
}

// result judges one directive.
func (s setting) result(r rootfs.Root, d directive) config.Result {
	value := d.Name + " " + strings.Join(d.Args, " ")
	res := config.Result{Status: config.Pass, Path: d.Path, Line: d.Line}
	why := s.judge(r, d.Args)
	switch {
	case why == "":
		res.Message = fmt.Sprintf("%s (%s)", value, d.where())
	case d.Block != 0:
		res.Status = config.Fail
		res.Message = fmt.Sprintf("%s inside Match %s (%s): %s; the Match block weakens the setting for matching connections",
			value, d.Match, d.where(), why)
	default:
		res.Status = config.Fail
		res.Message = fmt.Sprintf("%s (%s): %s", value, d.where(), why)
	}
	return res
}

// fromDefault judges the compiled-in default when no line sets the
// keyword; the result points at sshd_config, where the fix belongs.
func (s setting) fromDefault(r rootfs.Root, srv *server) config.Result {
	def := s.def
	if s.defName != "" {
		def = s.defName
	}
	msg := fmt.Sprintf("%s not set: OpenSSH default %s", s.name, def)
	if !srv.cfg.Present {
		msg += fmt.Sprintf(" (%s absent; %s)", mainConfig, srv.source)
	}
	res := config.Result{Status: config.Pass, Path: mainConfig, Message: msg}
	if why := s.judge(r, strings.Fields(s.def)); why != "" {
		res.Status = config.Fail
		res.Message = msg + ": " + why
	}
	return res
}

// runWith adapts an evaluation to Check.Run: images without an SSH server
// get NotApplicable.
func runWith(eval func(r rootfs.Root, srv *server) []config.Result) func(context.Context, rootfs.Root) ([]config.Result, error) {
	return func(_ context.Context, r rootfs.Root) ([]config.Result, error) {
		srv, err := loadServer(r)
		if err != nil {
			return nil, err
		}
		if srv == nil {
			return notApplicable(), nil
		}
		return eval(r, srv), nil
	}
}

// runSettings evaluates each setting and joins the results.
func runSettings(ss ...setting) func(context.Context, rootfs.Root) ([]config.Result, error) {
	return runWith(func(r rootfs.Root, srv *server) []config.Result {
		var out []config.Result
		for _, s := range ss {
			out = append(out, s.eval(r, srv)...)
		}
		return out
	})
}

// boolIs accepts only want ("yes" or "no", any case); other valid values
// fail with bad, invalid ones because sshd would refuse them.
func boolIs(want, bad string) judge {
	return func(_ rootfs.Root, args []string) string {
		v := strings.ToLower(args[0])
		switch {
		case v == want:
			return ""
		case v == "yes" || v == "no":
			return bad
		}
		return "not yes or no: sshd refuses to start"
	}
}

// oneOf accepts the listed values (case-insensitively); bad maps each
// known unacceptable value to its explanation.
func oneOf(ok []string, bad map[string]string) judge {
	return func(_ rootfs.Root, args []string) string {
		v := strings.ToLower(args[0])
		for _, o := range ok {
			if v == o {
				return ""
			}
		}
		if why, found := bad[v]; found {
			return why
		}
		return fmt.Sprintf("not one of %s", strings.Join(ok, ", "))
	}
}

// intBetween accepts integers in [lo, hi].
func intBetween(lo, hi int) judge {
	return func(_ rootfs.Root, args []string) string {
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return "not a number: sshd refuses to start"
		}
		if n < lo || n > hi {
			return fmt.Sprintf("want %d to %d", lo, hi)
		}
		return ""
	}
}

// secondsBetween accepts sshd time values ("90", "1m30s") in [lo, hi]
// seconds.
func secondsBetween(lo, hi int) judge {
	return func(_ rootfs.Root, args []string) string {
		n, err := parseSSHTime(args[0])
		if err != nil {
			return err.Error()
		}
		if n < lo || n > hi {
			return fmt.Sprintf("%d seconds, want %d to %d", n, lo, hi)
		}
		return ""
	}
}

// parseSSHTime converts an sshd time value: a sequence of numbers each
// optionally followed by s, m, h, d or w (any case); a bare number is
// seconds.
func parseSSHTime(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty time value")
	}
	units := map[byte]int{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
	total := 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j-i > 9 {
			return 0, fmt.Errorf("time value %q: want numbers with units s, m, h, d or w", s)
		}
		n, _ := strconv.Atoi(s[i:j])
		mult := 1
		if j < len(s) {
			u, ok := units[s[j]|0x20]
			if !ok {
				return 0, fmt.Errorf("time value %q: unknown unit %q", s, s[j])
			}
			mult, j = u, j+1
		}
		if total += n * mult; total > 1<<31-1 {
			return 0, fmt.Errorf("time value %q: too large", s)
		}
		i = j
	}
	return total, nil
}
