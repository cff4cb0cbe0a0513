package buildspec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestParseJUnit(t *testing.T) {
	tests := []struct {
		file    string
		want    []pipeline.TestSuite
		wantErr string
	}{
		{
			file: "surefire.xml",
			want: []pipeline.TestSuite{{Name: "com.example.AppTest", Tests: 4, Failures: 1, Errors: 1, Skipped: 1, Duration: 1234 * time.Millisecond}},
		},
		{
			file: "pytest.xml",
			want: []pipeline.TestSuite{{Name: "pytest", Tests: 2, Failures: 1, Duration: 51 * time.Millisecond}},
		},
		{
			file: "nested.xml",
			want: []pipeline.TestSuite{
				{Name: "inner-a", Tests: 2, Failures: 1, Duration: 2 * time.Second},
				{Name: "inner-b", Tests: 3, Skipped: 1, Duration: 1000500 * time.Millisecond},
			},
		},
		{
			file: "latin1.xml",
			want: []pipeline.TestSuite{{Name: "latin", Tests: 1, Duration: 2 * time.Second}},
		},
		{file: "notjunit.xml", wantErr: "the root element is <html>"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "junit", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseJUnit(f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseJUnit(%s) = %v, %v; want error %q", tt.file, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJUnit(%s): %v", tt.file, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseJUnit(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseJUnitMalformed(t *testing.T) {
	for _, in := range []string{"", "   ", "<testsuite", "<testsuite></testcase>", strings.Repeat("<testsuite>", maxSuiteDepth+1)} {
		if got, err := ParseJUnit(strings.NewReader(in)); err == nil {
			t.Errorf("ParseJUnit(%.40q) = %v, want an error", in, got)
		}
	}
}

func FuzzJUnit(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "junit", "*.xml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<testsuite tests="-3" failures="x" time="NaN"><testcase><testcase><failure/></testcase></testcase></testsuite>`))
	f.Add([]byte(`<testsuites><testcase/><testsuite><testcase time="1e300"/></testsuite></testsuites>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		suites, err := ParseJUnit(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, s := range suites {
			if s.Tests < 0 || s.Failures < 0 || s.Errors < 0 || s.Skipped < 0 || s.Duration < 0 {
				t.Errorf("negative count in %+v from %q", s, data)
			}
		}
	})
}
