package sbom

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePURL(t *testing.T) {
	tests := []struct {
		purl string
		want Package
	}{
		{purl: "pkg:deb/debian/linux-image-4.9.0-8-amd64@4.9.110-3%2Bdeb9u4?arch=amd64&distro=debian-9&upstream=linux",
			want: Package{Name: "linux-image-4.9.0-8-amd64", Version: "4.9.110-3+deb9u4", Ecosystem: "Debian:9", SourceName: "linux"}},
		{purl: "pkg:deb/debian/libssl1.1@1.1.0j-1~deb9u1?distro=stretch&source=openssl&sourceversion=1.1.0f-3%2Bdeb9u2",
			want: Package{Name: "libssl1.1", Version: "1.1.0j-1~deb9u1", Ecosystem: "Debian:9",
				SourceName: "openssl", SourceVersion: "1.1.0f-3+deb9u2"}},
		{purl: "pkg:deb/debian/bash@5.2.15-2?distro=debian-12.4",
			want: Package{Name: "bash", Version: "5.2.15-2", Ecosystem: "Debian:12"}},
		{purl: "pkg:deb/debian/bash@4.4-5",
			want: Package{Name: "bash", Version: "4.4-5", Ecosystem: "Debian"}},
		{purl: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-22.04",
			want: Package{Name: "openssl", Version: "3.0.2-0ubuntu1.10", Ecosystem: "Ubuntu:22.04:LTS"}},
		{purl: "pkg:deb/ubuntu/openssl@3.0.10-1ubuntu2?distro=ubuntu-23.10",
			want: Package{Name: "openssl", Version: "3.0.10-1ubuntu2", Ecosystem: "Ubuntu:23.10"}},
		{purl: "pkg:deb/ubuntu/zlib1g@1:1.2.11.dfsg-2ubuntu9?distro=jammy",
			want: Package{Name: "zlib1g", Version: "1:1.2.11.dfsg-2ubuntu9", Ecosystem: "Ubuntu:22.04:LTS"}},
		{purl: "pkg:apk/alpine/libcrypto3@3.1.3-r0?arch=x86_64&distro=alpine-3.18.4&upstream=openssl",
			want: Package{Name: "libcrypto3", Version: "3.1.3-r0", Ecosystem: "Alpine:v3.18", SourceName: "openssl"}},
		{purl: "pkg:apk/alpine/musl@1.2.4-r2?distro=3.18.4&origin=musl",
			want: Package{Name: "musl", Version: "1.2.4-r2", Ecosystem: "Alpine:v3.18", SourceName: "musl"}},
		{purl: "pkg:rpm/almalinux/kernel@5.14.0-362.8.1.el9_3?arch=x86_64&distro=almalinux-9.3&upstream=kernel-5.14.0-362.8.1.el9_3.src.rpm",
			want: Package{Name: "kernel", Version: "5.14.0-362.8.1.el9_3", Ecosystem: "AlmaLinux:9",
				SourceName: "kernel", SourceVersion: "5.14.0-362.8.1.el9_3"}},
		{purl: "pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?epoch=1&distro=almalinux-9&sourcerpm=openssl-3.0.7-25.el9_3.src.rpm",
			want: Package{Name: "openssl-libs", Version: "1:3.0.7-25.el9_3", Ecosystem: "AlmaLinux:9",
				SourceName: "openssl", SourceVersion: "3.0.7-25.el9_3"}},
		{purl: "pkg:golang/github.com/Azure/go-autorest@v14.2.0%2Bincompatible",
			want: Package{Name: "github.com/azure/go-autorest", Version: "14.2.0+incompatible", Ecosystem: "Go"}},
		{purl: "pkg:golang/stdlib@1.22.3",
			want: Package{Name: "stdlib", Version: "1.22.3", Ecosystem: "Go"}},
		{purl: "pkg:npm/%40babel/core@7.22.0", want: Package{Name: "@babel/core", Version: "7.22.0", Ecosystem: "npm"}},
		{purl: "pkg:npm/lodash@4.17.20", want: Package{Name: "lodash", Version: "4.17.20", Ecosystem: "npm"}},
		{purl: "pkg:pypi/requests-oauthlib@1.3.1", want: Package{Name: "requests-oauthlib", Version: "1.3.1", Ecosystem: "PyPI"}},
		{purl: "pkg:cargo/smallvec@1.6.0", want: Package{Name: "smallvec", Version: "1.6.0", Ecosystem: "crates.io"}},
		{purl: "pkg:gem/rack@2.2.3", want: Package{Name: "rack", Version: "2.2.3", Ecosystem: "RubyGems"}},
		{purl: "pkg:composer/guzzlehttp/guzzle@7.4.0", want: Package{Name: "guzzlehttp/guzzle", Version: "7.4.0", Ecosystem: "Packagist"}},
		{purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
			want: Package{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven"}},
		{purl: "pkg:nuget/Newtonsoft.Json@13.0.1", want: Package{Name: "Newtonsoft.Json", Version: "13.0.1", Ecosystem: "NuGet"}},
		{purl: "pkg:generic/openssl@3.0.0", want: Package{Name: "openssl", Version: "3.0.0"}},
	}
	for _, tt := range tests {
		got, err := parsePURL(tt.purl)
		if err != nil {
			t.Errorf("parsePURL(%q): %v", tt.purl, err)
			continue
		}
		tt.want.PURL = tt.purl
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parsePURL(%q) mismatch (-want +got):\n%s", tt.purl, diff)
		}
	}
}

// TestMakePURL checks that every package's purl reads back as the package.
func TestMakePURL(t *testing.T) {
	tests := []struct {
		p    Package
		d    distro
		want string
	}{
		{p: Package{Name: "linux-image-4.9.0-8-amd64", Version: "4.9.110-3+deb9u4", Ecosystem: "Debian:9", SourceName: "linux"},
			want: "pkg:deb/debian/linux-image-4.9.0-8-amd64@4.9.110-3%2Bdeb9u4?distro=debian-9&upstream=linux"},
		{p: Package{Name: "openssl", Version: "3.0.2-0ubuntu1.10", Ecosystem: "Ubuntu:22.04:LTS"},
			d: distro{id: "ubuntu", versionID: "22.04", arch: "arm64"}, want: "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?arch=arm64&distro=ubuntu-22.04"},
		{p: Package{Name: "openssl-libs", Version: "1:3.0.7-25.el9_3", Ecosystem: "AlmaLinux:9", SourceName: "openssl", SourceVersion: "3.0.7-25.el9_3"},
			want: "pkg:rpm/almalinux/openssl-libs@3.0.7-25.el9_3?distro=almalinux-9&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm"},
		{p: Package{Name: "busybox", Version: "1.36.1-r2", Ecosystem: "Alpine:v3.18"},
			want: "pkg:apk/alpine/busybox@1.36.1-r2?distro=alpine-3.18"},
		{p: Package{Name: "github.com/Azure/go-autorest", Version: "14.2.0+incompatible", Ecosystem: "Go"},
			want: "pkg:golang/github.com/Azure/go-autorest@v14.2.0%2Bincompatible"},
		{p: Package{Name: "stdlib", Version: "1.22.3", Ecosystem: "Go"}, want: "pkg:golang/stdlib@1.22.3"},
		{p: Package{Name: "@babel/core", Version: "7.22.0", Ecosystem: "npm"}, want: "pkg:npm/%40babel/core@7.22.0"},
		{p: Package{Name: "Django", Version: "4.2.0", Ecosystem: "PyPI"}, want: "pkg:pypi/django@4.2.0"},
		{p: Package{Name: "guzzlehttp/guzzle", Version: "7.4.0", Ecosystem: "Packagist"}, want: "pkg:composer/guzzlehttp/guzzle@7.4.0"},
		{p: Package{Name: "junit:junit", Version: "4.12", Ecosystem: "Maven"}, want: "pkg:maven/junit/junit@4.12"},
		{p: Package{Name: "thing", Version: "1", Ecosystem: "Bitnami"}, want: ""},
	}
	for _, tt := range tests {
		got := makePURL(tt.p, tt.d)
		if got != tt.want {
			t.Errorf("makePURL(%+v) = %q, want %q", tt.p, got, tt.want)
		}
		if got == "" {
			continue
		}
		back, err := parsePURL(got)
		if err != nil {
			t.Errorf("parsePURL(%q): %v", got, err)
			continue
		}
		back.Name = preferDocName(back, tt.p.Name)
		back.PURL = ""
		if diff := cmp.Diff(tt.p, back); diff != "" {
			t.Errorf("parsePURL(makePURL(%+v)) mismatch (-want +got):\n%s", tt.p, diff)
		}
	}
}

func TestOSEcosystem(t *testing.T) {
	tests := []struct {
		osRelease string
		want      OS
	}{
		{osRelease: "ID=debian\nVERSION_ID=\"9\"\nVERSION_CODENAME=stretch\nPRETTY_NAME=\"Debian GNU/Linux 9 (stretch)\"\n",
			want: OS{ID: "debian", VersionID: "9", Codename: "stretch", Name: "Debian GNU/Linux 9 (stretch)", Ecosystem: "Debian:9"}},
		{osRelease: "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n",
			want: OS{ID: "debian", Name: "Debian GNU/Linux trixie/sid", Ecosystem: "Debian"}},
		{osRelease: "NAME=\"Ubuntu\"\nVERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n",
			want: OS{ID: "ubuntu", VersionID: "22.04", Codename: "jammy", Name: "Ubuntu", Ecosystem: "Ubuntu:22.04:LTS"}},
		{osRelease: "ID=ubuntu\nVERSION_ID=\"23.10\"\n", want: OS{ID: "ubuntu", VersionID: "23.10", Ecosystem: "Ubuntu:23.10"}},
		{osRelease: "ID=alpine\nVERSION_ID=3.18.4\n", want: OS{ID: "alpine", VersionID: "3.18.4", Ecosystem: "Alpine:v3.18"}},
		{osRelease: "ID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
			want: OS{ID: "almalinux", VersionID: "9.3", Ecosystem: "AlmaLinux:9"}},
		{osRelease: "ID=\"rocky\"\nVERSION_ID=\"9.2\"\n", want: OS{ID: "rocky", VersionID: "9.2", Ecosystem: "Rocky Linux"}},
		{osRelease: "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.2\"\n", want: OS{ID: "linuxmint", VersionID: "21.2"}},
		{osRelease: "# comment\nID=plan9\n", want: OS{ID: "plan9"}},
		{osRelease: "ID='arch'\nBUILD_ID=rolling\n", want: OS{ID: "arch"}},
	}
	for _, tt := range tests {
		got := newOS(parseOSRelease([]byte(tt.osRelease)))
		if diff := cmp.Diff(&tt.want, got); diff != "" {
			t.Errorf("newOS(%q) mismatch (-want +got):\n%s", tt.osRelease, diff)
		}
	}
}

func TestSplitSourceRPM(t *testing.T) {
	tests := []struct{ in, name, version string }{
		{in: "openssl-3.0.7-25.el9_3.src.rpm", name: "openssl", version: "3.0.7-25.el9_3"},
		{in: "python3.11-3.11.5-1.el9_3.src.rpm", name: "python3.11", version: "3.11.5-1.el9_3"},
		{in: "kernel", name: "kernel"},
		{in: "a-1", name: "a-1"},
	}
	for _, tt := range tests {
		name, version := splitSourceRPM(tt.in)
		if name != tt.name || version != tt.version {
			t.Errorf("splitSourceRPM(%q) = %q, %q; want %q, %q", tt.in, name, version, tt.name, tt.version)
		}
	}
}
