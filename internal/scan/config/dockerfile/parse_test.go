package dockerfile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// stageSummary is what TestParse compares of each stage.
type stageSummary struct {
	Name, Image, Parent string
	Resolved            bool
	FromLine            int
	Cmds                []string
}

func summarize(f *file) []stageSummary {
	var out []stageSummary
	for _, st := range f.stages {
		s := stageSummary{Name: st.name, Image: st.image, Resolved: st.resolved, FromLine: st.from.line}
		if st.parent != nil {
			s.Parent = st.parent.name
		}
		for _, in := range st.instrs {
			s.Cmds = append(s.Cmds, in.cmd)
		}
		out = append(out, s)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []stageSummary
	}{
		{
			name: "meta args, stage names and parents",
			src: "# syntax=docker/dockerfile:1\nARG BASE=debian\nARG TAG=12\n" +
				"FROM ${BASE}:${TAG} AS Build\nrun make\n\nFROM build AS test\nRUN make test\nFROM $UNSET\n",
			want: []stageSummary{
				{Name: "build", Image: "debian:12", Resolved: true, FromLine: 4, Cmds: []string{"RUN"}},
				{Name: "test", Image: "build", Parent: "build", Resolved: true, FromLine: 7, Cmds: []string{"RUN"}},
				{Image: "", Resolved: false, FromLine: 9},
			},
		},
		{
			name: "continuations and heredocs keep start lines",
			src:  "FROM alpine:3.20\nRUN a \\\n  && b\nRUN <<EOF\nc\nEOF\nUSER app\n",
			want: []stageSummary{{Image: "alpine:3.20", Resolved: true, FromLine: 1, Cmds: []string{"RUN", "RUN", "USER"}}},
		},
		{name: "empty", src: "", want: nil},
		{name: "only comments", src: "# nothing\n\n# here\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parse("Dockerfile", []byte(tt.src))
			if err != nil {
				t.Fatalf("parse(%q) = %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, summarize(f)); diff != "" {
				t.Errorf("parse(%q) stages (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // the error starts with it
		hidden    string // must not appear in the error
	}{
		{name: "binary", src: "\x00\x01\x02FROM", want: "invalid Dockerfile: binary content"},
		{name: "unknown instruction", src: "FROM alpine\nFETCH x\n", want: "invalid Dockerfile:2: unknown instruction FETCH"},
		{name: "before FROM", src: "RUN make\nFROM alpine\n", want: "invalid Dockerfile:1: RUN before the first FROM"},
		{name: "FROM without image", src: "FROM\n", want: "invalid Dockerfile:1: FROM without an image"},
		{name: "FROM with junk", src: "FROM a b c d\n", want: "invalid Dockerfile:1: FROM wants IMAGE [AS NAME]"},
		{name: "unterminated heredoc", src: "FROM alpine\nRUN <<EOF\nx\n", want: "invalid Dockerfile:2: unterminated heredoc"},
		{
			name:   "malformed ENV masks its text",
			src:    "FROM alpine\nENV A=1 ghp_0123456789abcdefghijklmnopqrstuvwxyz\n",
			want:   "invalid Dockerfile:2: Syntax error",
			hidden: "0123456789",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("Dockerfile", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("parse(%q) = %v, want an error starting %q", tt.src, err, tt.want)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("parse(%q) = %v, want it to wrap ErrInvalid", tt.src, err)
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Errorf("parse(%q) = %v, shows %q", tt.src, err, tt.hidden)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	src := "ARG REG=registry.example.com\nFROM $REG/base:1 AS base\nARG REG\nENV HOME=/home/app\nARG UID=10001\n" +
		"FROM base\nENV APP=$HOME/app DEBUG=\"yes please\"\nUSER ${UID}\n"
	f, err := parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	final := f.final()
	got := f.env(final, final.instrs[len(final.instrs)-1])
	want := map[string]string{"REG": "registry.example.com", "HOME": "/home/app", "UID": "10001", "APP": "/home/app/app", "DEBUG": "yes please"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("env of the final USER (-want +got):\n%s", diff)
	}
	if f.stages[0].image != "registry.example.com/base:1" {
		t.Errorf("image = %q, want registry.example.com/base:1", f.stages[0].image)
	}
}

func TestIsDockerfile(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"Dockerfile", true}, {"build/Dockerfile.prod", true}, {"api.Dockerfile", true},
		{"web/app.dockerfile", true}, {"Containerfile", true}, {"dockerfile", true},
		{"Dockerfile.dockerignore", false}, {"api.Dockerfile.dockerignore", false},
		{"docs/Dockerfile.md", false}, {".dockerfile", false}, {"Dockerfiles/readme", false},
		{"node_modules/x/Dockerfile", false}, {".git/Dockerfile", false}, {"DockerfileX", false},
	}
	for _, tt := range tests {
		if got := isDockerfile(tt.path); got != tt.want {
			t.Errorf("isDockerfile(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestNoDockerfile: every check says NotApplicable, once, on a tree
// without Dockerfiles.
func TestNoDockerfile(t *testing.T) {
	empty := rootfs.NewMemRoot([]rootfs.Entry{{Path: "README.md", Mode: 0o644}}, nil)
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), empty)
		if err != nil || len(rs) != 1 || rs[0].Status != config.NotApplicable {
			t.Errorf("%s on a tree without Dockerfile = %v, %v, want one not applicable", c.ID, rs, err)
		}
	}
}

// tree builds a root of regular files from path, contents pairs.
func tree(files ...string) *rootfs.MemRoot {
	var entries []rootfs.Entry
	data := map[string][]byte{}
	for i := 0; i+1 < len(files); i += 2 {
		entries = append(entries, rootfs.Entry{Path: files[i], Mode: 0o644, Size: int64(len(files[i+1]))})
		data[files[i]] = []byte(files[i+1])
	}
	return rootfs.NewMemRoot(entries, data)
}

// outcomes runs every check over r and describes each result that is not
// a pass as "check status path:line", failing the test on an error.
func outcomes(t *testing.T, r rootfs.Root) []string {
	t.Helper()
	var out []string
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		for _, res := range rs {
			if res.Status != config.Pass {
				out = append(out, fmt.Sprintf("%s %s %s:%d", c.ID, res.Status, res.Path, res.Line))
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestBrokenDockerfile: a Dockerfile that does not parse fails
// dockerfile-parse once, naming its line, and the other checks judge the
// Dockerfiles that parsed as if it were not there.
func TestBrokenDockerfile(t *testing.T) {
	const good = "FROM alpine:3.20\nRUN apk add curl\n"
	const broken = "FROM alpine:3.20\nENV TOKEN \"hunter2-secret\" x=\nUSR app\n"
	alone := outcomes(t, tree("web/Dockerfile", good))
	if len(alone) == 0 {
		t.Fatal("the good Dockerfile has no findings; the test needs some")
	}
	got := outcomes(t, tree("svc/Dockerfile", broken, "web/Dockerfile", good))
	want := append([]string{"dockerfile-parse fail svc/Dockerfile:3"}, alone...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings with a broken Dockerfile (-want +got):\n%s", diff)
	}
	var parseCheck config.Check
	for _, c := range Checks() {
		if c.ID == "dockerfile-parse" {
			parseCheck = c
		}
	}
	rs, err := parseCheck.Run(context.Background(), tree("svc/Dockerfile", broken))
	if err != nil || len(rs) != 1 {
		t.Fatalf("dockerfile-parse on a broken Dockerfile = %+v, %v, want one result", rs, err)
	}
	if want := "cannot parse: unknown instruction USR"; rs[0].Message != want {
		t.Errorf("dockerfile-parse message = %q, want %q", rs[0].Message, want)
	}
}

// TestTemplateSkipped: a templated Dockerfile is no failure:
// dockerfile-parse notes it as NotApplicable, naming it, and the other
// checks find no Dockerfile.
func TestTemplateSkipped(t *testing.T) {
	src := "FROM {{ base_image }}\n{% if proxy %}\nENV http_proxy={{ proxy }}\n{% endif %}\n"
	r := tree("roles/app/files/Dockerfile", src)
	for _, c := range Checks() {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		want := config.Result{Status: config.NotApplicable, Message: "no Dockerfile"}
		if c.ID == "dockerfile-parse" {
			want = config.Result{Status: config.NotApplicable, Path: "roles/app/files/Dockerfile",
				Message: "skipped: a template that is not a Dockerfile until rendered (line 3: Syntax error - can't find = in \"p*****\". Must be of the form: name=value)"}
		}
		if diff := cmp.Diff([]config.Result{want}, rs); diff != "" {
			t.Errorf("%s on a template (-want +got):\n%s", c.ID, diff)
		}
	}
}
