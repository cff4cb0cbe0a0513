package dockerfile

import "strings"

// redirKind says what the next word of a command is.
type redirKind int

const (
	redirNone    redirKind = iota
	redirFile              // the target of > < >> and the like: dropped
	redirHeredoc           // a here-document delimiter: dropped, body skipped
)

// lexer splits a shell script into simple commands (see splitShell).
type lexer struct {
	src  string
	pos  int
	cmds []shellCmd
	cur  []string
	word strings.Builder
	// inWord is true once a word has started, even an empty quoted one.
	inWord bool
	// piped is true when the next command reads from a pipe.
	piped    bool
	redirect redirKind
	// heredocs are delimiters whose bodies start after the next newline.
	heredocs []string
}

func (lx *lexer) run() {
	for lx.pos < len(lx.src) {
		lx.step()
	}
	lx.endWord()
	lx.endCmd(false)
}

// step consumes one token or character.
func (lx *lexer) step() {
	c := lx.src[lx.pos]
	switch {
	case c == '\'':
		lx.single()
	case c == '"':
		lx.double()
	case c == '\\':
		lx.escape()
	case c == '$' && lx.peek(1) == '(':
		lx.addRaw(lx.balanced(lx.pos+1, '(', ')'))
	case c == '$' && lx.peek(1) == '{':
		lx.addRaw(lx.balanced(lx.pos+1, '{', '}'))
	case c == '`':
		lx.addRaw(lx.backtick())
	case c == '#' && !lx.inWord:
		lx.comment()
	case c == ' ' || c == '\t' || c == '\r':
		lx.endWord()
		lx.pos++
	case c == '\n':
		lx.endWord()
		lx.endCmd(false)
		lx.pos++
		lx.skipHeredocs()
	case c == ';' || c == '(' || c == ')':
		lx.endWord()
		lx.endCmd(false)
		lx.pos++
	case c == '&' || c == '|':
		lx.control(c)
	case c == '<' || c == '>':
		lx.redirection()
	default:
		lx.word.WriteByte(c)
		lx.inWord = true
		lx.pos++
	}
}

func (lx *lexer) peek(n int) byte {
	if lx.pos+n < len(lx.src) {
		return lx.src[lx.pos+n]
	}
	return 0
}

func (lx *lexer) addRaw(s string) {
	lx.word.WriteString(s)
	lx.inWord = true
}

// endWord finishes the current word: a command word, or the target of a
// pending redirection.
func (lx *lexer) endWord() {
	if !lx.inWord {
		return
	}
	w := lx.word.String()
	lx.word.Reset()
	lx.inWord = false
	switch lx.redirect {
	case redirHeredoc:
		lx.heredocs = append(lx.heredocs, w)
	case redirNone:
		lx.cur = append(lx.cur, w)
	}
	lx.redirect = redirNone
}

// endCmd finishes the current command; pipe says whether the next one
// reads from it. An empty command (after a closing parenthesis, or a
// newline after |) keeps a pending pipe.
func (lx *lexer) endCmd(pipe bool) {
	if len(lx.cur) == 0 {
		lx.piped = lx.piped || pipe
		return
	}
	lx.cmds = append(lx.cmds, shellCmd{words: lx.cur, piped: lx.piped})
	lx.cur = nil
	lx.piped = pipe
}

// control handles & && &> | || |&.
func (lx *lexer) control(c byte) {
	next := lx.peek(1)
	if c == '&' && next == '>' {
		lx.redirection()
		return
	}
	lx.endWord()
	switch {
	case next == c: // && ||
		lx.endCmd(false)
		lx.pos += 2
	case c == '|' && next == '&':
		lx.endCmd(true)
		lx.pos += 2
	default:
		lx.endCmd(c == '|')
		lx.pos++
	}
}

