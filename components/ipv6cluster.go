package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// Ipv6ClusterType is the component's type token.
const Ipv6ClusterType = "eks-advanced-networking:cluster:Ipv6Cluster"

// Ipv6ClusterArgs configure an IPv6 EKS cluster.
type Ipv6ClusterArgs struct {
	ClusterArgs
	// NodeSnat is the VPC CNI's ENABLE_V4_EGRESS: pods reach IPv4 through v4if0 (169.254.172.0/22),
	// SNATed to the node's IPv4 address. DNS64/NAT64, the other path, is the VPC's business; the stack
	// drives both from one switch (ipv4Egress).
	NodeSnat bool
}

// Ipv6Cluster is an IPv6 EKS cluster that works: the chapter's ipv6 cluster, with what pulumi-eks v2
// and eksctl get wrong put right (see cluster.go).
type Ipv6Cluster struct {
	pulumi.ResourceState
	ClusterParts
}

// NewIpv6Cluster validates the arguments, and registers nothing if they are wrong.
func NewIpv6Cluster(ctx *pulumi.Context, name string, args *Ipv6ClusterArgs, opts ...pulumi.ResourceOption) (*Ipv6Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("Ipv6Cluster %s: args are required", name)
	}
	nodeSnat := args.NodeSnat
	family := ipFamily{
		name:      clusterspec.Ipv6,
		cniPolicy: ipv6CniPolicy,
		// IPv6 nodes always hand out /80 prefixes; saying so keeps the add-on's settings explicit.
		vpcCni: clusterspec.VpcCniOptions{PrefixDelegation: true, V4Egress: &nodeSnat},
	}
	label := "Ipv6Cluster " + name
	node, err := validateClusterArgs(label, &args.ClusterArgs, family)
	if err != nil {
		return nil, err
	}
	if !args.Vpc.Plan.Input.Ipv6 {
		return nil, fmt.Errorf("Ipv6Cluster %s: Vpc has IPv6 off; an IPv6 cluster needs an IPv6 VPC (vpcIpv6: true)", name)
	}
	c := &Ipv6Cluster{}
	if err := buildCluster(ctx, Ipv6ClusterType, label, name, c, &args.ClusterArgs, family, node, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// ipv6CniPolicy writes the IPv6 CNI policy, for which AWS publishes no managed policy, inline on the
// IRSA role.
func ipv6CniPolicy(ctx *pulumi.Context, name, partition string, role *iam.Role, opts ...pulumi.ResourceOption) error {
	doc, err := clusterspec.VpcCniIpv6Policy(partition).JSON()
	if err != nil {
		return err
	}
	_, err = iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role: role.Name, Policy: pulumi.String(doc),
	}, opts...)
	return err
}
