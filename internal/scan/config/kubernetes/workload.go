package kubernetes

import (
	"fmt"
	"strings"
)

// podSpecPaths maps the kinds that run pods to where their pod spec is.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"PodTemplate":           {"template", "spec"},
}

// workloadGroups are the API groups of those kinds; a CRD reusing a kind
// name in another group is not one of them.
var workloadGroups = map[string]bool{"": true, "apps": true, "extensions": true, "batch": true}

// workload is an object that runs pods: its pod spec and containers.
type workload struct {
	*object
	pod        *node
	containers []*container
}

// container is one entry of a pod spec's containers, initContainers or
// ephemeralContainers.
type container struct {
	w *workload
	// list is "containers", "initContainers" or "ephemeralContainers".
	list string
	name string
	n    *node
}

// label names the container in messages: `Deployment web, container "app"`.
func (c *container) label() string {
	kind := "container"
	switch c.list {
	case "initContainers":
		kind = "init container"
	case "ephemeralContainers":
		kind = "ephemeral container"
	}
	return fmt.Sprintf("%s, %s %q", c.w.label(), kind, c.name)
}

// workloads returns the objects of m that run pods. An object without a
// pod spec or without containers (a kustomize patch, say) is left out; a
// pod spec of the wrong shape is an error naming the field.
func (m *manifests) workloads() ([]*workload, error) {
	var out []*workload
	for _, o := range m.objects {
		specPath, ok := podSpecPaths[o.kind]
		group, _, hasGroup := strings.Cut(o.apiVersion, "/")
		if !hasGroup {
			group = ""
		}
		if !ok || !workloadGroups[group] {
			continue
		}
		pod := o.body
		for _, key := range specPath {
			pod = pod.get(key)
		}
		if !pod.isMap() {
			continue
		}
		w := &workload{object: o, pod: pod}
		if err := shapes(pod, podMaps, []string{"volumes"}); err != nil {
			return nil, err
		}
		if err := w.addContainers(); err != nil {
			return nil, err
		}
		if len(w.containers) > 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

func (w *workload) addContainers() error {
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		items, err := w.pod.get(list).items()
		if err != nil {
			return err
		}
		for _, it := range items {
			if !it.isMap() {
				return it.errorf("want a container (a mapping), got %s", it.kind())
			}
			if err := shapes(it, containerMaps, []string{"env", "ports"}); err != nil {
				return err
			}
			name, err := it.get("name").text()
			if err != nil {
				return err
			}
			if name == "" {
				name = strings.TrimPrefix(it.field, w.pod.field+".")
			}
			w.containers = append(w.containers, &container{w: w, list: list, name: name, n: it})
		}
	}
	return nil
}

// securityField returns a container's security setting: the container's
// securityContext field, or for settings a pod may set for all its
// containers, the pod's. It returns nil when neither sets it.
func (c *container) securityField(key string) *node {
	if v := c.n.get("securityContext").get(key); !v.isNull() {
		return v
	}
	switch key {
	case "runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile", "seLinuxOptions", "appArmorProfile", "windowsOptions":
		if v := c.w.pod.get("securityContext").get(key); !v.isNull() {
			return v
		}
	}
	return nil
}

// line returns the line of the first field present, else the line of the
// container's entry.
func (c *container) line(fields ...*node) int {
	for _, f := range fields {
		if f != nil && f.line > 0 {
			return f.line
		}
	}
	return c.n.line
}

// The fields the checks read that must be mappings, in pod specs and in
// containers.
var (
	podMaps       = []string{"securityContext", "securityContext.seccompProfile"}
	containerMaps = []string{"securityContext", "securityContext.capabilities", "securityContext.seccompProfile",
		"resources", "resources.limits", "resources.requests"}
)

// shapes checks that the fields of n the checks read have the right
// shape (absent and null are fine), so that a mistyped field is an error
// naming it rather than a silent default.
func shapes(n *node, maps, lists []string) error {
	for _, p := range maps {
		f := n
		for _, key := range strings.Split(p, ".") {
			f = f.get(key)
		}
		if !f.isNull() && !f.isMap() {
			return f.errorf("want a mapping, got %s", f.kind())
		}
	}
	for _, key := range lists {
		if _, err := n.get(key).items(); err != nil {
			return err
		}
	}
	return nil
}
