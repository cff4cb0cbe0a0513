package telemetry

import (
	"encoding/json"
	"time"
)

// record is one line of the event log, in the JSON-lines format that
// internal/scan/threat reads.
type record struct {
	// at is the event's time, written as Time.
	at      time.Time
	Time    string            `json:"time"`
	Type    string            `json:"type"`
	PID     int               `json:"pid,omitempty"`
	PPID    int               `json:"ppid,omitempty"`
	Comm    string            `json:"comm,omitempty"`
	Exe     string            `json:"exe,omitempty"`
	Argv    []string          `json:"argv,omitempty"`
	Cwd     string            `json:"cwd,omitempty"`
	FDs     map[string]string `json:"fds,omitempty"`
	Proto   string            `json:"proto,omitempty"`
	DstIP   string            `json:"dst_ip,omitempty"`
	DstPort int               `json:"dst_port,omitempty"`
	Port    int               `json:"port,omitempty"`
	Query   string            `json:"query,omitempty"`
	QType   string            `json:"qtype,omitempty"`
	Op      string            `json:"op,omitempty"`
	Path    string            `json:"path,omitempty"`
	// SrcIP and SrcPort, Bytes and Data (the first bytes, hex) describe
	// a datagram the network saw; Source names what recorded an event
	// other than the trace: "fanotify" or "sinkhole". The reader of
	// package threat ignores all but the source address.
	SrcIP   string `json:"src_ip,omitempty"`
	SrcPort int    `json:"src_port,omitempty"`
	Bytes   int    `json:"bytes,omitempty"`
	Data    string `json:"data,omitempty"`
	Source  string `json:"source,omitempty"`
}

// The event types and file operations of the log (see package threat).
const (
	typeExec    = "exec"
	typeConnect = "connect"
	typeDNS     = "dns"
	typeFile    = "file"
	typeListen  = "listen"

	opWrite  = "write"
	opCreate = "create"
	opChmod  = "chmod"
	opRename = "rename"
	opDelete = "delete"
)

// newRecord starts a record of type typ for the process p at ts.
func newRecord(typ string, ts time.Time, pid int, p *proc) record {
	r := record{at: ts, Type: typ, PID: pid}
	if p != nil {
		r.PPID, r.Comm = p.ppid, p.comm
	}
	return r
}

// marshal returns the record as one JSON line.
func (r *record) marshal() []byte {
	r.Time = r.at.UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(r)
	if err != nil {
		// A record holds only strings, ints, a string slice and a string
		// map: it always marshals.
		panic("telemetry: marshal event: " + err.Error())
	}
	return append(b, '\n')
}
