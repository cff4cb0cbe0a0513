// Package auth checks password policy, PAM and the account databases of
// a root filesystem against the CIS benchmarks' sections on user accounts
// and authentication.
//
// Files are read as the programs that use them read them: login.defs as
// shadow-utils does (the last line for a name wins), pam.d services with
// include, substack and @include expanded, pwquality.conf.d before
// pwquality.conf (later values override; module arguments override both),
// passwd, shadow and group as colon-separated records. Password hashes
// are classified by their scheme prefix and never reported.
package auth

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// group is the benchmark section of every check here.
const group = "auth"

// Checks returns the account and authentication checks, in catalogue order.
func Checks() []config.Check {
	var out []config.Check
	for _, part := range [][]config.Check{agingChecks(), policyChecks(), pamChecks(), accountChecks(), envChecks()} {
		out = append(out, part...)
	}
	return out
}

// runFunc is the signature of config.Check.Run.
type runFunc = func(context.Context, rootfs.Root) ([]config.Result, error)

// newCheck fills the fields every check here shares.
func newCheck(id, title string, sev pipeline.Severity, reads []string, rationale, remediation string, refs []string, run runFunc) config.Check {
	return config.Check{
		ID:          id,
		Title:       title,
		Group:       group,
		Severity:    sev,
		Target:      config.TargetRootFS,
		Reads:       reads,
		Rationale:   rationale,
		Remediation: remediation,
		References:  refs,
		Run:         run,
	}
}

// cis names a section of the CIS Linux benchmarks (the wording Debian,
// Ubuntu and Red Hat editions share).
func cis(section string) string {
	return "CIS Linux Benchmarks, Accounts and Authentication: " + section
}

func pass(p string, line int, format string, args ...any) config.Result {
	return config.Result{Status: config.Pass, Path: p, Line: line, Message: fmt.Sprintf(format, args...)}
}

func fail(p string, line int, format string, args ...any) config.Result {
	return config.Result{Status: config.Fail, Path: p, Line: line, Message: fmt.Sprintf(format, args...)}
}

func notApplicable(format string, args ...any) []config.Result {
	return []config.Result{{Status: config.NotApplicable, Message: fmt.Sprintf(format, args...)}}
}

// judged returns a pass or a failure at v's location.
func judged(ok bool, v value, format string, args ...any) config.Result {
	if ok {
		return pass(v.Path, v.Line, format, args...)
	}
	return fail(v.Path, v.Line, format, args...)
}
