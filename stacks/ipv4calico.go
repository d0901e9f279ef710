package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/config"
)

// Ipv4NodeGroupName is the chapter's IPv4 node group name.
const Ipv4NodeGroupName = "ipv4mng"

// Ipv4Calico is the chapter's network-policy scenario: an IPv4 VPC (the preset sets vpcIpv6: false),
// an IPv4 EKS cluster, the policy engine policyEngine names, and the chapter's test applications
// with the deny-egress policy switched by denyEgressPolicy.
func Ipv4Calico(ctx *pulumi.Context, cfg *config.Config) (Outputs, error) {
	b, err := newBase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cluster, err := b.newIpv4Cluster(ctx, cfg)
	if err != nil {
		return nil, err
	}
	out := b.outputs()
	addClusterOutputs(out, cluster.ClusterOutputs)
	return withKubernetesLayer(ctx, cfg, out, cluster.Kubeconfig, cluster.Ready)
}

func (b *base) newIpv4Cluster(ctx *pulumi.Context, cfg *config.Config) (*components.Ipv4Cluster, error) {
	return components.NewIpv4Cluster(ctx, "cluster", &components.Ipv4ClusterArgs{
		ClusterArgs:     b.clusterArgs(cfg, cfg.EksClusterName(ctx.Stack()), Ipv4NodeGroupName),
		ServiceIpv4Cidr: cfg.ServiceIpv4Cidr,
	}, pulumi.Provider(b.provider))
}
