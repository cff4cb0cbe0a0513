package threat

import (
	"net/netip"
	"time"
)

// EventType names the kind of an Event.
type EventType string

// The event types of the log format (see the package documentation).
const (
	EventExec    EventType = "exec"
	EventConnect EventType = "connect"
	EventDNS     EventType = "dns"
	EventFile    EventType = "file"
	EventListen  EventType = "listen"
)

// File operations of an EventFile.
const (
	OpWrite  = "write"
	OpCreate = "create"
	OpChmod  = "chmod"
	OpRename = "rename"
	OpDelete = "delete"
)

// Event is one line of an event log: something a process did. Only the
// fields of its Type are set. Events are plain values; a Reader returns a new
// one for every line and never reuses its slices.
type Event struct {
	// Line is the 1-based line of the source the event was read from.
	Line int
	Time time.Time
	Type EventType
	PID  int
	PPID int
	UID  int
	// Comm is the process's short name (at most 15 bytes on Linux).
	Comm string
	// Exe is the absolute path of the executable (exec events).
	Exe  string
	Argv []string
	Cwd  string
	// FDs holds what the standard descriptors 0, 1 and 2 point at, such as
	// "socket:tcp:10.0.0.9:4444", "pipe" or "/dev/null"; other descriptors of
	// the log are ignored.
	FDs [3]string
	// Proto is "tcp" or "udp" (connect and listen events).
	Proto   string
	SrcIP   netip.Addr
	DstIP   netip.Addr
	SrcPort int
	DstPort int
	// Port is the local port of a listen event.
	Port int
	// Query, QType and Answers describe a DNS question (dns events).
	Query   string
	QType   string
	Answers []string
	// Op is one of OpWrite, OpCreate, OpChmod, OpRename, OpDelete (file
	// events); for a rename, Path is the new name.
	Op   string
	Path string
}
