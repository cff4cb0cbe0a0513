package system

import (
	"strings"
	"testing"
)

// lineCount is the number of lines of data, the bound of any line number
// a parser reports.
func lineCount(data []byte) int { return strings.Count(string(data), "\n") + 1 }

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: libc6\nStatus: install ok installed\nSource: glibc (2.36)\nVersion: 2.36\nDescription: x\n more\n\n"))
	f.Add([]byte("Package: a\nStatus: deinstall ok config-files\n\n\n Package: b\n"))
	f.Add([]byte("#x\n\r\n:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseDpkgStatus(data)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Line < 1 || p.Line > lineCount(data) {
				t.Fatalf("parseDpkgStatus(%q) returned %+v", data, p)
			}
		}
	})
}

func FuzzParseApkInstalled(f *testing.F) {
	f.Add([]byte("C:Q1abc=\nP:musl\nV:1.2.4-r2\no:musl\n\nP:busybox\nV:1.36\n"))
	f.Add([]byte("P:\n\n\nV:1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseApkInstalled(data)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Line < 1 || p.Line > lineCount(data) {
				t.Fatalf("parseApkInstalled(%q) returned %+v", data, p)
			}
		}
	})
}

func FuzzParseFstab(f *testing.F) {
	f.Add([]byte("UUID=x / ext4 defaults 0 1\ntmpfs /tmp tmpfs nosuid,nodev\\040 0 0\n"))
	f.Add([]byte("a \\ b\n\\1\\12\\123 c d\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseFstab(data)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.Type == "" || m.Line < 1 || m.Line > lineCount(data) {
				t.Fatalf("parseFstab(%q) returned %+v", data, m)
			}
		}
	})
}

func FuzzParseAptConf(f *testing.F) {
	f.Add([]byte("APT { Get { AllowUnauthenticated \"true\"; }; };\n// c\n/* c */ A::B 1;"))
	f.Add([]byte("#include \"x\";\nDPkg::Post-Invoke { \"a\"; \"b\"; };\n}"))
	f.Add([]byte("\"unterminated\n/*"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts, err := parseAptConf(data)
		if err != nil {
			return
		}
		for _, o := range opts {
			if o.Line < 1 || o.Line > lineCount(data) {
				t.Fatalf("parseAptConf(%q) returned %+v", data, o)
			}
		}
	})
}

func FuzzParseSources(f *testing.F) {
	f.Add([]byte("deb [trusted=yes arch=amd64] http://x/ y z\ndeb-src http://x/ y\n"))
	f.Add([]byte("Types: deb\nURIs: http://x/\nTrusted: yes\n\nEnabled: no\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]sourceEntry, error){parseSourcesList, parseSources} {
			es, err := parse(data)
			if err != nil {
				continue
			}
			for _, e := range es {
				for k := range e.Options {
					if n := e.line(k); n < 1 || n > lineCount(data) {
						t.Fatalf("parse(%q) option %s on line %d", data, k, n)
					}
				}
			}
		}
	})
}

func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[main]\ngpgcheck=1\n[x]\n=\n;c\n"))
	f.Add([]byte("service telnet\n{\ndisable = yes\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range parseINI(data) {
			if s.Key == "" || s.Line < 1 || s.Line > lineCount(data) {
				t.Fatalf("parseINI(%q) returned %+v", data, s)
			}
		}
		for _, s := range parseXinetd(data) {
			if s.line < 1 || s.line > lineCount(data) {
				t.Fatalf("parseXinetd(%q) returned %+v", data, s)
			}
		}
	})
}
