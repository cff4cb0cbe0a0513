package threat

import (
	"fmt"
	"testing"
)

func TestSpambotDetector(t *testing.T) {
	only := []string{TypeSpambot}
	c := func(port int) string {
		return ev(fmt.Sprintf(`"type":"connect","proto":"tcp","dst_ip":"192.0.2.25","dst_port":%d`, port))
	}
	runDetectorCases(t, only, []detectorCase{
		{name: "25", lines: []string{c(25)}, want: only},
		{name: "465 and 587", lines: []string{c(465), c(587)}, want: []string{TypeSpambot, TypeSpambot}},
		{name: "https", lines: []string{c(443)}},
	})
}

func connects(hosts, ports int) []string {
	var out []string
	for h := range hosts {
		for p := range ports {
			out = append(out, ev(fmt.Sprintf(`"type":"connect","proto":"tcp","dst_ip":"10.1.0.%d","dst_port":%d`, h+1, 1000+p)))
		}
	}
	return out
}

func TestPortscanDetector(t *testing.T) {
	only := []string{TypePortscan}
	runDetectorCases(t, only, []detectorCase{
		{name: "ports of one host", lines: connects(1, 25), want: only},
		{name: "one port of many hosts", lines: connects(25, 1), want: only},
		{name: "few", lines: connects(3, 3)},
		{name: "configured", cfg: Config{PortScanPorts: 3, PortScanHosts: 100}, lines: connects(1, 3), want: only},
	})
}

func TestPortUnusualDetector(t *testing.T) {
	only := []string{TypePortUnusual}
	c := func(port int) string {
		return ev(fmt.Sprintf(`"type":"connect","proto":"tcp","dst_ip":"192.0.2.1","dst_port":%d`, port))
	}
	allow := Config{AllowedPorts: []int{443, 8080}}
	runDetectorCases(t, only, []detectorCase{
		{name: "not allowed", cfg: allow, lines: []string{c(8443)}, want: only},
		{name: "listen not allowed", cfg: allow, lines: []string{ev(`"type":"listen","proto":"tcp","port":4444`)}, want: only},
		{name: "allowed", cfg: allow, lines: []string{c(443), ev(`"type":"listen","proto":"tcp","port":8080`)}},
		{name: "no list given", lines: []string{c(8443)}},
	})
}

func TestMetadataDetector(t *testing.T) {
	only := []string{TypeMetadataAccess}
	runDetectorCases(t, only, []detectorCase{
		{name: "connect", lines: []string{ev(`"type":"connect","dst_ip":"169.254.169.254","dst_port":80`)}, want: only},
		{name: "ipv6", lines: []string{ev(`"type":"connect","dst_ip":"fd00:ec2::254","dst_port":80`)}, want: only},
		{name: "url", lines: []string{ev(`"type":"exec","argv":["curl","http://169.254.169.254/latest/meta-data/iam/"]`)}, want: only},
		{name: "dns answer", lines: []string{ev(`"type":"dns","query":"metadata.example","answers":["169.254.169.254"]`)}, want: only},
		{name: "other link-local", lines: []string{ev(`"type":"connect","dst_ip":"169.254.169.25","dst_port":80`), ev(`"type":"exec","argv":["ping","169.254.169.2541"]`)}},
	})
}
