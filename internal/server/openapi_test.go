package server

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// openAPI is the part of docs/openapi.yaml the route test reads.
type openAPI struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Parameters map[string]struct {
			Name string `yaml:"name"`
			In   string `yaml:"in"`
		} `yaml:"parameters"`
	} `yaml:"components"`
}

var pathParam = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// TestOpenAPICoversRoutes fails when a route is missing from
// docs/openapi.yaml or the file documents one the server lacks, when a
// path parameter is not declared, or when an operation's security or the
// role in its summary disagrees with the route.
func TestOpenAPICoversRoutes(t *testing.T) {
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	s := &Server{}
	for _, rt := range s.apiRoutes() {
		path := pathParam.ReplaceAllString(rt.path, "{$1}")
		key := rt.method + " " + path
		if !documented[key] {
			t.Errorf("route %s is not in docs/openapi.yaml", key)
			continue
		}
		delete(documented, key)
		op, _ := doc.Paths[path][strings.ToLower(rt.method)].(map[string]any)
		checkParams(t, key, path, doc, doc.Paths[path]["parameters"], op["parameters"])
		checkSecurity(t, key, op, string(rt.role))
	}
	for key := range documented {
		t.Errorf("docs/openapi.yaml documents %s, which the server does not serve", key)
	}
}

// checkParams checks that every {param} of path is declared as a path
// parameter, at the path or the operation.
func checkParams(t *testing.T, key, path string, doc openAPI, lists ...any) {
	t.Helper()
	declared := map[string]bool{}
	for _, l := range lists {
		params, _ := l.([]any)
		for _, p := range params {
			m, _ := p.(map[string]any)
			name, in := m["name"], m["in"]
			if ref, ok := m["$ref"].(string); ok {
				c := doc.Components.Parameters[strings.TrimPrefix(ref, "#/components/parameters/")]
				name, in = c.Name, c.In
			}
			if in == "path" {
				declared[name.(string)] = true
			}
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		if !declared[m[1]] {
			t.Errorf("%s: path parameter %s is not declared", key, m[1])
		}
	}
}

// checkSecurity checks that unauthenticated routes say so and that the
// summary of the others names their role.
func checkSecurity(t *testing.T, key string, op map[string]any, role string) {
	t.Helper()
	sec, hasSec := op["security"].([]any)
	summary, _ := op["summary"].(string)
	switch {
	case role == "" && (!hasSec || len(sec) != 0):
		t.Errorf("%s needs no token, but openapi.yaml does not say security: []", key)
	case role != "" && hasSec:
		t.Errorf("%s needs a token, but openapi.yaml overrides its security", key)
	case role != "" && !strings.HasSuffix(summary, "("+role+")"):
		t.Errorf("%s needs the %s role, but its summary %q does not end with (%s)", key, role, summary, role)
	}
	if !slices.Contains([]string{"", "viewer", "operator", "admin"}, role) {
		t.Errorf("%s: unexpected role %q", key, role)
	}
}
