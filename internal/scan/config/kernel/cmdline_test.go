package kernel

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// short renders parameters as "name=value@line" for compact comparisons.
func short(ps []param) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String()+"@"+strconv.Itoa(p.Line))
	}
	return out
}

func TestParseCmdlineSources(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string, []byte) []param
		in    string
		want  []string
	}{{
		name:  "grub defaults",
		parse: parseGrubDefault,
		in: "GRUB_DEFAULT=0\n" +
			"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\n" +
			"export GRUB_CMDLINE_LINUX='console=ttyS0,115200 norandmaps'\n" +
			"#GRUB_CMDLINE_LINUX=\"noexec=off\"\n" +
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX apparmor=1\" # more\n",
		want: []string{"quiet@2", "splash@2", "console=ttyS0,115200@3", "norandmaps@3", "apparmor=1@5"},
	}, {
		name:  "grub.cfg",
		parse: parseGrubCfg,
		in: "menuentry 'Debian' {\n" +
			"\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abc ro noexec32=off\n" +
			"\tinitrd /boot/initrd.img\n" +
			"\tlinuxefi /vmlinuz\n}\n",
		want: []string{"root=UUID=abc@2", "ro@2", "noexec32=off@2"},
	}, {
		name:  "loader entry",
		parse: parseLoaderEntry,
		in:    "title Debian\nlinux /vmlinuz\noptions\troot=/dev/vda1 rw\noptionsx nope\n",
		want:  []string{"root=/dev/vda1@3", "rw@3"},
	}, {
		name:  "whole file with quotes and dashes",
		parse: parseWholeFile,
		in:    "# comment\nroot=/dev/sda1 dyndbg=\"file a.c +p\" no-exec=off\n",
		want:  []string{"root=/dev/sda1@2", "dyndbg=file a.c +p@2", "no_exec=off@2"},
	}}
	for _, tt := range tests {
		if got := short(tt.parse("f", []byte(tt.in))); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: parse(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"6.1.0-10-amd64", "6.1.0-9-amd64", 1},
		{"5.10.0-28-amd64", "6.1.0-1-amd64", -1},
		{"6.1.0-18-amd64", "6.1.0-18-amd64", 0},
		{"6.1.0-18", "6.1.0-18-amd64", -1},
		{"6.01", "6.1", 0},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLoadKernelConfigPicksNewest(t *testing.T) {
	r := root(t, "-- boot/config-6.1.0-9-amd64 --\nCONFIG_X86_64=y\n"+
		"-- boot/config-6.1.0-10-amd64 --\nCONFIG_X86_64=y\n# CONFIG_SECURITY_YAMA is not set\nCONFIG_LOCALVERSION=\"-x\"\n")
	k, err := loadKernelConfig(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CONFIG_X86_64": "y", "CONFIG_SECURITY_YAMA": "n", "CONFIG_LOCALVERSION": "-x"}
	if k.Path != "boot/config-6.1.0-10-amd64" || !cmp.Equal(k.Options, want) {
		t.Errorf("loadKernelConfig = %s %v, want boot/config-6.1.0-10-amd64 %v", k.Path, k.Options, want)
	}
}

func FuzzParseCmdline(f *testing.F) {
	f.Add("GRUB_CMDLINE_LINUX=\"a=\\\"b c\\\" d\"\n\tlinux /k x=\"y\noptions z")
	f.Add("'unterminated\n\"\n=\n$X noexec=off")
	f.Fuzz(func(t *testing.T, data string) {
		for _, parse := range []func(string, []byte) []param{parseGrubDefault, parseGrubCfg, parseLoaderEntry, parseWholeFile} {
			for _, p := range parse("f", []byte(data)) {
				if p.Line < 1 || p.Path != "f" {
					t.Fatalf("bad parameter %+v", p)
				}
			}
		}
		_ = parseKernelConfig([]byte(data))
	})
}
