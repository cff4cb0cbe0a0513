package kubernetes

import (
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
	"github.com/secpipe/secpipe/internal/scan/config/credential"
)

// resourceChecks are about what containers consume and where their
// images, ports and environment come from.
func resourceChecks(c *cache) []config.Check {
	resources := "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
	images := "https://kubernetes.io/docs/concepts/containers/images/"
	return []config.Check{
		check("kubernetes-resource-limits", "Containers have CPU and memory limits", pipeline.SeverityLow,
			"A container without limits can take all the CPU and memory of its node: a bug, a load spike or an attacker's miner starves the other pods (and the kubelet) of the node.",
			"Set resources.limits.memory and resources.limits.cpu on every container, from measured use plus headroom; a LimitRange can supply defaults per namespace.",
			[]string{resources, "https://kubernetes.io/docs/concepts/policy/limit-range/"}, perContainer(c, resourceSet("limits"))),
		check("kubernetes-resource-requests", "Containers request CPU and memory", pipeline.SeverityLow,
			"Without requests the scheduler places pods blind and evicts them first under pressure (BestEffort class): availability suffers and noisy neighbours go unchecked.",
			"Set resources.requests.memory and resources.requests.cpu on every container to its usual use.",
			[]string{resources}, perContainer(c, resourceSet("requests"))),
		check("kubernetes-latest-tag", "Container images are pinned by tag or digest", pipeline.SeverityMedium,
			"An image without tag, or tagged latest, changes under the workload: nodes run different code depending on when they pulled, rollbacks do not roll back, and a hijacked push deploys itself.",
			"Use a specific version tag, or better a digest (registry/app:1.4.2@sha256:…), and update it through the deployment pipeline.",
			[]string{images}, perContainer(c, latestTag)),
		check("kubernetes-image-pull-policy", "Mutable image tags are always pulled", pipeline.SeverityLow,
			"With imagePullPolicy IfNotPresent and a tag rather than a digest, a node runs whatever image it cached under that tag, possibly an old or planted one, and skips the registry's authorization for it.",
			"Pin images by digest, or set imagePullPolicy: Always.",
			[]string{images + "#image-pull-policy"}, perContainer(c, pullPolicy)),
		check("kubernetes-host-ports", "Containers do not bind host ports", pipeline.SeverityMedium,
			"A hostPort opens the port on the node's own address, bypassing Services and most network policies, and ties the pod to nodes where the port is free.",
			"Remove hostPort and expose the container through a Service (NodePort or LoadBalancer if it must be reachable from outside).",
			[]string{pss, "https://kubernetes.io/docs/concepts/configuration/overview/#services", "CIS Kubernetes Benchmark: Minimize the admission of containers which use HostPorts"},
			perContainer(c, hostPorts)),
		check("kubernetes-secrets-in-env", "Secrets are not written into manifests", pipeline.SeverityHigh,
			"A password or token given as a literal env value is stored in the manifest, in version control and in the API server's object, readable by anyone who can read the workload.",
			"Put the value in a Secret (or an external secret store) and reference it with env.valueFrom.secretKeyRef, or mount it as a file; rotate any secret that was committed.",
			[]string{"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables", "CIS Kubernetes Benchmark: Prefer using Secrets as files over Secrets as environment variables"},
			perContainer(c, secretsInEnv)),
	}
}

