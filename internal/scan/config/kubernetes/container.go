package kubernetes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// containerChecks are about containers' security contexts.
func containerChecks(c *cache) []config.Check {
	refs := func(cis string) []string { return []string{pss, securityContext, "CIS Kubernetes Benchmark: " + cis} }
	return []config.Check{
		check("kubernetes-privileged", "Containers are not privileged", pipeline.SeverityHigh,
			"A privileged container has every capability and every device of the node and no seccomp or AppArmor confinement: escaping to the node takes one mount command.",
			"Remove privileged: true; grant the one capability the workload needs (capabilities.add) instead, or move the task to a node-level agent.",
			refs("Minimize the admission of privileged containers"), perContainer(c, privileged)),
		check("kubernetes-allow-privilege-escalation", "Containers forbid privilege escalation", pipeline.SeverityMedium,
			"Unless allowPrivilegeEscalation is false, a process in the container can gain more privileges than its parent through setuid binaries or file capabilities, undoing runAsNonRoot and dropped capabilities. It defaults to true.",
			"Set securityContext.allowPrivilegeEscalation: false on every container.",
			refs("Minimize the admission of containers with allowPrivilegeEscalation"), perContainer(c, privilegeEscalation)),
		check("kubernetes-run-as-non-root", "Containers must run as a non-root user", pipeline.SeverityMedium,
			"Without runAsNonRoot: true or a non-zero runAsUser, the container runs as whatever user its image says, root for most images: a compromise of the application is root in the container, one kernel bug or mount away from the node.",
			"Set securityContext.runAsNonRoot: true (pod or container) and a runAsUser above 0, and build the image with a non-root USER.",
			refs("Minimize the admission of root containers"), perContainer(c, runAsNonRoot)),
		check("kubernetes-run-as-root-user", "Containers are not set to run as UID 0", pipeline.SeverityHigh,
			"runAsUser: 0 explicitly runs the container as root, whatever the image says.",
			"Set runAsUser to an unprivileged UID (10001, say) and give that user the file permissions it needs.",
			refs("Minimize the admission of root containers"), perContainer(c, runAsRootUser)),
		check("kubernetes-capabilities", "Containers add no dangerous capabilities", pipeline.SeverityHigh,
			"Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or SYS_MODULE (or ALL) give a container kernel powers that are each enough to break out or to attack other pods on the node.",
			"Remove the capability from capabilities.add; if the workload truly needs one, add only that one, document why, and run it in an isolated namespace.",
			refs("Minimize the admission of containers with added capabilities"), perContainer(c, addedCapabilities)),
		check("kubernetes-capabilities-drop-all", "Containers drop all capabilities", pipeline.SeverityLow,
			"Containers keep the runtime's default capabilities (such as NET_RAW, CHOWN, SETUID) unless they drop them: each is attack surface most applications never use.",
			"Set securityContext.capabilities.drop: [\"ALL\"] and add back only what the workload needs (NET_BIND_SERVICE for ports below 1024).",
			refs("Minimize the admission of containers with capabilities assigned"), perContainer(c, dropAll)),
		check("kubernetes-read-only-root-fs", "Containers have a read-only root filesystem", pipeline.SeverityLow,
			"A writable root filesystem lets an intruder drop tools, change binaries or configuration, and persist across processes in the container.",
			"Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the application must write (/tmp, caches).",
			[]string{securityContext, "https://kubernetes.io/docs/concepts/security/security-checklist/"}, perContainer(c, readOnlyRoot)),
		check("kubernetes-seccomp-profile", "Containers run under a seccomp profile", pipeline.SeverityMedium,
			"Without a seccomp profile a container may make any system call, including the rarely used ones most kernel exploits go through; Kubernetes runs containers Unconfined unless told otherwise.",
			"Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec (or Localhost with a tailored profile).",
			[]string{pss, "https://kubernetes.io/docs/tutorials/security/seccomp/", "CIS Kubernetes Benchmark: Ensure that the seccomp profile is set to docker/default in your pod definitions"},
			perContainer(c, seccomp)),
	}
}

func privileged(c *container) (verdict, error) {
	f := c.n.get("securityContext").get("privileged")
	on, _, err := f.boolean()
	switch {
	case err != nil:
		return verdict{}, err
	case on:
		return verdict{config.Fail, f.line, c.label() + ": privileged: true"}, nil
	}
	return verdict{config.Pass, c.line(f), c.label() + ": not privileged"}, nil
}

func privilegeEscalation(c *container) (verdict, error) {
	sc := c.n.get("securityContext")
	on, _, err := sc.get("privileged").boolean()
	switch {
	case err != nil:
		return verdict{}, err
	case on:
		return verdict{config.Fail, c.line(sc.get("privileged")), c.label() + ": privileged, which always allows privilege escalation"}, nil
	}
	caps, err := capabilityList(sc.get("capabilities").get("add"))
	if err != nil {
		return verdict{}, err
	}
	if slices.Contains(caps, "SYS_ADMIN") || slices.Contains(caps, "ALL") {
		return verdict{config.Fail, c.line(sc.get("capabilities")), c.label() + ": adds SYS_ADMIN, which always allows privilege escalation"}, nil
	}
	f := sc.get("allowPrivilegeEscalation")
	on, set, err := f.boolean()
	switch {
	case err != nil:
		return verdict{}, err
	case !set:
		return verdict{config.Fail, c.line(sc), c.label() + ": allowPrivilegeEscalation not set (it defaults to true)"}, nil
	case on:
		return verdict{config.Fail, f.line, c.label() + ": allowPrivilegeEscalation: true"}, nil
	}
	return verdict{config.Pass, f.line, c.label() + ": allowPrivilegeEscalation: false"}, nil
}

