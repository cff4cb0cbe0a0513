package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/scan/vulns/vulndb"
)

// maxPrintedWarnings bounds the import warnings printed one by one; the
// rest are counted.
const maxPrintedWarnings = 20

func newDBCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline vulnerability database",
		Long: `Manage the offline vulnerability database that secpipe scan vulns reads.

The database lives in $SECPIPE_DB_DIR, or secpipe/vulndb under the user cache
directory, unless --db says otherwise. It is a set of sources: OSV files,
folders or all.zip archives imported from disk, and all.zip archives fetched
from osv.dev or a mirror. Every change builds a new generation and swaps it
in at once: a failed import or update leaves the database as it was.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "db", "", "database `DIR` (default: $SECPIPE_DB_DIR or the user cache directory)")
	cmd.AddCommand(newDBImportCmd(e, &dir), newDBUpdateCmd(e, &dir), newDBStatusCmd(e, &dir), newDBRemoveCmd(e, &dir))
	return cmd
}

// dbDir returns the database directory: the flag's value, else the default.
func dbDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	dir, err := vulndb.DefaultDir()
	if err != nil {
		return "", fmt.Errorf("vulnerability database: %w (set SECPIPE_DB_DIR or pass --db)", err)
	}
	return dir, nil
}

// warningPrinter prints the first warnings of an import and counts the rest.
type warningPrinter struct {
	w       io.Writer
	printed int
	more    int
}

func (p *warningPrinter) warn(err error) {
	if p.printed >= maxPrintedWarnings {
		p.more++
		return
	}
	p.printed++
	fmt.Fprintf(p.w, "warning: skipped: %v\n", err)
}

func (p *warningPrinter) flush() {
	if p.more > 0 {
		fmt.Fprintf(p.w, "warning: %d more problems not shown (see `secpipe db status` for counts)\n", p.more)
	}
}

func newDBImportCmd(e *env, dirFlag *string) *cobra.Command {
	return &cobra.Command{
		Use:   "import SRC...",
		Short: "Import OSV advisories from files, folders or all.zip archives",
		Long: `Import OSV advisories into the database. Each SRC is an OSV JSON or YAML
file, a folder of them (walked recursively), or an osv.dev per-ecosystem
all.zip. Importing a SRC again replaces what it imported before; other
sources stay. A record that does not parse is skipped with a warning naming
the file and field; a SRC that cannot be read (a corrupt archive) fails the
command and the database stays as it was.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := dbDir(*dirFlag)
			if err != nil {
				return err
			}
			wp := &warningPrinter{w: e.stderr}
			m, err := vulndb.Import(cmd.Context(), dir, args, vulndb.ImportOptions{Warn: wp.warn})
			wp.flush()
			if err != nil {
				return fmt.Errorf("db import: %w", err)
			}
			for _, src := range args {
				if s, ok := sourceFor(m, src); ok {
					fmt.Fprintf(e.stdout, "imported %s: %d advisories (%d skipped, %d withdrawn)\n",
						s.Name, s.Records, s.Skipped, s.Withdrawn)
				}
			}
			fmt.Fprintf(e.stdout, "database %s: %d advisories from %d sources\n", dir, m.Total, len(m.Sources))
			return nil
		},
	}
}

// sourceFor finds the manifest's source for a SRC argument.
func sourceFor(m vulndb.Manifest, src string) (vulndb.SourceInfo, bool) {
	if s, ok := m.Source(src); ok {
		return s, true
	}
	for _, s := range m.Sources {
		if strings.HasSuffix(s.Name, strings.TrimRight(strings.TrimPrefix(src, "."), "/")) {
			return s, true
		}
	}
	return vulndb.SourceInfo{}, false
}

