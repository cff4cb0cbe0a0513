package image

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		want    []string // install scripts, then scanners
		wantErr string
	}{
		{name: "full", cfg: map[string]any{"base": "busybox", "install": []any{"a.sh", "b.sh"}, "network": "install",
			"scan": []any{"vulns", "config"}, "fail_on": "high", "publish": "golden", "channel": "dev"},
			want: []string{"a.sh", "b.sh", "vulns", "config"}},
		{name: "comma lists", cfg: map[string]any{"base": "busybox", "install": "a.sh", "scan": "secrets, config"},
			want: []string{"a.sh", "secrets", "config"}},
		{name: "no base", cfg: map[string]any{"install": "a.sh"}, wantErr: "base: required"},
		{name: "bad network", cfg: map[string]any{"base": "busybox", "network": "always"}, wantErr: "network"},
		{name: "bad scanner", cfg: map[string]any{"base": "busybox", "scan": []any{"antivirus"}}, wantErr: `unknown scanner "antivirus"`},
		{name: "unknown key", cfg: map[string]any{"base": "busybox", "instal": "a.sh"}, wantErr: "instal"},
		{name: "bad list", cfg: map[string]any{"base": "busybox", "install": []any{1}}, wantErr: "install[0]"},
		{name: "launch", cfg: map[string]any{"base": "busybox", "install": []any{"a.sh"}}, want: []string{"a.sh"}},
		{name: "publish alone", cfg: map[string]any{"publish": "golden", "channel": "dev"}, want: nil},
		{name: "neither base nor publish", cfg: map[string]any{"channel": "dev"}, wantErr: "base: required"},
		{name: "publish with install", cfg: map[string]any{"publish": "golden", "install": "a.sh"}, wantErr: "install: needs base"},
		{name: "publish with scan", cfg: map[string]any{"publish": "golden", "scan": "vulns"}, wantErr: "scan: needs base"},
		{name: "publish with network", cfg: map[string]any{"publish": "golden", "network": "none"}, wantErr: "network: needs base"},
		{name: "publish with fail_on", cfg: map[string]any{"publish": "golden", "fail_on": "high"}, wantErr: "fail_on: needs base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseSettings(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSettings error = %v, want ErrInvalid naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			got = append(append(got, s.install...), s.scanners...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scripts and scanners (-want +got):\n%s", diff)
			}
		})
	}
}
