package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// WebhookPattern is the route WebhookHandler serves.
const WebhookPattern = "POST /api/v1/webhooks/{pipeline}"

// maxBody bounds a webhook body (GitHub caps its payloads at 25 MB, but a
// push of a few thousand commits stays far below this).
const maxBody = 1 << 20

// releaseTimeout bounds a release started by a webhook. The release goes
// on when the forge hangs up (GitHub waits 10 s): its answer is only
// informative.
const releaseTimeout = 10 * time.Minute

// WebhookHandler returns the handler of WebhookPattern. Mount it on the
// full path, without token authentication (the webhook secret is the
// authentication) and without stripping a prefix:
//
//	mux.Handle("/api/v1/webhooks/", t.WebhookHandler())
//
// Answers: 202 with the execution when the push started one; 200 with a
// reason when the request was valid but started nothing (a ping, another
// event, a branch or path the filters leave out, a paused pipeline, a
// replay); 400 for a request from no known forge or a malformed payload;
// 401 for a bad or missing signature, and alike for an unknown pipeline
// or one without a webhook secret (logged with the real reason), so that
// the endpoint does not tell strangers which pipelines exist; 413 for a
// body over 1 MiB; 422 or 502 when the release failed.
func (t *Triggers) WebhookHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(WebhookPattern, t.serveWebhook)
	return mux
}

// webhookAnswer is the JSON body of a 200 or 202 answer.
type webhookAnswer struct {
	// Status is "released", "ignored", "duplicate" or "ok" (a ping).
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	Pipeline  string `json:"pipeline"`
	Execution string `json:"execution,omitempty"`
	Revision  string `json:"revision,omitempty"`
}

func (t *Triggers) serveWebhook(w http.ResponseWriter, r *http.Request) {
	// The body and headers are judged before the pipeline is looked up,
	// so that every answer before the signature check is the same for a
	// pipeline that exists and one that does not.
	name := r.PathValue("pipeline")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the body exceeds 1 MiB")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "cannot read the body")
		return
	}
	d, ok := readHeaders(r.Header)
	if !ok {
		writeError(w, http.StatusBadRequest, "bad_request",
			"not a webhook of GitHub, GitLab, Gitea or Forgejo (no X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event header)")
		return
	}
	rec, err := t.store.Pipeline(r.Context(), name)
	if errors.Is(err, pipeline.ErrNotFound) {
		t.log.Warn("webhook rejected", "pipeline", name, "forge", d.forge, "delivery", d.id, "remote", r.RemoteAddr,
			"reason", "no such pipeline")
		refuse(w)
		return
	}
	if err != nil {
		t.log.Error("webhook: read pipeline", "pipeline", name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "cannot read the pipeline")
		return
	}
	if rec.WebhookSecret == "" {
		t.log.Warn("webhook rejected", "pipeline", name, "forge", d.forge, "delivery", d.id,
			"remote", r.RemoteAddr, "reason", "the pipeline has no webhook secret, so it accepts no webhooks")
		refuse(w)
		return
	}
	if err := verify(d.forge, r.Header, body, rec.WebhookSecret); err != nil {
		t.log.Warn("webhook rejected", "pipeline", name, "forge", d.forge, "delivery", d.id,
			"remote", r.RemoteAddr, "reason", err)
		refuse(w)
		return
	}
	t.handleEvent(w, r, rec, d, body)
}

// refuse answers a webhook that is not verified: a wrong or missing
// signature, an unknown pipeline, or one that accepts no webhooks all look
// the same from outside; the server's log says which.
func refuse(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "unauthorized",
		"the webhook is not verified: the signature or token does not match this pipeline's webhook secret "+
			"(or no such pipeline accepts webhooks; the server's log says which)")
}

// handleEvent answers a request whose signature holds.
func (t *Triggers) handleEvent(w http.ResponseWriter, r *http.Request, rec store.PipelineRecord, d delivery,
	body []byte,
) {
	ignored := func(reason string) {
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "ignored", Reason: reason, Pipeline: rec.Name})
	}
	switch {
	case d.forge == GitHub && d.event == "ping":
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "ok", Reason: "pong", Pipeline: rec.Name})
		return
	case !isPush(d):
		ignored(fmt.Sprintf("event %q is not a push", d.event))
		return
	}
	push, err := ParsePush(d.forge, jsonPayload(r.Header.Get("Content-Type"), body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	reason := ""
	switch {
	case rec.Paused:
		reason = "the pipeline is paused"
	case push.Deleted:
		reason = fmt.Sprintf("%s was deleted", push.Ref)
	case !sameRepository(rec.Repo, push.RepoURLs):
		reason = "the push is for another repository than the pipeline's"
	default:
		reason = match(rec, push)
	}
	if reason != "" {
		ignored(reason)
		return
	}
	t.releasePush(w, r, rec, d, push)
}

// isPush reports whether the event is a push of a branch or tag.
func isPush(d delivery) bool {
	switch d.forge {
	case GitLab:
		return d.event == "Push Hook" || d.event == "Tag Push Hook"
	default:
		return d.event == "push"
	}
}

// jsonPayload returns the JSON document of a body: the body itself, or
// its "payload" field when the forge was set to send a form.
func jsonPayload(contentType string, body []byte) []byte {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" || bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return body
	}
	if v, err := url.ParseQuery(string(body)); err == nil && v.Has("payload") {
		return []byte(v.Get("payload"))
	}
	return body
}

