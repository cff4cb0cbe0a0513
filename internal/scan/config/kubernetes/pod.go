package kubernetes

import (
	"fmt"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// podChecks are about pod-level settings: host namespaces, host paths,
// the service account token and the namespace.
func podChecks(c *cache) []config.Check {
	return []config.Check{
		check("kubernetes-host-network", "Pods do not use the host network", pipeline.SeverityHigh,
			"hostNetwork: true puts the pod in the node's network namespace: it can bind the node's ports, reach services listening on localhost (the kubelet, cloud metadata endpoints) and sniff the node's traffic, and network policies no longer apply to it.",
			"Remove hostNetwork (or set it to false) and expose the pod through a Service; only node-level network agents should run with it, in their own namespace.",
			[]string{pss, "CIS Kubernetes Benchmark: Minimize the admission of containers wishing to share the host network namespace"},
			podJudge(c, hostNamespace("hostNetwork", "the node's network namespace"))),
		check("kubernetes-host-pid", "Pods do not share the host PID namespace", pipeline.SeverityHigh,
			"hostPID: true lets the pod see every process of the node, read their environment and, with ptrace rights, enter them: secrets of other pods and of the node leak.",
			"Remove hostPID (or set it to false).",
			[]string{pss, "CIS Kubernetes Benchmark: Minimize the admission of containers wishing to share the host process ID namespace"},
			podJudge(c, hostNamespace("hostPID", "the node's process namespace"))),
		check("kubernetes-host-ipc", "Pods do not share the host IPC namespace", pipeline.SeverityHigh,
			"hostIPC: true gives the pod the node's shared memory and message queues: it can read or corrupt data other processes on the node exchange.",
			"Remove hostIPC (or set it to false).",
			[]string{pss, "CIS Kubernetes Benchmark: Minimize the admission of containers wishing to share the host IPC namespace"},
			podJudge(c, hostNamespace("hostIPC", "the node's IPC namespace"))),
		check("kubernetes-host-path", "Pods do not mount host paths", pipeline.SeverityMedium,
			"A hostPath volume exposes a node directory to the pod: files written there outlive the pod and reach other workloads, and a writable mount of the wrong path is a route to the node.",
			"Use emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume; if a node agent really needs a host path, mount it readOnly and as narrowly as possible.",
			[]string{pss, "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath", "CIS Kubernetes Benchmark: Minimize the admission of HostPath volumes"},
			perWorkload(c, hostPaths(false))),
		check("kubernetes-host-path-sensitive", "Pods do not mount the node's root, system directories or runtime socket", pipeline.SeverityHigh,
			"Mounting /, /etc, /proc, /var/lib/kubelet or the container runtime's socket (docker.sock, containerd.sock) hands the pod the node: it can read every secret on it, start privileged containers or rewrite system files.",
			"Remove the volume. Tools that need the runtime API should use a narrowly scoped API instead of the socket; never mount the node's root.",
			[]string{pss, "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"},
			perWorkload(c, hostPaths(true))),
		check("kubernetes-service-account-token", "Pods do not mount an API token they do not need", pipeline.SeverityLow,
			"Every pod gets a token for its service account unless told otherwise: an attacker in the pod can use it against the API server with whatever rights that account has.",
			"Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount) and enable it only for pods that call the Kubernetes API.",
			[]string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
				"CIS Kubernetes Benchmark: Ensure that Service Account Tokens are only mounted where necessary"},
			perWorkload(c, serviceAccountToken)),
		check("kubernetes-default-namespace", "Workloads are not placed in the default namespace", pipeline.SeverityLow,
			"The default namespace is where everything lands that was not placed deliberately: its RBAC, network policies and quotas are rarely tailored, and workloads there are hard to isolate from each other.",
			"Create a namespace per application or team and set metadata.namespace to it (or leave it to the deployment tool, e.g. kubectl -n or Helm's --namespace).",
			[]string{"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/", "CIS Kubernetes Benchmark: The default namespace should not be used"},
			podJudge(c, defaultNamespace)),
	}
}

func hostNamespace(key, what string) func(w *workload) (verdict, error) {
	return func(w *workload) (verdict, error) {
		f := w.pod.get(key)
		on, set, err := f.boolean()
		switch {
		case err != nil:
			return verdict{}, err
		case on:
			return verdict{config.Fail, f.line, fmt.Sprintf("%s: %s: true shares %s", w.label(), key, what)}, nil
		case set:
			return verdict{config.Pass, f.line, fmt.Sprintf("%s: %s: false", w.label(), key)}, nil
		}
		return verdict{config.Pass, w.pod.line, fmt.Sprintf("%s: %s not set", w.label(), key)}, nil
	}
}

