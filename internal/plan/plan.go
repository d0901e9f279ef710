// Package plan runs a Pulumi program under mocks that answer like AWS would, and records what it
// registers: the offline plan (cmd/plan) and every component test use it. Nothing here reaches a
// cloud, a Pulumi service or the network.
package plan

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Placeholders for values a plan cannot show.
const (
	Computed = "<computed>"
	Secret   = "<secret>"
)

// Resource is one registered resource. The JSON form is the offline plan's format: keep it stable.
type Resource struct {
	URN          string         `json:"urn"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	ID           string         `json:"id"`
	Parent       string         `json:"parent"`
	Custom       bool           `json:"custom"`
	Remote       bool           `json:"remote"`
	Inputs       map[string]any `json:"inputs"`
	Dependencies []string       `json:"dependencies"`

	// Provider is the provider reference ("urn::id") the resource was registered with, if explicit.
	Provider string `json:"-"`
	// RawInputs keeps secrets and unknowns distinguishable for tests.
	RawInputs resource.PropertyMap `json:"-"`
	// DeleteBeforeReplace is the resource option when the program set it, either way.
	DeleteBeforeReplace *bool `json:"-"`
	// Aliases are the URNs the resource was once known by, alias specifications resolved.
	Aliases []string `json:"-"`
}

// FormatVersion numbers the offline plan's JSON format. Raise it when a field changes meaning or
// goes, so that a comparison of plans written by two versions (internal/plandiff) refuses instead of
// reporting the format change as resource changes.
const FormatVersion = 1

// Plan is everything a program registered, sorted by URN, and its stack outputs.
type Plan struct {
	// Format is FormatVersion when written; a plan read from a file carries its writer's.
	Format    int            `json:"format"`
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
	// Functions are the data sources the program called, by token, sorted: what its credentials
	// must be allowed to read. Not written to plan files.
	Functions []string `json:"-"`
}

// Program is a Pulumi program that returns its stack outputs instead of exporting them, so the plan
// can see them (ctx.Export never reaches the mocks).
type Program func(ctx *pulumi.Context) (map[string]pulumi.Output, error)

// Options say which stack the program runs as.
type Options struct {
	Project string
	Stack   string
	// Config is the raw stack configuration, "namespace:key" to value.
	Config map[string]string
	// LatestAddons override what the mocked EKS answers as an add-on's latest version
	// (mockAddonVersions), for tests of what a deploy-time answer does.
	LatestAddons map[string]string
	// RunningClusters are EKS clusters the mocked account already runs, for tests of a stack's later
	// ups; without them the account is empty, as on a stack's first up.
	RunningClusters []RunningCluster
	// AmiRelease names the EKS AMI release the mocked SSM parameters answer from; empty is the
	// mocks' fixed one. Another release gives every recommended AMI a new id and release version, as
	// AWS's weekly release does.
	AmiRelease string
}

// RunningCluster is an EKS cluster in the mocked account: its version and its node groups' versions
// by name. The groups named in CustomAmi are on a custom AMI (AMI type CUSTOM). IpFamily and
// ServiceIpv4Cidr are its network config, empty for EKS's defaults (ipv4, 172.20.0.0/16); it runs
// in a VPC of VpcCidr, in Subnets. It carries the project and stack tags of the stack that made it.
type RunningCluster struct {
	Name            string
	Version         string
	NodeGroups      map[string]string
	CustomAmi       []string
	IpFamily        string
	ServiceIpv4Cidr string
	VpcCidr         string
	// VpcIpv6 says its VPC has an Amazon-provided IPv6 block (MockVpcIpv6Cidr).
	VpcIpv6 bool
	Subnets []RunningSubnet
	// OtherStack names the stack that made it, when not the planned one: its tags say so.
	OtherStack string
	// DescribeDenied: the deployer may list it but not describe it (EKS's AccessDeniedException).
	DescribeDenied bool
	// MultusEnis are its Multus ENIs, as EC2 describes them.
	MultusEnis []RunningMultusEni
}

// RunningMultusEni is a Multus ENI of a running cluster: its network (multus-network tag), its
// multus-attachment tag, and the instance it is attached to, if any.
type RunningMultusEni struct {
	ID, Network, Attachment, Instance string
}

// RunningSubnet is a subnet a running cluster was given.
type RunningSubnet struct {
	AvailabilityZone string
	Ipv4Cidr         string
}

// VpcID is the mocked id of the cluster's VPC.
func (c RunningCluster) VpcID() string { return MockID("vpc", "running "+c.Name) }

// SubnetID is the mocked id of one of its subnets.
func (s RunningSubnet) SubnetID() string { return MockID("subnet", "running "+s.Ipv4Cidr) }

// MockID is a mocked AWS id with prefix (vpc, eni, i, ...), derived from seed: the same seed gives
// the same id.
func MockID(prefix, seed string) string { return prefix + "-0" + mockHex(seed, 16) }

// Run runs the program as a preview under mocks and returns what it registered. A program error is
// returned as it is, so validation messages reach the user unchanged, together with the plan of what
// was registered before it (tests check that bad input registers nothing).
func Run(opts Options, program Program) (*Plan, error) {
	m := &mocks{project: opts.Project, stack: opts.Stack, region: opts.Config["aws:region"], latestAddons: opts.LatestAddons, running: opts.RunningClusters, amiRelease: opts.AmiRelease, called: map[string]bool{}}
	outputs := map[string]any{}
	var programErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := program(ctx)
		if err != nil {
			programErr = err
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(outs)) {
			ctx.Export(name, outs[name])
			v, err := resolve(ctx.Context(), outs[name])
			if err != nil {
				return fmt.Errorf("output %s: %w", name, err)
			}
			outputs[name] = v
		}
		return nil
	}, pulumi.WithMocks(opts.Project, opts.Stack, m), func(ri *pulumi.RunInfo) {
		ri.DryRun = true
		ri.Config = opts.Config
	})
	p := &Plan{Format: FormatVersion, Stack: opts.Stack, Resources: m.recorded, Outputs: outputs, Functions: slices.Sorted(maps.Keys(m.called))}
	sort.Slice(p.Resources, func(i, j int) bool { return p.Resources[i].URN < p.Resources[j].URN })
	if programErr != nil {
		return p, programErr
	}
	return p, err
}

func resolve(ctx context.Context, o pulumi.Output) (any, error) {
	r, err := internals.UnsafeAwaitOutput(ctx, o)
	switch {
	case err != nil:
		return nil, err
	case r.Secret:
		return Secret, nil
	case !r.Known:
		return Computed, nil
	}
	// Outputs can hold Go structs and slices; a property value gives them one plain JSON shape.
	pv := resource.NewPropertyValueRepl(r.Value, nil, nil)
	return plainValue(pv), nil
}

// ByType returns the resources of one type, sorted by URN.
func (p *Plan) ByType(typ string) []Resource {
	return p.where(func(r Resource) bool { return r.Type == typ })
}

// Children returns the resources whose parent is urn.
func (p *Plan) Children(urn string) []Resource {
	return p.where(func(r Resource) bool { return r.Parent == urn })
}

// Get returns the resource of a type and name, or an error naming what exists.
func (p *Plan) Get(typ, name string) (Resource, error) {
	var names []string
	for _, r := range p.ByType(typ) {
		if r.Name == name {
			return r, nil
		}
		names = append(names, r.Name)
	}
	return Resource{}, fmt.Errorf("no %s named %q; have %v", typ, name, names)
}

// ByURN returns the resource with this URN.
func (p *Plan) ByURN(urn string) (Resource, bool) {
	return p.find(func(r Resource) bool { return r.URN == urn })
}

// ByID returns the custom resource the mocks gave this id, e.g. to follow a subnetId input.
func (p *Plan) ByID(id string) (Resource, bool) {
	return p.find(func(r Resource) bool { return r.ID == id && r.Custom })
}

func (p *Plan) where(keep func(Resource) bool) []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func (p *Plan) find(match func(Resource) bool) (Resource, bool) {
	i := slices.IndexFunc(p.Resources, match)
	if i < 0 {
		return Resource{}, false
	}
	return p.Resources[i], true
}

// DependsOn says whether r lists the resource with URN dep among its dependencies.
func (r Resource) DependsOn(dep string) bool { return slices.Contains(r.Dependencies, dep) }

// Input returns a plain input value by a dotted path such as "metadataOptions.httpTokens".
func (r Resource) Input(path string) any {
	var cur any = r.Inputs
	for _, part := range splitPath(path) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// splitPath splits a dotted path; "\." is a dot inside a key (an annotation such as
// service\.beta\.kubernetes\.io/aws-load-balancer-type).
func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

// String returns an input by path as a string ("" when absent or not a string).
func (r Resource) String(path string) string {
	s, _ := r.Input(path).(string)
	return s
}

// Revealed is a top-level input's plain value with secrecy unwrapped, for tests of what a secret
// carries (the kubeconfig); Input shows a secret as Secret.
func (r Resource) Revealed(key string) any {
	v, ok := r.RawInputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	for v.IsSecret() || v.IsOutput() {
		if v.IsSecret() {
			v = v.SecretValue().Element
		} else {
			v = v.OutputValue().Element
		}
	}
	return plainValue(v)
}

// Mismatches compares inputs at dotted paths with wanted values and describes each difference
// ("path = got, want w"), in path order: what a test reports instead of dumping every input.
func (r Resource) Mismatches(want map[string]any) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(want)) {
		got := r.Input(path)
		w := want[path]
		if n, ok := w.(int); ok {
			w = float64(n) // inputs are JSON: numbers are float64
		}
		if !reflect.DeepEqual(got, w) {
			out = append(out, fmt.Sprintf("%s = %v, want %v", path, got, w))
		}
	}
	return out
}
