// Package config checks configuration statically: CIS-style benchmarks of
// an image's root filesystem (SSH, PAM and password policy, accounts, file
// permissions, services, kernel settings, logging, mounts, package manager)
// and best practices of the Dockerfiles and Kubernetes manifests of a
// source tree. Nothing runs: every check reads files of a Root.
//
// A check is one Check value; checks live in group packages under
// internal/scan/config/ (one folder each, with testdata/ holding a passing
// and a failing fixture per check) and the CLI builds the explicit list.
package config

import (
	"context"
	"fmt"
	"regexp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// TargetKind says what a check inspects: a root filesystem or a source
// tree, as rootfs.Open detects it.
type TargetKind = rootfs.Kind

// The kinds of target a check may inspect.
const (
	TargetRootFS = rootfs.RootFS
	TargetSource = rootfs.Source
)

// Status is the outcome of a check on one object (a file, a setting, an
// account, a container).
type Status int

// Outcomes. Only Fail and Undetermined become findings.
const (
	// Pass: the object meets the check.
	Pass Status = iota + 1
	// Fail: it does not; a finding at the check's severity.
	Fail
	// NotApplicable: what the check is about is absent (no SSH server).
	NotApplicable
	// Undetermined: the answer depends on the running system, not on files
	// (say, a kernel default nothing in the image overrides); reported as an
	// info finding that says "not determinable statically", never guessed.
	Undetermined
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case NotApplicable:
		return "not applicable"
	case Undetermined:
		return "not determinable statically"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Result is one outcome of a check. Path and Line point at the file and
// line that decided it ("etc/ssh/sshd_config", 32), when there is one.
type Result struct {
	Status  Status
	Path    string
	Line    int
	Message string // what was found, e.g. "PermitRootLogin yes"
}

// Check is one configuration rule.
type Check struct {
	// ID is stable and kebab-case, prefixed by its group: "ssh-root-login".
	ID    string
	Title string
	// Group names the benchmark section, e.g. "ssh", "dockerfile".
	Group    string
	Severity pipeline.Severity
	Target   TargetKind
	// Reads lists the files (or globs, or "file metadata") the check reads,
	// for the catalogue.
	Reads       []string
	Rationale   string
	Remediation string
	References  []string
	// Run evaluates the check against r and returns one Result per object
	// it looked at. It returns NotApplicable (one result) when there is
	// nothing to check. It must not keep r after returning; an error means
	// the check could not run (an unreadable file), not that it failed.
	Run func(ctx context.Context, r rootfs.Root) ([]Result, error)
}

var checkID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

// Validate checks the static fields of c.
func (c *Check) Validate() error {
	switch {
	case !checkID.MatchString(c.ID):
		return fmt.Errorf("%w check id %q: want kebab-case with a group prefix", pipeline.ErrInvalid, c.ID)
	case c.Title == "" || c.Group == "" || c.Rationale == "" || c.Remediation == "":
		return fmt.Errorf("%w check %s: title, group, rationale and remediation are required", pipeline.ErrInvalid, c.ID)
	case c.Target != TargetRootFS && c.Target != TargetSource:
		return fmt.Errorf("%w check %s: target must be rootfs or source", pipeline.ErrInvalid, c.ID)
	case len(c.Reads) == 0 || c.Run == nil:
		return fmt.Errorf("%w check %s: reads and run are required", pipeline.ErrInvalid, c.ID)
	}
	return nil
}
