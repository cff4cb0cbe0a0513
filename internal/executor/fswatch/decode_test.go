package fswatch

import (
	"encoding/binary"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// info is one information record to encode.
type info struct {
	typ    byte
	handle []byte
	name   string
	raw    []byte // the whole record, for malformed ones
}

// encodeEvent builds an event as the kernel lays it out.
func encodeEvent(mask uint64, pid int32, infos ...info) []byte {
	var body []byte
	for _, in := range infos {
		if in.raw != nil {
			body = append(body, in.raw...)
			continue
		}
		rec := make([]byte, fidHdrLen, fidHdrLen+len(in.handle)+len(in.name)+1)
		rec[0] = in.typ
		copy(rec[4:12], "fsid0001")
		binary.NativeEndian.PutUint32(rec[12:], uint32(len(in.handle)))
		binary.NativeEndian.PutUint32(rec[16:], 1)
		rec = append(rec, in.handle...)
		if in.typ != unix.FAN_EVENT_INFO_TYPE_FID && in.typ != unix.FAN_EVENT_INFO_TYPE_DFID {
			rec = append(rec, in.name...)
			rec = append(rec, 0)
		}
		for len(rec)%4 != 0 {
			rec = append(rec, 0)
		}
		binary.NativeEndian.PutUint16(rec[2:], uint16(len(rec)))
		body = append(body, rec...)
	}
	ev := make([]byte, metadataLen, metadataLen+len(body))
	binary.NativeEndian.PutUint32(ev[0:], uint32(metadataLen+len(body)))
	ev[4] = metadataVersion
	binary.NativeEndian.PutUint16(ev[6:], metadataLen)
	binary.NativeEndian.PutUint64(ev[8:], mask)
	binary.NativeEndian.PutUint32(ev[16:], 0xffffffff) // FAN_NOFD
	binary.NativeEndian.PutUint32(ev[20:], uint32(pid))
	return append(ev, body...)
}

func dfidName(h, name string) info {
	return info{typ: unix.FAN_EVENT_INFO_TYPE_DFID_NAME, handle: []byte(h), name: name}
}
func fid(h string) info { return info{typ: unix.FAN_EVENT_INFO_TYPE_FID, handle: []byte(h)} }

func TestDecodeEvents(t *testing.T) {
	create := encodeEvent(unix.FAN_CREATE|unix.FAN_MODIFY, 42, dfidName("dir-etc", "motd"), fid("file-motd"))
	rename := encodeEvent(unix.FAN_RENAME, 7,
		info{typ: unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, handle: []byte("dir-tmp"), name: "a"},
		info{typ: unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, handle: []byte("dir-etc"), name: "b"}, fid("file-a"))
	pidfd := make([]byte, 8)
	pidfd[0] = unix.FAN_EVENT_INFO_TYPE_PIDFD
	binary.NativeEndian.PutUint16(pidfd[2:], 8)
	withPidfd := encodeEvent(unix.FAN_OPEN_EXEC, 9, info{raw: pidfd}, dfidName("dir-bin", "sh"))
	overflow := encodeEvent(unix.FAN_Q_OVERFLOW, 0)
	badVersion := encodeEvent(unix.FAN_CREATE, 1)
	badVersion[4] = 2
	shortInfo := encodeEvent(unix.FAN_CREATE, 1, info{raw: []byte{2, 0, 2, 0}})
	longHandle := encodeEvent(unix.FAN_CREATE, 1, dfidName("h", "n"))
	binary.NativeEndian.PutUint32(longHandle[metadataLen+12:], 200)
	noNUL := encodeEvent(unix.FAN_CREATE, 1, dfidName("h", "name"))
	noNUL = noNUL[:len(noNUL)-4] // drop the padded NUL
	binary.NativeEndian.PutUint32(noNUL[0:], uint32(len(noNUL)))
	binary.NativeEndian.PutUint16(noNUL[metadataLen+2:], uint16(len(noNUL)-metadataLen))
	tests := []struct {
		name    string
		buf     []byte
		want    []rawEvent
		wantErr bool
	}{
		{name: "create with names and file id", buf: create, want: []rawEvent{{mask: unix.FAN_CREATE | unix.FAN_MODIFY,
			pid: 42, fd: -1, dir: h("dir-etc"), name: "motd", fid: h("file-motd")}}},
		{name: "rename", buf: rename, want: []rawEvent{{mask: unix.FAN_RENAME, pid: 7, fd: -1, oldDir: h("dir-tmp"),
			oldName: "a", newDir: h("dir-etc"), newName: "b", fid: h("file-a")}}},
		{name: "unknown record skipped", buf: withPidfd, want: []rawEvent{{mask: unix.FAN_OPEN_EXEC, pid: 9, fd: -1,
			dir: h("dir-bin"), name: "sh"}}},
		{name: "overflow", buf: overflow, want: []rawEvent{{mask: unix.FAN_Q_OVERFLOW, fd: -1}}},
		{name: "two events", buf: append(append([]byte{}, overflow...), withPidfd...), want: []rawEvent{
			{mask: unix.FAN_Q_OVERFLOW, fd: -1}, {mask: unix.FAN_OPEN_EXEC, pid: 9, fd: -1, dir: h("dir-bin"), name: "sh"}}},
		{name: "event then garbage", buf: append(append([]byte{}, overflow...), 1, 2, 3), wantErr: true,
			want: []rawEvent{{mask: unix.FAN_Q_OVERFLOW, fd: -1}}},
		{name: "bad version", buf: badVersion, wantErr: true},
		{name: "event longer than the buffer", buf: create[:len(create)-4], wantErr: true},
		{name: "information record too short", buf: shortInfo, wantErr: true},
		{name: "handle longer than its record", buf: longHandle, wantErr: true},
		{name: "name without NUL", buf: noNUL, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEvents(tt.buf)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, errRecord)) {
				t.Fatalf("decodeEvents error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(rawEvent{}, handle{})); diff != "" {
				t.Errorf("decodeEvents (-want +got):\n%s", diff)
			}
		})
	}
}

