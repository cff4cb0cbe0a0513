package dockerfile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// stageChecks are about base images and the image's final configuration.
func stageChecks(c *cache) []config.Check {
	return []config.Check{
		cis(check("dockerfile-root-user", "The image runs as a non-root user", pipeline.SeverityHigh,
			"A container that runs as root is root in its user namespace: a flaw in the application or a mounted host path turns into full control of the container and a short step from the host. Without a USER instruction the image runs as root unless its base image says otherwise.",
			"Create an unprivileged user in the final stage (RUN useradd --system --uid 10001 app) and end the stage with USER 10001 (or the user's name). Give it ownership only of the paths it must write.",
			perFile(c, rootUser)), "Ensure that a user for the container has been created"),
		check("dockerfile-latest-tag", "Base images are pinned by tag or digest", pipeline.SeverityMedium,
			"FROM without a tag, or with :latest, builds on whatever the registry serves that day: builds are not reproducible, a compromised or broken upstream push lands unnoticed, and scan results of one build say nothing about the next.",
			"Name a specific version tag (debian:12.7-slim) or, better, pin the digest (debian:12.7-slim@sha256:…) and update it deliberately, for example with a dependency bot.",
			perInstr(c, "no FROM of a registry image", latestTag)),
		check("dockerfile-from-platform", "FROM does not hard-code a platform", pipeline.SeverityInfo,
			"FROM --platform=linux/amd64 forces one architecture: builds for other platforms silently run emulated binaries or produce an image for the wrong architecture.",
			"Drop --platform, or use the build arguments BuildKit sets: FROM --platform=$BUILDPLATFORM for build stages, $TARGETPLATFORM for the final one.",
			perInstr(c, "no FROM --platform", fromPlatform)),
		cis(check("dockerfile-healthcheck", "The final stage declares a HEALTHCHECK", pipeline.SeverityLow,
			"Without a HEALTHCHECK, Docker and Swarm only know whether the process is alive, not whether it serves: a hung service keeps receiving traffic and is never restarted.",
			"Add HEALTHCHECK CMD to the final stage with a cheap probe of the service (HEALTHCHECK --interval=30s CMD [\"/app/healthcheck\"]); orchestrators with their own probes (Kubernetes) also benefit when the image is run elsewhere.",
			perFile(c, healthcheck)), "Ensure that HEALTHCHECK instructions have been added to container images"),
		check("dockerfile-multiple-cmd", "A stage has at most one CMD", pipeline.SeverityLow,
			"Only the last CMD of a stage takes effect; earlier ones are dead code that misleads readers about what the container runs.",
			"Keep one CMD per stage and delete the others.",
			perFile(c, onlyLast("CMD"))),
		check("dockerfile-multiple-entrypoint", "A stage has at most one ENTRYPOINT", pipeline.SeverityLow,
			"Only the last ENTRYPOINT of a stage takes effect; earlier ones are dead code that misleads readers about what the container runs.",
			"Keep one ENTRYPOINT per stage and delete the others.",
			perFile(c, onlyLast("ENTRYPOINT"))),
		check("dockerfile-maintainer", "MAINTAINER is not used", pipeline.SeverityInfo,
			"MAINTAINER is deprecated; tools read the author from the org.opencontainers.image.authors label instead.",
			"Replace MAINTAINER with LABEL org.opencontainers.image.authors=\"team@example.com\".",
			perInstr(c, "no MAINTAINER or authors label", maintainer)),
		check("dockerfile-expose-ssh", "The image does not expose SSH", pipeline.SeverityMedium,
			"EXPOSE 22 means an SSH daemon runs in the container: another way in, with its own keys and passwords to manage, where docker exec or kubectl exec would do.",
			"Remove the SSH server and EXPOSE 22; use docker exec, kubectl exec or kubectl debug to get a shell.",
			perInstr(c, "no EXPOSE", exposeSSH)),
		check("dockerfile-workdir-relative", "WORKDIR paths are absolute", pipeline.SeverityInfo,
			"A relative WORKDIR is resolved against the previous one, which may come from the base image: files land in an unexpected place and COPY and RUN act on the wrong directory.",
			"Give WORKDIR an absolute path (WORKDIR /app).",
			perInstr(c, "no WORKDIR", workdirRelative)),
	}
}

// lastOf returns the last instruction named cmd in st or the stages it
// builds on, and the stage holding it.
func lastOf(st *stage, cmd string) (*instr, *stage) {
	for ; st != nil; st = st.parent {
		for i := len(st.instrs) - 1; i >= 0; i-- {
			if st.instrs[i].cmd == cmd {
				return st.instrs[i], st
			}
		}
	}
	return nil, nil
}