// errReplay rolls back the claim of a replayed delivery.
var errReplay = errors.New("replayed delivery")

// releasePush claims the delivery, releases the pipeline at the pushed
// revision and answers.
func (t *Triggers) releasePush(w http.ResponseWriter, r *http.Request, rec store.PipelineRecord, d delivery,
	push Push,
) {
	key := pushKey{delivery: d.id, ref: push.Ref, revision: push.Revision}
	actor := "webhook:" + string(d.forge)
	claim, err := t.claim(r.Context(), rec.Name, actor, key, push.Branch != "" && push.Branch == rec.Branch)
	switch {
	case errors.Is(err, errReplay):
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "duplicate", Pipeline: rec.Name, Revision: push.Revision,
			Reason: fmt.Sprintf("this push was accepted at %s", claim.earlier.UTC().Format(time.RFC3339))})
		return
	case err != nil:
		t.log.Error("webhook: claim delivery", "pipeline", rec.Name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "cannot record the delivery")
		return
	case claim.already:
		writeJSON(w, http.StatusOK, webhookAnswer{Status: "ignored", Pipeline: rec.Name, Revision: push.Revision,
			Reason: "this revision of the branch was already released"})
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), releaseTimeout)
	defer cancel()
	trigger := actor + " " + shortSHA(push.Revision)
	id, err := t.rel.Release(ctx, rec.Name, trigger, push.Revision)
	if err != nil {
		msg := redact(err.Error(), rec.Repo)
		t.unclaim(ctx, rec.Name, actor, key, claim.previous, msg)
		status, code := http.StatusBadGateway, "release_failed"
		if final(err) {
			status, code = http.StatusUnprocessableEntity, "invalid"
		}
		writeError(w, status, code, msg)
		return
	}
	t.log.Info("webhook released", "pipeline", rec.Name, "forge", d.forge, "delivery", d.id, "ref", push.Ref,
		"revision", push.Revision, "execution", id)
	if err := t.audit(ctx, actor, actionRelease, rec.Name, detail("delivery", key.delivery, "ref", key.ref,
		"revision", key.revision, "execution", id)); err != nil {
		t.log.Error("webhook: audit release", "pipeline", rec.Name, "err", err)
	}
	writeJSON(w, http.StatusAccepted, webhookAnswer{Status: "released", Pipeline: rec.Name, Execution: id,
		Revision: push.Revision})
}

// claimResult is what claim found.
type claimResult struct {
	// earlier is when a replayed delivery was first accepted.
	earlier time.Time
	// already says the branch's LastRevision is the pushed one: polling
	// (or an earlier webhook) released it.
	already bool
	// previous is the LastRevision the claim replaced ("" when it did
	// not change it).
	previous string
}

// claim records the delivery in the audit log unless it is a replay
// (errReplay) and, for the pipeline's own branch, moves LastRevision to the
// pushed revision so that polling does not release it again. The record's
// Updated time, the poll chain's stamp, is left alone.
func (t *Triggers) claim(ctx context.Context, name, actor string, k pushKey, tracked bool) (claimResult, error) {
	var res claimResult
	err := t.store.Update(ctx, func(tx store.Tx) error {
		res = claimResult{}
		now := t.now()
		rec, err := tx.Pipeline(ctx, name)
		if err != nil {
			return err
		}
		at, dup, err := replayed(ctx, tx, name, k, now)
		if err != nil {
			return err
		}
		if dup {
			res.earlier = at
			return errReplay
		}
		if tracked && rec.LastRevision == k.revision {
			res.already = true
			return nil
		}
		if tracked {
			res.previous = rec.LastRevision
			rec.LastRevision = k.revision
			if err := tx.UpdatePipeline(ctx, rec); err != nil {
				return err
			}
		}
		return tx.AddAudit(ctx, &store.AuditEntry{At: now, Actor: actor, Action: actionAccept, Target: name,
			Detail: detail("delivery", k.delivery, "ref", k.ref, "revision", k.revision)})
	})
	return res, err
}

// unclaim records that the release of a claimed delivery failed, so that a
// redelivery may try again, and gives the branch back the LastRevision it
// had when nothing moved it since.
func (t *Triggers) unclaim(ctx context.Context, name, actor string, k pushKey, previous, msg string) {
	err := t.store.Update(ctx, func(tx store.Tx) error {
		if previous != "" {
			rec, err := tx.Pipeline(ctx, name)
			if err != nil {
				return ignoreNotFound(err)
			}
			if rec.LastRevision == k.revision {
				rec.LastRevision = previous
				if err := tx.UpdatePipeline(ctx, rec); err != nil {
					return err
				}
			}
		}
		return tx.AddAudit(ctx, &store.AuditEntry{At: t.now(), Actor: actor, Action: actionFail, Target: name,
			Detail: detail("delivery", k.delivery, "ref", k.ref, "revision", k.revision, "error", msg)})
	})
	if err != nil {
		t.log.Error("webhook: record failed release", "pipeline", name, "err", err)
	}
	t.log.Warn("webhook release failed", "pipeline", name, "revision", k.revision, "err", msg)
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the API's error body: {"error": {"code", "message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, struct {
		Error apiError `json:"error"`
	}{apiError{Code: code, Message: msg}})
}
