package buildspec

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxSuiteDepth bounds the nesting of testsuite elements.
const maxSuiteDepth = 256

// suiteFrame is a testsuite element being read.
type suiteFrame struct {
	name      string
	attrs     map[string]string
	counted   pipeline.TestSuite // from its testcase children
	caseTime  float64
	children  int // nested testsuite elements
	testcases int
	depth     int // element depth of the testsuite element
}

// caseFrame is a testcase element being read.
type caseFrame struct {
	failed, errored, skipped bool
	depth                    int
}

// ParseJUnit reads a JUnit XML report (a testsuites or testsuite root, as
// written by JUnit, Maven Surefire, pytest, go-junit-report and others)
// and returns one TestSuite per testsuite element that holds test cases
// (testsuite elements that only group other suites are left out, so
// nothing is counted twice). A suite's counts come from its attributes
// (tests, failures, errors, skipped or disabled, time in seconds) where
// present and valid, else from its testcase elements. The error says why
// the input is not a JUnit report.
func ParseJUnit(r io.Reader) ([]pipeline.TestSuite, error) {
	dec := xml.NewDecoder(r)
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	p := &junitParser{root: true}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read JUnit XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := p.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			p.end()
		}
	}
	if p.root {
		return nil, errors.New("not a JUnit XML report: no root element")
	}
	return p.suites, nil
}

// junitParser is the state of ParseJUnit.
type junitParser struct {
	suites []pipeline.TestSuite
	stack  []*suiteFrame
	tc     *caseFrame // the testcase being read
	root   bool       // no element seen yet
	depth  int        // of the current element
}

// start handles a start tag.
func (p *junitParser) start(t xml.StartElement) error {
	p.depth++
	name := t.Name.Local
	if p.root {
		p.root = false
		if name != "testsuites" && name != "testsuite" {
			return fmt.Errorf("not a JUnit XML report: the root element is <%s>, not <testsuites> or <testsuite>", name)
		}
	}
	switch {
	case name == "testsuite" && p.tc == nil:
		if len(p.stack) >= maxSuiteDepth {
			return fmt.Errorf("read JUnit XML: testsuite elements nested more than %d deep", maxSuiteDepth)
		}
		if len(p.stack) > 0 {
			p.stack[len(p.stack)-1].children++
		}
		p.stack = append(p.stack, newSuiteFrame(t.Attr, p.depth))
	case name == "testcase" && len(p.stack) > 0 && p.tc == nil:
		p.tc = &caseFrame{depth: p.depth}
		top := p.stack[len(p.stack)-1]
		top.testcases++
		if secs, ok := seconds(attr(t.Attr, "time")); ok {
			top.caseTime += secs
		}
	case p.tc != nil && name == "failure":
		p.tc.failed = true
	case p.tc != nil && name == "error":
		p.tc.errored = true
	case p.tc != nil && name == "skipped":
		p.tc.skipped = true
	}
	return nil
}

// end handles an end tag: it closes the testcase or testsuite it ends.
func (p *junitParser) end() {
	p.depth--
	switch {
	case p.tc != nil && p.depth < p.tc.depth:
		countCase(&p.stack[len(p.stack)-1].counted, p.tc)
		p.tc = nil
	case len(p.stack) > 0 && p.depth < p.stack[len(p.stack)-1].depth:
		top := p.stack[len(p.stack)-1]
		p.stack = p.stack[:len(p.stack)-1]
		if top.testcases > 0 || top.children == 0 {
			p.suites = append(p.suites, top.suite())
		}
	}
}

func newSuiteFrame(attrs []xml.Attr, depth int) *suiteFrame {
	f := &suiteFrame{attrs: map[string]string{}, depth: depth}
	for _, a := range attrs {
		f.attrs[a.Name.Local] = a.Value
	}
	f.name = f.attrs["name"]
	return f
}

// countCase adds one finished test case to the counts.
func countCase(c *pipeline.TestSuite, tc *caseFrame) {
	c.Tests++
	switch {
	case tc.errored:
		c.Errors++
	case tc.failed:
		c.Failures++
	case tc.skipped:
		c.Skipped++
	}
}

// suite returns the suite's counts: attributes win over counted cases.
func (f *suiteFrame) suite() pipeline.TestSuite {
	s := f.counted
	s.Name = f.name
	s.Tests = count(f.attrs["tests"], s.Tests)
	s.Failures = count(f.attrs["failures"], s.Failures)
	s.Errors = count(f.attrs["errors"], s.Errors)
	if v, ok := f.attrs["skipped"]; ok {
		s.Skipped = count(v, s.Skipped)
	} else {
		s.Skipped = count(f.attrs["disabled"], s.Skipped)
	}
	secs, ok := seconds(f.attrs["time"])
	if !ok {
		secs = f.caseTime
	}
	if d := secs * float64(time.Second); d < float64(math.MaxInt64) && d >= 0 {
		s.Duration = time.Duration(d)
	}
	return s
}

// count parses a non-negative count attribute, or returns def.
func count(v string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// seconds parses a time attribute in seconds ("1.5", "1,234.5").
func seconds(v string) (float64, bool) {
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e9 {
		return 0, false
	}
	return f, true
}

func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