func rootUser(_ rootfs.Root, f *file) []config.Result {
	st := f.final()
	in, holder := lastOf(st, "USER")
	if in == nil {
		return []config.Result{result(config.Fail, f, st.from,
			fmt.Sprintf("final stage (FROM %s) sets no USER: it runs as the base image's user, root unless that image sets one", st.image))}
	}
	raw := strings.Join(in.args, " ")
	user, ok := f.expand(raw, f.env(holder, in))
	if !ok {
		return []config.Result{result(config.Undetermined, f, in, fmt.Sprintf("USER %s depends on a build argument without default", raw))}
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "root" || (name != "" && strings.Trim(name, "0") == "") {
		return []config.Result{result(config.Fail, f, in, fmt.Sprintf("final stage runs as USER %s", user))}
	}
	return []config.Result{result(config.Pass, f, in, fmt.Sprintf("final stage runs as USER %s", user))}
}

func latestTag(_ *file, st *stage, in *instr) (config.Status, string) {
	switch {
	case in != st.from:
		return 0, ""
	case !st.resolved:
		return config.Undetermined, fmt.Sprintf("FROM %s depends on a build argument without default", in.args[0])
	case strings.EqualFold(st.image, "scratch"):
		return config.Pass, "FROM scratch"
	case st.parent != nil:
		return config.Pass, fmt.Sprintf("FROM stage %s", st.parent.name)
	}
	_, tag, digest := splitImage(st.image)
	switch {
	case digest != "":
		return config.Pass, fmt.Sprintf("FROM %s is pinned by digest", st.image)
	case tag == "":
		return config.Fail, fmt.Sprintf("FROM %s has no tag, which means :latest", st.image)
	case tag == "latest":
		return config.Fail, fmt.Sprintf("FROM %s uses the latest tag", st.image)
	}
	return config.Pass, fmt.Sprintf("FROM %s", st.image)
}

// splitImage splits an image reference into name, tag and digest.
func splitImage(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

func fromPlatform(_ *file, st *stage, in *instr) (config.Status, string) {
	p, ok := in.flag("platform")
	switch {
	case in != st.from || !ok:
		return 0, ""
	case strings.Contains(p, "$"):
		return config.Pass, fmt.Sprintf("FROM --platform=%s follows the build's platforms", p)
	}
	return config.Fail, fmt.Sprintf("FROM --platform=%s hard-codes the platform", p)
}

func healthcheck(_ rootfs.Root, f *file) []config.Result {
	st := f.final()
	in, _ := lastOf(st, "HEALTHCHECK")
	switch {
	case in == nil:
		return []config.Result{result(config.Fail, f, st.from, fmt.Sprintf("final stage (FROM %s) has no HEALTHCHECK", st.image))}
	case len(in.args) > 0 && strings.EqualFold(in.args[0], "NONE"):
		return []config.Result{result(config.Fail, f, in, "HEALTHCHECK NONE disables the health check")}
	}
	return []config.Result{result(config.Pass, f, in, "final stage declares a HEALTHCHECK")}
}

// onlyLast returns a judgement failing every cmd instruction of a stage
// that a later one overrides.
func onlyLast(cmd string) func(rootfs.Root, *file) []config.Result {
	return func(_ rootfs.Root, f *file) []config.Result {
		var out []config.Result
		for _, st := range f.stages {
			var seen []*instr
			for _, in := range st.instrs {
				if in.cmd == cmd {
					seen = append(seen, in)
				}
			}
			for i, in := range seen {
				if i == len(seen)-1 {
					out = append(out, result(config.Pass, f, in, fmt.Sprintf("%s takes effect", cmd)))
					continue
				}
				out = append(out, result(config.Fail, f, in, fmt.Sprintf("%s is overridden by the %s on line %d", cmd, cmd, seen[len(seen)-1].line)))
			}
		}
		if len(out) == 0 {
			out = append(out, config.Result{Status: config.NotApplicable, Path: f.path, Message: "no " + cmd})
		}
		return out
	}
}

func maintainer(_ *file, _ *stage, in *instr) (config.Status, string) {
	switch in.cmd {
	case "MAINTAINER":
		return config.Fail, "MAINTAINER is deprecated"
	case "LABEL":
		for _, kv := range pairs(in) {
			if k := unquote(kv.key); k == "org.opencontainers.image.authors" || strings.EqualFold(k, "maintainer") {
				return config.Pass, fmt.Sprintf("authors given by LABEL %s", k)
			}
		}
	}
	return 0, ""
}

func exposeSSH(f *file, st *stage, in *instr) (config.Status, string) {
	if in.cmd != "EXPOSE" {
		return 0, ""
	}
	env := f.env(st, in)
	specs := make([]string, 0, len(in.args))
	for _, a := range in.args {
		spec, _ := f.expand(a, env)
		specs = append(specs, spec)
		ports, _, _ := strings.Cut(spec, "/")
		lo, hi, isRange := strings.Cut(ports, "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && l <= 22 && 22 <= h {
			return config.Fail, fmt.Sprintf("EXPOSE %s includes the SSH port 22", spec)
		}
	}
	return config.Pass, fmt.Sprintf("EXPOSE %s", strings.Join(specs, " "))
}

func workdirRelative(f *file, st *stage, in *instr) (config.Status, string) {
	if in.cmd != "WORKDIR" || len(in.args) == 0 {
		return 0, ""
	}
	dir, ok := f.expand(in.args[0], f.env(st, in))
	switch {
	case strings.HasPrefix(dir, "/") || isWindowsAbs(dir):
		return config.Pass, fmt.Sprintf("WORKDIR %s", dir)
	case !ok:
		return 0, "" // set by a variable the file does not define
	}
	return config.Fail, fmt.Sprintf("WORKDIR %s is relative", dir)
}

// isWindowsAbs reports whether p is an absolute Windows path (C:\app).
func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z')
}
