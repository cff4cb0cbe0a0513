package vex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// timeEqual compares times by instant, whatever their location.
func timeEqual() cmp.Option {
	return cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustLoad(t *testing.T, name string) *Document {
	t.Helper()
	d, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("Load(%s) = %v", name, err)
	}
	return d
}

func TestParseGoldenImage(t *testing.T) {
	got := mustLoad(t, "golden-image.json")
	const image = "pkg:oci/golden-base@sha256%3A4f9e3a1c0b7d2e6f8a5c3b1d9e7f6a2c4b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f" +
		"?repository_url=registry.example.com%2Fgolden-base"
	want := &Document{
		Context:     ContextV020,
		ID:          "https://vex.example.com/golden-image/2024-03-01",
		Author:      "Platform Security <security@example.com>",
		Role:        "Image Maintainer",
		Timestamp:   mustTime(t, "2024-03-01T09:00:00Z"),
		LastUpdated: mustTime(t, "2024-03-04T15:30:00Z"),
		Version:     3,
		Tooling:     "vexctl/0.2.6",
		Statements: []Statement{{
			ID: "https://vex.example.com/golden-image/2024-03-01#kernel-vmacache",
			Vulnerability: Vulnerability{
				ID:          "https://nvd.nist.gov/vuln/detail/CVE-2018-17182",
				Name:        "CVE-2018-17182",
				Description: "vmacache_flush_all mishandles sequence number overflows",
				Aliases:     []string{"DSA-4308-1", "DEBIAN-CVE-2018-17182"},
			},
			Timestamp: mustTime(t, "2024-03-01T09:00:00Z"),
			Products: []Component{{
				ID:            image,
				Hashes:        map[string]string{"sha-256": "4f9e3a1c0b7d2e6f8a5c3b1d9e7f6a2c4b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f"},
				Subcomponents: []Subcomponent{{ID: "pkg:deb/debian/linux@4.9.110-3%2Bdeb9u4?arch=amd64&distro=debian-9"}},
			}},
			Status:          StatusNotAffected,
			Justification:   VulnerableCodeNotInExecutePath,
			ImpactStatement: "The build environment never runs this kernel: the image is launched in a sandbox on the host kernel.",
		}, {
			Vulnerability: Vulnerability{Name: "CVE-2018-14633"},
			Timestamp:     mustTime(t, "2024-03-04T15:00:00Z"),
			Products: []Component{{Identifiers: Identifiers{
				PURL: "pkg:deb/debian/linux", CPE23: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*",
			}}},
			Status:      StatusFixed,
			StatusNotes: "install_software.sh upgrades the kernel to 4.9.144-3",
		}, {
			Vulnerability:            Vulnerability{Name: "CVE-2023-4911", Aliases: []string{"DSA-5514-1"}},
			Products:                 []Component{{ID: "pkg:deb/debian/libc6@2.24-11%2Bdeb9u4?arch=amd64"}},
			Status:                   StatusAffected,
			ActionStatement:          "Rebuild the golden image on a base with glibc 2.24-11+deb9u5 or later.",
			ActionStatementTimestamp: mustTime(t, "2024-03-02T10:00:00Z"),
		}, {
			Vulnerability: Vulnerability{Name: "CVE-2024-2511"},
			Products:      []Component{{ID: "pkg:oci/golden-base?repository_url=registry.example.com%2Fgolden-base"}},
			Status:        StatusUnderInvestigation,
			StatusNotes:   "OpenSSL session cache growth; checking whether any service in the image resumes TLS sessions.",
		}, {
			Vulnerability:   Vulnerability{Name: "CVE-2021-3156"},
			Products:        []Component{{ID: "registry.example.com/golden-base:2024.03"}},
			Status:          StatusNotAffected,
			Justification:   ComponentNotPresent,
			ImpactStatement: "sudo is removed from the golden image.",
		}},
	}
	if d := cmp.Diff(want, got, timeEqual()); d != "" {
		t.Errorf("Load(golden-image.json) mismatch (-want +got):\n%s", d)
	}
}

