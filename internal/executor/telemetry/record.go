package telemetry

import (
	"encoding/json"
	"time"
)

// record is one line of the event log, in the JSON-lines format that
// internal/scan/threat reads.
type record struct {
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
	r := record{Time: ts.UTC().Format(time.RFC3339Nano), Type: typ, PID: pid}
	if p != nil {
		r.PPID, r.Comm = p.ppid, p.comm
	}
	return r
}

// marshal returns the record as one JSON line.
func (r *record) marshal() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// A record holds only strings, ints and a string map: it always
		// marshals.
		panic("telemetry: marshal event: " + err.Error())
	}
	return append(b, '\n')
}
