package invoke

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		name    string
		stdout  string
		want    Reply
		wantErr string
	}{
		{name: "success", stdout: `{"result":"success"}`, want: Reply{Result: "success"}},
		{
			name:   "after log lines, pretty, nested",
			stdout: "starting {not json}\n{\n \"result\": \"success\",\n \"output_variables\": {\"A\": \"x\", \"N\": 1.5, \"B\": true, \"I\": 7}\n}\n\n",
			want:   Reply{Result: "success", OutputVariables: map[string]string{"A": "x", "N": "1.5", "B": "true", "I": "7"}},
		},
		{
			name:   "last of two",
			stdout: `{"result":"failure"}` + "\n" + `{"result":"in_progress","continuation_token":"t","extra":{"k":[1,{"z":2}]}}`,
			want:   Reply{Result: "in_progress", ContinuationToken: "t"},
		},
		{name: "braces in strings", stdout: `{"result":"failure","message":"} { \"x\""}`, want: Reply{Result: "failure", Message: `} { "x"`}},
		{name: "empty", stdout: " \n", wantErr: "printed no reply"},
		{name: "trailing text", stdout: `{"result":"success"} done`, wantErr: "does not end with a JSON object"},
		{name: "array", stdout: `[{"result":"success"}]`, wantErr: "does not end with a JSON object"},
		{name: "no result", stdout: `{"message":"hi"}`, wantErr: `"result" is missing`},
		{name: "bad result", stdout: `{"result":"ok"}`, wantErr: `result "ok" is not`},
		{name: "wrong type", stdout: `{"result":1}`, wantErr: "cannot unmarshal"},
		{name: "object variable", stdout: `{"result":"success","output_variables":{"A":{}}}`, wantErr: `output_variables "A"`},
		{name: "null variable", stdout: `{"result":"success","output_variables":{"A":null}}`, wantErr: `output_variables "A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReply([]byte(tt.stdout))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseReply(%q) = %+v, %v; want error %q", tt.stdout, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReply(%q): %v", tt.stdout, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReply(%q) (-want +got):\n%s", tt.stdout, diff)
			}
		})
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		`{"result":"success","output_variables":{"A":"1"}}`,
		"log\n{\"result\":\"in_progress\",\"continuation_token\":\"x\"}\n",
		`{"result":"failure","message":"}{"}`,
		`{{{{`,
		`{"a":{"a":{"a":`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stdout []byte) {
		r, err := ParseReply(stdout)
		if err != nil {
			return
		}
		switch r.Result {
		case "success", "failure":
		case "in_progress":
			if r.ContinuationToken == "" {
				t.Errorf("in_progress without a token from %q", stdout)
			}
		default:
			t.Errorf("result %q accepted from %q", r.Result, stdout)
		}
	})
}