// redirection handles < > >> << <<- <<< >& <& &> &>> >| and the process
// substitutions <(...) >(...), which stay part of the word.
func (lx *lexer) redirection() {
	if p := lx.peek(1); (lx.src[lx.pos] == '<' || lx.src[lx.pos] == '>') && p == '(' {
		lx.addRaw(lx.balanced(lx.pos+1, '(', ')'))
		return
	}
	if w := lx.word.String(); lx.inWord && strings.Trim(w, "0123456789") == "" {
		lx.word.Reset() // a file descriptor number: 2>&1
		lx.inWord = false
	}
	lx.endWord()
	op := lx.src[lx.pos:]
	n := len(op) - len(strings.TrimLeft(op, "<>&|-"))
	op = op[:n]
	lx.pos += n
	switch {
	case strings.HasPrefix(op, "<<<"):
		lx.redirect = redirFile
	case strings.HasPrefix(op, "<<"):
		lx.redirect = redirHeredoc
	default:
		lx.redirect = redirFile
	}
}

func (lx *lexer) single() {
	end := strings.IndexByte(lx.src[lx.pos+1:], '\'')
	if end < 0 {
		end = len(lx.src) - lx.pos - 1
	}
	lx.addRaw(lx.src[lx.pos+1 : lx.pos+1+end])
	lx.pos += end + 2
}

func (lx *lexer) double() {
	lx.inWord = true
	lx.pos++
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == '"':
			lx.pos++
			return
		case c == '\\' && strings.IndexByte("$`\"\\\n", lx.peek(1)) >= 0:
			if lx.peek(1) != '\n' {
				lx.word.WriteByte(lx.peek(1))
			}
			lx.pos += 2
		case c == '$' && lx.peek(1) == '(':
			lx.word.WriteString(lx.balanced(lx.pos+1, '(', ')'))
		case c == '`':
			lx.word.WriteString(lx.backtick())
		default:
			lx.word.WriteByte(c)
			lx.pos++
		}
	}
}

func (lx *lexer) escape() {
	switch next := lx.peek(1); next {
	case '\n': // line continuation
	case 0:
	default:
		lx.word.WriteByte(next)
		lx.inWord = true
	}
	lx.pos += 2
}

func (lx *lexer) comment() {
	end := strings.IndexByte(lx.src[lx.pos:], '\n')
	if end < 0 {
		end = len(lx.src) - lx.pos
	}
	lx.pos += end
}

// balanced returns the text from pos-1 (a '$' or the like, when present)
// through the close matching the open at src[open], skipping quoted
// parts, and moves past it. An unbalanced opening runs to the end.
func (lx *lexer) balanced(open int, o, c byte) string {
	start := lx.pos
	depth := 0
	i := open
	for ; i < len(lx.src); i++ {
		switch lx.src[i] {
		case o:
			depth++
		case c:
			depth--
		case '\\':
			i++
		case '\'', '"':
			if end := strings.IndexByte(lx.src[i+1:], lx.src[i]); end >= 0 {
				i += end + 1
			}
		}
		if depth == 0 {
			break
		}
	}
	end := min(i+1, len(lx.src))
	lx.pos = end
	return lx.src[start:end]
}

func (lx *lexer) backtick() string {
	start := lx.pos
	end := strings.IndexByte(lx.src[start+1:], '`')
	if end < 0 {
		lx.pos = len(lx.src)
		return lx.src[start:]
	}
	lx.pos = start + end + 2
	return lx.src[start:lx.pos]
}

// skipHeredocs skips the bodies of the here-documents opened on the line
// just ended: each runs up to a line holding only its delimiter.
func (lx *lexer) skipHeredocs() {
	for _, delim := range lx.heredocs {
		for lx.pos < len(lx.src) {
			end := strings.IndexByte(lx.src[lx.pos:], '\n')
			if end < 0 {
				end = len(lx.src) - lx.pos
			}
			line := strings.TrimLeft(lx.src[lx.pos:lx.pos+end], "\t")
			lx.pos = min(lx.pos+end+1, len(lx.src))
			if strings.TrimRight(line, "\r") == delim {
				break
			}
		}
	}
	lx.heredocs = nil
}
