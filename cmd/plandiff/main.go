// Command plandiff compares the offline plans of two versions of the program, a pull request's base
// and head, and prints what `pulumi up` would do to each stack in Pulumi's terms: create (+), update
// (~), replace (+-) and delete (-), with the changed inputs and the rule that forces each
// replacement. The pull-request workflow posts its output as a comment.
//
//	git archive origin/main testdata/plans | tar -x -C /tmp/base
//	go run ./cmd/plandiff -base /tmp/base/testdata/plans -head testdata/plans
package main

import (
	"flag"
	"fmt"
	"os"

	"eks-advanced-networking/internal/plandiff"
)

func main() {
	flags := flag.NewFlagSet("plandiff", flag.ExitOnError)
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "Usage: plandiff -base DIR [-head DIR]\n\nCompares the offline plans (<stack>.json, written by cmd/plan -json) in two directories and prints Markdown.\n\nFlags:\n")
		flags.PrintDefaults()
	}
	baseDir := flags.String("base", "", "directory of the base's plans (required)")
	headDir := flags.String("head", "testdata/plans", "directory of the head's plans")
	_ = flags.Parse(os.Args[1:]) // ExitOnError
	if *baseDir == "" {
		flags.Usage()
		os.Exit(2)
	}
	if err := run(*baseDir, *headDir); err != nil {
		fmt.Fprintf(os.Stderr, "plandiff: %v\n", err)
		os.Exit(1)
	}
}

func run(baseDir, headDir string) error {
	base, err := plandiff.Load(baseDir)
	if err != nil {
		return fmt.Errorf("base: %w", err)
	}
	head, err := plandiff.Load(headDir)
	if err != nil {
		return fmt.Errorf("head: %w", err)
	}
	if len(base) == 0 && len(head) == 0 {
		return fmt.Errorf("no plans (*.json) in %s or %s", baseDir, headDir)
	}
	return plandiff.Compare(base, head).WriteMarkdown(os.Stdout)
}
