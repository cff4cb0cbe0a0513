package dockerfile

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/credential"
)

// fileChecks are about what ADD, COPY, ENV and ARG put into the image.
func fileChecks(c *cache) []config.Check {
	copyAll := check("dockerfile-copy-all-context", "COPY of the whole context has a .dockerignore", pipeline.SeverityLow,
		"COPY . copies everything in the build context: without a .dockerignore that includes .git, local .env files, credentials and build leftovers, which then ship in the image.",
		"Add a .dockerignore next to the Dockerfile (or at the context root) that excludes .git, .env*, secrets and build output, or copy only the paths the image needs.",
		perFile(c, copyAllContext))
	copyAll.Reads = reads(".dockerignore", "*.Dockerfile.dockerignore")
	return []config.Check{
		cis(check("dockerfile-add-url", "ADD does not fetch unverified URLs", pipeline.SeverityMedium,
			"ADD https://… downloads at build time without checking what arrives: a compromised or changed server puts arbitrary content in the image, and the build is not reproducible.",
			"Give ADD a --checksum=sha256:… of the expected file, or download in a RUN step and verify a checksum or signature (curl -fsSLo f URL && echo \"SUM  f\" | sha256sum -c).",
			perInstr(c, "no ADD", addURL)), "Ensure that COPY is used instead of ADD in Dockerfiles"),
		cis(check("dockerfile-add-instead-of-copy", "COPY is used for local files", pipeline.SeverityLow,
			"ADD also fetches URLs and unpacks archives; using it for plain local files hides that behaviour from readers and turns a later change of source into a silent download or extraction.",
			"Use COPY for local files and directories; keep ADD for tar archives that should be unpacked.",
			perInstr(c, "no ADD of local files", addLocal)), "Ensure that COPY is used instead of ADD in Dockerfiles"),
		copyAll,
		cis(check("dockerfile-secrets-env-arg", "ENV and ARG hold no secrets", pipeline.SeverityHigh,
			"ENV values are stored in the image configuration and ARG values in its history: anyone who can pull the image reads them with docker inspect or docker history.",
			"Pass secrets at build time with RUN --mount=type=secret and at run time through the orchestrator's secrets (files or environment injected at start); rotate any secret that was in an image.",
			perInstr(c, "no secret-like ENV or ARG", secretEnvArg)), "Ensure secrets are not stored in Dockerfiles"),
	}
}

// sources returns the source operands of an ADD or COPY (all but the
// destination).
func sources(in *instr) []string {
	if len(in.args) < 2 {
		return nil
	}
	return in.args[:len(in.args)-1]
}

func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// safeURL renders a URL without user information or query, which may
// hold credentials.
func safeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "a URL"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

func addURL(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd != "ADD" {
		return 0, ""
	}
	for _, src := range sources(in) {
		if !isURL(src) {
			continue
		}
		if _, ok := in.flag("checksum"); ok {
			return config.Pass, fmt.Sprintf("ADD %s is verified by --checksum", safeURL(src))
		}
		return config.Fail, fmt.Sprintf("ADD %s fetches a URL without --checksum", safeURL(src))
	}
	return config.Pass, "ADD of local files"
}

// archiveExts are the archives ADD unpacks.
var archiveExts = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst"}

func isArchive(p string) bool {
	l := strings.ToLower(p)
	for _, e := range archiveExts {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return false
}

func addLocal(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd != "ADD" {
		return 0, ""
	}
	local := 0
	for _, src := range sources(in) {
		if isURL(src) || strings.HasPrefix(src, "git@") {
			continue
		}
		local++
		if !isArchive(src) {
			return config.Fail, fmt.Sprintf("ADD %s copies local files; use COPY", src)
		}
	}
	if local == 0 {
		return 0, ""
	}
	return config.Pass, "ADD unpacks local archives"
}

// wholeContext reports whether a COPY or ADD source copies the whole
// build context.
func wholeContext(src string) bool {
	switch strings.TrimSuffix(src, "/") {
	case ".", "", "*", "./*", "./.":
		return true
	}
	return false
}

func copyAllContext(r rootfs.Root, f *file) []config.Result {
	var out []config.Result
	for _, st := range f.stages {
		for _, in := range st.instrs {
			if (in.cmd != "COPY" && in.cmd != "ADD") || !copiesContext(in) {
				continue
			}
			if ignore := ignoreFile(r, f.path); ignore != "" {
				out = append(out, result(config.Pass, f, in, fmt.Sprintf("%s of the whole context, filtered by %s", in.cmd, ignore)))
			} else {
				out = append(out, result(config.Fail, f, in, fmt.Sprintf("%s of the whole context without a .dockerignore", in.cmd)))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, config.Result{Status: config.NotApplicable, Path: f.path, Message: "no COPY of the whole build context"})
	}
	return out
}

func copiesContext(in *instr) bool {
	if _, ok := in.flag("from"); ok {
		return false
	}
	for _, src := range sources(in) {
		if wholeContext(src) {
			return true
		}
	}
	return false
}

// ignoreFile returns the ignore file that applies to the Dockerfile at p
// when its context is its own directory or an ancestor: p.dockerignore,
// or a .dockerignore in the Dockerfile's directory or above.
func ignoreFile(r rootfs.Root, p string) string {
	if rootfs.Exists(r, p+".dockerignore") {
		return p + ".dockerignore"
	}
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		candidate := path.Join(dir, ".dockerignore")
		if rootfs.Exists(r, candidate) {
			return candidate
		}
		if dir == "." || dir == "/" {
			return ""
		}
	}
}

func secretEnvArg(_ *file, _ *stage, in *instr) (config.Status, string) {
	if in.cmd != "ENV" && in.cmd != "ARG" {
		return 0, ""
	}
	var status config.Status
	var msg string
	for _, kv := range pairs(in) {
		s, m := judgeSecret(in.cmd, kv)
		if s == config.Fail || (s != 0 && status == 0) {
			status, msg = s, m
		}
		if s == config.Fail {
			break
		}
	}
	return status, msg
}

// judgeSecret decides one ENV or ARG pair: a credential-shaped value
// fails whatever its name, a literal value under a secret-like name
// fails, and a secret-like name without a literal value passes.
func judgeSecret(cmd string, kv keyValue) (config.Status, string) {
	if kind := credential.Kind(kv.value); kind != "" {
		return config.Fail, fmt.Sprintf("%s %s holds what looks like %s (%s)", cmd, kv.key, kind, pipeline.Redact(kv.value))
	}
	if !credential.SecretName(kv.key) {
		return 0, ""
	}
	switch {
	case kv.value == "":
		return config.Pass, fmt.Sprintf("%s %s has no value in the Dockerfile", cmd, kv.key)
	case isReference(kv.raw):
		return config.Pass, fmt.Sprintf("%s %s takes its value from a variable", cmd, kv.key)
	}
	return config.Fail, fmt.Sprintf("%s %s has a literal value (%s)", cmd, kv.key, pipeline.Redact(kv.value))
}

// isReference reports whether a raw ENV or ARG value comes from a
// variable ($VAR, ${VAR}) rather than literal text; a default given in
// the reference (${VAR:-text}) is literal text.
func isReference(raw string) bool {
	v := unquote(raw)
	return strings.HasPrefix(v, "$") && !strings.HasPrefix(raw, "'") &&
		!strings.Contains(v, ":-") && !strings.Contains(v, ":=")
}