func TestParseLegacy(t *testing.T) {
	tests := []struct {
		name string
		file string
		want *Document
	}{{
		name: "v0.0.1 strings and statement-level subcomponents",
		file: "legacy-v0.0.1.json",
		want: &Document{
			Context:   "https://openvex.dev/ns/v0.0.1",
			ID:        "https://vex.example.com/legacy/wolfi-git-1",
			Author:    "Wolfi Maintainers",
			Role:      "Document Creator",
			Timestamp: mustTime(t, "2023-01-08T18:02:03.647787998-06:00"),
			Version:   1,
			Statements: []Statement{{
				Vulnerability: Vulnerability{Name: "CVE-2023-12345", Description: "Out-of-bounds read in git archive"},
				Products: []Component{
					{ID: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7"},
					{ID: "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
				},
				Status: StatusFixed,
			}, {
				Vulnerability: Vulnerability{Name: "CVE-2023-22490"},
				Products: []Component{{
					ID:            "pkg:oci/git-image",
					Subcomponents: []Subcomponent{{ID: "pkg:apk/wolfi/git"}},
				}},
				Status:        StatusNotAffected,
				Justification: VulnerableCodeCannotBeControlledByAdversary,
			}},
		},
	}, {
		name: "unversioned context, bare product id",
		file: "legacy-ns.json",
		want: &Document{
			Context:   ContextBase,
			ID:        "https://vex.example.com/legacy/app-2",
			Author:    "App Team",
			Timestamp: mustTime(t, "2023-05-01T12:00:00Z"),
			Version:   2,
			Statements: []Statement{{
				Vulnerability:   Vulnerability{Name: "GHSA-jfh8-c2jp-5v3q"},
				Products:        []Component{{ID: "log4j-core@2.14.1"}},
				Status:          StatusNotAffected,
				ImpactStatement: "JNDI lookups are disabled by log4j2.formatMsgNoLookups=true in every launcher.",
			}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustLoad(t, tt.file)
			if d := cmp.Diff(tt.want, got, timeEqual()); d != "" {
				t.Errorf("Load(%s) mismatch (-want +got):\n%s", tt.file, d)
			}
		})
	}
}

// doc wraps statements (JSON text) in a valid v0.2.0 document.
func doc(statements string) string {
	return `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"a",
"timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[` + statements + `]}`
}

const okStatement = `{"vulnerability":{"name":"CVE-2024-1"},"products":[{"@id":"pkg:deb/debian/linux"}],"status":"fixed"}`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		field string // Field of the first FieldError
		want  string // the whole message of the first problem
	}{{
		name:  "unknown status",
		data:  doc(okStatement + `,` + okStatement + `,{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:npm/a"],"status":"maybe"}`),
		field: "statements[2].status",
		want:  `vex.json: statements[2].status: "maybe" is not a status (want not_affected, affected, fixed or under_investigation)`,
	}, {
		name:  "missing status",
		data:  doc(`{"vulnerability":"CVE-2024-2","products":["pkg:npm/a"]}`),
		field: "statements[0].status",
		want:  `vex.json: statements[0].status: missing (want not_affected, affected, fixed or under_investigation)`,
	}, {
		name:  "not_affected without reason",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:npm/a"],"status":"not_affected","impact_statement":"  "}`),
		field: "statements[0].justification",
		want:  `vex.json: statements[0].justification: missing: status not_affected needs a justification or an impact_statement`,
	}, {
		name:  "unknown justification",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:npm/a"],"status":"not_affected","justification":"not_exploitable"}`),
		field: "statements[0].justification",
		want: `vex.json: statements[0].justification: "not_exploitable" is not a justification (want component_not_present, ` +
			`vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary ` +
			`or inline_mitigations_already_exist)`,
	}, {
		name:  "no vulnerability",
		data:  doc(`{"products":["pkg:npm/a"],"status":"fixed"}`),
		field: "statements[0].vulnerability",
		want:  `vex.json: statements[0].vulnerability: missing`,
	}, {
		name:  "vulnerability without name",
		data:  doc(`{"vulnerability":{"@id":"https://nvd.nist.gov/vuln/detail/CVE-2024-2"},"products":["pkg:npm/a"],"status":"fixed"}`),
		field: "statements[0].vulnerability.name",
		want:  `vex.json: statements[0].vulnerability.name: missing`,
	}, {
		name:  "vulnerability of the wrong kind",
		data:  doc(`{"vulnerability":42,"products":["pkg:npm/a"],"status":"fixed"}`),
		field: "statements[0].vulnerability",
		want:  `vex.json: statements[0].vulnerability: got number, want an object or a string`,
	}, {
		name:  "empty alias",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2","aliases":["GHSA-x",""]},"products":["pkg:npm/a"],"status":"fixed"}`),
		field: "statements[0].vulnerability.aliases[1]",
		want:  `vex.json: statements[0].vulnerability.aliases[1]: empty`,
	}, {
		name:  "no products",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":[],"status":"fixed"}`),
		field: "statements[0].products",
		want:  `vex.json: statements[0].products: missing: a statement needs at least one product`,
	}, {
		name:  "product naming nothing",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":[{"@id":"pkg:oci/img","subcomponents":[{}]}],"status":"fixed"}`),
		field: "statements[0].products[0].subcomponents[0]",
		want:  `vex.json: statements[0].products[0].subcomponents[0]: no @id, identifiers or hashes: it names nothing`,
	}, {
		name:  "bad package URL",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":[{"identifiers":{"purl":"deb/debian/linux"}}],"status":"fixed"}`),
		field: "statements[0].products[0].identifiers.purl",
		want:  `vex.json: statements[0].products[0].identifiers.purl: "deb/debian/linux" is not a package URL (want pkg:TYPE/...)`,
	}, {
		name:  "malformed package URL id",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:deb"],"status":"fixed"}`),
		field: "statements[0].products[0].@id",
		want:  `vex.json: statements[0].products[0].@id: "pkg:deb" is not a valid package URL: purl is missing type or name`,
	}, {
		name:  "bad statement timestamp",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:npm/a"],"status":"fixed","timestamp":"2024-13-01"}`),
		field: "statements[0].timestamp",
		want:  `vex.json: statements[0].timestamp: "2024-13-01" is not an RFC 3339 date-time`,
	}, {
		name:  "wrong type inside a statement",
		data:  doc(`{"vulnerability":{"name":"CVE-2024-2"},"products":["pkg:npm/a"],"status":["fixed"]}`),
		field: "statements[0].status",
		want:  `vex.json: statements[0].status: got array, want a string`,
	}, {
		name:  "missing context",
		data:  `{"statements":[` + okStatement + `]}`,
		field: "@context",
		want:  `vex.json: @context: missing (want https://openvex.dev/ns/v0.2.0)`,
	}, {
		name:  "foreign context",
		data:  `{"@context":"https://cyclonedx.org/schema/bom-1.5","statements":[` + okStatement + `]}`,
		field: "@context",
		want: `vex.json: @context: "https://cyclonedx.org/schema/bom-1.5" is not a supported OpenVEX context ` +
			`(want https://openvex.dev/ns/v0.2.0, https://openvex.dev/ns or https://openvex.dev/ns/v0.0.x)`,
	}, {
		name:  "no statements",
		data:  `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}`,
		field: "statements",
		want:  `vex.json: statements: missing: a document needs at least one statement`,
	}, {
		name:  "bad version",
		data:  `{"@context":"https://openvex.dev/ns/v0.0.2","version":"one","statements":[` + okStatement + `]}`,
		field: "version",
		want:  `vex.json: version: "one" is not a whole number`,
	}, {
		name: "syntax error",
		data: "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [}\n",
		want: `vex.json: invalid JSON at line 3, column 18: invalid character '}' looking for beginning of value`,
	}, {
		name: "not an object",
		data: `["https://openvex.dev/ns/v0.2.0"]`,
		want: `vex.json: got array, want an object`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("vex.json", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want error %q", d, tt.want)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("Parse error %v does not wrap pipeline.ErrInvalid", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %v holds no *FieldError", err)
			}
			if fe.Field != tt.field || fe.File != "vex.json" {
				t.Errorf("FieldError{File: %q, Field: %q}, want {vex.json, %q}", fe.File, fe.Field, tt.field)
			}
			if first := strings.SplitN(err.Error(), "\n", 2)[0]; first != tt.want {
				t.Errorf("Parse error = %q, want %q", first, tt.want)
			}
		})
	}
}

