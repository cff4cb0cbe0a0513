package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/scan/threat"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// threatFlags are the flags of scan threat beyond the gate's.
type threatFlags struct {
	lists       []string
	trusted     []string
	noDefault   bool
	noCached    bool
	ports       []int
	manifest    string
	lenient     bool
	listTypes   bool
	verbose     bool
	threatCache string
}

func newScanThreatCmd(e *env) *cobra.Command {
	var (
		g  gateFlags
		tf threatFlags
	)
	cmd := &cobra.Command{
		Use:   "threat EVENTS",
		Short: "Find threats (C&C, mining, exfiltration, reverse shells...) in a recorded event log",
		Long: `Evaluate a recorded event log — the JSON-lines log of process, file, network
and DNS events a verify run records, or a DNS query log — and report
GuardDuty-style findings: command-and-control and crypto-mining domains,
DGA-looking domains, DNS exfiltration, threat-list addresses, port scans,
outbound SMTP, reverse shells, new binaries executed, writes below /etc, bin
directories, cron and authorized_keys, miners, suspicious tools, package
managers at runtime and instance-metadata access (--list-types).

Threat lists (--threat-list, repeatable) are plain text, one IP, CIDR or
domain per line; --trusted-list entries override them. secpipe's small
default list and the feeds fetched with secpipe threat-list update are used
too, unless --no-default-list / --no-cached-lists.`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tf.listTypes {
				return printThreatTypes(e)
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("scan threat: an EVENTS log is required (JSON lines, or a DNS query log)")}
			}
			cfg, err := threatConfig(&tf)
			if err != nil {
				return err
			}
			sc := threat.NewScanner(cfg, threat.ReadOptions{Lenient: tf.lenient}, cliLogger(e, tf.verbose))
			ids := map[string]bool{}
			for _, t := range threat.FindingTypes() {
				ids[t.ID] = true
			}
			return runScan(cmd.Context(), e, scanJob{scanner: sc, target: args[0], root: ".", flags: &g, rules: ids})
		},
	}
	g.register(cmd, "high")
	f := cmd.Flags()
	f.StringArrayVar(&tf.lists, "threat-list", nil, "threat list `FILE` (IPs, CIDRs, domains; repeatable)")
	f.StringArrayVar(&tf.trusted, "trusted-list", nil, "trusted list `FILE` whose entries are never reported (repeatable)")
	f.BoolVar(&tf.noDefault, "no-default-list", false, "leave out secpipe's default list of test domains")
	f.BoolVar(&tf.noCached, "no-cached-lists", false, "leave out the feeds fetched with secpipe threat-list update")
	f.IntSliceVar(&tf.ports, "allowed-ports", nil, "the image's declared `PORTS`: any other port is reported (comma-separated)")
	f.StringVar(&tf.manifest, "manifest", "", "`FILE` listing the image's files, one absolute path per line: executing any other is reported")
	f.BoolVar(&tf.lenient, "lenient", false, "skip malformed lines of the log (counted) instead of failing")
	f.BoolVar(&tf.listTypes, "list-types", false, "print the finding types and exit")
	f.BoolVarP(&tf.verbose, "verbose", "v", false, "log what the detectors skip to standard error")
	f.StringVar(&tf.threatCache, "lists-dir", "", "where fetched feeds are cached (default: $SECPIPE_THREAT_DIR or the user cache directory)")
	return cmd
}

// threatConfig builds the detectors' configuration from the flags.
func threatConfig(tf *threatFlags) (threat.Config, error) {
	var lists, trusted []*intel.List
	if !tf.noDefault {
		lists = append(lists, intel.Default()...)
	}
	if !tf.noCached {
		dir := tf.threatCache
		if dir == "" {
			d, err := intel.DefaultDir()
			if err == nil {
				dir = d
			}
		}
		if dir != "" {
			cached, _, err := intel.Cached(dir)
			if err != nil {
				return threat.Config{}, fmt.Errorf("threat-list cache %s: %w", dir, err)
			}
			lists = append(lists, cached...)
		}
	}
	for _, p := range tf.lists {
		l, err := intel.LoadFile(p, intel.CategoryCustom)
		if err != nil {
			return threat.Config{}, err
		}
		lists = append(lists, l)
	}
	for _, p := range tf.trusted {
		l, err := intel.LoadFile(p, intel.CategoryCustom)
		if err != nil {
			return threat.Config{}, err
		}
		trusted = append(trusted, l)
	}
	cfg := threat.Config{Intel: intel.NewSet(lists, trusted)}
	if len(tf.ports) > 0 {
		cfg.AllowedPorts = tf.ports
	}
	if tf.manifest != "" {
		m, err := readManifest(tf.manifest)
		if err != nil {
			return threat.Config{}, err
		}
		cfg.Manifest = m
	}
	return cfg, nil
}

// readManifest reads a list of absolute paths, one per line.
func readManifest(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--manifest: %w", err)
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			return nil, usageError{fmt.Errorf("%s:%d: %q is not an absolute path", path, line, p)}
		}
		m[p] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--manifest %s: %w", path, err)
	}
	return m, nil
}

// printThreatTypes prints the finding types.
func printThreatTypes(e *env) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSEVERITY\tTITLE")
	for _, t := range threat.FindingTypes() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Severity, t.Title)
	}
	fmt.Fprintf(tw, "\n%d finding types\n", len(threat.FindingTypes()))
	return tw.Flush()
}

func newThreatListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "threat-list",
		Short: "Manage the threat-list feeds scan threat uses",
	}
	var dir string
	var sources []string
	update := &cobra.Command{
		Use:   "update",
		Short: "Fetch threat-list feeds (--source URL, repeatable; none: refresh the known ones)",
		Long: `Fetch threat-list feeds in GuardDuty's plain-text format (one IP, CIDR or
domain per line) from http, https or file URLs or paths, with conditional
requests. A feed that fails to download or parse keeps its previous copy;
the command then exits 2 naming it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := intel.DefaultDir()
				if err != nil {
					return err
				}
				dir = d
			}
			m, err := intel.Update(cmd.Context(), dir, intel.UpdateOptions{Sources: sources})
			for _, f := range m.Feeds {
				state := fmt.Sprintf("%d entries", f.Entries)
				if f.Error != "" {
					state = "failed: " + f.Error
				}
				fmt.Fprintf(e.stdout, "%s: %s\n", f.Source, state)
			}
			return err
		},
	}
	update.Flags().StringArrayVar(&sources, "source", nil, "feed `URL` or path (repeatable)")
	update.Flags().StringVar(&dir, "lists-dir", "", "cache `DIR` (default: $SECPIPE_THREAT_DIR or the user cache directory)")
	cmd.AddCommand(update)
	return cmd
}
