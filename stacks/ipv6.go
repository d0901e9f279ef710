package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/components"
	"eks-advanced-networking/internal/blueprint"
	"eks-advanced-networking/internal/config"
)

// Ipv6NodeGroupName is the chapter's node group name.
const Ipv6NodeGroupName = "ipv6mng"

// Ipv6 is the chapter's IPv6 scenario: a dual-stack VPC and an IPv6 EKS cluster whose pods reach IPv4
// the way ipv4Egress says. That one switch sets both the VPC's DNS64/NAT64 (the blueprint's layout) and
// the VPC CNI's node SNAT, so the two cannot disagree.
func Ipv6(ctx *pulumi.Context, cfg *config.Config, bp *blueprint.Blueprint) (Outputs, error) {
	b, err := newBase(ctx, cfg, bp)
	if err != nil {
		return nil, err
	}
	clusterName := cfg.Cluster.EksName(ctx.Stack())
	cluster, err := components.NewIpv6Cluster(ctx, "cluster", &components.Ipv6ClusterArgs{
		ClusterArgs: b.clusterArgs(cfg, Ipv6NodeGroupName),
		NodeSnat:    cfg.Ipv4Egress.NodeSnat(),
	}, pulumi.Provider(b.provider))
	if err != nil {
		return nil, err
	}
	out := b.outputs()
	addClusterOutputs(out, cluster.ClusterOutputs)
	out["verifyCommands"] = pulumi.ToStringArray(ipv6VerifyCommands(cfg, clusterName)).ToStringArrayOutput()
	return b.withKubernetesLayer(ctx, cfg, out, &cluster.ClusterParts, nil)
}

// ipv6VerifyCommands are the chapter's look around, to run by hand once `pulumi up` is done: nodes
// and pods have IPv6 addresses, and a pod reaches the IPv6 and IPv4-only targets the checks use
// (verify: true runs the checks themselves, with the expected outcome for ipv4Egress).
func ipv6VerifyCommands(cfg *config.Config, cluster string) []string {
	return []string{
		fmt.Sprintf("aws eks update-kubeconfig --region %s --name %s", cfg.Region, cluster),
		"kubectl get nodes -o wide",
		"kubectl get pods -n kube-system -o wide",
		fmt.Sprintf("kubectl run busybox --image=%s --restart=Never --rm -it -- sh -c 'ip -6 addr show eth0; ip -4 addr show v4if0; "+
			"wget -qO- -T 5 http://%s >/dev/null && echo IPv6 ok; wget -qO- -T 5 http://%s >/dev/null && echo IPv4 ok'",
			cfg.BusyboxImage, cfg.VerifyTargets.Ipv6Target, cfg.VerifyTargets.Ipv4Target),
	}
}
