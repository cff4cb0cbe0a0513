package telemetry

import (
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
)

// sources runs what feeds the recorder besides the trace — fanotify's
// watcher and the network's connections — and flushes the recorder while
// the command runs.
type sources struct {
	rec    *recorder
	conns  <-chan Conn
	w      *fswatch.Watcher
	done   chan struct{}
	pumped chan struct{}
	once   sync.Once
}

// watch starts fanotify on spec.Root, or records in the stats and the log
// why it could not.
func (s *sources) watch(spec sandbox.Spec, log *slog.Logger) {
	w, err := fswatch.Start(spec.Root, s.rec.addFile)
	if err != nil {
		s.rec.stats.FanotifyError = err.Error()
		if log != nil {
			log.Warn("telemetry: file changes recorded by strace, fanotify is unavailable", "err", err)
		}
		return
	}
	s.w = w
	s.rec.pairing = true
	s.rec.stats.Files = FilesFanotify
	s.rec.tr.foreign = foreignMounts(spec)
}

// foreignMounts are the mount points of other filesystems inside the
// sandbox, whose changes fanotify does not see.
func foreignMounts(spec sandbox.Spec) []string {
	m := []string{"/proc", "/dev"}
	if spec.Network {
		m = append(m, "/etc/resolv.conf")
	}
	for _, b := range spec.Binds {
		m = append(m, path.Clean(b.Target))
	}
	return m
}

// start starts the goroutine that receives connections and flushes.
func (s *sources) start() {
	s.done, s.pumped = make(chan struct{}), make(chan struct{})
	go s.pump()
}

func (s *sources) pump() {
	defer close(s.pumped)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case c := <-s.conns:
			s.rec.addConn(c)
		case now := <-tick.C:
			s.rec.flush(now)
		case <-s.done:
			for {
				select {
				case c := <-s.conns:
					s.rec.addConn(c)
				default:
					return
				}
			}
		}
	}
}

// stop stops fanotify, after it passed on what it had queued, and the
// goroutine, after it took the connections buffered. Idempotent.
func (s *sources) stop() {
	s.once.Do(func() {
		if s.w != nil {
			st := s.w.Stop()
			s.rec.mu.Lock()
			s.rec.stats.FilesLost = st.Overflows + st.Unresolved
			s.rec.mu.Unlock()
		}
		if s.done != nil {
			close(s.done)
			<-s.pumped
		}
		if s.rec.root != nil {
			s.rec.root.Close()
		}
	})
}