// resourceSet judges resources.limits or resources.requests: both cpu and
// memory must be set. Ephemeral containers may not have resources.
func resourceSet(kind string) func(*container) (verdict, error) {
	return func(c *container) (verdict, error) {
		if c.list == "ephemeralContainers" {
			return verdict{}, nil
		}
		f := c.n.get("resources").get(kind)
		var missing []string
		for _, r := range []string{"cpu", "memory"} {
			if v, err := f.get(r).text(); err != nil {
				return verdict{}, err
			} else if v == "" {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			return verdict{config.Fail, c.line(f, c.n.get("resources")), fmt.Sprintf("%s: no %s %s", c.label(), strings.Join(missing, " or "), kind)}, nil
		}
		return verdict{config.Pass, f.line, fmt.Sprintf("%s: cpu and memory %s set", c.label(), kind)}, nil
	}
}

// splitImage splits an image reference into name, tag and digest.
func splitImage(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

func latestTag(c *container) (verdict, error) {
	f := c.n.get("image")
	image, err := f.text()
	_, tag, digest := splitImage(image)
	switch {
	case err != nil:
		return verdict{}, err
	case image == "":
		return verdict{}, nil
	case strings.Contains(image, "{{"):
		return verdict{config.Undetermined, f.line, fmt.Sprintf("%s: image %s is set by a template", c.label(), image)}, nil
	case digest != "":
		return verdict{config.Pass, f.line, fmt.Sprintf("%s: image %s is pinned by digest", c.label(), image)}, nil
	case tag == "":
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: image %s has no tag, which means latest", c.label(), image)}, nil
	case tag == "latest":
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: image %s uses the latest tag", c.label(), image)}, nil
	}
	return verdict{config.Pass, f.line, fmt.Sprintf("%s: image %s", c.label(), image)}, nil
}

func pullPolicy(c *container) (verdict, error) {
	image, err := c.n.get("image").text()
	if err != nil || image == "" || strings.Contains(image, "{{") {
		return verdict{}, err
	}
	f := c.n.get("imagePullPolicy")
	policy, err := f.text()
	if err != nil {
		return verdict{}, err
	}
	_, tag, digest := splitImage(image)
	how := "set"
	if policy == "" {
		how, policy = "defaulted", "IfNotPresent"
		if tag == "" || tag == "latest" {
			policy = "Always"
		}
	}
	switch {
	case digest != "":
		return verdict{config.Pass, c.line(f, c.n.get("image")), fmt.Sprintf("%s: image pinned by digest", c.label())}, nil
	case policy == "Always":
		return verdict{config.Pass, c.line(f, c.n.get("image")), fmt.Sprintf("%s: imagePullPolicy Always (%s)", c.label(), how)}, nil
	}
	return verdict{config.Fail, c.line(f, c.n.get("image")), fmt.Sprintf("%s: imagePullPolicy %s (%s) with mutable tag %s", c.label(), policy, how, tag)}, nil
}

func hostPorts(c *container) (verdict, error) {
	ports, err := c.n.get("ports").items()
	if err != nil {
		return verdict{}, err
	}
	for _, p := range ports {
		f := p.get("hostPort")
		hp, _, err := f.integer()
		if err != nil {
			return verdict{}, err
		}
		if hp > 0 {
			return verdict{config.Fail, f.line, fmt.Sprintf("%s: hostPort %d", c.label(), hp)}, nil
		}
	}
	return verdict{config.Pass, c.line(c.n.get("ports")), c.label() + ": no hostPort"}, nil
}

func secretsInEnv(c *container) (verdict, error) {
	env, err := c.n.get("env").items()
	if err != nil {
		return verdict{}, err
	}
	var v verdict
	for _, e := range env {
		name, err := e.get("name").text()
		if err != nil {
			return verdict{}, err
		}
		value, err := e.get("value").text()
		if err != nil {
			return verdict{}, err
		}
		switch kind := credential.Kind(value); {
		case kind != "":
			return verdict{config.Fail, e.line, fmt.Sprintf("%s: env %s holds what looks like %s (%s)", c.label(), name, kind, pipeline.Redact(value))}, nil
		case !credential.SecretName(name):
		case value != "" && !isReference(value):
			return verdict{config.Fail, e.line, fmt.Sprintf("%s: env %s has a literal value (%s)", c.label(), name, pipeline.Redact(value))}, nil
		case v.status == 0:
			v = verdict{config.Pass, e.line, fmt.Sprintf("%s: env %s is not a literal", c.label(), name)}
		}
	}
	return v, nil
}

// isReference reports whether an env value only refers to other
// variables: $(VAR) as Kubernetes expands it.
func isReference(v string) bool {
	return strings.HasPrefix(v, "$(") && strings.HasSuffix(v, ")") && !strings.Contains(v[2:], "$(")
}