func TestParseJoinsProblems(t *testing.T) {
	var stmts []string
	for range 12 {
		stmts = append(stmts, `{"vulnerability":"CVE-2024-1","products":["pkg:npm/a"],"status":"maybe"}`)
	}
	_, err := Parse("many.json", []byte(doc(strings.Join(stmts, ","))))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxJoined+1 || lines[maxJoined] != "many.json: and 2 more problems" {
		t.Errorf("Parse error has %d lines ending %q, want %d ending with the count of the rest",
			len(lines), lines[len(lines)-1], maxJoined+1)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{name: "byte order mark", data: "\ufeff" + doc(okStatement)},
		{name: "context with trailing slash", data: `{"@context":"https://openvex.dev/ns/v0.2.0/","statements":[` + okStatement + `]}`},
		{name: "v0.0.2 context", data: `{"@context":"https://openvex.dev/ns/v0.0.2","statements":[` + okStatement + `]}`},
		{name: "unknown fields", data: doc(`{"vulnerability":{"name":"CVE-2024-1"},"products":["pkg:npm/a"],"status":"fixed","x":1}`)},
		{name: "hashes only", data: doc(`{"vulnerability":"CVE-2024-1","products":[{"hashes":{"sha-256":"ab"}}],"status":"fixed"}`)},
		{name: "not_affected with impact only", data: doc(`{"vulnerability":"CVE-2024-1","products":["x"],"status":"not_affected","impact_statement":"no"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse("ok.json", []byte(tt.data)); err != nil {
				t.Errorf("Parse(%q) = %v, want nil", tt.data, err)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Load(missing) = %v, want pipeline.ErrNotFound", err)
	}
}

func TestLoadSet(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("testdata", "golden-image.json")
	s, err := LoadSet([]string{good, filepath.Join("testdata", "legacy-ns.json")})
	if err != nil || len(s) != 2 {
		t.Fatalf("LoadSet(good files) = %d documents, %v; want 2, nil", len(s), err)
	}
	_, err = LoadSet([]string{good, bad, filepath.Join(t.TempDir(), "none.json")})
	if !errors.Is(err, pipeline.ErrInvalid) || !errors.Is(err, pipeline.ErrNotFound) || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadSet(good, bad, missing) = %v, want both errors, naming %s", err, bad)
	}
}
