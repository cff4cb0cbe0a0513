package ssh

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// mainConfig is the file sshd reads first; relative Include paths are
// taken from its directory, as sshd does.
const (
	mainConfig = "etc/ssh/sshd_config"
	configDir  = "etc/ssh"
	// maxIncludeDepth is sshd's limit on nested Include directives.
	maxIncludeDepth = 16
	// maxFiles bounds the files one configuration reads, so that Include
	// lines repeating a file cannot make the parse explode.
	maxFiles = 256
)

// directive is one keyword line of sshd_config or of a file it includes.
type directive struct {
	// Keyword is lower case; sshd matches keywords case-insensitively.
	Keyword string
	// Name is the keyword as written.
	Name string
	Args []string
	// Path and Line locate the line, root-relative.
	Path string
	Line int
	// Match holds the criteria of the enclosing Match block ("User bob"),
	// empty for global lines; Block numbers the blocks (0: global).
	Match string
	Block int
	// Included is true for lines read through an Include.
	Included bool
}

// where describes the directive's place for messages:
// "etc/ssh/sshd_config.d/50-cloud.conf:3 via Include".
func (d directive) where() string {
	s := fmt.Sprintf("%s:%d", d.Path, d.Line)
	if d.Included {
		s += " via Include"
	}
	return s
}

// problem is a line sshd would reject, kept so that a malformed file never
// stops the other checks.
type problem struct {
	Path string
	Line int
	Err  string
}

// sshdConfig is the parsed server configuration: every directive of
// sshd_config and the files it includes, in the order sshd reads them.
type sshdConfig struct {
	// Present is false when etc/ssh/sshd_config does not exist.
	Present    bool
	Files      []string
	Directives []directive
	Problems   []problem
}

// global returns the directive that decides a keyword outside Match
// blocks: the first one, as sshd keeps the first value it obtains. kws
// are the keyword and its aliases, lower case.
func (c *sshdConfig) global(kws ...string) (directive, bool) {
	for _, d := range c.Directives {
		if d.Block == 0 && slices.Contains(kws, d.Keyword) {
			return d, true
		}
	}
	return directive{}, false
}

// inMatch returns, for each Match block that sets a keyword (or one of
// its aliases), its first value: the value connections matching that
// block get.
func (c *sshdConfig) inMatch(kws ...string) []directive {
	seen := map[int]bool{}
	var out []directive
	for _, d := range c.Directives {
		if d.Block != 0 && slices.Contains(kws, d.Keyword) && !seen[d.Block] {
			seen[d.Block] = true
			out = append(out, d)
		}
	}
	return out
}

// all returns every directive for kw, wherever it appears.
func (c *sshdConfig) all(kw string) []directive {
	var out []directive
	for _, d := range c.Directives {
		if d.Keyword == kw {
			out = append(out, d)
		}
	}
	return out
}

// loadSSHD reads etc/ssh/sshd_config and its includes from r. A missing
// main file yields a config with Present false; missing includes are
// skipped, as sshd skips an Include that matches nothing.
func loadSSHD(r rootfs.Root) (*sshdConfig, error) {
	c := &sshdConfig{}
	data, err := r.ReadFile(mainConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", mainConfig, err)
	}
	c.Present = true
	p := &parser{r: r, c: c}
	if err := p.file(mainConfig, data, scope{}, 0, false); err != nil {
		return nil, err
	}
	return c, nil
}

// scope is the Match block lines belong to.
type scope struct {
	match string
	block int
}

type parser struct {
	r      rootfs.Root
	c      *sshdConfig
	blocks int
}

// file parses one file in scope sc. A Match line changes the scope until
// the end of this file only: sshd restores the includer's state when an
// included file ends.
func (p *parser) file(name string, data []byte, sc scope, depth int, included bool) error {
	p.c.Files = append(p.c.Files, name)
	for i, line := range strings.Split(string(data), "\n") {
		kw, args, err := splitLine(line)
		if err != nil {
			p.c.Problems = append(p.c.Problems, problem{name, i + 1, err.Error()})
			continue
		}
		switch lower := strings.ToLower(kw); lower {
		case "":
		case "match":
			sc = p.matchScope(args)
		case "include":
			for _, pat := range args {
				if err := p.include(pat, name, i+1, sc, depth+1); err != nil {
					return err
				}
			}
		default:
			p.c.Directives = append(p.c.Directives, directive{
				Keyword: lower, Name: kw, Args: args, Path: name, Line: i + 1,
				Match: sc.match, Block: sc.block, Included: included,
			})
		}
	}
	return nil
}

