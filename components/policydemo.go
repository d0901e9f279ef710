package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/policydemo"
	"eks-advanced-networking/internal/workload"
)

// NetworkPolicyDemoType is the component's type token.
const NetworkPolicyDemoType = "eks-advanced-networking:policy:NetworkPolicyDemo"

// NetworkPolicyDemoArgs switch the chapter's policy on and off.
type NetworkPolicyDemoArgs struct {
	// DenyEgress applies default-deny-egress in deploy2 (the chapter's second pulumi up).
	DenyEgress bool
	// AllowDns lets deploy2 still resolve names through CoreDNS while the policy is on.
	AllowDns bool
	// SkipAwait stops Pulumi from waiting for the Deployments to become ready (a cluster with no nodes).
	SkipAwait bool
	// Image is the Deployments' busybox image; empty means workload.DefaultImage.
	Image string
}

// NetworkPolicyDemo is the chapter's test: busybox Deployments in namespaces deploy1 and deploy2, and
// optionally the deny-egress policy in deploy2. The objects come from internal/policydemo, where a
// policy matcher checks what they allow.
type NetworkPolicyDemo struct {
	pulumi.ResourceState

	// TestCommands are the chapter's ping from deploy2 to deploy1.
	TestCommands pulumi.StringArrayOutput `pulumi:"testCommands"`

	ready []pulumi.Resource
}

// Ready are the demo's namespaces, Deployments and policy: what a check of the demo waits for.
// Depend on these, not on the component, whose children the Go SDK may not have finished
// collecting. Go only.
func (c *NetworkPolicyDemo) Ready() []pulumi.Resource { return c.ready }

// NewNetworkPolicyDemo registers the demo; it needs a Kubernetes provider among opts.
func NewNetworkPolicyDemo(ctx *pulumi.Context, name string, args *NetworkPolicyDemoArgs, opts ...pulumi.ResourceOption) (*NetworkPolicyDemo, error) {
	if args == nil {
		return nil, fmt.Errorf("NetworkPolicyDemo %s: args are required", name)
	}
	if args.AllowDns && !args.DenyEgress {
		return nil, fmt.Errorf("NetworkPolicyDemo %s: AllowDns only shapes the deny-egress policy; turn DenyEgress on", name)
	}
	image, err := workload.ImageOrDefault(args.Image)
	if err != nil {
		return nil, fmt.Errorf("NetworkPolicyDemo %s: Image %q: %w", name, args.Image, err)
	}
	c := &NetworkPolicyDemo{}
	if err := ctx.RegisterComponentResource(NetworkPolicyDemoType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	namespaces := map[string]pulumi.Resource{}
	for _, ns := range policydemo.Namespaces() {
		res, err := newKubeObject(ctx, name+"-"+ns.Name, ns, parent)
		if err != nil {
			return nil, err
		}
		namespaces[ns.Name] = res
		c.ready = append(c.ready, res)
	}
	for _, d := range policydemo.Deployments(image) {
		if args.SkipAwait {
			skipAwait(&d.ObjectMeta)
		}
		res, err := newKubeObject(ctx, name+"-"+d.Namespace+"-"+d.Name, d, parent,
			pulumi.DependsOn([]pulumi.Resource{namespaces[d.Namespace]}))
		if err != nil {
			return nil, err
		}
		c.ready = append(c.ready, res)
	}
	if args.DenyEgress {
		p := policydemo.DenyEgressPolicy(args.AllowDns)
		res, err := newKubeObject(ctx, name+"-"+p.Namespace+"-"+p.Name, p, parent,
			pulumi.DependsOn([]pulumi.Resource{namespaces[p.Namespace]}))
		if err != nil {
			return nil, err
		}
		c.ready = append(c.ready, res)
	}
	c.TestCommands = pulumi.ToStringArray(policydemo.TestCommands()).ToStringArrayOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"testCommands": c.TestCommands})
}
