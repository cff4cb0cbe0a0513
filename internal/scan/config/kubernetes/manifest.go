package kubernetes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// maxSize bounds the YAML files read; larger ones are skipped with a note.
const maxSize = 8 << 20

// skipDirs are directories whose contents are not the project's own.
var skipDirs = map[string]bool{".git": true, "node_modules": true}

// object is one Kubernetes object: a YAML document with apiVersion and
// kind.
type object struct {
	apiVersion, kind, name string
	// line is the line of the object's kind.
	line int
	body *node
}

// label names the object in messages: "Deployment web".
func (o *object) label() string {
	if o.name == "" {
		return o.kind
	}
	return o.kind + " " + o.name
}

// note says why part of a file was not checked (a Helm template that is
// not YAML, a file too large); checks report it as NotApplicable.
type note struct {
	path string
	line int
	msg  string
}

// manifests is what a source tree holds: its objects and its notes.
type manifests struct {
	objects []*object
	notes   []note
}

// isYAML reports whether a root-relative path may hold manifests.
func isYAML(p string) bool {
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if skipDirs[path.Base(dir)] {
			return false
		}
	}
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// source is a candidate file: its path and contents, or a note on why it
// was not read.
type source struct {
	path string
	data []byte
	skip string
}

// readSources reads the YAML files of r that mention apiVersion and kind,
// in path order, and returns them with a hash of their paths and contents.
func readSources(ctx context.Context, r rootfs.Root) ([]source, [sha256.Size]byte, error) {
	var out []source
	h := sha256.New()
	for _, e := range r.Entries() {
		if !e.Mode.IsRegular() || !isYAML(e.Path) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, [sha256.Size]byte{}, err
		}
		if e.Size > maxSize {
			fmt.Fprintf(h, "%s\x00skip\x00", e.Path)
			out = append(out, source{path: e.Path, skip: fmt.Sprintf("skipped: larger than %d MiB", maxSize>>20)})
			continue
		}
		data, err := r.ReadFile(e.Path)
		if err != nil {
			return nil, [sha256.Size]byte{}, fmt.Errorf("read %s: %w", e.Path, err)
		}
		if !bytes.Contains(data, []byte("apiVersion")) || !bytes.Contains(data, []byte("kind")) {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Path, len(data))
		h.Write(data)
		out = append(out, source{path: e.Path, data: data})
	}
	return out, [sha256.Size]byte(h.Sum(nil)), nil
}

// parseSources collects the Kubernetes objects and workloads of the
// files read. A file that does not parse (a document that is not YAML but
// looks like a manifest, or a pod spec field the checks read that has the
// wrong shape) is left out whole and recorded as a failure naming its
// line; the other files are kept. A document that is a Helm template
// ({{ }}) is skipped with a note; anything else that is not a manifest is
// ignored.
func parseSources(srcs []source) *tree {
	t := &tree{m: &manifests{}}
	for _, src := range srcs {
		if src.skip != "" {
			t.m.notes = append(t.m.notes, note{path: src.path, msg: src.skip})
			t.parsed = append(t.parsed, config.Result{Status: config.NotApplicable, Path: src.path, Message: src.skip})
			continue
		}
		f := &manifests{}
		ws, err := f.parseFile(src.path, src.data)
		if err != nil {
			t.parsed = append(t.parsed, unparsed(src.path, err))
			continue
		}
		t.m.objects = append(t.m.objects, f.objects...)
		t.m.notes = append(t.m.notes, f.notes...)
		t.ws = append(t.ws, ws...)
		if len(f.objects) > 0 {
			t.parsed = append(t.parsed, config.Result{Status: config.Pass, Path: src.path, Message: parsesMessage(len(f.objects))})
		}
		for _, n := range f.notes {
			t.parsed = append(t.parsed, config.Result{Status: config.NotApplicable, Path: n.path, Line: n.line, Message: n.msg})
		}
	}
	return t
}

// parseFile adds the objects of one file to m and returns its workloads.
func (m *manifests) parseFile(p string, data []byte) ([]*workload, error) {
	if err := m.addFile(p, data); err != nil {
		return nil, err
	}
	return m.workloads()
}

// parsesMessage says what a file that parsed holds.
func parsesMessage(objects int) string {
	if objects == 1 {
		return "parses: 1 Kubernetes object"
	}
	return fmt.Sprintf("parses: %d Kubernetes objects", objects)
}

// fileError is a manifest the checks cannot read: its path, the line at
// fault (0 when unknown) and what is wrong, never the text of the file.
// It reads "invalid PATH:LINE: problem" and wraps pipeline.ErrInvalid.
type fileError struct {
	path string
	line int
	msg  string
}

func (e *fileError) Error() string {
	return fmt.Sprintf("%v %s:%d: %s", pipeline.ErrInvalid, e.path, e.line, e.msg)
}

func (e *fileError) Unwrap() error { return pipeline.ErrInvalid }

// unparsed is the failure of the file at p to parse.
func unparsed(p string, err error) config.Result {
	r := config.Result{Status: config.Fail, Path: p, Message: "cannot parse: " + err.Error()}
	var fe *fileError
	if errors.As(err, &fe) {
		r.Line, r.Message = fe.line, "cannot parse: "+fe.msg
	}
	return r
}

