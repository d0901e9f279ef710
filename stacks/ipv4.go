package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/blueprint"
	"eks-advanced-networking/internal/config"
)

// Ipv4NodeGroupName is the chapter's IPv4 node group name.
const Ipv4NodeGroupName = "ipv4mng"

// Ipv4 is the chapter's IPv4 scenarios, ipv4-calico and ipv4-multus: an IPv4 VPC (the presets set
// vpcIpv6: false) and an IPv4 EKS cluster, with the policy engine, the policy demo and the Multus
// networks the configuration asks for. The two presets differ only in what they turn on.
func Ipv4(ctx *pulumi.Context, cfg *config.Config, bp *blueprint.Blueprint) (Outputs, error) {
	b, err := newBase(ctx, cfg, bp)
	if err != nil {
		return nil, err
	}
	cluster, err := components.NewIpv4Cluster(ctx, "cluster", &components.Ipv4ClusterArgs{
		ClusterArgs: b.clusterArgs(cfg, Ipv4NodeGroupName),
	}, pulumi.Provider(b.provider))
	if err != nil {
		return nil, err
	}
	out := b.outputs()
	addClusterOutputs(out, cluster.ClusterOutputs)
	if n := cluster.NodeMaxPods(); n > 0 {
		out["nodeMaxPods"] = pulumi.Int(n).ToIntOutput()
	}
	var multusAws *components.MultusAwsArgs
	if cfg.Multus.Enabled {
		multusAws = &components.MultusAwsArgs{
			Cluster: &cluster.ClusterParts, Tier: cfg.Multus.SubnetTier, Attachment: cfg.Multus.Attachment,
			InstanceIds: cfg.Multus.InstanceIds, DeviceIndexes: b.multusDeviceIndexes,
		}
	}
	return b.withKubernetesLayer(ctx, cfg, out, &cluster.ClusterParts, multusAws)
}
