package threat

import (
	"net/netip"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

func TestIntelDetector(t *testing.T) {
	in := fakeIntel{
		domains: map[string]intel.Category{"guarddutyc2activityb.com": intel.CategoryC2,
			"supportxmr.com": intel.CategoryMining, "bad.example": intel.CategoryCustom},
		ips: map[netip.Addr]intel.Category{netip.MustParseAddr("203.0.113.7"): intel.CategoryCustom,
			netip.MustParseAddr("198.51.100.1"): intel.CategoryC2},
	}
	cfg := Config{Intel: in}
	only := []string{TypeC2Domain, TypeC2IP, TypeMiningDomain, TypeMaliciousDomain, TypeMaliciousIP}
	runDetectorCases(t, only, []detectorCase{
		{name: "c2 domain", cfg: cfg, lines: []string{ev(`"type":"dns","pid":1,"comm":"curl","query":"GuardDutyC2ActivityB.com."`)}, want: []string{TypeC2Domain}},
		{name: "mining subdomain", cfg: cfg, lines: []string{ev(`"type":"dns","query":"pool.supportxmr.com"`)}, want: []string{TypeMiningDomain}},
		{name: "custom domain", cfg: cfg, lines: []string{ev(`"type":"dns","query":"x.bad.example"`)}, want: []string{TypeMaliciousDomain}},
		{name: "custom ip", cfg: cfg, lines: []string{ev(`"type":"connect","dst_ip":"203.0.113.7","dst_port":443`)}, want: []string{TypeMaliciousIP}},
		{name: "c2 ip", cfg: cfg, lines: []string{ev(`"type":"connect","dst_ip":"198.51.100.1","dst_port":443`)}, want: []string{TypeC2IP}},
		{name: "deduplicated", cfg: cfg, lines: []string{ev(`"type":"dns","query":"guarddutyc2activityb.com"`), ev(`"type":"dns","query":"guarddutyc2activityb.com"`)}, want: []string{TypeC2Domain}},
		{name: "clean", cfg: cfg, lines: []string{ev(`"type":"dns","query":"example.com"`), ev(`"type":"connect","dst_ip":"203.0.113.8","dst_port":443`)}},
		{name: "no intel", lines: []string{ev(`"type":"dns","query":"guarddutyc2activityb.com"`)}},
	})
}

func TestIntelDetectorRealSet(t *testing.T) {
	set := intel.NewSet(intel.Default(), nil)
	got := ruleIDs(detectLines(t, Config{Intel: set}, ev(`"type":"dns","query":"guarddutyc2activityb.com"`)))
	if len(got) != 1 || got[0] != TypeC2Domain {
		t.Errorf("findings = %v, want [%s]", got, TypeC2Domain)
	}
}
