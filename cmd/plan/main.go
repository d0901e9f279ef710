// Command plan runs the real program with a stack file's configuration under Pulumi mocks: no AWS
// account, no Pulumi account, no network. It prints a tree like `pulumi preview`, or JSON with -json,
// and can write the Kubernetes objects the stack would create with -manifests.
//
//	go run ./cmd/plan -stack ipv6
//	go run ./cmd/plan -stack ipv6 -json
//	go run ./cmd/plan -stack ipv4-calico -manifests out/
package main

import (
	"flag"
	"fmt"
	"os"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/stacks"
)

func main() {
	stack := flag.String("stack", "", "stack name: reads Pulumi.<stack>.yaml")
	asJSON := flag.Bool("json", false, "print the plan as one JSON object")
	manifests := flag.String("manifests", "", "also write every Kubernetes object as YAML into this directory")
	dir := flag.String("dir", ".", "directory holding Pulumi.yaml")
	flag.Parse()
	if *stack == "" {
		fmt.Fprintf(os.Stderr, "plan: -stack is required; stacks here: %v\n", plan.StackNames(*dir))
		os.Exit(2)
	}
	if err := run(*dir, *stack, *asJSON, *manifests); err != nil {
		fmt.Fprintf(os.Stderr, "plan: %v\n", err)
		os.Exit(1)
	}
}

func run(dir, stack string, asJSON bool, manifestDir string) error {
	files, err := plan.LoadStack(dir, stack)
	if err != nil {
		return err
	}
	// The program logs these through the engine, which the mocks do not print.
	if cfg, err := config.Decode(files.Config); err == nil {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(os.Stderr, "warning: %s\n", w)
		}
	}
	p, err := plan.Run(plan.Options{Project: config.Project, Stack: stack, Config: files.Config}, stacks.Program(files.Config))
	if err != nil {
		return err
	}
	if manifestDir != "" {
		n, err := p.WriteManifests(manifestDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "plan: wrote %d Kubernetes manifests to %s\n", n, manifestDir)
	}
	if asJSON {
		return p.WriteJSON(os.Stdout)
	}
	return p.WriteText(os.Stdout)
}
