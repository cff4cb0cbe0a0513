package scan

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want settings
	}{
		{
			name: "defaults",
			cfg:  map[string]any{"scanners": []any{"secrets"}},
			want: settings{Scanners: []string{"secrets"}, FailOn: pipeline.SeverityHigh, Unknown: "fail"},
		},
		{
			name: "comma-separated, duplicates dropped",
			cfg:  map[string]any{"scanners": "Vulns, config,vulns", "fail_on": "none", "unknown_severity": "warn"},
			want: settings{Scanners: []string{"vulns", "config"}, FailOn: pipeline.SeverityHigh, Off: true, Unknown: "warn"},
		},
		{
			name: "everything",
			cfg: map[string]any{"scanners": []any{"config"}, "fail_on": "medium", "target": "Img/rootfs",
				"ignore_file": "sec/ignore.yml", "db": "/var/db", "unknown_severity": "ignore"},
			want: settings{Scanners: []string{"config"}, FailOn: pipeline.SeverityMedium, Target: "Img/rootfs",
				IgnoreFile: "sec/ignore.yml", DB: "/var/db", Unknown: "ignore"},
		},
		{
			name: "pinned advisories and an image target",
			cfg: map[string]any{"scanners": "vulns,config", "target": "oci:LaunchArtifact/image",
				"advisories": "SourceArtifact/advisories"},
			want: settings{Scanners: []string{"vulns", "config"}, FailOn: pipeline.SeverityHigh, Target: "oci:LaunchArtifact/image",
				Advisories: "SourceArtifact/advisories", Unknown: "fail"},
		},
	}
	for _, tt := range tests {
		got, err := parseSettings(tt.cfg)
		if err != nil {
			t.Errorf("parseSettings(%s) error = %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseSettings(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

// FuzzParseSettings feeds configurations decoded from JSON (as a pipeline
// file gives them) to parseSettings: it never panics, and every error
// wraps pipeline.ErrInvalid.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{
		`{"scanners":["secrets","config","vulns"],"fail_on":"high"}`,
		`{"scanners":"secrets,config","fail_on":"none","target":"SourceArtifact/app"}`,
		`{"scanners":[1,2],"fail_on":7}`,
		`{"scanners":["secrets"],"unknown_severity":"warn","ignore_file":".secpipeignore","db":"db"}`,
		`{"scanners":null,"extra":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg map[string]any
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		s, err := parseSettings(cfg)
		if err != nil {
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("parseSettings(%s) error = %v, want ErrInvalid", data, err)
			}
			return
		}
		if len(s.Scanners) == 0 {
			t.Fatalf("parseSettings(%s) accepted no scanners", data)
		}
	})
}
