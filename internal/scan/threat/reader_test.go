package threat

import (
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func readAll(t *testing.T, in string, opts ReadOptions) ([]Event, *Reader, error) {
	t.Helper()
	r := NewReader("events.jsonl", strings.NewReader(in), opts)
	var out []Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		out = append(out, e)
	}
}

func TestReaderJSON(t *testing.T) {
	in := `{"time":"2026-11-28T10:00:00.123Z","type":"exec","pid":42,"ppid":1,"uid":0,"comm":"sh","exe":"/bin/sh","argv":["sh","-c","echo \"hi\" \u00e9"],"cwd":"/","fds":{"0":"socket:tcp:10.0.0.9:4444","1":"socket:tcp:10.0.0.9:4444","2":"pipe","7":"x"},"extra":{"a":[1,true,null]}}

{"time":"2026-11-28T10:00:01Z","type":"connect","pid":42,"comm":"curl","proto":"tcp","dst_ip":"203.0.113.7","dst_port":443,"src_port":51000}
`
	got, _, err := readAll(t, in, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Line: 1, Time: time.Date(2026, 11, 28, 10, 0, 0, 123e6, time.UTC), Type: EventExec, PID: 42, PPID: 1, Comm: "sh",
			Exe: "/bin/sh", Argv: []string{"sh", "-c", "echo \"hi\" é"}, Cwd: "/",
			FDs: [3]string{"socket:tcp:10.0.0.9:4444", "socket:tcp:10.0.0.9:4444", "pipe"}},
		{Line: 3, Time: time.Date(2026, 11, 28, 10, 0, 1, 0, time.UTC), Type: EventConnect, PID: 42, Comm: "curl",
			Proto: "tcp", DstIP: netip.MustParseAddr("203.0.113.7"), DstPort: 443, SrcPort: 51000},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestReaderDNSLog(t *testing.T) {
	in := "# dns log\n2026-11-28T10:00:00Z 10.0.0.2 example.com A\n2026-11-28T10:00:01Z 10.0.0.2 m.example AAAA 169.254.169.254\n" +
		`{"time":"2026-11-28T10:00:02Z","type":"dns","query":"x.example","qtype":"A"}` + "\n"
	got, r, err := readAll(t, in, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatDNS || len(got) != 3 {
		t.Fatalf("format %v, %d events, want dns, 3", r.Format(), len(got))
	}
	if got[0].Query != "example.com" || got[0].SrcIP.String() != "10.0.0.2" || got[1].Answers[0] != "169.254.169.254" || got[2].Query != "x.example" {
		t.Errorf("events = %+v", got)
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "not json", in: `{"time":"2026-11-28T10:00:00Z","type":"dns"}` + "\nnope\n", want: "events.jsonl:2: invalid"},
		{name: "missing time", in: `{"type":"dns"}`, want: `events.jsonl:1: invalid: missing "time"`},
		{name: "missing type", in: "\n" + `{"time":"2026-11-28T10:00:00Z"}`, want: `events.jsonl:2: invalid: missing "type"`},
		{name: "bad time", in: `{"time":"yesterday","type":"dns"}`, want: "events.jsonl:1: invalid: field \"time\": bad time"},
		{name: "bad ip", in: `{"time":"2026-11-28T10:00:00Z","type":"connect","dst_ip":"999.1.1.1"}`, want: "bad IP address"},
		{name: "trailing", in: `{"time":"2026-11-28T10:00:00Z","type":"dns"} x`, want: "trailing data"},
		{name: "bad dns line", in: "2026-11-28T10:00:00Z 10.0.0.2 example.com", want: "events.jsonl:1: invalid: want TIME"},
		{name: "too long", in: `{"time":"2026-11-28T10:00:00Z","type":"dns","x":"` + strings.Repeat("a", MaxLineBytes) + `"}`, want: "line longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.in, ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("error = %v, want one containing %q and wrapping ErrInvalid", err, tc.want)
			}
		})
	}
}

func TestReaderLenient(t *testing.T) {
	in := "{bad\n" + `{"time":"2026-11-28T10:00:00Z","type":"dns","query":"a.example"}` + "\n{\"type\":\"dns\"}\n" +
		`{"time":"2026-11-28T10:00:00Z","type":"dns","x":"` + strings.Repeat("a", MaxLineBytes) + `"}` + "\n" +
		`{"time":"2026-11-28T10:00:01Z","type":"dns","query":"b.example"}`
	got, r, err := readAll(t, in, ReadOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Line != 5 || r.Skipped() != 3 || len(r.Warnings()) != 3 {
		t.Errorf("got %d events (last line %d), skipped %d, want 2 (line 5), 3", len(got), got[len(got)-1].Line, r.Skipped())
	}
}

func TestCommandLineRedaction(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{argv: []string{"mysql", "-p", "hunter2", "-h", "db"}, want: "mysql -p ***** -h db"},
		{argv: []string{"app", "--password=hunter2"}, want: "app --password=*****"},
		{argv: []string{"curl", "https://x.example/?token=abc123&q=1"}, want: "curl https://x.example/?token=*****&q=1"},
		{argv: []string{"git", "clone", "https://user:pa55@git.example/r"}, want: "git clone https://user:*****@git.example/r"},
		{argv: []string{"xmrig", "-o", "stratum+tcp://pool:3333"}, want: "xmrig -o stratum+tcp://pool:3333"},
	}
	for _, tc := range tests {
		if got := commandLine(tc.argv); got != tc.want {
			t.Errorf("commandLine(%q) = %q, want %q", tc.argv, got, tc.want)
		}
	}
}
