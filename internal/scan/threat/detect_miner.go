package threat

import (
	"strconv"
	"strings"
)

// minerNames are crypto-miner programs.
var minerNames = map[string]bool{
	"xmrig": true, "xmrig-notls": true, "xmr-stak": true, "xmr-stak-cpu": true, "minerd": true, "cpuminer": true,
	"cpuminer-multi": true, "cpuminer-opt": true, "ethminer": true, "t-rex": true, "nbminer": true, "lolminer": true,
	"phoenixminer": true, "nanominer": true, "teamredminer": true, "gminer": true, "ccminer": true, "cgminer": true,
	"bfgminer": true, "sgminer": true, "srbminer-multi": true, "xmr-node-proxy": true, "kdevtmpfsi": true,
}

// miningPorts are ports mining pools commonly serve stratum on (plus the
// Bitcoin and Monero peer ports). 4444 is left out: it is as common for
// shells as for pools.
var miningPorts = map[int]bool{3333: true, 3334: true, 5555: true, 7777: true, 8333: true, 14433: true,
	14444: true, 18080: true, 45560: true, 45700: true}

// minerDetector reports miner programs (CryptoMinerExecuted), stratum URLs
// in command lines and connections to pool ports (BitcoinTool.B).
type minerDetector struct{}

func (minerDetector) observe(e *Event, rep *reporter) {
	switch e.Type {
	case EventExec:
		var name string
		if execNames(e, func(n string) bool { name = n; return minerNames[strings.ToLower(n)] }) {
			rep.add(e, report{typ: TypeMinerExecuted, artifact: strings.ToLower(name),
				what: "exec " + name, evidence: commandLine(e.Argv), path: e.Exe})
		}
		for _, a := range e.Argv {
			if u := stratumURL(a); u != "" {
				u = redactInline(u)
				rep.add(e, report{typ: TypeMiningNetwork, artifact: u,
					what: "exec " + progName(e) + " with pool " + u, evidence: commandLine(e.Argv)})
			}
		}
	case EventConnect:
		if miningPorts[e.DstPort] && e.Proto != "udp" && e.DstIP.IsValid() {
			dst := hostPort(e.DstIP, e.DstPort)
			rep.add(e, report{typ: TypeMiningNetwork, artifact: dst,
				what: "connect " + dst + " (mining pool port " + strconv.Itoa(e.DstPort) + ")", evidence: dst})
		}
	}
}

// stratumURL returns the stratum URL inside an argument, or "".
func stratumURL(a string) string {
	i := strings.Index(strings.ToLower(a), "stratum")
	if i < 0 {
		return ""
	}
	u := a[i:]
	j := strings.Index(u, "://")
	if j < 0 || j > len("stratum2+tcp") {
		return ""
	}
	if k := strings.IndexAny(u, " \t'\";|&"); k >= 0 {
		u = u[:k]
	}
	return u
}
