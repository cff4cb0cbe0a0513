package dockerfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitShell(t *testing.T) {
	tests := []struct {
		name   string
		script string
		// words of each command; a leading "|" marks one whose stdin is
		// piped from the command feeder names (by index).
		want    [][]string
		feeders []int
	}{
		{
			name:    "and list",
			script:  "apt-get update   && apt-get install -y curl",
			want:    [][]string{{"apt-get", "update"}, {"apt-get", "install", "-y", "curl"}},
			feeders: []int{-1, -1},
		},
		{
			name:    "pipe into shell",
			script:  "curl -fsSL https://example.com/install.sh | bash -s -- --yes",
			want:    [][]string{{"curl", "-fsSL", "https://example.com/install.sh"}, {"bash", "-s", "--", "--yes"}},
			feeders: []int{-1, 0},
		},
		{
			name:    "quotes and escapes",
			script:  `echo "a b" 'c|d' e\ f "x\"y"`,
			want:    [][]string{{"echo", "a b", "c|d", "e f", `x"y`}},
			feeders: []int{-1},
		},
		{
			name:    "redirections dropped",
			script:  "echo hi > /tmp/x 2>&1; cat < in >>out",
			want:    [][]string{{"echo", "hi"}, {"cat"}},
			feeders: []int{-1, -1},
		},
		{
			name:    "comment and newline",
			script:  "set -e # strict\nmake all\n",
			want:    [][]string{{"set", "-e"}, {"make", "all"}},
			feeders: []int{-1, -1},
		},
		{
			name:    "command substitution kept",
			script:  `sh -c "$(curl -fsSL https://x/y)" && echo $(date +%s)`,
			want:    [][]string{{"sh", "-c", "$(curl -fsSL https://x/y)"}, {"$(curl -fsSL https://x/y)"}, {"echo", "$(date +%s)"}},
			feeders: []int{-1, -1, -1},
		},
		{
			name:    "sh -c script split",
			script:  `su app -c true; /bin/sh -ec 'cd /src && make'`,
			want:    [][]string{{"su", "app", "-c", "true"}, {"/bin/sh", "-ec", "cd /src && make"}, {"cd", "/src"}, {"make"}},
			feeders: []int{-1, -1, -1, -1},
		},
		{
			name:    "keywords and groups",
			script:  "if true; then { wget -qO- x; } | sh; fi",
			want:    [][]string{{"true"}, {"wget", "-qO-", "x"}, {"sh"}},
			feeders: []int{-1, -1, 1},
		},
		{
			name:    "subshell piped",
			script:  "(curl x) | sh",
			want:    [][]string{{"curl", "x"}, {"sh"}},
			feeders: []int{-1, 0},
		},
		{
			name:    "here-document body skipped",
			script:  "cat <<EOF > /etc/x\napt-get upgrade\nEOF\nrm -f y",
			want:    [][]string{{"cat"}, {"rm", "-f", "y"}},
			feeders: []int{-1, -1},
		},
		{
			name:    "process substitution",
			script:  "bash <(curl -s x)",
			want:    [][]string{{"bash", "<(curl -s x)"}},
			feeders: []int{-1},
		},
		{
			name:    "pipe continues after newline and or-list",
			script:  "a |\n b || c |& d &",
			want:    [][]string{{"a"}, {"b"}, {"c"}, {"d"}},
			feeders: []int{-1, 0, -1, 2},
		},
		{
			name:    "unterminated quotes",
			script:  `echo "abc $(x 'y`,
			want:    [][]string{{"echo", "abc $(x 'y"}},
			feeders: []int{-1},
		},
		{name: "empty", script: "", want: nil, feeders: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds := splitShell(tt.script)
			var words [][]string
			var feeders []int
			for _, c := range cmds {
				words = append(words, c.words)
				feeders = append(feeders, c.feeder)
			}
			if diff := cmp.Diff(tt.want, words); diff != "" {
				t.Errorf("splitShell(%q) words (-want +got):\n%s", tt.script, diff)
			}
			if diff := cmp.Diff(tt.feeders, feeders); diff != "" {
				t.Errorf("splitShell(%q) feeders (-want +got):\n%s", tt.script, diff)
			}
		})
	}
}

func TestProgram(t *testing.T) {
	tests := []struct {
		words    []string
		wantName string
		wantArgs []string
	}{
		{[]string{"DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "x"}, "apt-get", []string{"install", "x"}},
		{[]string{"sudo", "-u", "app", "-E", "/usr/bin/pip3", "install"}, "pip3", []string{"install"}},
		{[]string{"env", "-i", "A=b", "nice", "-n", "5", "make"}, "make", []string{}},
		{[]string{"A=1"}, "", nil},
		{[]string{"exec", "--", "sh"}, "sh", []string{}},
	}
	for _, tt := range tests {
		name, args := program(tt.words)
		if name != tt.wantName || !cmp.Equal(args, tt.wantArgs, cmpEmpty) {
			t.Errorf("program(%q) = %q, %q, want %q, %q", tt.words, name, args, tt.wantName, tt.wantArgs)
		}
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})

func TestWorldWritable(t *testing.T) {
	tests := []struct {
		mode string
		want bool
	}{
		{"777", true}, {"0777", true}, {"766", true}, {"755", false}, {"1777", false},
		{"o+w", true}, {"a+rwx", true}, {"u+x,o+w", true}, {"go-w", false}, {"+w", false},
		{"u=rwx,g=rx,o=rx", false}, {"o=rwx", true}, {"", false},
	}
	for _, tt := range tests {
		if got := worldWritable(tt.mode); got != tt.want {
			t.Errorf("worldWritable(%q) = %v, want %v", tt.mode, got, tt.want)
		}
	}
}
