package config

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// testCheck returns a valid check whose Run is run.
func testCheck(id string, target TargetKind, sev pipeline.Severity, run func(context.Context, rootfs.Root) ([]Result, error)) Check {
	return Check{
		ID:          id,
		Title:       "Title of " + id,
		Group:       strings.SplitN(id, "-", 2)[0],
		Severity:    sev,
		Target:      target,
		Reads:       []string{"etc/passwd"},
		Rationale:   "Rationale of " + id + ".",
		Remediation: "Fix " + id + ".",
		References:  []string{"man:" + id},
		Run:         run,
	}
}

func results(rs ...Result) func(context.Context, rootfs.Root) ([]Result, error) {
	return func(context.Context, rootfs.Root) ([]Result, error) { return rs, nil }
}

// uidZero fails for every account with UID 0 besides root, reading the
// root it is given.
func uidZero(_ context.Context, r rootfs.Root) ([]Result, error) {
	b, err := r.ReadFile("etc/passwd")
	if err != nil {
		return nil, err
	}
	var out []Result
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || f[0] == "root" {
			continue
		}
		if f[2] == "0" {
			out = append(out, Result{Status: Fail, Path: "etc/passwd", Line: i + 1, Message: "account " + f[0] + " has UID 0 (etc/passwd:" + strconv.Itoa(i+1) + ")"})
		} else {
			out = append(out, Result{Status: Pass, Path: "etc/passwd", Line: i + 1})
		}
	}
	return out, nil
}

func scanChecks() []Check {
	return []Check{
		testCheck("accounts-uid-zero", TargetRootFS, pipeline.SeverityMedium, uidZero),
		testCheck("kernel-aslr", TargetRootFS, pipeline.SeverityMedium, results(
			Result{Status: Undetermined, Message: "no sysctl.d file sets kernel.randomize_va_space"})),
		testCheck("ssh-root-login", TargetRootFS, pipeline.SeverityHigh, results(
			Result{Status: NotApplicable, Message: "no SSH server"})),
		testCheck("files-broken", TargetRootFS, pipeline.SeverityLow, func(context.Context, rootfs.Root) ([]Result, error) {
			return nil, errors.New("read etc/group: permission denied")
		}),
		testCheck("docker-user", TargetSource, pipeline.SeverityLow, results(
			Result{Status: Fail, Path: "Dockerfile", Line: 1, Message: "runs as root"})),
		testCheck("files-world-writable", TargetRootFS, pipeline.SeverityMedium, results(
			Result{Status: Fail, Path: "var/b", Message: "var/b is world-writable"},
			Result{Status: Fail, Path: "var/a", Message: "var/a is world-writable"},
			Result{Status: Pass, Path: "var/c"},
		)),
	}
}

func scanTree(t *testing.T, passwd string) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"etc/passwd": passwd, "usr/lib/os-release": "ID=test\n"})
	return dir
}

func collect(t *testing.T, s *Scanner, target string) ([]pipeline.Finding, Stats, error) {
	t.Helper()
	var got []pipeline.Finding
	stats, err := s.ScanStats(context.Background(), target, func(f pipeline.Finding) error {
		got = append(got, f)
		return nil
	})
	return got, stats, err
}

