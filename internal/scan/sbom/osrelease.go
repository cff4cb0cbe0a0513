package sbom

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/ecosystem"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// osReleasePaths are where os-release(5) lives, in the order it is read.
var osReleasePaths = [...]string{"etc/os-release", "usr/lib/os-release"}

// The purl types of the operating system package managers.
const (
	typeDeb = "deb"
	typeAPK = "apk"
	typeRPM = "rpm"
)

// readOS reads the operating system release of root; nil when root has
// no os-release file.
func readOS(root rootfs.Root) (*OS, error) {
	for _, p := range osReleasePaths {
		data, err := root.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return newOS(parseOSRelease(data)), nil
	}
	return nil, nil
}

// parseOSRelease reads KEY=value lines, values optionally quoted as a
// shell would; comments and malformed lines are skipped.
func parseOSRelease(data []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = u
		} else if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		m[strings.TrimSpace(k)] = v
	}
	return m
}

// newOS builds the OS of an os-release file's fields.
func newOS(m map[string]string) *OS {
	o := &OS{
		ID:        m["ID"],
		VersionID: m["VERSION_ID"],
		Codename:  m["VERSION_CODENAME"],
		Name:      cmp.Or(m["PRETTY_NAME"], m["NAME"]),
	}
	o.Ecosystem = osEcosystem(packageType(o.ID, m["ID_LIKE"]), o.ID, o.VersionID)
	return o
}

// packageType returns the purl type of the packages a distribution
// installs, from its os-release ID and ID_LIKE; "" when unknown.
func packageType(id, idLike string) string {
	for _, name := range append([]string{id}, strings.Fields(idLike)...) {
		switch name {
		case "debian", "ubuntu":
			return typeDeb
		case "alpine", "wolfi", "chainguard", "alpaquita", "minimos":
			return typeAPK
		case "rhel", "fedora", "centos", "almalinux", "rocky", "suse", "sles", "opensuse",
			"opensuse-leap", "mariner", "azurelinux", "openEuler", "mageia", "amzn", "ol":
			return typeRPM
		}
	}
	return ""
}

// osEcosystem returns the OSV ecosystem of the packages of purl type
// typ installed on release versionID of distribution id, by the rules
// of the package's scalibr Ecosystem() plus fixOSEcosystem.
func osEcosystem(typ, id, versionID string) string {
	var meta any
	switch typ {
	case typeDeb:
		meta = &dpkgmeta.Metadata{OSID: id, OSVersionID: versionID}
	case typeAPK:
		meta = &apkmeta.Metadata{OSID: id, OSVersionID: versionID}
	case typeRPM:
		meta = &rpmmeta.Metadata{OSID: id, OSVersionID: versionID}
	default:
		return ""
	}
	return fixOSEcosystem(typ, ecosystem.MakeEcosystem(meta).String(), id, versionID)
}

// fixOSEcosystem corrects the ecosystem scalibr gives an OS package
// where OSV spells it otherwise: a dpkg package without os-release is
// Debian's (scalibr says "Linux"), Debian releases are majors only, and
// Ubuntu LTS releases carry ":LTS" ("Ubuntu:22.04:LTS").
func fixOSEcosystem(typ, eco, id, versionID string) string {
	switch {
	case typ == typeDeb && id == "":
		return "Debian"
	case typ == typeDeb && id == "debian" && versionID != "":
		major, _, _ := strings.Cut(versionID, ".")
		return "Debian:" + major
	case typ == typeDeb && id == "ubuntu" && ubuntuLTS(versionID):
		return "Ubuntu:" + versionID + ":LTS"
	}
	return eco
}

// ubuntuLTS reports whether an Ubuntu VERSION_ID is a long-term support
// release: April releases of even years (18.04, 22.04, 24.04).
func ubuntuLTS(versionID string) bool {
	year, month, ok := strings.Cut(versionID, ".")
	y, err := strconv.Atoi(year)
	return ok && err == nil && month == "04" && y%2 == 0
}