// sensitiveTrees are host directories whose every path is sensitive;
// sensitiveDirs are sensitive themselves but not below.
var (
	sensitiveTrees = []string{"/etc", "/proc", "/sys", "/boot", "/root", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/etc/kubernetes"}
	sensitiveDirs  = []string{"/", "/dev", "/var", "/var/run", "/run", "/var/lib", "/usr", "/home"}
)

// sensitivePath reports whether a hostPath gives away the node.
func sensitivePath(p string) bool {
	p = path.Clean("/" + p)
	if strings.HasSuffix(p, ".sock") && (within(p, "/run") || within(p, "/var/run") || within(p, "/var/lib")) {
		return true // a container runtime's or the kubelet's API
	}
	for _, d := range sensitiveDirs {
		if p == d {
			return true
		}
	}
	for _, t := range sensitiveTrees {
		if within(p, t) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// hostPaths judges the hostPath volumes of a pod; with sensitive, only
// mounts of sensitive host paths fail.
func hostPaths(sensitive bool) func(*manifests, *workload) ([]verdict, error) {
	return func(_ *manifests, w *workload) ([]verdict, error) {
		vols, err := w.pod.get("volumes").items()
		if err != nil {
			return nil, err
		}
		var out []verdict
		for _, v := range vols {
			hp := v.get("hostPath")
			if hp.isNull() {
				continue
			}
			p, err := hp.get("path").text()
			if err != nil {
				return nil, err
			}
			name, _ := v.get("name").str()
			switch {
			case !sensitive:
				out = append(out, verdict{config.Fail, hp.line, fmt.Sprintf("%s: volume %q mounts host path %s", w.label(), name, p)})
			case sensitivePath(p):
				out = append(out, verdict{config.Fail, hp.line, fmt.Sprintf("%s: volume %q mounts sensitive host path %s", w.label(), name, p)})
			default:
				out = append(out, verdict{config.Pass, hp.line, fmt.Sprintf("%s: volume %q mounts host path %s, not a sensitive one", w.label(), name, p)})
			}
		}
		if len(out) == 0 {
			out = append(out, verdict{config.Pass, w.pod.line, fmt.Sprintf("%s: no hostPath volume", w.label())})
		}
		return out, nil
	}
}

func serviceAccountToken(m *manifests, w *workload) ([]verdict, error) {
	f := w.pod.get("automountServiceAccountToken")
	on, set, err := f.boolean()
	switch {
	case err != nil:
		return nil, err
	case set && on:
		return []verdict{{config.Fail, f.line, fmt.Sprintf("%s: automountServiceAccountToken: true", w.label())}}, nil
	case set:
		return []verdict{{config.Pass, f.line, fmt.Sprintf("%s: automountServiceAccountToken: false", w.label())}}, nil
	}
	account := "default"
	for _, key := range []string{"serviceAccountName", "serviceAccount"} {
		if s, _ := w.pod.get(key).str(); s != "" {
			account = s
			break
		}
	}
	if sa := m.serviceAccount(account, w.namespace()); sa != nil {
		f := sa.body.get("automountServiceAccountToken")
		on, set, err := f.boolean()
		switch {
		case err != nil:
			return nil, err
		case set && !on:
			return []verdict{{config.Pass, w.pod.line, fmt.Sprintf("%s: ServiceAccount %s (%s:%d) sets automountServiceAccountToken: false", w.label(), account, sa.body.doc.path, f.line)}}, nil
		}
	}
	return []verdict{{config.Fail, w.pod.line, fmt.Sprintf("%s: automountServiceAccountToken not set to false for service account %s", w.label(), account)}}, nil
}

// namespace returns an object's metadata.namespace, or "".
func (o *object) namespace() string {
	s, _ := o.body.get("metadata").get("namespace").str()
	return s
}

// serviceAccount finds the ServiceAccount of that name among the objects;
// an object without namespace matches any.
func (m *manifests) serviceAccount(name, namespace string) *object {
	for _, o := range m.objects {
		if o.kind != "ServiceAccount" || o.name != name {
			continue
		}
		if ns := o.namespace(); ns == "" || namespace == "" || ns == namespace {
			return o
		}
	}
	return nil
}

func defaultNamespace(w *workload) (verdict, error) {
	f := w.body.get("metadata").get("namespace")
	ns, err := f.text()
	switch {
	case err != nil:
		return verdict{}, err
	case ns == "":
		return verdict{config.NotApplicable, w.line, fmt.Sprintf("%s: no namespace set; it is chosen at deploy time", w.label())}, nil
	case ns == "default":
		return verdict{config.Fail, f.line, fmt.Sprintf("%s: namespace: default", w.label())}, nil
	}
	return verdict{config.Pass, f.line, fmt.Sprintf("%s: namespace: %s", w.label(), ns)}, nil
}
