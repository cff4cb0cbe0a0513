package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/spec"
)

func newImportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Convert another system's pipeline declaration to secpipe.yml",
	}
	var output string
	cp := &cobra.Command{
		Use:   "codepipeline FILE",
		Short: "Convert an AWS CodePipeline JSON declaration (aws codepipeline get-pipeline) to secpipe.yml",
		Long: `Convert an AWS CodePipeline declaration, as aws codepipeline get-pipeline
prints it, to secpipe.yml: source actions become git, CodeBuild becomes
buildspec, Lambda invokes become invoke, manual approvals become approval,
custom actions become custom. What has no local meaning (regions, roles,
artifact stores) is dropped with a warning on standard error. FILE - reads
standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(os.Stdin)
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			p, warnings, err := spec.ImportCodePipeline(args[0], data)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintln(e.stderr, "warning:", w)
			}
			out, err := spec.Marshal(p)
			if err != nil {
				return err
			}
			if output == "" {
				_, err := e.stdout.Write(out)
				return err
			}
			if err := atomicfile.WriteFile(output, out, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "pipeline %s: %d stages written to %s\n", p.Name, len(p.Stages), output)
			return nil
		},
	}
	cp.Flags().StringVarP(&output, "output", "o", "", "write secpipe.yml to `FILE` instead of standard output")
	cmd.AddCommand(cp)
	return cmd
}
