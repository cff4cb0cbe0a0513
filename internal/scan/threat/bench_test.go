package threat

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// benchLog generates n realistic events: mostly DNS lookups and connects
// of a web service, some execs and file writes, a few attacks.
func benchLog(n int) []byte {
	var b bytes.Buffer
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	hosts := []string{"api.example.com", "s3.amazonaws.com", "d111111abcdef8.cloudfront.net", "db.internal", "kqlxtqptsmys.com", "guarddutyc2activityb.com"}
	for i := range n {
		ts := t0.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		switch i % 10 {
		case 0, 1, 2:
			fmt.Fprintf(&b, `{"time":%q,"type":"dns","pid":%d,"comm":"app","query":"%s","qtype":"A","answers":["203.0.113.%d"]}`+"\n", ts, 100+i%50, hosts[i%len(hosts)], i%250)
		case 3, 4, 5:
			fmt.Fprintf(&b, `{"time":%q,"type":"connect","pid":%d,"comm":"app","proto":"tcp","dst_ip":"203.0.113.%d","dst_port":%d,"src_port":%d}`+"\n", ts, 100+i%50, i%250, []int{443, 80, 5432, 25}[i%4], 30000+i%30000)
		case 6, 7:
			fmt.Fprintf(&b, `{"time":%q,"type":"exec","pid":%d,"ppid":1,"uid":0,"comm":"sh","exe":"/bin/sh","argv":["sh","-c","/usr/local/bin/job --id %d"],"cwd":"/","fds":{"0":"/dev/null","1":"pipe","2":"pipe"}}`+"\n", ts, 1000+i, i)
		default:
			fmt.Fprintf(&b, `{"time":%q,"type":"file","pid":%d,"comm":"app","op":"write","path":"/var/lib/app/data-%d.db"}`+"\n", ts, 100+i%50, i%100)
		}
	}
	return b.Bytes()
}

func BenchmarkDetect(b *testing.B) {
	const n = 1_000_000
	data := benchLog(n)
	cfg := Config{Intel: intel.NewSet(intel.Default(), nil), AllowedPorts: []int{443, 80, 5432}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := NewReader("bench.jsonl", bytes.NewReader(data), ReadOptions{})
		st, err := Detect(context.Background(), r, cfg, func(pipeline.Finding) error { return nil })
		if err != nil || st.Events != n {
			b.Fatalf("Detect: %v, %d events", err, st.Events)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}

func BenchmarkReader(b *testing.B) {
	data := benchLog(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader("bench.jsonl", bytes.NewReader(data), ReadOptions{})
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
