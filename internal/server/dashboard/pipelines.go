package dashboard

import (
	"net/http"
	"net/url"

	"github.com/secpipe/secpipe/internal/server/repourl"

	"github.com/secpipe/secpipe/internal/store"
)

// pipelineRow is one registered pipeline with its newest execution.
type pipelineRow struct {
	store.PipelineRecord
	Last *store.Execution
}

// pipelinesData fills the pipelines page.
type pipelinesData struct {
	Pipelines []pipelineRow
	// Release says whether the "Release change" button exists at all.
	Release bool
}

// pipelinesPage lists the registered pipelines with their last execution.
func (d *Dashboard) pipelinesPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	recs, err := d.cfg.Store.Pipelines(ctx)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := pipelinesData{Release: d.cfg.Release != nil}
	for _, p := range recs {
		row := pipelineRow{PipelineRecord: p}
		row.WebhookSecret = "" // never leaves the server, not even into a template
		row.Repo = repourl.Display(p.Repo)
		xs, err := d.cfg.Store.Executions(ctx, store.ExecutionFilter{Pipeline: p.Name, Limit: 1})
		if err != nil {
			d.fail(w, r, ss, err)
			return
		}
		if len(xs) > 0 {
			row.Last = &xs[0]
		}
		data.Pipelines = append(data.Pipelines, row)
	}
	d.render(w, r, ss, http.StatusOK, "pipelines", "Pipelines", data)
}

// release starts an execution of a registered pipeline ("Release change").
func (d *Dashboard) release(w http.ResponseWriter, r *http.Request, ss *session) {
	if d.cfg.Release == nil {
		d.refuse(w, r, ss, http.StatusNotFound, "Releasing is not available on this server.")
		return
	}
	name := r.PathValue("name")
	id, err := d.cfg.Release(r.Context(), name, "manual "+ss.principal.Name)
	if err != nil {
		d.failed(w, r, ss, "/pipelines", err)
		return
	}
	d.audit(r, ss, "pipeline.release", name, "execution "+id)
	d.done(w, r, ss, "/executions/"+url.PathEscape(id), "Started execution "+id+" of "+name+".")
}