// h is a handle as encodeEvent writes it.
func h(b string) handle {
	out := handle{typ: 1, b: []byte(b)}
	copy(out.fsid[:], "fsid0001")
	return out
}

// fakeResolver names directory handles by their bytes: "dir-etc" is /etc.
type fakeResolver struct{ present map[string]bool }

func (fakeResolver) dirPath(x handle) (string, bool) {
	name, ok := strings.CutPrefix(string(x.b), "dir-")
	if !ok {
		return "", false
	}
	if name == "root" {
		return "/", true
	}
	return "/" + strings.ReplaceAll(name, "-", "/"), true
}

func (fakeResolver) learn(handle, string) {}

func (r fakeResolver) exists(x handle, name string) bool {
	d, _ := r.dirPath(x)
	return r.present[path.Join(d, name)]
}

func TestInterpreter(t *testing.T) {
	type step struct {
		mask uint64
		pid  int32
		dir  string
		name string
		file string
	}
	tests := []struct {
		name    string
		present []string
		steps   []step
		want    []string // "op path"
		unres   int
	}{
		{name: "create, write and close: create only",
			steps: []step{{unix.FAN_CREATE, 1, "dir-tmp", "x", "f1"}, {unix.FAN_MODIFY | unix.FAN_ATTRIB, 1, "dir-tmp", "x", "f1"},
				{unix.FAN_CLOSE_WRITE, 1, "dir-tmp", "x", "f1"}},
			want: []string{"create /tmp/x"}},
		{name: "repeated writes reported once per session",
			steps: []step{{unix.FAN_MODIFY, 1, "dir-etc", "motd", "f1"}, {unix.FAN_MODIFY, 1, "dir-etc", "motd", "f1"},
				{unix.FAN_MODIFY | unix.FAN_CLOSE_WRITE, 1, "dir-etc", "motd", "f1"}, {unix.FAN_MODIFY, 1, "dir-etc", "motd", "f1"}},
			want: []string{"write /etc/motd", "write /etc/motd"}},
		{name: "another process's chmod is reported",
			steps: []step{{unix.FAN_CREATE, 1, "dir-usr-bin", "x", "f1"}, {unix.FAN_ATTRIB, 2, "dir-usr-bin", "x", "f1"}},
			want:  []string{"create /usr/bin/x", "chmod /usr/bin/x"}},
		{name: "temporary file: created, then deleted",
			steps: []step{{unix.FAN_CREATE | unix.FAN_MODIFY | unix.FAN_DELETE, 1, "dir-tmp", "t", "f1"}},
			want:  []string{"create /tmp/t", "delete /tmp/t"}},
		{name: "replaced file: deleted, then created",
			present: []string{"/usr/bin/ls"},
			steps:   []step{{unix.FAN_CREATE | unix.FAN_DELETE, 1, "dir-usr-bin", "ls", "f1"}},
			want:    []string{"delete /usr/bin/ls", "create /usr/bin/ls"}},
		{name: "written then deleted",
			steps: []step{{unix.FAN_MODIFY | unix.FAN_DELETE, 1, "dir-tmp", "t", "f1"}},
			want:  []string{"write /tmp/t", "delete /tmp/t"}},
		{name: "mkdir is not reported, rmdir and chmod of a directory are",
			steps: []step{{unix.FAN_CREATE | unix.FAN_ONDIR, 1, "dir-tmp", "d", "f1"}, {unix.FAN_ATTRIB | unix.FAN_ONDIR, 1, "dir-tmp", "d", "f1"},
				{unix.FAN_DELETE | unix.FAN_ONDIR, 1, "dir-tmp", "d", "f1"}},
			want: []string{"chmod /tmp/d", "delete /tmp/d"}},
		{name: "execution of the directory entry", steps: []step{{unix.FAN_OPEN_EXEC, 1, "dir-bin", "busybox", "f1"}},
			want: []string{"exec /bin/busybox"}},
		{name: "link count change without a name is not a chmod", steps: []step{{unix.FAN_ATTRIB, 1, "", "", "f1"}}},
		{name: "event on the directory itself", steps: []step{{unix.FAN_ATTRIB | unix.FAN_ONDIR, 1, "dir-root", ".", "f1"}},
			want: []string{"chmod /"}},
		{name: "unknown directory", steps: []step{{unix.FAN_CREATE, 1, "gone", "x", "f1"}}, unres: 1},
		{name: "name with a slash refused", steps: []step{{unix.FAN_CREATE, 1, "dir-tmp", "../etc/x", "f1"}}, unres: 1},
		{name: "close only", steps: []step{{unix.FAN_CLOSE_WRITE, 1, "gone", "x", "f1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := fakeResolver{present: map[string]bool{}}
			for _, p := range tt.present {
				res.present[p] = true
			}
			in := newInterpreter(res)
			var got []string
			for _, s := range tt.steps {
				ev := rawEvent{mask: s.mask, pid: s.pid, fid: h(s.file), name: s.name}
				if s.dir != "" {
					ev.dir = h(s.dir)
				}
				for _, e := range in.events(ev) {
					got = append(got, string(e.Op)+" "+e.Path)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if in.unresolved != tt.unres {
				t.Errorf("unresolved = %d, want %d", in.unresolved, tt.unres)
			}
		})
	}
}

func TestInterpreterRename(t *testing.T) {
	in := newInterpreter(fakeResolver{})
	got := in.events(rawEvent{mask: unix.FAN_RENAME, pid: 3, oldDir: h("dir-tmp"), oldName: "a",
		newDir: h("dir-etc-cron.d"), newName: "job"})
	want := []Event{{Op: OpRename, Path: "/etc/cron.d/job", OldPath: "/tmp/a"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rename (-want +got):\n%s", diff)
	}
}

func TestInside(t *testing.T) {
	tests := []struct {
		root, name, want string
		ok               bool
	}{
		{"/tmp/r", "/tmp/r", "/", true},
		{"/tmp/r", "/tmp/r/etc", "/etc", true},
		{"/tmp/r", "/tmp/rx/etc", "", false},
		{"/tmp/r", "/elsewhere", "", false},
		{"/", "/etc", "/etc", true},
	}
	for _, tt := range tests {
		if got, ok := inside(tt.root, tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("inside(%q, %q) = %q, %v; want %q, %v", tt.root, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzDecodeEvents feeds arbitrary buffers to the decoder and the
// interpreter: neither may panic, handles stay within the kernel's bound,
// and every path reported is absolute and clean.
func FuzzDecodeEvents(f *testing.F) {
	f.Add(encodeEvent(unix.FAN_CREATE|unix.FAN_MODIFY, 42, dfidName("dir-etc", "motd"), fid("file-motd")))
	f.Add(encodeEvent(unix.FAN_RENAME, 7, info{typ: unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, handle: []byte("dir-tmp"), name: "a"},
		info{typ: unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, handle: []byte("dir-etc"), name: "b"}))
	f.Add(append(encodeEvent(unix.FAN_Q_OVERFLOW, 0), encodeEvent(unix.FAN_OPEN_EXEC, 9, dfidName("dir-bin", "sh"))...))
	f.Add(encodeEvent(unix.FAN_ATTRIB|unix.FAN_ONDIR, 1, dfidName("dir-root", ".")))
	f.Add([]byte{0, 0, 0, 0, 3, 0, 24, 0})
	f.Fuzz(func(t *testing.T, buf []byte) {
		evs, _ := decodeEvents(buf)
		in := newInterpreter(fakeResolver{})
		for _, ev := range evs {
			for _, x := range []handle{ev.fid, ev.dir, ev.oldDir, ev.newDir} {
				if len(x.b) > maxHandleSize {
					t.Fatalf("handle of %d bytes", len(x.b))
				}
			}
			for _, e := range in.events(ev) {
				if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path {
					t.Fatalf("event path %q is not absolute and clean", e.Path)
				}
			}
		}
	})
}
