package repourl

import "testing"

func TestDisplay(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://oauth2:glpat-SECRET@gitlab.example.com/org/app.git", "https://oauth2:***@gitlab.example.com/org/app.git"},
		{"https://ghp_SECRET@github.com/org/app.git", "https://***@github.com/org/app.git"},
		{"ssh://git@github.com/org/app.git", "ssh://git@github.com/org/app.git"},
		{"https://github.com/org/app.git", "https://github.com/org/app.git"},
		{"https://github.com/org/a@b.git", "https://github.com/org/a@b.git"},
		{"git@github.com:org/app.git", "git@github.com:org/app.git"},
		{"/srv/repos/app", "/srv/repos/app"},
	}
	for _, tt := range tests {
		if got := Display(tt.in); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskCredentials(t *testing.T) {
	in := "fatal: unable to access 'https://oauth2:glpat-SECRET@gitlab.example.com/org/app.git/': 403"
	want := "fatal: unable to access 'https://***@gitlab.example.com/org/app.git/': 403"
	if got := MaskCredentials(in); got != want {
		t.Errorf("MaskCredentials = %q, want %q", got, want)
	}
}
