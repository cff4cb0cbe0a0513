package scan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// The scanner names of config.scanners.
const (
	scannerSecrets = "secrets"
	scannerConfig  = "config"
	scannerVulns   = "vulns"
)

// IgnoreFileName is the ignore file looked for at the root of the scanned
// input artifact when config.ignore_file does not name one.
const IgnoreFileName = ".secpipeignore"

// settings is an action's configuration (Action.Config, references
// resolved), checked.
type settings struct {
	// Scanners in the order they run, each at most once.
	Scanners []string
	// FailOn is the gate's threshold; Off when fail_on is none.
	FailOn pipeline.Severity
	Off    bool
	// Target is config.target as written; IgnoreFile likewise.
	Target     string
	IgnoreFile string
	// Unknown is fail, warn or ignore.
	Unknown string
	// DB is the vulnerability database directory ("" for the default).
	DB string
	// Advisories is config.advisories as written: a folder (or file) of
	// OSV records inside an input artifact that the vulns scanner judges
	// by instead of a database.
	Advisories string
}

// rawSettings is the configuration as YAML or JSON gives it.
type rawSettings struct {
	Scanners        stringList `json:"scanners"`
	FailOn          string     `json:"fail_on"`
	Target          string     `json:"target"`
	UnknownSeverity string     `json:"unknown_severity"`
	IgnoreFile      string     `json:"ignore_file"`
	DB              string     `json:"db"`
	Advisories      string     `json:"advisories"`
}

// stringList accepts a list of strings or one comma-separated string.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		for s := range strings.SplitSeq(one, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*l = append(*l, s)
			}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return errors.New("want a list of names")
	}
	*l = many
	return nil
}

// parseSettings checks an action's configuration. Its errors wrap
// pipeline.ErrInvalid and name the field: "config.fail_on: …".
func parseSettings(cfg map[string]any) (settings, error) {
	var raw rawSettings
	data, err := json.Marshal(cfg)
	if err != nil {
		return settings{}, fmt.Errorf("%w config: %v", pipeline.ErrInvalid, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return settings{}, fmt.Errorf("%w config: %v (fields: scanners, fail_on, target, unknown_severity, ignore_file, db, advisories)",
			pipeline.ErrInvalid, err)
	}
	s := settings{Target: raw.Target, IgnoreFile: raw.IgnoreFile, DB: raw.DB, Advisories: raw.Advisories,
		Unknown: raw.UnknownSeverity, FailOn: pipeline.SeverityHigh}
	if len(raw.Scanners) == 0 {
		return s, fmt.Errorf("%w config.scanners: name at least one of secrets, config, vulns", pipeline.ErrInvalid)
	}
	for _, name := range raw.Scanners {
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case scannerSecrets, scannerConfig, scannerVulns:
		default:
			return s, fmt.Errorf("%w config.scanners: unknown scanner %q (want secrets, config or vulns)", pipeline.ErrInvalid, name)
		}
		if !slices.Contains(s.Scanners, name) {
			s.Scanners = append(s.Scanners, name)
		}
	}
	switch failOn := strings.TrimSpace(raw.FailOn); {
	case failOn == "":
	case strings.EqualFold(failOn, "none"):
		s.Off = true
	default:
		if s.FailOn, err = pipeline.ParseSeverity(failOn); err != nil {
			return s, fmt.Errorf("config.fail_on: %w (or none)", err)
		}
	}
	if s.Advisories != "" && s.DB != "" {
		return s, fmt.Errorf("%w config.advisories: names the advisories to judge by instead of config.db; set one of them",
			pipeline.ErrInvalid)
	}
	if s.Advisories != "" && !slices.Contains(s.Scanners, scannerVulns) {
		return s, fmt.Errorf("%w config.advisories: only the vulns scanner reads advisories; add it to config.scanners",
			pipeline.ErrInvalid)
	}
	switch s.Unknown {
	case "":
		s.Unknown = "fail"
	case "fail", "warn", "ignore":
	default:
		return s, fmt.Errorf("%w config.unknown_severity %q: want fail, warn or ignore", pipeline.ErrInvalid, s.Unknown)
	}
	return s, nil
}

// target is what a scan looks at: a directory inside an input artifact,
// or an image of an OCI layout inside one.
type target struct {
	// Name is how reports show it: the artifact name, then the path
	// inside it ("SourceArtifact/app"); "oci:" first for an image
	// ("oci:LaunchArtifact/image").
	Name string
	// Dir is the directory scanned; Root the artifact's directory, where
	// the ignore file is looked for.
	Dir, Root string
	// Image, for an image target, is the layout's image as base.Prepare
	// reads it ("oci:DIR[:TAG]"); Dir is then the layout itself until the
	// image is unpacked.
	Image string
}

// resolveTarget picks the scanned directory from config.target: empty
// names the first input artifact; "NAME" or "NAME/PATH" an input artifact
// or a path inside it; anything else a path inside the first input; each
// of those after "oci:" (and before an optional ":TAG") an OCI image
// layout whose image is scanned. The path must stay inside the artifact
// and exist.
func resolveTarget(req *pipeline.ActionRequest, spec string) (target, error) {
	if rest, ok := strings.CutPrefix(spec, "oci:"); ok {
		return resolveImage(req, rest)
	}
	return resolvePath(req, spec, "config.target")
}

