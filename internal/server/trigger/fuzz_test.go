package trigger

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/store"
)

// FuzzParsePush feeds push parsers arbitrary bodies: they never panic, and
// what they accept is safe to hand to git and to the audit log.
func FuzzParsePush(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, forge := range []uint8{0, 1, 2} {
			f.Add(forge, body)
		}
	}
	f.Add(uint8(0), []byte(`{"ref":"refs/heads/a b","after":"`+strings.Repeat("a", 40)+`"}`))
	f.Add(uint8(2), []byte(`{"object_kind":"push","ref":"refs/tags/v1","after":"`+strings.Repeat("0", 64)+`"}`))
	f.Add(uint8(1), []byte(`{"ref":"refs/heads/x","after":"ABCDEF","commits":[{"added":[""]}]}`))
	forges := []Forge{GitHub, Gitea, GitLab}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		forge := forges[int(which)%len(forges)]
		p, err := ParsePush(forge, body)
		if err != nil {
			return
		}
		if !validRef(p.Ref) {
			t.Errorf("accepted ref %q", p.Ref)
		}
		if p.Deleted != (p.Revision == "") || (!p.Deleted && !isCommitID(p.Revision)) {
			t.Errorf("accepted revision %q (deleted %v)", p.Revision, p.Deleted)
		}
		if p.Branch != "" && p.Tag != "" {
			t.Errorf("both branch %q and tag %q", p.Branch, p.Tag)
		}
		// Matching never panics either, whatever the filters.
		match(store.PipelineRecord{Branch: "main", Filter: store.PushFilter{Branches: []string{"[", "**"},
			Tags: []string{"v*"}, Paths: []string{"{a,b}/**"}}}, p)
		sameRepository("https://github.com/acme/app.git", p.RepoURLs)
	})
}

// FuzzReadHeaders checks that delivery ids kept from headers cannot garble
// an audit line, and that verification never panics.
func FuzzReadHeaders(f *testing.F) {
	f.Add("X-GitHub-Event", "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "sha256=00")
	f.Add("X-Gitlab-Event", "Push Hook", "a b=c", "token")
	f.Add("X-Gitea-Event", "push", "\"quoted\"", "zz")
	f.Fuzz(func(t *testing.T, header, event, id, sig string) {
		h := http.Header{}
		h.Set(header, event)
		for _, n := range []string{"X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gitlab-Event-UUID"} {
			h.Set(n, id)
		}
		for _, n := range []string{"X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"} {
			h.Set(n, sig)
		}
		d, ok := readHeaders(h)
		if !ok {
			return
		}
		if strings.ContainsAny(d.id, " \"=\n") {
			t.Errorf("kept delivery id %q", d.id)
		}
		_ = verify(d.forge, h, []byte(event), "secret")
	})
}

// FuzzDetail checks that audit details read back as written.
func FuzzDetail(f *testing.F) {
	f.Add("refs/heads/main", "git fetch: exit status 128: fatal: x=y \"z\"")
	f.Add("", "plain")
	f.Add("a\x00b", "\xff")
	f.Fuzz(func(t *testing.T, ref, msg string) {
		s := detail("delivery", "d-1", "ref", ref, "error", msg)
		got := parseDetail(s)
		if got["delivery"] != "d-1" {
			t.Errorf("detail %q: delivery = %q", s, got["delivery"])
		}
		if ref != "" && got["ref"] != ref {
			t.Errorf("detail %q: ref = %q, want %q", s, got["ref"], ref)
		}
		if msg != "" && got["error"] != msg {
			t.Errorf("detail %q: error = %q, want %q", s, got["error"], msg)
		}
	})
}
