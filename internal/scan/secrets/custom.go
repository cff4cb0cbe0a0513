package secrets

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxCustomLen bounds a custom rule's max_len: the chunked reader keeps
// that much overlap and its buffers grow with it.
const maxCustomLen = 64 << 10

// ruleFile is the YAML form of a file of extra rules:
//
//	rules:
//	  - id: acme-api-token
//	    title: ACME API token
//	    severity: high
//	    keywords: [acme_]
//	    pattern: '\b(?P<secret>acme_[A-Za-z0-9]{32})\b'
//	    min_entropy: 3.5
type ruleFile struct {
	Rules []ruleSpec `yaml:"rules"`
}

// ruleSpec is one rule of a rule file; the fields mirror Rule.
type ruleSpec struct {
	ID              string   `yaml:"id"`
	Title           string   `yaml:"title"`
	Severity        string   `yaml:"severity"`
	Keywords        []string `yaml:"keywords"`
	Pattern         string   `yaml:"pattern"`
	SecretGroup     int      `yaml:"secret_group"`
	MinEntropy      float64  `yaml:"min_entropy"`
	Multiline       bool     `yaml:"multiline"`
	MaxLen          int      `yaml:"max_len"`
	Generic         bool     `yaml:"generic"`
	CredentialGroup string   `yaml:"credential_group"`
	Remediation     string   `yaml:"remediation"`
	References      []string `yaml:"references"`
}

// LoadRules reads a YAML file of extra rules (see ruleFile for its shape)
// and checks them: required fields, severity names, lower-case keywords
// of at least 3 bytes (they are lower-cased for you), patterns that
// compile, secret groups that exist and ids that are unique within the
// file. Errors wrap pipeline.ErrInvalid and read "FILE:LINE:COL: FIELD:
// problem".
func LoadRules(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read rule file %s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read rule file %s: %w", path, err)
	}
	return parseRules(path, data)
}

// parseRules parses and checks the rule file named name holding data.
func parseRules(name string, data []byte) ([]Rule, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(file.Docs) == 0 || file.Docs[0].Body == nil {
		return nil, fmt.Errorf("%w rule file %s: empty file; want a list of rules under the key \"rules\"", pipeline.ErrInvalid, name)
	}
	if len(file.Docs) > 1 {
		return nil, fieldError(name, file, "$", "", "one YAML document expected, found %d", len(file.Docs))
	}
	var rf ruleFile
	if err := decodeNode(file.Docs[0].Body, &rf); err != nil {
		return nil, yamlError(name, err)
	}
	if len(rf.Rules) == 0 {
		return nil, fieldError(name, file, "$", "rules", "no rules; want a list of rules under the key \"rules\"")
	}
	seen := map[string]bool{}
	out := make([]Rule, 0, len(rf.Rules))
	for i, spec := range rf.Rules {
		at := fmt.Sprintf("$.rules[%d]", i)
		r, field, err := spec.rule()
		if err == nil && seen[r.ID] {
			field, err = "id", fmt.Errorf("duplicate id %q", r.ID)
		}
		if err != nil {
			return nil, fieldError(name, file, at, field, "%v", err)
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return out, nil
}

// decodeNode decodes a YAML node into v, rejecting unknown fields. The
// YAML library panics on some malformed documents (seen with tagged
// nodes); such a panic becomes an error, as a rule file is user input.
func decodeNode(n ast.Node, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed YAML: %v", p)
			if tk := n.GetToken(); tk != nil {
				err = fmt.Errorf("malformed YAML near line %d: %v", tk.Position.Line, p)
			}
		}
	}()
	return yaml.NodeToValue(n, v, yaml.DisallowUnknownField())
}

// idPattern is the shape of a rule id: kebab-case.
const idPattern = `^[a-z0-9]+(?:[-_.][a-z0-9]+)*$`

// rule turns a spec into a checked Rule; on error it names the field.
func (spec ruleSpec) rule() (Rule, string, error) {
	r := Rule{
		ID: spec.ID, Title: spec.Title, Pattern: spec.Pattern, SecretGroup: spec.SecretGroup,
		MinEntropy: spec.MinEntropy, Multiline: spec.Multiline, MaxLen: spec.MaxLen, Generic: spec.Generic,
		CredentialGroup: spec.CredentialGroup, Remediation: spec.Remediation, References: spec.References,
	}
	if ok, _ := regexp.MatchString(idPattern, r.ID); !ok {
		return r, "id", fmt.Errorf("id %q must be kebab-case: lower-case letters, digits and dashes", r.ID)
	}
	if strings.TrimSpace(r.Title) == "" {
		return r, "title", errors.New("title is required")
	}
	sev, err := pipeline.ParseSeverity(spec.Severity)
	if err != nil {
		return r, "severity", err
	}
	r.Severity = sev
	if len(spec.Keywords) == 0 {
		return r, "keywords", errors.New("at least one keyword is required")
	}
	for _, k := range spec.Keywords {
		k = strings.ToLower(k)
		if len(k) < 3 || strings.ContainsAny(k, "\n") {
			return r, "keywords", fmt.Errorf("keyword %q must be at least 3 bytes on one line", k)
		}
		r.Keywords = append(r.Keywords, k)
	}
	re, err := regexp.Compile(r.Pattern)
	switch {
	case r.Pattern == "":
		return r, "pattern", errors.New("pattern is required")
	case err != nil:
		return r, "pattern", err
	case r.SecretGroup < 0 || r.SecretGroup > re.NumSubexp():
		return r, "secret_group", fmt.Errorf("secret_group %d but the pattern has %d groups", r.SecretGroup, re.NumSubexp())
	case r.MinEntropy < 0 || r.MinEntropy > 8:
		return r, "min_entropy", fmt.Errorf("min_entropy %v must be between 0 and 8 bits per byte", r.MinEntropy)
	case r.MaxLen < 0 || r.MaxLen > maxCustomLen:
		return r, "max_len", fmt.Errorf("max_len %d must be between 0 and %d", r.MaxLen, maxCustomLen)
	}
	check := r
	if err := check.compile(); err != nil {
		return r, "pattern", err
	}
	return r, "", nil
}

// fieldError names the file, line and column of the field at path
// (a YAML path such as "$.rules[2]") followed by field, or of the nearest
// enclosing node that exists.
func fieldError(name string, file *ast.File, at, field, format string, args ...any) error {
	where := name
	full := at
	if field != "" {
		full = at + "." + field
	}
	for _, p := range []string{full, at} {
		if pos := position(file, p); pos != "" {
			where = name + ":" + pos
			break
		}
	}
	label := strings.TrimPrefix(strings.TrimPrefix(full, "$"), ".")
	if label == "" {
		label = "document"
	}
	return fmt.Errorf("%w rule file %s: %s: %s", pipeline.ErrInvalid, where, label, fmt.Sprintf(format, args...))
}

// position returns "line:col" of the node at a YAML path, or "".
func position(file *ast.File, at string) string {
	p, err := yaml.PathString(at)
	if err != nil {
		return ""
	}
	n, err := p.FilterFile(file)
	if err != nil || n == nil || n.GetToken() == nil {
		return ""
	}
	pos := n.GetToken().Position
	return fmt.Sprintf("%d:%d", pos.Line, pos.Column)
}

// yamlError turns a YAML syntax or type error into "FILE:LINE:COL: problem".
func yamlError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		return fmt.Errorf("%w rule file %s:%d:%d: %s", pipeline.ErrInvalid, name, pos.Line, pos.Column, ye.GetMessage())
	}
	return fmt.Errorf("%w rule file %s: %w", pipeline.ErrInvalid, name, err)
}
