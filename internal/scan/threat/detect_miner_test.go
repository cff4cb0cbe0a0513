package threat

import "testing"

func TestMinerDetector(t *testing.T) {
	only := []string{TypeMinerExecuted, TypeMiningNetwork}
	runDetectorCases(t, only, []detectorCase{
		{name: "xmrig", lines: []string{ev(`"type":"exec","pid":5,"comm":"xmrig","exe":"/tmp/xmrig","argv":["./xmrig","--donate-level","1"]`)}, want: []string{TypeMinerExecuted}},
		{name: "renamed binary, comm", lines: []string{ev(`"type":"exec","comm":"minerd","exe":"/tmp/.x/kworker","argv":["kworker"]`)}, want: []string{TypeMinerExecuted}},
		{name: "stratum url", lines: []string{ev(`"type":"exec","exe":"/usr/bin/python3","argv":["python3","m.py","-o","stratum+tcp://pool.example:3333","-u","w"]`)}, want: []string{TypeMiningNetwork}},
		{name: "pool port", lines: []string{ev(`"type":"connect","proto":"tcp","dst_ip":"203.0.113.9","dst_port":3333`)}, want: []string{TypeMiningNetwork}},
		{name: "https is fine", lines: []string{ev(`"type":"connect","proto":"tcp","dst_ip":"203.0.113.9","dst_port":443`)}},
		{name: "4444 is not a pool port", lines: []string{ev(`"type":"connect","proto":"tcp","dst_ip":"203.0.113.9","dst_port":4444`)}},
		{name: "ordinary program", lines: []string{ev(`"type":"exec","exe":"/usr/bin/miner-report","argv":["miner-report","stratum"]`)}},
	})
}
