// Package kubernetes checks the Kubernetes manifests of a source tree
// against the Pod Security Standards and common hardening advice: what a
// container may do to its node (privileged mode, host namespaces, host
// paths and ports, capabilities), who it runs as, what it may write, what
// it may consume, and where its images and secrets come from.
//
// Manifests are the *.yaml and *.yml files (outside .git and node_modules)
// holding documents with apiVersion and kind, including multi-document
// files, Lists and `helm template` output. Pods, Deployments,
// StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs,
// CronJobs and PodTemplates are checked, with their containers, init
// containers and ephemeral containers. A file with a document that is not
// YAML, or with a pod spec whose fields have the wrong shape (containers:
// web), fails kubernetes-parse, once, naming the file, line and field,
// and the other checks judge the files that did parse. A Helm template
// ({{ }}) is no failure: kubernetes-parse notes it as NotApplicable and
// the other checks skip that document. A value a single check reads that
// has the wrong type (privileged: maybe) is that check's error, naming
// the field's path. Objects without a pod spec or containers (kustomize
// patches) are left out. YAML anchors, aliases and merge keys are
// followed.
package kubernetes

import (
	"context"
	"slices"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// group is the Group of every check here.
const group = "kubernetes"

// Checks returns the Kubernetes manifest checks, in catalogue order.
//
// The checks of one list share a cache of the last source tree they
// loaded, so running them all over a tree parses each manifest once;
// lists from separate calls share nothing.
func Checks() []config.Check {
	c := &cache{}
	out := []config.Check{parseCheck(c)}
	out = append(out, podChecks(c)...)
	out = append(out, containerChecks(c)...)
	out = append(out, resourceChecks(c)...)
	return out
}

// pss and securityContext are the references most checks share.
const (
	pss             = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
	securityContext = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"
)

type runFunc = func(context.Context, rootfs.Root) ([]config.Result, error)

// check fills in what every Kubernetes check shares.
func check(id, title string, sev pipeline.Severity, rationale, remediation string, refs []string, run runFunc) config.Check {
	return config.Check{
		ID:          id,
		Title:       title,
		Group:       group,
		Severity:    sev,
		Target:      config.TargetSource,
		Reads:       []string{"*.yaml", "*.yml"},
		Rationale:   rationale,
		Remediation: remediation,
		References:  refs,
		Run:         run,
	}
}

// verdict is a judgement of one workload or container: status 0 means
// the check does not apply to it.
type verdict struct {
	status config.Status
	line   int
	msg    string
}

// parseCheck reports, once per scan, how each manifest parsed: the other
// checks skip the files that did not.
func parseCheck(c *cache) config.Check {
	return check("kubernetes-parse", "Kubernetes manifests parse", pipeline.SeverityMedium,
		"A manifest that is not valid YAML, or whose pod spec has fields of the wrong shape, is rejected by the API server or read differently by each tool that applies it; and no other check can judge it, so its containers go unchecked.",
		"Fix the YAML or the field at the line named (kubectl apply --dry-run=server -f FILE reports the same problems). Helm templates are recognised by their {{ }} markers and skipped; scan the output of helm template to check what a chart deploys.",
		[]string{"https://kubernetes.io/docs/concepts/overview/working-with-objects/", "https://yaml.org/spec/1.2.2/"},
		func(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
			t, err := c.load(ctx, r)
			if err != nil {
				return nil, err
			}
			if len(t.parsed) == 0 {
				return []config.Result{{Status: config.NotApplicable, Message: "no Kubernetes manifest"}}, nil
			}
			return slices.Clone(t.parsed), nil
		})
}

// perWorkload adapts a judgement of workloads to Check.Run: it judges
// the workloads of the files that parsed (templates and broken files are
// kubernetes-parse's business), and says NotApplicable once when the tree
// has no workload or none the judgement applies to.
func perWorkload(c *cache, judge func(m *manifests, w *workload) ([]verdict, error)) runFunc {
	return func(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
		t, err := c.load(ctx, r)
		if err != nil {
			return nil, err
		}
		m, ws := t.m, t.ws
		var out []config.Result
		for _, w := range ws {
			vs, err := judge(m, w)
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				if v.status != 0 {
					out = append(out, config.Result{Status: v.status, Path: w.body.doc.path, Line: v.line, Message: v.msg})
				}
			}
		}
		if len(out) == 0 {
			msg := "no Kubernetes workload"
			if len(ws) > 0 {
				msg = "no workload or container this check applies to"
			}
			out = append(out, config.Result{Status: config.NotApplicable, Message: msg})
		}
		return out, nil
	}
}

// podJudge adapts a judgement of one pod spec to perWorkload.
func podJudge(c *cache, judge func(w *workload) (verdict, error)) runFunc {
	return perWorkload(c, func(_ *manifests, w *workload) ([]verdict, error) {
		v, err := judge(w)
		return []verdict{v}, err
	})
}

// perContainer adapts a judgement of containers to Check.Run: one result
// per container of every workload.
func perContainer(c *cache, judge func(c *container) (verdict, error)) runFunc {
	return perWorkload(c, func(_ *manifests, w *workload) ([]verdict, error) {
		var out []verdict
		for _, ct := range w.containers {
			v, err := judge(ct)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	})
}
