package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
)

// Ipv4ClusterType is the component's type token.
const Ipv4ClusterType = "eks-advanced-networking:cluster:Ipv4Cluster"

// Ipv4ClusterArgs configure an IPv4 EKS cluster. Its settings' ServiceIpv4Cidr is the block
// Kubernetes services get addresses from (empty lets EKS choose); PrefixDelegation turns the VPC
// CNI's prefix mode on (Nitro instances), and the nodes' maxPods follows (ClusterParts.NodeMaxPods).
type Ipv4ClusterArgs struct {
	ClusterArgs
}

// Ipv4Cluster is the chapter's IPv4 cluster for the policy and Multus scenarios. It shares its core
// with Ipv6Cluster (cluster.go); only the IP family's details differ.
type Ipv4Cluster struct {
	pulumi.ResourceState
	ClusterParts
}

// NewIpv4Cluster validates the arguments, and registers nothing if they are wrong.
func NewIpv4Cluster(ctx *pulumi.Context, name string, args *Ipv4ClusterArgs, opts ...pulumi.ResourceOption) (*Ipv4Cluster, error) {
	if args == nil {
		return nil, fmt.Errorf("Ipv4Cluster %s: args are required", name)
	}
	family := ipFamily{
		name:      clusterspec.Ipv4,
		cniPolicy: ipv4CniPolicy,
		vpcCni:    clusterspec.VpcCniOptions{PrefixDelegation: args.PrefixDelegation},
	}
	label := "Ipv4Cluster " + name
	node, err := validateClusterArgs(label, &args.ClusterArgs, family)
	if err != nil {
		return nil, err
	}
	c := &Ipv4Cluster{}
	if err := buildCluster(ctx, Ipv4ClusterType, label, name, c, &args.ClusterArgs, family, node, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// ipv4CniPolicy attaches AWS's managed policy for the VPC CNI in IPv4 mode to the IRSA role, as
// eksctl does; AWS keeps that policy in step with the CNI.
func ipv4CniPolicy(ctx *pulumi.Context, name, partition string, role *iam.Role, opts ...pulumi.ResourceOption) error {
	_, err := iam.NewRolePolicyAttachment(ctx, name, &iam.RolePolicyAttachmentArgs{
		Role: role.Name, PolicyArn: pulumi.String(fmt.Sprintf("arn:%s:iam::aws:policy/AmazonEKS_CNI_Policy", partition)),
	}, opts...)
	return err
}
