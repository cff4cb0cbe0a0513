package image

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/executor/sinkhole"
	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// fixturesDir holds one directory per threat fixture: install.sh installs
// the fixture's behaviour as /usr/local/bin/service into a busybox image,
// want.txt lists the finding types verify must report (one per line), and
// the optional c2.txt and custom.txt are threat lists (command and control,
// custom) and allowed-ports.txt the ports the image declares. smoke.sh,
// the smoke test of every fixture, starts the service.
const fixturesDir = "testdata/threat-fixtures"

// fixture is one directory of fixturesDir.
type fixture struct {
	name  string
	dir   string
	want  []string
	ports []int
	intel *intel.Set
}

// loadFixtures reads every fixture of fixturesDir.
func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	entries, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatal(err)
	}
	var fxs []fixture
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		fx := fixture{name: e.Name(), dir: filepath.Join(fixturesDir, e.Name())}
		fx.want = lines(t, filepath.Join(fx.dir, "want.txt"))
		for _, p := range lines(t, filepath.Join(fx.dir, "allowed-ports.txt")) {
			n, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("%s: allowed-ports.txt: %v", fx.name, err)
			}
			fx.ports = append(fx.ports, n)
		}
		lists := intel.Default()
		for file, cat := range map[string]intel.Category{"c2.txt": intel.CategoryC2, "custom.txt": intel.CategoryCustom} {
			if _, err := os.Stat(filepath.Join(fx.dir, file)); err != nil {
				continue
			}
			l, err := intel.LoadFile(filepath.Join(fx.dir, file), cat)
			if err != nil {
				t.Fatalf("%s: %v", fx.name, err)
			}
			lists = append(lists, l)
		}
		fx.intel = intel.NewSet(lists, nil)
		fxs = append(fxs, fx)
	}
	return fxs
}

