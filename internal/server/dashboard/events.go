package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/secpipe/secpipe/internal/engine"
)

// stateOf fingerprints the statuses of an execution, its stages and its
// actions (with attempts), which is what its page shows changing.
func stateOf(info engine.ExecutionInfo) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", info.Status)
	for _, st := range info.Stages {
		fmt.Fprintf(h, "%s\x00%s\x00", st.Name, st.Status)
		for _, a := range st.Actions {
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00", a.Action, a.Status, a.Wait, a.Attempt)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// executionEvents tells an open execution page when what it shows has
// changed: a "change" event (data: the new state) whenever the statuses
// differ from the state the page was rendered with (the state query
// parameter) or last told, and an "end" event once the execution is over.
func (d *Dashboard) executionEvents(w http.ResponseWriter, r *http.Request, ss *session) {
	info, err := d.execution(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	id, last := info.ID, r.URL.Query().Get("state")
	s, err := startSSE(w)
	if err != nil {
		return
	}
	step := func(ev *engine.Event) (bool, error) {
		if ev != nil && ev.Kind == engine.EventLog {
			return false, nil
		}
		cur, err := d.cfg.Engine.Execution(r.Context(), id)
		if err != nil {
			return false, err
		}
		if state := stateOf(cur); state != last {
			last = state
			if err := s.send("change", "", jsonString(state)); err != nil {
				return false, err
			}
		}
		if !cur.Status.Terminal() {
			return false, nil
		}
		return true, s.send("end", "", jsonString(string(cur.Status)))
	}
	if err := d.follow(r.Context(), s, id, step); err != nil {
		d.log.Debug("execution stream ended", "execution", id, "err", err)
	}
}
