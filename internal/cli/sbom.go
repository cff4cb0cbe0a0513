package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

func newSBOMCmd(e *env) *cobra.Command {
	var (
		format  string
		output  string
		kind    string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "Write the software bill of materials of a tree, image or rootfs",
		Long: `Write the software bill of materials of TARGET: its operating system
packages (dpkg, apk, rpm), language dependencies from lockfiles (Go, npm,
yarn, pnpm, PyPI, Cargo, RubyGems, Composer, Maven, Gradle, NuGet) and Go
binaries' build information, each with its package URL.

TARGET is a source tree, a root filesystem directory, a rootfs tarball, an
OCI image layout (oci:DIR[:TAG]) or an SBOM document (converted).

Formats: cyclonedx (CycloneDX 1.6 JSON, the default), spdx (SPDX 2.3 JSON),
table (for people).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := parseKind(kind)
			if err != nil {
				return err
			}
			write, err := sbomWriter(format)
			if err != nil {
				return err
			}
			inv, err := loadInventory(cmd.Context(), args[0], k, cliLogger(e, verbose))
			if err != nil {
				return err
			}
			for _, w := range inv.Warnings {
				fmt.Fprintln(e.stderr, "warning:", w)
			}
			meta := sbom.Meta{Target: args[0], ToolVersion: Version, Now: time.Now()}
			var buf bytes.Buffer
			if err := write(&buf, inv, meta); err != nil {
				return err
			}
			if output == "" {
				_, err := e.stdout.Write(buf.Bytes())
				return err
			}
			if err := atomicfile.WriteFile(output, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%d packages; %s SBOM written to %s\n", len(inv.Packages), format, output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "f", "cyclonedx", "output format: cyclonedx, spdx or table")
	f.StringVarP(&output, "output", "o", "", "write the SBOM to `FILE` instead of standard output")
	f.StringVar(&kind, "as", "auto", "treat TARGET as `KIND`: auto, rootfs or source")
	f.BoolVarP(&verbose, "verbose", "v", false, "log each file read to standard error")
	return cmd
}

// sbomWriter returns the writer of an SBOM format.
func sbomWriter(format string) (func(io.Writer, *sbom.Inventory, sbom.Meta) error, error) {
	switch strings.ToLower(format) {
	case "cyclonedx", "cdx":
		return sbom.WriteCycloneDX, nil
	case "spdx":
		return sbom.WriteSPDX, nil
	case "table":
		return writeInventoryTable, nil
	}
	return nil, usageError{fmt.Errorf("--format %q: want cyclonedx, spdx or table", format)}
}

// writeInventoryTable lists the packages for people.
func writeInventoryTable(w io.Writer, inv *sbom.Inventory, meta sbom.Meta) error {
	if inv.OS != nil {
		fmt.Fprintf(w, "operating system: %s (%s)\n\n", inv.OS.Name, orDash(inv.OS.Ecosystem))
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tNAME\tVERSION\tSOURCE\tLOCATION")
	for _, p := range inv.Packages {
		src := p.SourceName
		if src != "" && p.SourceVersion != "" && p.SourceVersion != p.Version {
			src += "@" + p.SourceVersion
		}
		loc := ""
		if len(p.Locations) > 0 {
			loc = p.Locations[0]
			if len(p.Locations) > 1 {
				loc += fmt.Sprintf(" (+%d)", len(p.Locations)-1)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(p.Ecosystem), p.Name, orDash(p.Version), orDash(src), orDash(loc))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d packages in %s\n", len(inv.Packages), meta.Target)
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
