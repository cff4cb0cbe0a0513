package threat

import (
	"fmt"
	"testing"
	"time"
)

func exfilQueries(n int, domain string, step time.Duration) []string {
	var out []string
	t0 := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for i := range n {
		out = append(out, fmt.Sprintf(`{"time":%q,"type":"dns","pid":9,"comm":"sh","query":"%032x.%s"}`,
			t0.Add(time.Duration(i)*step).Format(time.RFC3339Nano), i*7919+1, domain))
	}
	return out
}

func TestExfilDetector(t *testing.T) {
	only := []string{TypeDNSExfiltration}
	runDetectorCases(t, only, []detectorCase{
		{name: "many long labels", lines: exfilQueries(25, "exfil.example", time.Second), want: only},
		{name: "below threshold", lines: exfilQueries(19, "exfil.example", time.Second)},
		{name: "spread beyond window", lines: exfilQueries(25, "exfil.example", 10*time.Second)},
		{name: "custom threshold", cfg: Config{ExfilLabels: 5}, lines: exfilQueries(5, "exfil.example", time.Second), want: only},
		{name: "well-known provider", lines: exfilQueries(25, "amazonaws.com", time.Second)},
		{name: "repeated label", lines: repeat(ev(`"type":"dns","query":"0123456789abcdef0123456789abcdef.exfil.example"`), 30)},
	})
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
