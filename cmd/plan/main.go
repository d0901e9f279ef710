// Command plan runs the real program with a stack file's configuration under Pulumi mocks: no AWS
// account, no Pulumi account, no network. It prints a tree like `pulumi preview`, or JSON with -json,
// and can write the Kubernetes objects the stack would create with -manifests.
//
//	go run ./cmd/plan -stack ipv6
//	go run ./cmd/plan -stack ipv6 -json
//	go run ./cmd/plan -stack ipv4-calico -manifests out/
//	go run ./cmd/plan -stack ipv4-calico -config 'eks-advanced-networking:endpointPublicAccessCidrs=["198.51.100.7/32"]'
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"eks-advanced-networking/internal/config"
	"eks-advanced-networking/internal/plan"
	"eks-advanced-networking/stacks"
)

const usage = `Usage: plan -stack NAME [-json] [-manifests DIR] [-config namespace:key=value]... [-dir DIR]
       plan -stack NAME -kubernetes-layer [-config namespace:key=value]... [-dir DIR]
       plan -list [-dir DIR]

Runs the program with Pulumi.<NAME>.yaml under Pulumi mocks (no AWS account, no network) and prints
what it would create, like pulumi preview.

Examples:
  go run ./cmd/plan -stack ipv6
  go run ./cmd/plan -stack ipv4-calico -config 'eks-advanced-networking:endpointPublicAccessCidrs=["198.51.100.7/32"]' -json

Flags:
`

func main() {
	// A flag set of our own: the SDKs register a logging library's flags on the global one.
	flags := flag.NewFlagSet("plan", flag.ExitOnError)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), usage)
		flags.PrintDefaults()
	}
	stack := flags.String("stack", "", "stack name: reads Pulumi.<stack>.yaml")
	asJSON := flags.Bool("json", false, "print the plan as one JSON object")
	manifests := flags.String("manifests", "", "also write every Kubernetes object as YAML into this directory")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	list := flags.Bool("list", false, "print the stack names, one per Pulumi.<stack>.yaml, a line each (what CI deploys and plans)")
	kubernetesLayer := flags.Bool("kubernetes-layer", false, "print true if the stack puts objects into its cluster (so `pulumi preview` must reach the API endpoint), false if not")
	var overrides configFlags
	flags.Var(&overrides, "config", "set `namespace:key=value` over the stack file, as pulumi config set would (repeatable; lists as JSON)")
	_ = flags.Parse(os.Args[1:]) // ExitOnError: a bad flag exits with the usage
	if *list {
		for _, name := range plan.StackNames(*dir) {
			fmt.Println(name)
		}
		return
	}
	if *stack == "" {
		fmt.Fprintf(os.Stderr, "plan: -stack is required; stacks here: %v\n", plan.StackNames(*dir))
		os.Exit(2)
	}
	if *kubernetesLayer {
		has, err := hasKubernetesLayer(*dir, *stack, overrides)
		if err != nil {
			fmt.Fprintf(os.Stderr, "plan: %v\n", err)
			os.Exit(1)
		}
		fmt.Println(has)
		return
	}
	if err := run(*dir, *stack, overrides, *asJSON, *manifests); err != nil {
		fmt.Fprintf(os.Stderr, "plan: %v\n", err)
		os.Exit(1)
	}
}

// configFlags are -config overrides, "namespace:key" to the value the engine would pass.
type configFlags map[string]string

func (f *configFlags) String() string { return fmt.Sprint(map[string]string(*f)) }

func (f *configFlags) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok || !strings.Contains(key, ":") {
		return fmt.Errorf("%q is not namespace:key=value, e.g. %s:demoApps=true", s, config.Project)
	}
	if *f == nil {
		*f = configFlags{}
	}
	(*f)[key] = value
	return nil
}

// hasKubernetesLayer decodes the stack's configuration only: whether its preview needs the cluster.
func hasKubernetesLayer(dir, stack string, overrides configFlags) (bool, error) {
	files, err := plan.LoadStack(dir, stack)
	if err != nil {
		return false, err
	}
	for key, value := range overrides {
		files.Config[key] = value
	}
	cfg, err := config.Decode(files.Config)
	if err != nil {
		return false, err
	}
	return cfg.HasKubernetesLayer(), nil
}

func run(dir, stack string, overrides configFlags, asJSON bool, manifestDir string) error {
	files, err := plan.LoadStack(dir, stack)
	if err != nil {
		return err
	}
	for key, value := range overrides {
		files.Config[key] = value
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
