package dashboard_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/store"
)

// untar reads a tar.gz archive into a map of path to contents (a
// directory maps to "/").
func untar(t *testing.T, body string) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("untar: %v", err)
		}
		if hdr.Typeflag == tar.TypeDir {
			out[hdr.Name] = "/"
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(b)
	}
}

func TestExecutionArtifacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	link := "/executions/" + id + "/artifacts/SourceArtifact"

	olga := e.client()
	olga.login(store.RoleOperator)
	page := olga.get("/executions/" + id)
	row := regexp.MustCompile(`(?s)<tr class="artifact" data-artifact="SourceArtifact">(.*?)</tr>`).FindStringSubmatch(page.body)
	if row == nil {
		t.Fatalf("execution page lists no SourceArtifact")
	}
	mustContain(t, "artifact row", row[1], "<td>Source.Fetch</td>", "<td>1</td>", " B</td>", `href="`+link+`"`)

	res := olga.get(link)
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/gzip" ||
		res.header.Get("Content-Disposition") != `attachment; filename="`+id+`-SourceArtifact.tar.gz"` {
		t.Fatalf("download = %d %q %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
	}
	files := untar(t, res.body)
	if files["app/"] != "/" || !strings.Contains(files["app/config.js"], "accessKeyId: '"+plantedKeyID+"'") || len(files) != 2 {
		t.Errorf("archive = %v, want app/ and app/config.js as the action wrote it", files)
	}

	for _, path := range []string{"/executions/" + id + "/artifacts/Nope", "/executions/nope/artifacts/SourceArtifact"} {
		if res := olga.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, res.status)
		}
	}

	// Viewers see the artifact but may not download the tree: it holds
	// the secret in full.
	victor := e.client()
	victor.login(store.RoleViewer)
	page = victor.get("/executions/" + id)
	mustContain(t, "viewer's execution page", page.body, `data-artifact="SourceArtifact"`, "takes an operator")
	if strings.Contains(page.body, `href="`+link+`"`) {
		t.Errorf("viewer's execution page links the download")
	}
	if res := victor.get(link); res.status != http.StatusForbidden || strings.Contains(res.body, plantedSecret) {
		t.Errorf("viewer download = %d, want 403 without the contents", res.status)
	}

	// A damaged store is not served as if it were the artifact: damage the
	// blob holding config.js (same length, other bytes).
	damaged := false
	err := filepath.WalkDir(e.arts.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(b, []byte(plantedSecret)) {
			return err
		}
		damaged = true
		return os.WriteFile(path, bytes.ReplaceAll(b, []byte(plantedSecret), bytes.Repeat([]byte("x"), len(plantedSecret))), 0o644)
	})
	if err != nil || !damaged {
		t.Fatalf("damage the blob: %v (found: %v)", err, damaged)
	}
	if err := fetch(olga, link); err == nil {
		t.Errorf("download of a damaged artifact ended cleanly; want the response cut")
	}
}

// fetch GETs path with c's session and reads the whole response; it
// returns the error of either (a cut response is one).
func fetch(c *client, path string) error {
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, err = io.ReadAll(res.Body)
	return err
}