// resolveImage resolves "PATH[:TAG]" (after "oci:") to an image target.
func resolveImage(req *pipeline.ActionRequest, spec string) (target, error) {
	dir, tag := spec, ""
	if i := strings.LastIndex(spec, ":"); i >= 0 && !strings.ContainsAny(spec[i+1:], `/\`) {
		dir, tag = spec[:i], spec[i+1:]
	}
	if dir == "" {
		return target{}, fmt.Errorf("%w config.target %q: want oci:ARTIFACT/PATH[:TAG], an OCI image layout in an input artifact",
			pipeline.ErrInvalid, "oci:"+spec)
	}
	t, err := resolvePath(req, dir, "config.target")
	if err != nil {
		return t, err
	}
	if _, err := os.Stat(filepath.Join(t.Dir, "oci-layout")); err != nil {
		return t, fmt.Errorf("%w config.target oci:%s: %s is not an OCI image layout (no oci-layout file)",
			pipeline.ErrInvalid, spec, t.Name)
	}
	t.Name, t.Image = "oci:"+t.Name, "oci:"+t.Dir
	if tag != "" {
		t.Name, t.Image = t.Name+":"+tag, t.Image+":"+tag
	}
	return t, nil
}

// resolvePath resolves a path spec (config.target, config.advisories,
// named field in errors) inside the input artifacts.
func resolvePath(req *pipeline.ActionRequest, spec, field string) (target, error) {
	if len(req.Action.Inputs) == 0 {
		return target{}, fmt.Errorf("%w scan: the action has no input artifact to scan", pipeline.ErrInvalid)
	}
	if spec != "" && (filepath.IsAbs(spec) || !filepath.IsLocal(filepath.FromSlash(spec))) {
		return target{}, fmt.Errorf("%w %s %q: want an input artifact name or a path inside one", pipeline.ErrInvalid, field, spec)
	}
	name, rel := req.Action.Inputs[0], path.Clean("/" + filepath.ToSlash(spec))[1:]
	if first, rest, _ := strings.Cut(rel, "/"); slices.Contains(req.Action.Inputs, first) {
		name, rel = first, rest
	}
	root, ok := req.Inputs[name]
	if !ok {
		return target{}, fmt.Errorf("scan: input artifact %s: %w", name, pipeline.ErrNotFound)
	}
	t := target{Name: name, Dir: root, Root: root}
	if rel == "" {
		return t, nil
	}
	t.Name, t.Dir = name+"/"+rel, filepath.Join(root, filepath.FromSlash(rel))
	return t, checkInside(t, field)
}

// checkInside makes sure the target exists and, links resolved, is still
// inside its artifact: a link in the artifact must not send the scan to
// the host's files.
func checkInside(t target, field string) error {
	dir, err := filepath.EvalSymlinks(t.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("scan: %s %s: %w", field, t.Name, pipeline.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("scan: %s %s: %w", field, t.Name, err)
	}
	root, err := filepath.EvalSymlinks(t.Root)
	if err != nil {
		return fmt.Errorf("scan: input artifact: %w", err)
	}
	if rel, err := filepath.Rel(root, dir); err != nil || !filepath.IsLocal(rel) && rel != "." {
		return fmt.Errorf("%w %s %s: leads outside the artifact", pipeline.ErrInvalid, field, t.Name)
	}
	return nil
}

// policy builds the gate policy: the threshold, the unknown-severity rule
// and the ignore file (config.ignore_file inside the target's artifact, or
// .secpipeignore at its root when present).
func (s settings) policy(t target, now time.Time) (gate.Policy, error) {
	p := gate.Policy{FailOn: s.FailOn, Off: s.Off, Now: now}
	if s.Unknown == "fail" {
		p.UnknownAs = pipeline.SeverityCritical
	} else {
		p.SkipUnknown = true
	}
	file := s.IgnoreFile
	if file == "" {
		file = IgnoreFileName
		if _, err := os.Lstat(filepath.Join(t.Root, file)); err != nil {
			return p, nil
		}
	}
	if filepath.IsAbs(file) || !filepath.IsLocal(filepath.FromSlash(file)) {
		return p, fmt.Errorf("%w config.ignore_file %q: want a path inside the input artifact", pipeline.ErrInvalid, file)
	}
	// Read through an os.Root: a link must not lead out of the artifact.
	root, err := os.OpenRoot(t.Root)
	if err != nil {
		return p, fmt.Errorf("scan: input artifact: %w", err)
	}
	defer root.Close()
	data, err := root.ReadFile(filepath.FromSlash(file))
	if errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("scan: config.ignore_file %s: %w", file, pipeline.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("scan: config.ignore_file %s: %w", file, err)
	}
	if p.Ignore, err = gate.ParseIgnoreFile(file, data); err != nil {
		return p, fmt.Errorf("scan: %w", err)
	}
	return p, nil
}
