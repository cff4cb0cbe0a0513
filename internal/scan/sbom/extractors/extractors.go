// Package extractors is the explicit list of package extractors secpipe
// inventories with (`secpipe sbom`, `scan vulns`, the scan provider).
package extractors

import (
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradlelockfile"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"

	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/sbom/pomxml"
)

// Default returns the package extractors of `secpipe sbom`, `secpipe scan
// vulns` and the scan provider: one osv-scalibr extractor package each,
// except pom.xml, read by our own package (scalibr's links 13 MB of
// registry clients). Adding a format is one line here (and an import).
func Default() []sbom.Extractor {
	return []sbom.Extractor{
		// Operating system packages.
		sbom.Scalibr(dpkg.New),
		sbom.Scalibr(apk.New),
		sbom.Scalibr(rpm.New),
		// Go: go.mod files and the build information of binaries.
		sbom.Scalibr(gomod.New),
		sbom.Scalibr(gobinary.New),
		// JavaScript.
		sbom.Scalibr(packagelockjson.New),
		sbom.Scalibr(yarnlock.New),
		sbom.Scalibr(pnpmlock.New),
		// Python.
		sbom.Scalibr(requirements.New),
		sbom.Scalibr(poetrylock.New),
		sbom.Scalibr(pipfilelock.New),
		sbom.Scalibr(uvlock.New),
		// Rust, Ruby, PHP.
		sbom.Scalibr(cargolock.New),
		sbom.Scalibr(gemfilelock.New),
		sbom.Scalibr(composerlock.New),
		// Java and .NET.
		pomxml.New(),
		sbom.Scalibr(gradlelockfile.New),
		sbom.Scalibr(packageslockjson.New),
	}
}
