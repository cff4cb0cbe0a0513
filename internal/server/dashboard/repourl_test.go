package dashboard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/store"
)

// TestPipelinesHideRepositoryCredentials: a repository URL carrying a
// token is shown masked, as the API shows it, even to viewers.
func TestPipelinesHideRepositoryCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.st.CreatePipeline(context.Background(), store.PipelineRecord{Name: "private",
		Repo: "https://oauth2:glpat-TOKENTOKENTOKEN@gitlab.example.com/org/app.git", Branch: "main",
		Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(store.RoleViewer)
	page := c.get("/pipelines")
	mustContain(t, "pipelines page", page.body, "https://oauth2:***@gitlab.example.com/org/app.git")
	if strings.Contains(page.body, "glpat-TOKENTOKENTOKEN") {
		t.Errorf("pipelines page shows the repository's token")
	}
}