func TestScan(t *testing.T) {
	var logs bytes.Buffer
	s, err := New(Config{Checks: scanChecks(), Logger: slog.New(slog.NewTextHandler(&logs, nil)), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := scanTree(t, "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\n")
	got, stats, err := collect(t, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []pipeline.Finding{
		{
			Kind: pipeline.KindConfig, RuleID: "accounts-uid-zero", Severity: pipeline.SeverityMedium,
			Title:       "Title of accounts-uid-zero",
			Description: "account toor has UID 0 (etc/passwd:2)\n\nRationale of accounts-uid-zero.",
			Location:    pipeline.Location{Path: "etc/passwd", Line: 2},
			Fingerprint: pipeline.Fingerprint("config", "accounts-uid-zero", "etc/passwd", "account toor has UID 0 (etc/passwd)"),
			Remediation: "Fix accounts-uid-zero.", References: []string{"man:accounts-uid-zero"},
		},
		{
			Kind: pipeline.KindConfig, RuleID: "files-world-writable", Severity: pipeline.SeverityMedium,
			Title:       "Title of files-world-writable",
			Description: "var/a is world-writable\n\nRationale of files-world-writable.",
			Location:    pipeline.Location{Path: "var/a"},
			Fingerprint: pipeline.Fingerprint("config", "files-world-writable", "var/a", "var/a is world-writable"),
			Remediation: "Fix files-world-writable.", References: []string{"man:files-world-writable"},
		},
		{
			Kind: pipeline.KindConfig, RuleID: "files-world-writable", Severity: pipeline.SeverityMedium,
			Title:       "Title of files-world-writable",
			Description: "var/b is world-writable\n\nRationale of files-world-writable.",
			Location:    pipeline.Location{Path: "var/b"},
			Fingerprint: pipeline.Fingerprint("config", "files-world-writable", "var/b", "var/b is world-writable"),
			Remediation: "Fix files-world-writable.", References: []string{"man:files-world-writable"},
		},
		{
			Kind: pipeline.KindConfig, RuleID: "kernel-aslr", Severity: pipeline.SeverityInfo,
			Title:       "Title of kernel-aslr (not determinable statically)",
			Description: "no sysctl.d file sets kernel.randomize_va_space\n\nRationale of kernel-aslr.",
			Fingerprint: pipeline.Fingerprint("config", "kernel-aslr", "", "no sysctl.d file sets kernel.randomize_va_space"),
			Remediation: "Fix kernel-aslr.", References: []string{"man:kernel-aslr"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan findings mismatch (-want +got):\n%s", diff)
	}
	wantStats := Stats{Kind: TargetRootFS, Checks: 5, Pass: 2, Fail: 3, NotApplicable: 1, Undetermined: 1, Errors: 1}
	if diff := cmp.Diff(wantStats, stats); diff != "" {
		t.Errorf("Scan stats mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "check=files-broken") || !strings.Contains(logs.String(), "permission denied") {
		t.Errorf("logs = %q, want a warning naming files-broken and its error", logs.String())
	}
}

// TestScanFingerprintStable: a finding keeps its fingerprint when lines
// are added above it, and the order is the same on every run.
func TestScanFingerprintStable(t *testing.T) {
	s, err := New(Config{Checks: scanChecks()})
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := collect(t, s, scanTree(t, "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	moved, _, err := collect(t, s, scanTree(t, "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/:/bin/sh\nbob:x:1001:1001::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	if first[0].Location.Line == moved[0].Location.Line {
		t.Fatalf("test setup: the finding did not move (line %d)", first[0].Location.Line)
	}
	if first[0].Fingerprint != moved[0].Fingerprint {
		t.Errorf("fingerprint changed when the line moved: %s, then %s", first[0].Fingerprint, moved[0].Fingerprint)
	}
	for range 5 {
		again, _, err := collect(t, s, scanTree(t, "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("a second scan differs (-first +again):\n%s", diff)
		}
	}
}

func TestScanDuplicateFingerprints(t *testing.T) {
	twice := testCheck("ssh-root-login", TargetRootFS, pipeline.SeverityHigh, results(
		Result{Status: Fail, Path: "etc/ssh/sshd_config", Line: 9, Message: "PermitRootLogin yes"},
		Result{Status: Fail, Path: "etc/ssh/sshd_config", Line: 3, Message: "PermitRootLogin yes"},
	))
	s, err := New(Config{Checks: []Check{twice}})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := collect(t, s, scanTree(t, "root:x:0:0::/:/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Location.Line != 3 || got[1].Location.Line != 9 {
		t.Fatalf("findings = %+v, want lines 3 then 9", got)
	}
	if got[0].Fingerprint == got[1].Fingerprint {
		t.Errorf("both findings have fingerprint %s, want distinct ones", got[0].Fingerprint)
	}
	if want := pipeline.Fingerprint("config", "ssh-root-login", "etc/ssh/sshd_config", "PermitRootLogin yes"); got[0].Fingerprint != want {
		t.Errorf("first fingerprint = %s, want the plain one %s", got[0].Fingerprint, want)
	}
}

func TestScanPanic(t *testing.T) {
	checks := append(scanChecks(), testCheck("files-panics", TargetRootFS, pipeline.SeverityLow,
		func(_ context.Context, r rootfs.Root) ([]Result, error) {
			es := r.Entries()
			return []Result{{Status: Pass, Path: es[len(es)+1].Path}}, nil // index out of range
		}))
	s, err := New(Config{Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	got, stats, err := collect(t, s, scanTree(t, "root:x:0:0::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\n"))
	if err == nil || !strings.Contains(err.Error(), "check files-panics panicked: runtime error: index out of range") {
		t.Errorf("Scan error = %v, want one naming files-panics", err)
	}
	if len(got) != 4 || stats.Errors != 2 {
		t.Errorf("Scan emitted %d findings with %d errors, want the 4 other findings and 2 errors", len(got), stats.Errors)
	}
}

func TestScanSourceTree(t *testing.T) {
	s, err := New(Config{Checks: scanChecks()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n"})
	got, stats, err := collect(t, s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RuleID != "docker-user" || stats.Kind != TargetSource || stats.Checks != 1 {
		t.Errorf("Scan(source tree) = %+v, %+v, want only the source check's finding", got, stats)
	}
	forced, err := New(Config{Checks: scanChecks(), Kind: TargetSource})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err = collect(t, forced, scanTree(t, "root:x:0:0::/:/bin/sh\n"))
	if err != nil || len(got) != 1 || got[0].RuleID != "docker-user" {
		t.Errorf("Scan(rootfs as source) = %+v, %v, want only the source check's finding", got, err)
	}
}

func TestScanStops(t *testing.T) {
	s, err := New(Config{Checks: scanChecks()})
	if err != nil {
		t.Fatal(err)
	}
	dir := scanTree(t, "root:x:0:0::/:/bin/sh\ntoor:x:0:0::/:/bin/sh\n")
	stop := errors.New("stop")
	var calls atomic.Int32
	err = s.Scan(context.Background(), dir, func(pipeline.Finding) error {
		calls.Add(1)
		return stop
	})
	if !errors.Is(err, stop) || calls.Load() != 1 {
		t.Errorf("Scan error = %v after %d emits, want emit's error after 1", err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Scan(ctx, dir, func(pipeline.Finding) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan(cancelled) error = %v, want context.Canceled", err)
	}
	err = s.Scan(context.Background(), filepath.Join(dir, "missing"), func(pipeline.Finding) error { return nil })
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Scan(missing) error = %v, want ErrNotFound", err)
	}
}

func TestNew(t *testing.T) {
	ok := testCheck("ssh-root-login", TargetRootFS, pipeline.SeverityHigh, results())
	bad := ok
	bad.ID = "Bad ID"
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "valid", cfg: Config{Checks: []Check{ok}}},
		{name: "none", cfg: Config{}},
		{name: "duplicate", cfg: Config{Checks: []Check{ok, ok}}, wantErr: `check id "ssh-root-login": registered twice`},
		{name: "invalid check", cfg: Config{Checks: []Check{bad}}, wantErr: `check id "Bad ID"`},
		{name: "kind", cfg: Config{Checks: []Check{ok}, Kind: 9}, wantErr: "target kind 9"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("New(%s) error = %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("New(%s) error = %v, want ErrInvalid containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestStableMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "PermitRootLogin yes (etc/ssh/sshd_config.d/50-cloud.conf:3 via Include)", want: "PermitRootLogin yes (etc/ssh/sshd_config.d/50-cloud.conf via Include)"},
		{in: "PASS_MAX_DAYS 99999 at line 12", want: "PASS_MAX_DAYS 99999 at line"},
		{in: "owner 0:0, mode 0644", want: "owner 0:0, mode 0644"},
		{in: "etc/a:1 and etc/b:22", want: "etc/a and etc/b"},
		{in: "", want: ""},
	}
	for _, tt := range tests {
		if got := stableMessage(tt.in); got != tt.want {
			t.Errorf("stableMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScanTarball(t *testing.T) {
	s, err := New(Config{Checks: scanChecks()})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rootfs.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{name: "./etc/passwd", body: "root:x:0:0::/:/bin/sh\nadmin:x:0:0::/:/bin/sh\n"},
		{name: "./usr/lib/os-release", body: "ID=test\n"},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, _, err := collect(t, s, file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].RuleID != "accounts-uid-zero" || !strings.Contains(got[0].Description, "admin") {
		t.Errorf("Scan(tarball) = %+v, want admin's UID 0 first", got)
	}
}

// TestScanLogsNotApplicable: a NotApplicable result that names a file (a
// template skipped) is logged at debug level once per path and message,
// however many checks return it; one without a path is not logged.
func TestScanLogsNotApplicable(t *testing.T) {
	const template = "skipped: Helm template that is not YAML until rendered (could not find flow map content)"
	note := Result{Status: NotApplicable, Path: "chart/templates/pod.yaml", Line: 4, Message: template}
	checks := []Check{
		testCheck("kube-parse", TargetSource, pipeline.SeverityMedium, results(note,
			Result{Status: NotApplicable, Path: "chart/templates/pod.yaml", Message: "skipped: larger than 8 MiB"})),
		testCheck("kube-other", TargetSource, pipeline.SeverityLow, results(note,
			Result{Status: NotApplicable, Message: "no Kubernetes workload"})),
	}
	var logs bytes.Buffer
	s, err := New(Config{Checks: checks, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := s.ScanRoot(context.Background(), rootfs.NewMemRoot(nil, nil), TargetSource, func(pipeline.Finding) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if stats.NotApplicable != 4 {
		t.Errorf("ScanRoot stats = %+v, want 4 not applicable", stats)
	}
	var got []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="config: not applicable"`) {
			_, rest, _ := strings.Cut(line, "check=")
			got = append(got, rest)
		}
	}
	want := []string{
		`kube-other path=chart/templates/pod.yaml line=4 message="` + template + `"`,
		`kube-parse path=chart/templates/pod.yaml line=0 message="skipped: larger than 8 MiB"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("debug log of not applicable results (-want +got):\n%s\nlogs:\n%s", diff, logs.String())
	}
}

// writeTree creates files (path → contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