func newDBUpdateCmd(e *env, dirFlag *string) *cobra.Command {
	var opts vulndb.UpdateOptions
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch osv.dev's all.zip archives (or a mirror's) and swap them in",
		Long: `Fetch all.zip archives and compile those that changed.

--ecosystem NAME fetches osv.dev's archive of that ecosystem (Go, PyPI, npm,
Debian, Alpine, AlmaLinux, crates.io, ...); --source URL fetches an archive
from a mirror (http, https, file URL or a path). With neither, every source
fetched before is fetched again. Requests are conditional (ETag,
Last-Modified): an unchanged archive is not downloaded again. A failed or
corrupt download fails the command and the database stays as it was.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(*dirFlag)
			if err != nil {
				return err
			}
			before := time.Now()
			wp := &warningPrinter{w: e.stderr}
			opts.Warn = wp.warn
			m, err := vulndb.Update(cmd.Context(), dir, opts)
			wp.flush()
			if err != nil {
				return fmt.Errorf("db update: %w", err)
			}
			for _, s := range m.Sources {
				if s.Kind != vulndb.KindURL || s.CheckedAt.Before(before.Add(-time.Second)) {
					continue
				}
				state := "unchanged"
				if !s.ImportedAt.Before(before.Add(-time.Second)) {
					state = fmt.Sprintf("updated: %d advisories (%d skipped)", s.Records, s.Skipped)
				}
				fmt.Fprintf(e.stdout, "%s: %s\n", s.Name, state)
			}
			fmt.Fprintf(e.stdout, "database %s: %d advisories from %d sources\n", dir, m.Total, len(m.Sources))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Sources, "source", nil, "fetch the all.zip at `URL` (repeatable)")
	f.StringArrayVar(&opts.Ecosystems, "ecosystem", nil, "fetch osv.dev's all.zip of `NAME` (repeatable)")
	f.StringVar(&opts.BaseURL, "base-url", vulndb.DefaultBaseURL, "where --ecosystem archives are fetched from: `URL`/ECOSYSTEM/all.zip")
	return cmd
}

func newDBStatusCmd(e *env, dirFlag *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the database's sources, counts and age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := dbDir(*dirFlag)
			if err != nil {
				return err
			}
			db, err := vulndb.Open(dir)
			if err != nil {
				return err
			}
			m := db.Manifest()
			if err := db.Close(); err != nil {
				return err
			}
			switch format {
			case "table":
				return printDBStatus(e.stdout, dir, m, time.Now())
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Dir string `json:"dir"`
					vulndb.Manifest
					AgeSeconds int64 `json:"age_seconds"`
				}{dir, m, int64(m.Age(time.Now()).Seconds())})
			}
			return usageError{fmt.Errorf("--format %q: want table or json", format)}
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")
	return cmd
}

// printDBStatus writes the status table.
func printDBStatus(w io.Writer, dir string, m vulndb.Manifest, now time.Time) error {
	fmt.Fprintf(w, "database: %s (generation %s, built %s)\n\n", dir, m.Generation, m.CreatedAt.UTC().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tKIND\tADVISORIES\tSKIPPED\tIMPORTED\tCHECKED\tSHA256")
	for _, s := range m.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", s.Name, s.Kind, s.Records, s.Skipped,
			s.ImportedAt.UTC().Format(time.RFC3339), s.CheckedAt.UTC().Format(time.RFC3339), short(s.SHA256, 12))
	}
	tw.Flush()
	fmt.Fprintln(w)
	ecos := make([]string, 0, len(m.Ecosystems))
	for eco := range m.Ecosystems {
		ecos = append(ecos, eco)
	}
	slices.SortFunc(ecos, func(a, b string) int {
		return cmp.Or(cmp.Compare(m.Ecosystems[b], m.Ecosystems[a]), cmp.Compare(a, b))
	})
	fmt.Fprintln(tw, "ECOSYSTEM\tADVISORIES")
	for _, eco := range ecos {
		fmt.Fprintf(tw, "%s\t%d\n", eco, m.Ecosystems[eco])
	}
	tw.Flush()
	_, err := fmt.Fprintf(w, "\ntotal: %d advisories; age %s (since the oldest source was last checked)\n",
		m.Total, humanAge(m.Age(now)))
	return err
}

func newDBRemoveCmd(e *env, dirFlag *string) *cobra.Command {
	return &cobra.Command{
		Use:   "remove SOURCE",
		Short: "Remove one source (as db status lists it) from the database",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := dbDir(*dirFlag)
			if err != nil {
				return err
			}
			m, err := vulndb.Remove(cmd.Context(), dir, args[0], vulndb.ImportOptions{})
			if err != nil {
				return fmt.Errorf("db remove: %w", err)
			}
			_, err = fmt.Fprintf(e.stdout, "removed %s; database %s: %d advisories from %d sources\n",
				args[0], dir, m.Total, len(m.Sources))
			return err
		},
	}
}

// short returns the first n characters of s.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// humanAge renders a duration in the largest whole unit: "3d", "5h", "12m".
func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return "under a minute"
}