// load reads and parses the manifests of r.
func load(ctx context.Context, r rootfs.Root) (*tree, error) {
	srcs, _, err := readSources(ctx, r)
	if err != nil {
		return nil, err
	}
	return parseSources(srcs), nil
}

// addFile adds the objects of one YAML file, parsing it a document at a
// time so that one template document does not hide the others.
func (m *manifests) addFile(p string, data []byte) error {
	// YAML reads CRLF as one line break; the parser counts lines better
	// without the CR.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	for _, chunk := range splitDocuments(data) {
		if err := m.addDocument(p, chunk); err != nil {
			return err
		}
	}
	return nil
}

var (
	manifestLike = regexp.MustCompile(`(?m)^\s*apiVersion\s*:`)
	kindLike     = regexp.MustCompile(`(?m)^\s*kind\s*:`)
)

func (m *manifests) addDocument(p string, c chunk) error {
	file, err := parser.ParseBytes(c.data, 0)
	if err != nil {
		line, msg := syntaxError(err)
		switch {
		case bytes.Contains(c.data, []byte("{{")):
			m.notes = append(m.notes, note{path: p, line: line + c.offset,
				msg: fmt.Sprintf("skipped: Helm template that is not YAML until rendered (%s)", msg)})
			return nil
		case manifestLike.Match(c.data) && kindLike.Match(c.data):
			return &fileError{path: p, line: line + c.offset, msg: msg}
		}
		return nil
	}
	for _, d := range file.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		dc := &doc{path: p, offset: c.offset, anchors: anchors(d.Body)}
		if err := m.addObject(&node{v: d.Body, doc: dc, line: dc.lineOf(d.Body)}, 0); err != nil {
			return err
		}
	}
	return nil
}

// addObject adds a document's body when it is a Kubernetes object, and
// the items of a List.
func (m *manifests) addObject(body *node, depth int) error {
	apiVersion, _ := body.get("apiVersion").str()
	kind := body.get("kind")
	kindText, _ := kind.str()
	if !body.isMap() || apiVersion == "" || kindText == "" {
		return nil
	}
	name, _ := body.get("metadata").get("name").str()
	o := &object{apiVersion: apiVersion, kind: kindText, name: name, line: kind.line, body: body}
	m.objects = append(m.objects, o)
	if !strings.HasSuffix(kindText, "List") || depth > 0 {
		return nil
	}
	items, err := body.get("items").items()
	if err != nil {
		return err
	}
	for _, it := range items {
		it.field = ""
		if err := m.addObject(it, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// anchors maps the anchor names of a document to their nodes.
func anchors(body ast.Node) map[string]ast.Node {
	out := map[string]ast.Node{}
	for _, n := range ast.Filter(ast.AnchorType, body) {
		if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil && a.Name.GetToken() != nil {
			out[a.Name.GetToken().Value] = a
		}
	}
	return out
}

// syntaxError returns the line (within the parsed text) and message of a
// YAML error, without the source excerpt the library adds and with quoted
// text masked: either may show a secret.
func syntaxError(err error) (int, string) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		return ye.GetToken().Position.Line, mask(ye.GetMessage())
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return 0, mask(msg)
}

// quoted matches the double-quoted text of a YAML error: the values the
// library quotes from the file (a tag, a block header option). Its own
// single-quoted words (',' or '}') are kept.
var quoted = regexp.MustCompile(`"[^"]*"`)

// mask replaces the quoted text of a message with its redacted form.
func mask(s string) string {
	return quoted.ReplaceAllStringFunc(s, func(q string) string {
		return `"` + pipeline.Redact(q[1:len(q)-1]) + `"`
	})
}

// chunk is one YAML document's text and the number of lines before it.
type chunk struct {
	data   []byte
	offset int
}

// splitDocuments cuts a YAML stream at its document markers (--- and ...
// at the start of a line, which YAML forbids inside content). Directive
// lines (%YAML) stay with the document they precede.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	start, startLine, line := 0, 0, 0
	content, directive := false, false
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data) - pos
		}
		text := data[pos : pos+end]
		if isMarker(text) && pos > start && (content || !directive) {
			out = append(out, chunk{data: data[start:pos], offset: startLine})
			start, startLine, content, directive = pos, line, false, false
		}
		switch t := bytes.TrimSpace(text); {
		case len(t) == 0 || t[0] == '#' || isMarker(text):
		case t[0] == '%':
			directive = true
		default:
			content = true
		}
		pos += end + 1
	}
	if start < len(data) {
		out = append(out, chunk{data: data[start:], offset: startLine})
	}
	return out
}

// isMarker reports whether a line is a document marker: --- or ...
// followed by nothing, a space or a tab.
func isMarker(line []byte) bool {
	line = bytes.TrimRight(line, "\r")
	for _, m := range [][]byte{[]byte("---"), []byte("...")} {
		if bytes.HasPrefix(line, m) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
			return true
		}
	}
	return false
}
