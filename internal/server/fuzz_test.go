package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/server/repourl"
)

// FuzzDecodeRequest feeds request bodies to the JSON decoding of the API:
// no panic, and every refusal is a 400 or a 413.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"repo": "/x"}`, `{"repo": "/x", "colour": 1}`, `{"repo": 5}`, `[1]`, `{"filter": {"paths": ["a"]}}`,
		`{"poll_interval": "5m"}{}`, `{"name": "\u0000"}`, `{"paused": tru`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&pipelineRequest{}, &pipelinePatch{}, &releaseRequest{}, &retryRequest{},
			&decisionRequest{}, &tokenRequest{}, &promoteRequest{}} {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := decode(httptest.NewRecorder(), r, v, true)
			if err == nil {
				continue
			}
			var ae *apiError
			var tooLarge *http.MaxBytesError
			if !errors.As(err, &ae) && !errors.As(err, &tooLarge) {
				t.Fatalf("decode(%q) = %v, not an API error", body, err)
			}
			if ae != nil && ae.status != http.StatusBadRequest {
				t.Fatalf("decode(%q) = %d, want 400", body, ae.status)
			}
		}
	})
}

// FuzzPipelineFields checks the validation of registration fields: no
// panic, and what passes is usable (a clean relative dir, a repo that is
// not an option).
func FuzzPipelineFields(f *testing.F) {
	for _, s := range []string{"", ".", "ci", "./ci/", "../x", "/abs", `a\..\..\b`, "git@host:x.git", "https://u:p@h/r",
		"-x", "5m", "1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if dir, err := cleanDir(s); err == nil {
			if strings.HasPrefix(dir, "/") || dir == ".." || strings.HasPrefix(dir, "../") || dir == "." {
				t.Errorf("cleanDir(%q) = %q", s, dir)
			}
		}
		if err := checkRepo(s); err == nil && strings.HasPrefix(s, "-") {
			t.Errorf("checkRepo(%q) accepts an option", s)
		}
		if d, err := parsePollInterval(s); err == nil && d != 0 && d < MinPollInterval {
			t.Errorf("parsePollInterval(%q) = %s", s, d)
		}
		_ = maskCredentials(s)
		_ = repourl.Display(s)
	})
}

// FuzzLogSender turns arbitrary log output into SSE events: every line
// of the stream is a field or a separator, and the data fields hold the
// log's text without its line breaks.
func FuzzLogSender(f *testing.F) {
	for _, s := range []string{"", "one\ntwo\n", "no newline", "cr\r\nlf\n", "\r\r\n\n", strings.Repeat("x", maxLogLine+3)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, log []byte) {
		var out bytes.Buffer
		ls := &logSender{w: &out}
		ls.feed(log)
		ls.finish("succeeded")
		var data strings.Builder
		ended := false
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			switch {
			case line == "", strings.HasPrefix(line, "id: "):
			case line == "event: end":
				ended = true
			case strings.HasPrefix(line, "data: "):
				if !ended {
					data.WriteString(strings.TrimPrefix(line, "data: "))
				}
			default:
				t.Fatalf("stream line %q", line)
			}
		}
		if !ended {
			t.Error("no end event")
		}
		want := strings.NewReplacer("\r", "", "\n", "").Replace(string(log))
		if data.String() != want {
			t.Errorf("data = %q, want %q", data.String(), want)
		}
	})
}