// lines returns the lines of a file that are not blank or # comments;
// none when the file does not exist.
func lines(t testing.TB, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// needVerify skips the test when images cannot be verified here, and
// fails it under CI, where they must be.
func needVerify(t testing.TB) {
	t.Helper()
	for _, need := range []func() error{sandbox.Available, sinkhole.Available} {
		if err := need(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip("busybox-static is not installed: apt-get install busybox-static")
	}
}

// verified is what building and verifying one fixture gave.
type verified struct {
	res       VerifyResult
	events    bytes.Buffer
	log       bytes.Buffer
	buildErr  error
	verifyErr error
}

// buildAndVerify builds fx's image into b's store and verifies it.
func buildAndVerify(ctx context.Context, b *Builder, fx fixture, opts VerifySpec) *verified {
	v := &verified{}
	name := "fixture-" + fx.name
	if _, v.buildErr = b.Build(ctx, Spec{Base: "busybox", Install: []string{filepath.Join(fx.dir, "install.sh")},
		Context: fx.dir, Publish: name, Log: &v.log}); v.buildErr != nil {
		return v
	}
	opts.Image, opts.Test, opts.Events, opts.Log = name, filepath.Join(fixturesDir, "smoke.sh"), &v.events, &v.log
	v.res, v.verifyErr = b.Verify(ctx, opts)
	return v
}

// findingTypes runs the detectors over a recording and returns the
// finding types, sorted.
func findingTypes(t *testing.T, fx fixture, events []byte) []string {
	t.Helper()
	var got []string
	_, err := threat.Detect(context.Background(), threat.NewReader("events.jsonl", bytes.NewReader(events), threat.ReadOptions{}),
		threat.Config{Intel: fx.intel, AllowedPorts: fx.ports}, func(f pipeline.Finding) error {
			if !slices.Contains(got, f.RuleID) {
				got = append(got, f.RuleID)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// TestThreatFixtures builds one busybox image per fixture with the image
// builder and its install script, verifies each with the same smoke test
// (sandbox, sinkhole, strace and fanotify), and checks that the detectors
// report exactly the fixture's finding types; together the fixtures cover
// every type, and the clean one none. Builds and verifies run a few at a
// time.
func TestThreatFixtures(t *testing.T) {
	needVerify(t)
	fxs := loadFixtures(t)
	dir := t.TempDir()
	store, err := imagestore.OpenStore(filepath.Join(dir, "images"))
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Store: store, WorkDir: filepath.Join(dir, "work")}
	results := make([]*verified, len(fxs))
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, fx := range fxs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = buildAndVerify(context.Background(), b, fx, VerifySpec{})
		}()
	}
	wg.Wait()
	covered := map[string]bool{}
	for i, fx := range fxs {
		t.Run(fx.name, func(t *testing.T) {
			v := results[i]
			if v.buildErr != nil {
				t.Fatalf("Build: %v\n%s", v.buildErr, v.log.String())
			}
			if v.verifyErr != nil {
				t.Fatalf("Verify: %v\n%s", v.verifyErr, v.log.String())
			}
			if v.res.ExitCode != 0 {
				t.Fatalf("smoke test exit %d:\n%s", v.res.ExitCode, v.log.String())
			}
			got := findingTypes(t, fx, v.events.Bytes())
			want := slices.Sorted(slices.Values(fx.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("finding types (-want +got):\n%s\nfiles recorded by %s; output:\n%s\nevents:\n%s", diff,
					v.res.Files, v.log.String(), v.events.String())
			}
			for _, id := range fx.want {
				covered[id] = true
			}
		})
	}
	for _, ft := range threat.FindingTypes() {
		if !covered[ft.ID] {
			t.Errorf("no fixture gives %s", ft.ID)
		}
	}
}

// BenchmarkVerify times verify with telemetry of two fixture images, the
// clean one and the port scan (31 programs started), recording file
// changes with fanotify and with strace:
//
//	go test -run XXX -bench Verify -benchtime 1x -count 5 ./internal/provider/image/
func BenchmarkVerify(b *testing.B) {
	needVerify(b)
	dir := b.TempDir()
	store, err := imagestore.OpenStore(filepath.Join(dir, "images"))
	if err != nil {
		b.Fatal(err)
	}
	bld := &Builder{Store: store, WorkDir: filepath.Join(dir, "work")}
	for _, fx := range loadFixtures(b) {
		if fx.name != "clean" && fx.name != "portscan" {
			continue
		}
		for _, mode := range []struct {
			name  string
			trace bool
		}{{"fanotify", false}, {"strace", true}} {
			b.Run(fx.name+"/"+mode.name, func(b *testing.B) {
				for b.Loop() {
					v := buildAndVerifyTimed(b, bld, fx, mode.trace)
					if v.res.Files != mode.name {
						b.Fatalf("files recorded by %q, want %q", v.res.Files, mode.name)
					}
				}
			})
		}
	}
}

// buildAndVerifyTimed builds fx's image with the timer stopped, then
// verifies it.
func buildAndVerifyTimed(b *testing.B, bld *Builder, fx fixture, trace bool) *verified {
	b.StopTimer()
	v := &verified{}
	name := "bench-" + fx.name
	if _, err := bld.Store.Inspect(context.Background(), name); err != nil {
		if _, err := bld.Build(context.Background(), Spec{Base: "busybox", Install: []string{filepath.Join(fx.dir, "install.sh")},
			Context: fx.dir, Publish: name, Log: &v.log}); err != nil {
			b.Fatalf("Build: %v\n%s", err, v.log.String())
		}
	}
	b.StartTimer()
	v.res, v.verifyErr = bld.Verify(context.Background(), VerifySpec{Image: name, Test: filepath.Join(fixturesDir, "smoke.sh"),
		Events: &v.events, Log: &v.log, TraceFiles: trace})
	if v.verifyErr != nil || v.res.ExitCode != 0 {
		b.Fatalf("Verify: exit %d, %v\n%s", v.res.ExitCode, v.verifyErr, v.log.String())
	}
	return v
}
