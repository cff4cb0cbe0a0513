package sbom

import (
	"regexp"
	"strings"

	packageurl "github.com/package-url/packageurl-go"
)

// distro says where an OS package was installed, for its purl.
type distro struct {
	id, versionID, arch string
}

// Qualifiers written to and read from purls. "upstream" names the source
// package as Syft writes it; scalibr writes "source"/"sourceversion"
// (dpkg), "origin" (apk) and "sourcerpm" (rpm).
const (
	qualDistro        = "distro"
	qualArch          = "arch"
	qualEpoch         = "epoch"
	qualUpstream      = "upstream"
	qualSource        = "source"
	qualSourceVersion = "sourceversion"
	qualOrigin        = "origin"
	qualSourceRPM     = "sourcerpm"
)

// ecosystemTypes maps OSV ecosystems (without release) to purl types.
var ecosystemTypes = map[string]string{
	"Go": packageurl.TypeGolang, "npm": packageurl.TypeNPM, "PyPI": packageurl.TypePyPi,
	"crates.io": packageurl.TypeCargo, "RubyGems": packageurl.TypeGem, "Packagist": packageurl.TypeComposer,
	"Maven": packageurl.TypeMaven, "NuGet": packageurl.TypeNuget, "Hex": packageurl.TypeHex,
	"Pub": packageurl.TypePub, "Hackage": packageurl.TypeHackage, "CRAN": packageurl.TypeCran,
	"Debian": typeDeb, "Ubuntu": typeDeb,
	"Alpine": typeAPK, "Wolfi": typeAPK, "Chainguard": typeAPK, "Alpaquita": typeAPK, "MinimOS": typeAPK,
	"AlmaLinux": typeRPM, "Red Hat": typeRPM, "Rocky Linux": typeRPM, "SUSE": typeRPM, "openSUSE": typeRPM,
	"Mageia": typeRPM, "Azure Linux": typeRPM, "openEuler": typeRPM,
}

// typeEcosystems maps language purl types back to OSV ecosystems.
var typeEcosystems = map[string]string{
	packageurl.TypeGolang: "Go", packageurl.TypeNPM: "npm", packageurl.TypePyPi: "PyPI",
	packageurl.TypeCargo: "crates.io", packageurl.TypeGem: "RubyGems", packageurl.TypeComposer: "Packagist",
	packageurl.TypeMaven: "Maven", packageurl.TypeNuget: "NuGet", packageurl.TypeHex: "Hex",
	packageurl.TypePub: "Pub", packageurl.TypeHackage: "Hackage", packageurl.TypeCran: "CRAN",
}

// makePURL returns p's package URL; d says where an OS package was
// installed (its zero value derives the distribution from the
// ecosystem). It returns "" for an ecosystem without a purl type.
func makePURL(p Package, d distro) string {
	base, release, _ := strings.Cut(p.Ecosystem, ":")
	typ := ecosystemTypes[base]
	if typ == "" || p.Name == "" {
		return ""
	}
	u := packageurl.PackageURL{Type: typ, Name: p.Name, Version: p.Version}
	switch typ {
	case typeDeb, typeAPK, typeRPM:
		osQualifiers(&u, p, base, release, d)
	case packageurl.TypeGolang:
		u.Namespace, u.Name = splitLast(p.Name, "/")
		if p.Name != "stdlib" && p.Name != "toolchain" && startsWithDigit(p.Version) {
			u.Version = "v" + p.Version
		}
	case packageurl.TypeNPM, packageurl.TypeComposer:
		if typ == packageurl.TypeComposer || strings.HasPrefix(p.Name, "@") {
			u.Namespace, u.Name = splitLast(p.Name, "/")
		}
	case packageurl.TypeMaven:
		u.Namespace, u.Name = splitLast(p.Name, ":")
	case packageurl.TypePyPi:
		u.Name = pypiName(p.Name)
	}
	return u.ToString()
}

// osQualifiers sets an OS package's namespace, version and qualifiers.
func osQualifiers(u *packageurl.PackageURL, p Package, base, release string, d distro) {
	if d.id == "" {
		d.id, d.versionID = distroOf(base, release)
	}
	u.Namespace = d.id
	if u.Type == typeRPM && d.id == "rhel" {
		u.Namespace = "redhat"
	}
	q := map[string]string{}
	if d.arch != "" {
		q[qualArch] = d.arch
	}
	if d.id != "" && d.versionID != "" {
		q[qualDistro] = d.id + "-" + d.versionID
	}
	if u.Type == typeRPM {
		if epoch, rest, ok := strings.Cut(p.Version, ":"); ok {
			q[qualEpoch], u.Version = epoch, rest
		}
		if p.SourceName != "" && p.SourceVersion != "" {
			q[qualUpstream] = p.SourceName + "-" + p.SourceVersion + ".src.rpm"
		} else if p.SourceName != "" {
			q[qualUpstream] = p.SourceName
		}
	} else if p.SourceName != "" {
		q[qualUpstream] = p.SourceName
		if p.SourceVersion != "" {
			q[qualUpstream] += "@" + p.SourceVersion
		}
	}
	u.Qualifiers = packageurl.QualifiersFromMap(q)
}