// user returns the effective runAsUser and whether one is set.
func (c *container) user() (int64, *node, error) {
	f := c.securityField("runAsUser")
	uid, set, err := f.integer()
	if !set {
		return -1, nil, err
	}
	return uid, f, err
}

func runAsNonRoot(c *container) (verdict, error) {
	uid, uf, err := c.user()
	if err != nil {
		return verdict{}, err
	}
	f := c.securityField("runAsNonRoot")
	nonRoot, _, err := f.boolean()
	switch {
	case err != nil:
		return verdict{}, err
	case uid == 0:
		return verdict{config.Fail, uf.line, c.label() + ": runAsUser: 0"}, nil
	case nonRoot:
		return verdict{config.Pass, f.line, c.label() + ": runAsNonRoot: true"}, nil
	case uid > 0:
		return verdict{config.Pass, uf.line, fmt.Sprintf("%s: runAsUser: %d", c.label(), uid)}, nil
	}
	return verdict{config.Fail, c.line(c.n.get("securityContext")), c.label() + ": neither runAsNonRoot: true nor a non-zero runAsUser"}, nil
}

func runAsRootUser(c *container) (verdict, error) {
	uid, f, err := c.user()
	switch {
	case err != nil || f == nil:
		return verdict{}, err
	case uid == 0:
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: runAsUser: 0 (%s)", c.label(), f.field)}, nil
	}
	return verdict{config.Pass, f.line, fmt.Sprintf("%s: runAsUser: %d", c.label(), uid)}, nil
}

// dangerousCaps are capabilities that each suffice to attack the node or
// its other pods.
var dangerousCaps = []string{
	"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME",
	"DAC_READ_SEARCH", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG", "LINUX_IMMUTABLE",
}

// capabilityList returns a capabilities list, upper-cased without CAP_.
func capabilityList(n *node) ([]string, error) {
	items, err := n.items()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		s, err := it.text()
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimPrefix(strings.ToUpper(s), "CAP_"))
	}
	return out, nil
}

func addedCapabilities(c *container) (verdict, error) {
	f := c.n.get("securityContext").get("capabilities").get("add")
	caps, err := capabilityList(f)
	if err != nil {
		return verdict{}, err
	}
	var bad []string
	for _, cp := range caps {
		if slices.Contains(dangerousCaps, cp) {
			bad = append(bad, cp)
		}
	}
	switch {
	case len(bad) > 0:
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: adds %s", c.label(), strings.Join(bad, ", "))}, nil
	case len(caps) > 0:
		return verdict{config.Pass, f.line, fmt.Sprintf("%s: adds only %s", c.label(), strings.Join(caps, ", "))}, nil
	}
	return verdict{config.Pass, c.line(f), c.label() + ": adds no capabilities"}, nil
}

func dropAll(c *container) (verdict, error) {
	f := c.n.get("securityContext").get("capabilities").get("drop")
	caps, err := capabilityList(f)
	switch {
	case err != nil:
		return verdict{}, err
	case slices.Contains(caps, "ALL"):
		return verdict{config.Pass, f.line, c.label() + ": drops ALL capabilities"}, nil
	}
	return verdict{config.Fail, c.line(f, c.n.get("securityContext")), c.label() + ": does not drop ALL capabilities"}, nil
}

func readOnlyRoot(c *container) (verdict, error) {
	f := c.n.get("securityContext").get("readOnlyRootFilesystem")
	on, _, err := f.boolean()
	switch {
	case err != nil:
		return verdict{}, err
	case on:
		return verdict{config.Pass, f.line, c.label() + ": readOnlyRootFilesystem: true"}, nil
	}
	return verdict{config.Fail, c.line(f, c.n.get("securityContext")), c.label() + ": root filesystem is writable (readOnlyRootFilesystem not true)"}, nil
}

func seccomp(c *container) (verdict, error) {
	f := c.securityField("seccompProfile")
	typ, err := f.get("type").text()
	switch {
	case err != nil:
		return verdict{}, err
	case typ == "RuntimeDefault" || typ == "Localhost":
		return verdict{config.Pass, f.line, fmt.Sprintf("%s: seccompProfile %s (%s)", c.label(), typ, f.field)}, nil
	case typ != "":
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: seccompProfile %s (%s)", c.label(), typ, f.field)}, nil
	}
	return verdict{config.Fail, c.line(c.n.get("securityContext")), c.label() + ": no seccompProfile in the container or pod security context"}, nil
}
