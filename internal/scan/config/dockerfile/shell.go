package dockerfile

import (
	"path"
	"strings"
)

// shellCmd is one simple command of a shell script: its words with quotes
// removed (command substitutions are kept as written), and whether its
// standard input comes from the command before it through a pipe.
type shellCmd struct {
	words []string
	piped bool
	// feeder is the index, in the list splitShell returns, of the command
	// piping into this one; -1 when none.
	feeder int
}

// maxNesting bounds how deep `sh -c SCRIPT` arguments are split.
const maxNesting = 4

// splitShell splits a POSIX shell script into simple commands. It
// understands quoting, escapes, comments, control operators (&& || ; | &
// and newlines), subshells, braces, redirections and here-documents; it
// expands nothing. The script of `sh -c SCRIPT` is split too, its
// commands following the wrapper's.
func splitShell(script string) []shellCmd {
	return splitNested(script, 0)
}

func splitNested(script string, depth int) []shellCmd {
	lx := &lexer{src: script}
	lx.run()
	var out []shellCmd
	prev := -1
	for _, c := range lx.cmds {
		c.words = dropKeywords(c.words)
		c.feeder = -1
		if c.piped {
			c.feeder = prev
		}
		if len(c.words) == 0 {
			// A closing brace or parenthesis: a pipe after it reads
			// from the group, whose last command stays prev.
			continue
		}
		prev = len(out)
		out = append(out, c)
		inner, ok := shellScript(c.words)
		if !ok || depth >= maxNesting {
			continue
		}
		base := len(out)
		for _, ic := range splitNested(inner, depth+1) {
			if ic.feeder >= 0 {
				ic.feeder += base
			}
			out = append(out, ic)
		}
	}
	return out
}

// keywords are reserved words that may start a command; the command proper
// follows them.
var keywords = map[string]bool{
	"!": true, "{": true, "}": true, "if": true, "then": true, "else": true, "elif": true,
	"fi": true, "do": true, "done": true, "while": true, "until": true, "esac": true,
}

func dropKeywords(words []string) []string {
	for len(words) > 0 && keywords[words[0]] {
		words = words[1:]
	}
	return words
}

// shells are the programs that run a script given with -c or on stdin.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "ash": true, "mksh": true}

// shellScript returns the script of `sh -c SCRIPT` (any flag cluster
// holding c).
func shellScript(words []string) (string, bool) {
	name, args := program(words)
	if !shells[name] {
		return "", false
	}
	for i, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			return "", false
		}
		if !strings.HasPrefix(a, "--") && strings.Contains(a, "c") && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// program returns the name (base name) of the program a command runs and
// its arguments, looking past leading variable assignments and wrappers
// such as sudo, env, nice and exec.
func program(words []string) (string, []string) {
	for len(words) > 0 {
		w := words[0]
		switch {
		case isAssignment(w):
			words = words[1:]
		case wrapperArgs[path.Base(w)] != nil:
			words = skipWrapper(words)
		default:
			return path.Base(w), words[1:]
		}
	}
	return "", nil
}

// wrapperArgs lists, per wrapper program, its options that take a value.
var wrapperArgs = map[string]map[string]bool{
	"sudo":    {"-u": true, "-g": true, "-C": true, "-D": true, "-h": true, "-p": true, "-r": true, "-t": true, "-U": true},
	"env":     {"-u": true, "-C": true, "-S": true},
	"nice":    {"-n": true},
	"nohup":   {},
	"time":    {},
	"command": {},
	"exec":    {"-a": true},
	"stdbuf":  {"-i": true, "-o": true, "-e": true},
}

// skipWrapper drops a wrapper, its options and (for env) its assignments.
func skipWrapper(words []string) []string {
	valued := wrapperArgs[path.Base(words[0])]
	words = words[1:]
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "--":
			return words[1:]
		case valued[w]:
			words = words[min(2, len(words)):]
		case strings.HasPrefix(w, "-") && len(w) > 1, isAssignment(w):
			words = words[1:]
		default:
			return words
		}
	}
	return words
}

// isAssignment reports whether w is NAME=value.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// feeders returns the commands of cmds that feed command i through pipes,
// nearest first.
func feeders(cmds []shellCmd, i int) []shellCmd {
	var out []shellCmd
	for n := 0; n < len(cmds) && cmds[i].feeder >= 0; n++ {
		i = cmds[i].feeder
		out = append(out, cmds[i])
	}
	return out
}
