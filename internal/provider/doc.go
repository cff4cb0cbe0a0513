// Package provider holds the built-in action providers, one package each;
// every one implements pipeline.Provider and is listed explicitly where
// the CLI wires the engine:
//
//   - git: exports a commit of a local or remote repository as the source
//     artifact and records it as the source revision.
//   - buildspec: runs a CodeBuild buildspec (phases, finally, on-failure,
//     exported variables, artifacts, JUnit reports).
//   - shell: runs commands or a script in one shell with set -e.
//   - invoke: runs a handler executable with the CodePipeline.job event on
//     standard input; it may answer in_progress with a continuation token.
//   - approval: waits for `secpipe approve`.
//   - custom: waits for an external worker using the job API.
//   - scan: runs secpipe's scanners on an input artifact and gates them.
//
// Providers that run commands start each in its own process group and, on
// cancellation or timeout, send the group SIGTERM and then SIGKILL after a
// grace period; nothing they start outlives Run. Output streams to the
// action log line by line as it comes. The shared machinery lives in
// internal/: proc (process groups, line-by-line logs, shell sessions),
// actioncfg (configuration decoding, artifact order, environment) and
// workspace (file copies).
//
// Each provider also has a Validate(config) method that checks an action's
// configuration without running it.
package provider
