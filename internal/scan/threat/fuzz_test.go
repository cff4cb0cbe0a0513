package threat

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func FuzzReaderJSON(f *testing.F) {
	f.Add(`{"time":"2026-11-28T10:00:00Z","type":"exec","argv":["sh","-c","x\u00e9\ud83d\ude00"],"fds":{"0":"socket:tcp:1.2.3.4:1","1":"pipe"}}`)
	f.Add(`{"time":"2026-11-28T10:00:00Z","type":"connect","dst_ip":"::ffff:1.2.3.4","dst_port":25,"z":[{"a":1e5}]}`)
	f.Add(`{"time":"2026-11-28T10:00:00Z","type":"dns","query":"kqlxtqptsmys.com","answers":["169.254.169.254"]}`)
	f.Add(`{"time":null,"type":"file","op":"write","path":"/etc/cron.d/x"}`)
	f.Add(`{"a":[[[[[[[[`)
	f.Fuzz(func(t *testing.T, in string) {
		fuzzDetect(t, in)
	})
}

func FuzzReaderDNS(f *testing.F) {
	f.Add("2026-11-28T10:00:00Z 10.0.0.2 example.com A\n")
	f.Add("# c\n2026-11-28T10:00:00.5+01:00 ::1 x.example. AAAA 169.254.169.254 a\n")
	f.Add("2026-11-28T10:00:00Z 10.0.0.2\n")
	f.Fuzz(func(t *testing.T, in string) {
		fuzzDetect(t, in)
	})
}

// fuzzDetect checks that reading and detecting never panic, that strict
// errors name the file and wrap ErrInvalid, and that lenient mode never fails.
func fuzzDetect(t *testing.T, in string) {
	r := NewReader("f", strings.NewReader(in), ReadOptions{})
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, pipeline.ErrInvalid) || !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error %v does not name the file or wrap ErrInvalid", err)
			}
			break
		}
	}
	lr := NewReader("f", strings.NewReader(in), ReadOptions{Lenient: true})
	cfg := Config{AllowedPorts: []int{443}, Manifest: map[string]bool{}}
	if _, err := Detect(context.Background(), lr, cfg, func(pipeline.Finding) error { return nil }); err != nil {
		t.Fatalf("lenient Detect: %v", err)
	}
}
