package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// auditPageSize is how many entries one audit page shows.
const auditPageSize = 100

// auditData fills the audit page.
type auditData struct {
	Target  string
	Entries []store.AuditEntry
	// Older is the URL of the next page back, empty on the last.
	Older string
}

// auditFilter reads the audit page's query: target and before (a Seq).
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Target: strings.TrimSpace(q.Get("target")), Limit: auditPageSize}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return f, fmt.Errorf("%w before %q", pipeline.ErrInvalid, s)
		}
		f.BeforeSeq = n
	}
	return f, nil
}

// auditPage shows the audit log, newest first, a page at a time.
func (d *Dashboard) auditPage(w http.ResponseWriter, r *http.Request, ss *session) {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	entries, err := d.cfg.Store.Audit(r.Context(), f)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := auditData{Target: f.Target, Entries: entries}
	if len(entries) == auditPageSize {
		q := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].Seq, 10)}}
		if f.Target != "" {
			q.Set("target", f.Target)
		}
		data.Older = "/audit?" + q.Encode()
	}
	d.render(w, r, ss, http.StatusOK, "audit", "Audit log", data)
}
