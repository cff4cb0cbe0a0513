package sbom_test

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

// testExtractors is the command line's list of extractors.
func testExtractors() []sbom.Extractor {
	return []sbom.Extractor{
		sbom.Scalibr(dpkg.New),
		sbom.Scalibr(apk.New),
		sbom.Scalibr(rpm.New),
		sbom.Scalibr(gomod.New),
		sbom.Scalibr(gobinary.New),
		sbom.Scalibr(packagelockjson.New),
		sbom.Scalibr(yarnlock.New),
		sbom.Scalibr(pnpmlock.New),
		sbom.Scalibr(requirements.New),
		sbom.Scalibr(poetrylock.New),
		sbom.Scalibr(pipfilelock.New),
		sbom.Scalibr(uvlock.New),
		sbom.Scalibr(cargolock.New),
		sbom.Scalibr(gemfilelock.New),
		sbom.Scalibr(composerlock.New),
		pomxml.New(),
		sbom.Scalibr(gradlelockfile.New),
		sbom.Scalibr(packageslockjson.New),
	}
}