// distroOf guesses the os-release ID and VERSION_ID from an ecosystem.
func distroOf(base, release string) (id, versionID string) {
	release, _, _ = strings.Cut(release, ":") // "22.04:LTS"
	switch base {
	case "Red Hat":
		return "rhel", ""
	case "Rocky Linux":
		return "rocky", release
	case "Azure Linux":
		return "azurelinux", release
	case "Alpine":
		return "alpine", strings.TrimPrefix(release, "v")
	}
	return strings.ToLower(base), release
}

// parsePURL turns a package URL into a package: its OSV ecosystem,
// name, version and source package. A purl type without an OSV
// ecosystem gives a package with an empty Ecosystem.
func parsePURL(s string) (Package, error) {
	u, err := packageurl.FromString(s)
	if err != nil {
		return Package{}, err
	}
	q := u.Qualifiers.Map()
	p := Package{PURL: s, Name: u.Name, Version: u.Version}
	switch u.Type {
	case typeDeb, typeAPK, typeRPM:
		parseOSPURL(&p, u, q)
	case packageurl.TypeGolang:
		p.Name = joinNonEmpty(u.Namespace, "/", u.Name)
		if strings.HasPrefix(p.Version, "v") && startsWithDigit(p.Version[1:]) {
			p.Version = p.Version[1:]
		}
	case packageurl.TypeMaven:
		p.Name = joinNonEmpty(u.Namespace, ":", u.Name)
	default:
		p.Name = joinNonEmpty(u.Namespace, "/", u.Name)
	}
	if p.Ecosystem == "" {
		p.Ecosystem = typeEcosystems[u.Type]
	}
	return p, nil
}

// parseOSPURL reads the ecosystem, epoch and source package of an OS
// package's purl.
func parseOSPURL(p *Package, u packageurl.PackageURL, q map[string]string) {
	id := strings.ToLower(u.Namespace)
	if id == "redhat" {
		id = "rhel"
	}
	if id == "" && u.Type == typeDeb {
		id = "debian"
	}
	if id == "" && u.Type == typeAPK {
		id = "alpine"
	}
	versionID := distroVersion(id, q[qualDistro])
	p.Ecosystem = osEcosystem(u.Type, id, versionID)
	if e := q[qualEpoch]; e != "" && e != "0" {
		p.Version = e + ":" + p.Version
	}
	switch up := q[qualUpstream]; {
	case up != "" && u.Type == typeRPM:
		p.SourceName, p.SourceVersion = splitSourceRPM(up)
	case up != "":
		p.SourceName, p.SourceVersion, _ = strings.Cut(up, "@")
	case q[qualSource] != "":
		p.SourceName, p.SourceVersion = q[qualSource], q[qualSourceVersion]
	case q[qualOrigin] != "":
		p.SourceName = q[qualOrigin]
	case q[qualSourceRPM] != "":
		p.SourceName, p.SourceVersion = splitSourceRPM(q[qualSourceRPM])
	}
}

// codenames maps release codenames, which scalibr writes as the distro
// qualifier, to VERSION_ID.
var codenames = map[string]string{
	"etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7", "jessie": "8", "stretch": "9",
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
	"trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04",
	"noble": "24.04",
}

// distroVersion returns the VERSION_ID of a distro qualifier:
// "debian-9" (Syft), "9", "3.18.4" or a codename ("stretch").
func distroVersion(id, q string) string {
	q = strings.TrimPrefix(strings.ToLower(q), id+"-")
	if v, ok := codenames[q]; ok {
		return v
	}
	if id == "alpine" {
		q = strings.TrimPrefix(q, "v")
	}
	if !startsWithDigit(q) {
		return ""
	}
	return q
}

// splitSourceRPM splits a source rpm file name
// ("openssl-1.1.1k-9.el8_6.src.rpm") into name and version-release.
func splitSourceRPM(s string) (name, version string) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".rpm"), ".src")
	i := strings.LastIndex(s, "-")
	if i <= 0 {
		return s, ""
	}
	j := strings.LastIndex(s[:i], "-")
	if j <= 0 {
		return s, ""
	}
	return s[:j], s[j+1:]
}

// preferDocName returns a document's own name for a package when it is
// the purl's name with its case (or, for PyPI, its spelling) intact:
// purl parsing lowercases Go, Debian and Packagist names, and Go module
// paths are case-sensitive.
func preferDocName(p Package, docName string) string {
	switch {
	case docName == "" || docName == p.Name:
		return p.Name
	case strings.EqualFold(docName, p.Name):
		return docName
	case p.Ecosystem == "PyPI" && pypiName(docName) == pypiName(p.Name):
		return docName
	}
	return p.Name
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// pypiName normalizes a PyPI name as PEP 503 and the purl spec do.
func pypiName(name string) string {
	return pypiSeparators.ReplaceAllLiteralString(strings.ToLower(name), "-")
}

func splitLast(s, sep string) (string, string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+len(sep):]
}

func joinNonEmpty(a, sep, b string) string {
	if a == "" {
		return b
	}
	return a + sep + b
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }
