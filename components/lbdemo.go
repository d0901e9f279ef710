package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/lbcontroller"
	"eks-advanced-networking/internal/settings"
	"eks-advanced-networking/internal/workload"
)

// LoadBalancerDemoType is the component's type token.
const LoadBalancerDemoType = "eks-advanced-networking:loadbalancer:LoadBalancerDemo"

// LoadBalancerDemoArgs configure the demo Service.
type LoadBalancerDemoArgs struct {
	// AddressType is the load balancer's front end: lbcontroller.DualStack or lbcontroller.Ipv4.
	AddressType string
	// SourceRanges may reach an internet-facing load balancer; empty makes it internal.
	SourceRanges []string
	SkipAwait    bool
	// Image is the web server's busybox image; empty means workload.DefaultImage.
	Image string
}

// LoadBalancerDemo is a web server behind a Network Load Balancer the AWS Load Balancer Controller
// makes: IP targets, dual-stack on IPv6 clusters (lbcontroller.DemoService). It needs a Kubernetes
// provider among opts, and must depend on the controller (its webhooks intercept the Service and the
// pods).
type LoadBalancerDemo struct {
	pulumi.ResourceState

	// Address is the load balancer's DNS name, once the controller has made it.
	Address pulumi.StringOutput `pulumi:"address"`
}

// serviceWithStatus is a Service whose status the program reads back.
type serviceWithStatus struct {
	pulumi.CustomResourceState
	Status pulumi.AnyOutput `pulumi:"status"`
}

// NewLoadBalancerDemo registers the demo.
func NewLoadBalancerDemo(ctx *pulumi.Context, name string, args *LoadBalancerDemoArgs, opts ...pulumi.ResourceOption) (*LoadBalancerDemo, error) {
	if args == nil || args.AddressType == "" {
		return nil, fmt.Errorf("LoadBalancerDemo %s: AddressType must be %s or %s", name, lbcontroller.DualStack, lbcontroller.Ipv4)
	}
	own := lbcontroller.DemoSettings{SourceRanges: args.SourceRanges, IpAddressType: args.AddressType}
	if err := settings.Errors("LoadBalancerDemo "+name+": ", own.Validate()); err != nil {
		return nil, err
	}
	image, err := workload.ImageOrDefault(args.Image)
	if err != nil {
		return nil, fmt.Errorf("LoadBalancerDemo %s: Image %q: %w", name, args.Image, err)
	}
	c := &LoadBalancerDemo{}
	if err := ctx.RegisterComponentResource(LoadBalancerDemoType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	ns, err := newKubeObject(ctx, name+"-namespace", lbcontroller.DemoNamespaceObject(), parent)
	if err != nil {
		return nil, err
	}
	inNamespace := pulumi.DependsOn([]pulumi.Resource{ns})
	deployment := lbcontroller.DemoDeployment(image)
	service := lbcontroller.DemoService(args.AddressType, args.SourceRanges)
	if args.SkipAwait {
		skipAwait(&deployment.ObjectMeta)
		skipAwait(&service.ObjectMeta)
	}
	if _, err := newKubeObject(ctx, name+"-deployment", deployment, parent, inNamespace); err != nil {
		return nil, err
	}
	serviceArgs, token, err := kubeObjectArgs(service)
	if err != nil {
		return nil, err
	}
	var svc serviceWithStatus
	if err := ctx.RegisterResource(token, name+"-service", serviceArgs, &svc, parent, inNamespace); err != nil {
		return nil, err
	}
	c.Address = svc.Status.ApplyT(func(status any) string {
		s, _ := status.(map[string]any)
		lb, _ := s["loadBalancer"].(map[string]any)
		ingress, _ := lb["ingress"].([]any)
		if len(ingress) == 0 {
			return ""
		}
		first, _ := ingress[0].(map[string]any)
		hostname, _ := first["hostname"].(string)
		return hostname
	}).(pulumi.StringOutput)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"address": c.Address})
}
