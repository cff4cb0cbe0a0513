// Package sbom takes the inventory of a scan target — the packages its
// operating system installed (dpkg, apk, rpm), the dependencies its
// lockfiles pin and the modules built into its Go binaries — and writes
// it as a CycloneDX or SPDX document, or reads such a document back as an
// inventory.
//
// Collect walks a rootfs.Root once and hands each regular file to the
// extractors that want it; most extractors adapt one osv-scalibr
// filesystem extractor (see Scalibr), and the explicit list of them is
// built by the command line. Packages carry OSV ecosystem names
// ("Debian:9", "Alpine:v3.18", "Go", "npm"), so an inventory feeds the
// vulnerability matcher directly (see Package.MatchPackage).
package sbom