// matchScope opens a new Match block; "Match all" returns to lines that
// apply to every connection.
func (p *parser) matchScope(args []string) scope {
	if len(args) == 1 && strings.EqualFold(args[0], "all") {
		return scope{}
	}
	p.blocks++
	return scope{match: strings.Join(args, " "), block: p.blocks}
}

// include reads every file matching pat (relative paths are taken from
// /etc/ssh), in sorted order as glob(3) returns them.
func (p *parser) include(pat, from string, line int, sc scope, depth int) error {
	if depth > maxIncludeDepth {
		p.c.Problems = append(p.c.Problems, problem{from, line, "too many nested Include directives"})
		return nil
	}
	if !strings.HasPrefix(pat, "/") {
		pat = configDir + "/" + pat
	}
	for _, name := range globRoot(p.r, strings.TrimLeft(path.Clean(pat), "/")) {
		if !isRegular(p.r, name) {
			continue
		}
		if len(p.c.Files) >= maxFiles {
			p.c.Problems = append(p.c.Problems, problem{from, line, "too many included files"})
			return nil
		}
		data, err := p.r.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read %s (Include at %s:%d): %w", name, from, line, err)
		}
		if err := p.file(name, data, sc, depth, true); err != nil {
			return err
		}
	}
	return nil
}

// globRoot expands pattern against r. The directory part is resolved
// through symlinks when it holds no wildcard, so that a linked
// sshd_config.d still lists its files.
func globRoot(r rootfs.Root, pattern string) []string {
	dir, base := path.Split(pattern)
	dir = strings.TrimSuffix(dir, "/")
	if !hasMeta(pattern) {
		return []string{pattern}
	}
	if hasMeta(dir) {
		var out []string
		for _, e := range rootfs.Glob(r, pattern) {
			out = append(out, e.Path)
		}
		return out
	}
	real, err := rootfs.Resolve(r, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range rootfs.Dir(r, real) {
		name := path.Base(e.Path)
		if ok, _ := path.Match(base, name); ok && !strings.HasPrefix(name, ".") {
			out = append(out, path.Join(dir, name))
		}
	}
	return out
}

// isRegular reports whether p resolves, through symlinks inside r, to a
// regular file.
func isRegular(r rootfs.Root, p string) bool {
	real, err := rootfs.Resolve(r, p)
	if err != nil {
		return false
	}
	e, ok := r.Lookup(real)
	return ok && e.Mode.IsRegular()
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// splitLine splits one line as sshd does: a keyword ended by white space
// or '=', then arguments with double or single quotes and backslash
// escapes; a '#' starting an argument begins a comment. Blank and comment
// lines return an empty keyword.
func splitLine(line string) (string, []string, error) {
	s := strings.Trim(line, " \t\r\f\v")
	if s == "" || s[0] == '#' {
		return "", nil, nil
	}
	end := strings.IndexAny(s, " \t=")
	if end < 0 {
		return "", nil, fmt.Errorf("no argument after keyword %q", s)
	}
	kw, rest := s[:end], strings.TrimLeft(s[end:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	args, err := splitArgs(rest)
	if err != nil {
		return "", nil, fmt.Errorf("keyword %s: %w", kw, err)
	}
	if len(args) == 0 {
		return "", nil, fmt.Errorf("no argument after keyword %q", kw)
	}
	return kw, args, nil
}

// splitArgs splits s into words, honouring quotes and backslash escapes.
func splitArgs(s string) ([]string, error) {
	var args []string
	for i := 0; i < len(s); {
		if s[i] == ' ' || s[i] == '\t' {
			i++
			continue
		}
		if s[i] == '#' {
			break
		}
		arg, next, err := readArg(s, i)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		i = next
	}
	return args, nil
}

// readArg reads the word starting at s[i] and returns it with the index
// just past it.
func readArg(s string, i int) (string, int, error) {
	var b strings.Builder
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			return b.String(), i, nil
		case c == '\\' && i+1 < len(s) && (strings.IndexByte(`'"\`, s[i+1]) >= 0 || quote == 0 && s[i+1] == ' '):
			i++
			b.WriteByte(s[i])
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		default:
			b.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", i, errors.New("unterminated quote")
	}
	return b.String(), i, nil
}
