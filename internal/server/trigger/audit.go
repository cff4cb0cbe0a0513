package trigger

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/store"
)

// Audit actions of webhook deliveries: accepted (claimed for release, in
// the transaction that checks for replays), released (with the execution),
// failed (the release failed; a redelivery may try again).
const (
	actionAccept  = "webhook.accept"
	actionRelease = "webhook.release"
	actionFail    = "webhook.fail"
)

// replayWindow is how long a delivery is remembered.
const replayWindow = 24 * time.Hour

// replayScanMax bounds the audit entries read to look for a replay.
const replayScanMax = 5000

// detail formats audit details as "key=value" pairs separated by spaces;
// a value with spaces, quotes or "=" is quoted as in Go. Pairs with an
// empty value are left out.
func detail(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		if strings.ContainsAny(v, " \t\n\"'=\\") || !strconv.CanBackquote(v) {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// parseDetail reads what detail wrote; malformed parts are skipped.
func parseDetail(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || strings.Contains(k, " ") {
			// Not a pair: skip one word.
			_, s, _ = strings.Cut(s, " ")
			continue
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return out
			}
			v, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		out[k] = v
		s = rest
	}
	return out
}

// pushKey identifies a delivery for replay protection.
type pushKey struct {
	delivery, ref, revision string
}

func (k pushKey) matches(d map[string]string) bool {
	return (k.delivery != "" && d["delivery"] == k.delivery) ||
		(d["ref"] == k.ref && d["revision"] == k.revision)
}

// replayed looks in the audit log (through tx, which has the pipeline's
// row locked) for a delivery with k's id, or of k's revision to k's ref,
// accepted in the last 24 hours; one whose release failed since does not
// count. It returns when the earlier one was accepted.
func replayed(ctx context.Context, tx store.Tx, name string, k pushKey, now time.Time) (time.Time, bool, error) {
	since := now.Add(-replayWindow)
	f := store.AuditFilter{Target: name, Limit: 200}
	for read := 0; read < replayScanMax; {
		entries, err := tx.Audit(ctx, f)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("read audit of %s: %w", name, err)
		}
		for _, e := range entries {
			if e.At.Before(since) {
				return time.Time{}, false, nil
			}
			if e.Action != actionAccept && e.Action != actionRelease && e.Action != actionFail {
				continue
			}
			if k.matches(parseDetail(e.Detail)) {
				return e.At, e.Action != actionFail, nil
			}
		}
		if len(entries) < f.Limit {
			return time.Time{}, false, nil
		}
		read += len(entries)
		f.BeforeSeq = entries[len(entries)-1].Seq
	}
	return time.Time{}, false, nil
}
