package spec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// provider maps an action type to a secpipe provider and its config.
func (im *importer) provider(where string, ca cpAction) (string, map[string]any) {
	t := ca.ActionTypeID
	cfg := ca.Configuration
	if strings.EqualFold(t.Owner, "Custom") {
		return im.custom(where, ca)
	}
	switch strings.ToLower(t.Category + "/" + t.Provider) {
	case "source/codecommit", "source/github", "source/codestarsourceconnection":
		return im.source(where, ca)
	case "build/codebuild", "test/codebuild":
		return im.codeBuild(where, cfg)
	case "invoke/lambda":
		config := map[string]any{"function": configString(cfg, "FunctionName")}
		if up := configString(cfg, "UserParameters"); up != "" {
			config["user_parameters"] = up
		}
		im.warnf(where, "set config.handler to an executable that does what Lambda function %q does (it gets the CodePipeline.job event on stdin)",
			configString(cfg, "FunctionName"))
		im.unused(where, cfg, "FunctionName", "UserParameters")
		return "invoke", config
	case "approval/manual":
		config := map[string]any{}
		if s := configString(cfg, "CustomData"); s != "" {
			config["summary"] = s
		}
		if s := configString(cfg, "ExternalEntityLink"); s != "" {
			config["url"] = s
		}
		im.unused(where, cfg, "CustomData", "ExternalEntityLink")
		return "approval", config
	case "compute/commands":
		return im.commands(where, ca)
	}
	return im.placeholder(where, ca)
}

// source maps a source action to the git provider.
func (im *importer) source(where string, ca cpAction) (string, map[string]any) {
	cfg := ca.Configuration
	config := map[string]any{}
	var repo, branch string
	var used []string
	switch strings.ToLower(ca.ActionTypeID.Provider) {
	case "codecommit":
		repo, branch = configString(cfg, "RepositoryName"), configString(cfg, "BranchName")
		used = []string{"RepositoryName", "BranchName"}
		im.warnf(where, "repository %q is a CodeCommit name: set config.repository to a path or clone URL, or drop it to use the repository secpipe runs in", repo)
	case "github":
		repo = "https://github.com/" + configString(cfg, "Owner") + "/" + configString(cfg, "Repo")
		branch = configString(cfg, "Branch")
		used = []string{"Owner", "Repo", "Branch"}
	default:
		repo, branch = configString(cfg, "FullRepositoryId"), configString(cfg, "BranchName")
		used = []string{"FullRepositoryId", "BranchName"}
		im.warnf(where, "repository %q comes through a connection: set config.repository to a path or clone URL, or drop it to use the repository secpipe runs in", repo)
	}
	if repo != "" {
		config["repository"] = repo
	}
	if branch != "" {
		config["branch"] = branch
	}
	im.unused(where, cfg, used...)
	return "git", config
}

// codeBuild maps a CodeBuild action to the buildspec provider.
func (im *importer) codeBuild(where string, cfg map[string]any) (string, map[string]any) {
	spec := configString(cfg, "BuildSpec")
	if spec == "" {
		spec = "buildspec.yml"
	}
	if p := configString(cfg, "ProjectName"); p != "" {
		im.warnf(where, "CodeBuild project %q: its settings (image, compute, buildspec override) are not imported; the build runs locally from %s", p, spec)
	}
	if env := configString(cfg, "EnvironmentVariables"); env != "" {
		im.warnf(where, "EnvironmentVariables not imported: move %s into the buildspec's env.variables", envNames(env))
	}
	im.unused(where, cfg, "BuildSpec", "ProjectName", "EnvironmentVariables")
	return "buildspec", map[string]any{"buildspec": spec}
}

// envNames lists the names in CodeBuild's EnvironmentVariables JSON.
func envNames(raw string) string {
	var vars []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(raw), &vars); err != nil || len(vars) == 0 {
		return "them"
	}
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

// commands maps a Compute/Commands action to the shell provider.
func (im *importer) commands(where string, ca cpAction) (string, map[string]any) {
	config := map[string]any{"commands": stringsToAny(ca.Commands)}
	if len(ca.OutputVariables) > 0 {
		config["exported_variables"] = stringsToAny(ca.OutputVariables)
	}
	if len(ca.EnvironmentVars) > 0 {
		im.warnf(where, "environmentVariables not imported: set them in config.env")
	}
	im.unused(where, ca.Configuration)
	return "shell", config
}

// custom maps a custom action to the custom provider; the configuration
// goes to the external worker as it is.
func (im *importer) custom(_ string, ca cpAction) (string, map[string]any) {
	t := ca.ActionTypeID
	config := map[string]any{"action_type": t.Category + "/" + t.Provider + "/" + t.Version}
	if len(ca.Configuration) > 0 {
		config["configuration"] = ca.Configuration
	}
	return "custom", config
}

// placeholder stands in for an action with no local equivalent: a shell
// action that fails, saying what to replace.
func (im *importer) placeholder(where string, ca cpAction) (string, map[string]any) {
	t := ca.ActionTypeID
	kind := fmt.Sprintf("%s/%s/%s", t.Category, t.Owner, t.Provider)
	im.warnf(where, "%s has no local equivalent: imported as a shell action that fails until its commands are replaced", kind)
	im.unused(where, ca.Configuration)
	msg := fmt.Sprintf("imported from CodePipeline action %s (%s): replace these commands", ca.Name, kind)
	return "shell", map[string]any{"commands": []any{"echo " + shellQuote(msg) + " >&2", "exit 1"}}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
