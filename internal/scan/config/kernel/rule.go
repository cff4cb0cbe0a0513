package kernel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// image is what the kernel checks read from a root filesystem.
type image struct {
	sysctl  *sysctlState
	cmdline cmdline
	kconfig kernelConfig
}

func loadImage(r rootfs.Root) (image, error) {
	st, err := loadSysctl(r)
	if err != nil {
		return image{}, err
	}
	cl, err := loadCmdline(r)
	if err != nil {
		return image{}, err
	}
	kc, err := loadKernelConfig(r)
	if err != nil {
		return image{}, err
	}
	return image{sysctl: st, cmdline: cl, kconfig: kc}, nil
}

// sysctlRule holds one or more sysctl keys to acceptable values.
type sysctlRule struct {
	id, title string
	sev       pipeline.Severity
	keys      []string
	// want lists the acceptable values.
	want []string
	// def is the kernel's built-in value when nothing sets the key; ""
	// when it depends on the kernel build.
	def string
	// buildDefault, when set, reads the default from the image's kernel
	// configuration: the value and the option that decides it, or "".
	buildDefault           func(kernelConfig) (value, option string)
	rationale, remediation string
	refs                   []string
}

// check turns the rule into a Check.
func (s sysctlRule) check() config.Check {
	return config.Check{
		ID:          s.id,
		Title:       s.title,
		Group:       group,
		Severity:    s.sev,
		Target:      config.TargetRootFS,
		Reads:       sysctlReads(),
		Rationale:   s.rationale,
		Remediation: s.remediation,
		References:  append(s.refs, "sysctl.d(5)"),
		Run:         s.run,
	}
}

func sysctlReads() []string {
	return []string{"etc/sysctl.d/*.conf", "run/sysctl.d/*.conf", "usr/local/lib/sysctl.d/*.conf",
		"usr/lib/sysctl.d/*.conf", "lib/sysctl.d/*.conf", sysctlConf,
		"kernel command line (etc/default/grub, boot/grub/grub.cfg, etc/kernel/cmdline, boot/loader/entries)",
		"boot/config-*"}
}

func (s sysctlRule) run(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	img, err := loadImage(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	for _, key := range s.keys {
		if strings.HasPrefix(key, "net.ipv6.") {
			if p, off := img.ipv6Disabled(); off {
				out = append(out, config.Result{Status: config.NotApplicable, Path: p.Path, Line: p.Line,
					Message: fmt.Sprintf("%s: IPv6 is disabled (%s)", key, p.where())})
				continue
			}
		}
		out = append(out, s.judge(img, key))
	}
	return out, nil
}

// accept reports whether v is one of the wanted values; numbers compare
// numerically ("01" is 1).
func (s sysctlRule) accept(v string) bool {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		v = strconv.Itoa(n)
	}
	return slices.Contains(s.want, v)
}

func (s sysctlRule) wantText() string {
	n := len(s.want)
	if n <= 1 {
		return strings.Join(s.want, "")
	}
	return strings.Join(s.want[:n-1], ", ") + " or " + s.want[n-1]
}

// judge decides one key: a sysctl file, else a sysctl.KEY= boot
// parameter, else the default.
func (s sysctlRule) judge(img image, key string) config.Result {
	if a, ok := img.sysctl.lookup(key); ok {
		return s.valueResult(key, a.Value, a.Path, a.Line, a.where())
	}
	if ps := img.cmdline.find("sysctl." + key); len(ps) > 0 {
		p := ps[len(ps)-1]
		return s.valueResult(key, p.Value, p.Path, p.Line, p.where()+", kernel command line")
	}
	if s.buildDefault != nil && img.kconfig.Path != "" {
		if v, option := s.buildDefault(img.kconfig); v != "" && !s.accept(v) {
			return config.Result{Status: config.Fail, Path: img.kconfig.Path,
				Message: fmt.Sprintf("%s not set: the image's kernel defaults to %s (%s in %s); want %s",
					key, v, option, img.kconfig.Path, s.wantText())}
		}
	}
	if s.def != "" && !s.accept(s.def) {
		return config.Result{Status: config.Fail, Path: sysctlConf,
			Message: fmt.Sprintf("%s not set: the kernel default %s applies; want %s", key, s.def, s.wantText())}
	}
	if s.def == "" {
		return config.Result{Status: config.Undetermined,
			Message: fmt.Sprintf("%s not set: the default depends on the kernel build and the host; not determinable statically", key)}
	}
	return config.Result{Status: config.Undetermined,
		Message: fmt.Sprintf("%s not set: the kernel default (%s) applies unless the host overrides it; not determinable statically", key, s.def)}
}

func (s sysctlRule) valueResult(key, v, p string, line int, where string) config.Result {
	res := config.Result{Status: config.Pass, Path: p, Line: line,
		Message: fmt.Sprintf("%s = %s (%s)", key, v, where)}
	if !s.accept(v) {
		res.Status = config.Fail
		res.Message += "; want " + s.wantText()
	}
	return res
}

// ipv6Disabled reports whether the image turns IPv6 off: ipv6.disable=1
// on the command line, or net.ipv6.conf.all.disable_ipv6 = 1.
func (img image) ipv6Disabled() (param, bool) {
	for _, p := range img.cmdline.find("ipv6.disable") {
		if p.Value == "1" {
			return p, true
		}
	}
	if a, ok := img.sysctl.lookup("net.ipv6.conf.all.disable_ipv6"); ok && strings.TrimSpace(a.Value) == "1" {
		return param{Name: a.Key, Value: a.Value, HasValue: true, Path: a.Path, Line: a.Line}, true
	}
	return param{}, false
}
