package fswatch

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// metadataVersion is FANOTIFY_METADATA_VERSION, the layout of the records
// this decoder reads.
const metadataVersion = 3

// Sizes of the fixed parts of fanotify's records.
const (
	metadataLen = 24 // struct fanotify_event_metadata
	infoHdrLen  = 4  // struct fanotify_event_info_header
	fidHdrLen   = 20 // info header, __kernel_fsid_t, file_handle's two ints
)

// maxHandleSize is the kernel's MAX_HANDLE_SZ.
const maxHandleSize = 128

// errRecord is the error of a malformed record.
var errRecord = errors.New("malformed fanotify record")

// handle is a file handle as fanotify reports it, with the filesystem it
// belongs to.
type handle struct {
	fsid [8]byte
	typ  int32
	b    []byte
}

// valid reports whether h was present in the event.
func (h handle) valid() bool { return len(h.b) > 0 }

// key identifies the object h names, for use as a map key.
func (h handle) key() string { return string(h.fsid[:]) + string(h.b) }

// rawEvent is one event read from a fanotify group in FID mode.
type rawEvent struct {
	mask uint64
	pid  int32
	// fd is the event's open descriptor; FAN_NOFD (-1) in FID mode. A
	// reader must close any other value.
	fd int32
	// fid is the object's handle (FAN_EVENT_INFO_TYPE_FID).
	fid handle
	// dir and name are the parent directory and the entry's name
	// (DFID_NAME, or DFID with no name); "." names the directory itself.
	dir  handle
	name string
	// oldDir/oldName and newDir/newName are a FAN_RENAME's two ends.
	oldDir, newDir   handle
	oldName, newName string
}

// decodeEvents splits a buffer read from a fanotify descriptor into its
// events. It checks every length against the buffer, so a corrupt buffer
// yields an error, never a panic or a read out of bounds; the events
// decoded before the error are returned with it. Handles and names are
// copied: buf may be reused.
func decodeEvents(buf []byte) ([]rawEvent, error) {
	var out []rawEvent
	for len(buf) > 0 {
		if len(buf) < metadataLen {
			return out, fmt.Errorf("%w: %d trailing bytes", errRecord, len(buf))
		}
		evLen := int(binary.NativeEndian.Uint32(buf[0:]))
		vers := buf[4]
		metaLen := int(binary.NativeEndian.Uint16(buf[6:]))
		switch {
		case vers != metadataVersion:
			return out, fmt.Errorf("%w: version %d, want %d", errRecord, vers, metadataVersion)
		case metaLen < metadataLen || evLen < metaLen || evLen > len(buf):
			return out, fmt.Errorf("%w: event length %d, metadata length %d, %d bytes left", errRecord, evLen, metaLen, len(buf))
		}
		ev := rawEvent{
			mask: binary.NativeEndian.Uint64(buf[8:]),
			fd:   int32(binary.NativeEndian.Uint32(buf[16:])),
			pid:  int32(binary.NativeEndian.Uint32(buf[20:])),
		}
		if err := ev.decodeInfo(buf[metaLen:evLen]); err != nil {
			return out, err
		}
		out = append(out, ev)
		buf = buf[evLen:]
	}
	return out, nil
}

// decodeInfo reads the information records that follow an event's
// metadata; record types it does not use are skipped.
func (ev *rawEvent) decodeInfo(b []byte) error {
	for len(b) > 0 {
		if len(b) < infoHdrLen {
			return fmt.Errorf("%w: truncated information header", errRecord)
		}
		typ := b[0]
		n := int(binary.NativeEndian.Uint16(b[2:]))
		if n < infoHdrLen || n > len(b) {
			return fmt.Errorf("%w: information record length %d, %d bytes left", errRecord, n, len(b))
		}
		rec := b[:n]
		b = b[n:]
		switch typ {
		case unix.FAN_EVENT_INFO_TYPE_FID, unix.FAN_EVENT_INFO_TYPE_DFID, unix.FAN_EVENT_INFO_TYPE_DFID_NAME,
			unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
		default:
			continue
		}
		h, name, err := decodeFID(rec, typ != unix.FAN_EVENT_INFO_TYPE_FID && typ != unix.FAN_EVENT_INFO_TYPE_DFID)
		if err != nil {
			return err
		}
		switch typ {
		case unix.FAN_EVENT_INFO_TYPE_FID:
			ev.fid = h
		case unix.FAN_EVENT_INFO_TYPE_DFID, unix.FAN_EVENT_INFO_TYPE_DFID_NAME:
			ev.dir, ev.name = h, name
		case unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			ev.oldDir, ev.oldName = h, name
		case unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			ev.newDir, ev.newName = h, name
		}
	}
	return nil
}

// decodeFID reads a fanotify_event_info_fid record: the filesystem id, the
// file handle and, when withName, the NUL-terminated name after it.
func decodeFID(rec []byte, withName bool) (handle, string, error) {
	if len(rec) < fidHdrLen {
		return handle{}, "", fmt.Errorf("%w: file id record of %d bytes", errRecord, len(rec))
	}
	var h handle
	copy(h.fsid[:], rec[4:12])
	size := int(binary.NativeEndian.Uint32(rec[12:]))
	h.typ = int32(binary.NativeEndian.Uint32(rec[16:]))
	if size <= 0 || size > len(rec)-fidHdrLen || size > maxHandleSize {
		return handle{}, "", fmt.Errorf("%w: file handle of %d bytes in a record of %d", errRecord, size, len(rec))
	}
	h.b = append([]byte(nil), rec[fidHdrLen:fidHdrLen+size]...)
	if !withName {
		return h, "", nil
	}
	rest := rec[fidHdrLen+size:]
	end := -1
	for i, c := range rest {
		if c == 0 {
			end = i
			break
		}
	}
	if end < 0 {
		return handle{}, "", fmt.Errorf("%w: name without its terminating NUL", errRecord)
	}
	return h, string(rest[:end]), nil
}
