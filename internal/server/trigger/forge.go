package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// Forge is a kind of git hosting that sends webhooks.
type Forge string

// The forges whose webhooks are understood. Forgejo sends Gitea's headers
// too and is handled as Gitea.
const (
	GitHub Forge = "github"
	GitLab Forge = "gitlab"
	Gitea  Forge = "gitea"
)

// delivery is what the headers of a webhook request say.
type delivery struct {
	forge Forge
	// event is the forge's event name: "push", "ping", "Push Hook", ...
	event string
	// id identifies the delivery (empty when the forge sent none or an
	// unusable one); a redelivery carries the same id.
	id string
}

// readHeaders identifies the forge that sent a request. Gitea and Forgejo
// also send GitHub's headers, so they are recognised first.
func readHeaders(h http.Header) (delivery, bool) {
	switch {
	case h.Get("X-Forgejo-Event") != "":
		return delivery{forge: Gitea, event: h.Get("X-Forgejo-Event"),
			id: deliveryID(h.Get("X-Forgejo-Delivery"), h.Get("X-Gitea-Delivery"))}, true
	case h.Get("X-Gitea-Event") != "":
		return delivery{forge: Gitea, event: h.Get("X-Gitea-Event"), id: deliveryID(h.Get("X-Gitea-Delivery"))}, true
	case h.Get("X-Gitlab-Event") != "":
		return delivery{forge: GitLab, event: h.Get("X-Gitlab-Event"),
			id: deliveryID(h.Get("X-Gitlab-Event-UUID"))}, true
	case h.Get("X-GitHub-Event") != "":
		return delivery{forge: GitHub, event: h.Get("X-GitHub-Event"), id: deliveryID(h.Get("X-GitHub-Delivery"))}, true
	}
	return delivery{}, false
}

// deliveryID returns the first usable id: up to 128 characters of letters,
// digits and "-_.:". Others are dropped so they cannot garble the audit log.
func deliveryID(ids ...string) string {
	for _, id := range ids {
		if id != "" && len(id) <= 128 && strings.Trim(id, idChars) == "" {
			return id
		}
	}
	return ""
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:"

// Reasons a signature check fails; they are logged, never the secret.
var (
	errNoSignature  = errors.New("no signature header")
	errBadSignature = errors.New("signature does not match")
)

// verify checks that body was sent by someone who knows secret.
//
//   - GitHub: X-Hub-Signature-256 is "sha256=" and the hex HMAC-SHA256 of
//     the body keyed by the secret.
//   - Gitea/Forgejo: X-Forgejo-Signature or X-Gitea-Signature is that HMAC
//     in hex, without prefix (the Forgejo header wins when both are sent).
//   - GitLab: X-Gitlab-Token is the secret itself.
//
// Every comparison takes constant time.
func verify(forge Forge, h http.Header, body []byte, secret string) error {
	switch forge {
	case GitHub:
		sig := h.Get("X-Hub-Signature-256")
		if sig == "" {
			return errNoSignature
		}
		hexSig, ok := strings.CutPrefix(sig, "sha256=")
		if !ok {
			return errBadSignature
		}
		return checkHMAC(hexSig, body, secret)
	case Gitea:
		sig := h.Get("X-Forgejo-Signature")
		if sig == "" {
			sig = h.Get("X-Gitea-Signature")
		}
		if sig == "" {
			return errNoSignature
		}
		return checkHMAC(sig, body, secret)
	case GitLab:
		token := h.Get("X-Gitlab-Token")
		if token == "" {
			return errNoSignature
		}
		// Compare digests: equal lengths, so the time says nothing of
		// the secret's length either.
		a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return errBadSignature
		}
		return nil
	}
	return errBadSignature
}

// checkHMAC compares a hex HMAC-SHA256 with the body's.
func checkHMAC(hexSig string, body []byte, secret string) error {
	got, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil {
		return errBadSignature
	}
	if !hmac.Equal(got, sign(body, secret)) {
		return errBadSignature
	}
	return nil
}

// sign returns the HMAC-SHA256 of body keyed by secret.
func sign(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the signature header a forge would send with body: the
// header's name and value ("X-Hub-Signature-256", "sha256=..." for GitHub).
// For GitLab it is the token header, whose value is the secret. Tests and
// `curl` examples use it.
func Sign(forge Forge, body []byte, secret string) (header, value string) {
	switch forge {
	case GitHub:
		return "X-Hub-Signature-256", "sha256=" + hex.EncodeToString(sign(body, secret))
	case Gitea:
		return "X-Gitea-Signature", hex.EncodeToString(sign(body, secret))
	default:
		return "X-Gitlab-Token", secret
	}
}
