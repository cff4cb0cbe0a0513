package actioncfg

import (
	"strconv"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Env returns the environment variables every command of an action sees,
// as KEY=value pairs to append to the base environment: the
// CodeBuild-like CODEBUILD_SRC_DIR (srcDir, the primary input's working
// copy) and CODEBUILD_SRC_DIR_<name> for every other input, INPUT_<name>
// for every input, OUTPUT_DIR (the first output) and OUTPUT_<name> for
// every output, and SECPIPE_* names of the execution, pipeline, stage,
// action and attempt. Names pass through EnvName; primary is the primary
// input's name ("" when there is none).
func Env(req *pipeline.ActionRequest, primary, srcDir string) []string {
	env := []string{
		"CODEBUILD_SRC_DIR=" + srcDir,
		"SECPIPE_EXECUTION_ID=" + req.ExecutionID,
		"SECPIPE_PIPELINE=" + req.Pipeline,
		"SECPIPE_STAGE=" + req.Stage,
		"SECPIPE_ACTION=" + req.Action.Name,
		"SECPIPE_ATTEMPT=" + strconv.Itoa(req.Attempt),
	}
	for _, in := range Inputs(req) {
		dir := in.Dir
		if in.Name == primary {
			dir = srcDir
		} else {
			env = append(env, "CODEBUILD_SRC_DIR_"+EnvName(in.Name)+"="+dir)
		}
		env = append(env, "INPUT_"+EnvName(in.Name)+"="+dir)
	}
	for i, out := range Outputs(req) {
		if i == 0 {
			env = append(env, "OUTPUT_DIR="+out.Dir)
		}
		env = append(env, "OUTPUT_"+EnvName(out.Name)+"="+out.Dir)
	}
	return env
}

// Clip shortens a command for a message: its first line, at most 80
// characters, with an ellipsis when anything was cut.
func Clip(s string) string {
	cut := false
	for i, r := range s {
		if r == '\n' {
			s, cut = s[:i], true
			break
		}
	}
	if r := []rune(s); len(r) > 80 {
		s, cut = string(r[:80]), true
	}
	if cut {
		s += "…"
	}
	return s
}
