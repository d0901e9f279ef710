package components

import (
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/nodeadm"
)

// multusAws registers the AWS side and returns what the Multus pods must wait for (the nodes), and
// the nodes' revision: it changes whenever a Multus node is replaced (a new launch template version,
// an AMI release, another instance type), in zone order.
func multusAws(ctx *pulumi.Context, name string, args *MultusNetworkArgs, component pulumi.Resource) ([]pulumi.Resource, pulumi.StringOutput, error) {
	parent := pulumi.Parent(component)
	a := args.Aws
	var none pulumi.StringOutput
	sg, err := multusSecurityGroup(ctx, name, a, nameTags(name, a.Tags), parent)
	if err != nil {
		return nil, none, err
	}
	var attachPolicy pulumi.Resource
	if a.Attachment == multus.AttachNodeGroup {
		if attachPolicy, err = multusAttachPolicy(ctx, name, a, parent); err != nil {
			return nil, none, err
		}
	}
	var nodes []pulumi.Resource
	var revisions pulumi.StringArray
	for i, n := range args.Networks {
		subnetId, _ := a.Cluster.Vpc().SubnetId(a.Tier, n.AvailabilityZone)
		eni, err := multusEni(ctx, name, a, n, subnetId, sg, parent)
		if err != nil {
			return nil, none, err
		}
		switch a.Attachment {
		case multus.AttachInstances:
			attachment, err := ec2.NewNetworkInterfaceAttachment(ctx, name+"-"+n.Name, &ec2.NetworkInterfaceAttachmentArgs{
				InstanceId: pulumi.String(a.InstanceIds[i]), NetworkInterfaceId: eni.ID(), DeviceIndex: pulumi.Int(a.DeviceIndexes[i]),
				// A replaced attachment (a new ENI or instance) takes the index the old one holds, which
				// EC2 refuses while it is attached: the old one is detached first.
			}, parent, pulumi.DeleteBeforeReplace(true))
			if err != nil {
				return nil, none, err
			}
			nodes = append(nodes, attachment)
			revisions = append(revisions, pulumi.Sprintf("%s=%s", n.Name, a.InstanceIds[i]))
		case multus.AttachNodeGroup:
			ng, revision, err := multusNodeGroup(ctx, name, a, n, subnetId, component, eni, attachPolicy)
			if err != nil {
				return nil, none, err
			}
			nodes = append(nodes, ng)
			revisions = append(revisions, revision)
		}
	}
	revision := revisions.ToStringArrayOutput().ApplyT(func(parts []string) string { return strings.Join(parts, " ") }).(pulumi.StringOutput)
	return nodes, revision, nil
}

// multusEni is a zone's Multus ENI, with the subnet reservations for its pod addresses.
func multusEni(ctx *pulumi.Context, name string, a *MultusAwsArgs, n multus.Network, subnetId pulumi.StringOutput,
	sg *ec2.SecurityGroup, parent pulumi.ResourceOrInvokeOption) (*ec2.NetworkInterface, error) {
	eniName := name + "-" + n.Name
	var reservations []pulumi.Resource
	for _, block := range n.Reservations {
		r, err := ec2.NewSubnetCidrReservation(ctx, eniName+"-"+reservationSuffix(block), &ec2.SubnetCidrReservationArgs{
			SubnetId:        subnetId,
			CidrBlock:       pulumi.String(block.String()),
			ReservationType: pulumi.String("explicit"),
			Description:     pulumi.String("Multus pod addresses of " + n.Name),
		}, parent)
		if err != nil {
			return nil, err
		}
		reservations = append(reservations, r)
	}
	eniArgs := &ec2.NetworkInterfaceArgs{
		SubnetId:        subnetId,
		SecurityGroups:  pulumi.StringArray{sg.ID()},
		SourceDestCheck: pulumi.Bool(false),
		Description:     pulumi.String("Multus " + n.Name),
		// The chapter's tags: the VPC CNI leaves no_manage ENIs alone, and the node's attach script
		// finds its ENI by cluster, multus and Zone, and by multus-network, ours: while the ENI moves
		// to another subnet, the zone has two, and each node takes its own network's. The attachment
		// tag tells a later run who holds the ENI (multus.CheckAttachmentChange).
		Tags: nameTags(eniName, a.Tags, map[string]string{
			"multus": "true", "Zone": n.AvailabilityZone, multus.NetworkTag: n.Name, multus.AttachmentTag: string(a.Attachment),
			"node.k8s.amazonaws.com/no_manage": "true", "cluster": a.Cluster.EksName(),
		}),
	}
	if len(n.Eni.Prefixes) > 0 {
		eniArgs.Ipv4Prefixes = pulumi.ToStringArray(prefixStrings(n.Eni.Prefixes))
	} else {
		// An interface that lists its addresses names its primary first.
		eniArgs.PrivateIpListEnabled = pulumi.Bool(true)
		eniArgs.PrivateIpLists = pulumi.ToStringArray(addrStrings(append([]netip.Addr{n.Eni.PrimaryIp}, n.Eni.SecondaryIps...)))
	}
	// Reserved first, so EC2 hands those addresses to nothing else meanwhile.
	return ec2.NewNetworkInterface(ctx, eniName, eniArgs, parent, pulumi.DependsOn(reservations))
}

// multusAttachPolicy lets the cluster's node role attach this cluster's Multus ENIs: the attach runs
// on the node, with the node's credentials, at every boot.
func multusAttachPolicy(ctx *pulumi.Context, name string, a *MultusAwsArgs, parent pulumi.ResourceOrInvokeOption) (pulumi.Resource, error) {
	partition, err := aws.GetPartition(ctx, nil, parent)
	if err != nil {
		return nil, err
	}
	doc, err := clusterspec.MultusEniAttachPolicy(partition.Partition, a.Cluster.EksName()).JSON()
	if err != nil {
		return nil, err
	}
	return iam.NewRolePolicy(ctx, name+"-attach-eni", &iam.RolePolicyArgs{
		Role: a.Cluster.NodeRoleName, Policy: pulumi.String(doc),
	}, parent)
}

// multusSecurityGroup is the group of the Multus ENIs: traffic among them, and out to the VPC. Nothing
// comes in from outside the group.
func multusSecurityGroup(ctx *pulumi.Context, name string, a *MultusAwsArgs, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       a.Cluster.Vpc().VpcId.ToStringOutput(),
		Description: pulumi.String("Multus secondary network ENIs"),
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-from-multus", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(), IpProtocol: pulumi.String("-1"), ReferencedSecurityGroupId: sg.ID(),
		Description: pulumi.String("Multus pods to Multus pods"),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-to-multus", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(), IpProtocol: pulumi.String("-1"), ReferencedSecurityGroupId: sg.ID(),
		Description: pulumi.String("Multus pods to Multus pods"),
	}, parent); err != nil {
		return nil, err
	}
	_, err = vpc.NewSecurityGroupEgressRule(ctx, name+"-to-vpc", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(), IpProtocol: pulumi.String("-1"), CidrIpv4: pulumi.String(a.Cluster.Vpc().Plan.Input.CidrBlock),
		Description: pulumi.String("Multus pods to the VPC"),
	}, parent)
	return sg, err
}

// multusNodeGroup is a zone's Multus node: a managed node group in the zone's subnet whose user data
// installs the unit that attaches the zone's ENI at every boot. It depends on the ENI, so destroy
// removes the nodes (and with them the attachment Pulumi never saw) before it deletes the ENI, and on
// the attach policy, which the unit needs. It waits for what the cluster's own node group waits for,
// not for that group, so both boot at once.
//
// The launch template names the recommended EKS AMI, so EKS merges none of its own NodeConfig into the
// user data (ours sets maxPods, which EKS's would override: see multus.NodeConfig). pulumi-eks does
// the same for its own launch templates (nodejs/eks/nodegroup.ts, createMNGCustomLaunchTemplate). A
// new AMI release then shows as a launch template update: the group's rolling update.
func multusNodeGroup(ctx *pulumi.Context, name string, a *MultusAwsArgs, n multus.Network, subnetId pulumi.StringOutput,
	component pulumi.Resource, eni *ec2.NetworkInterface, attachPolicy pulumi.Resource) (pulumi.Resource, pulumi.StringOutput, error) {
	var none pulumi.StringOutput
	zoneLetter := n.AvailabilityZone[len(n.AvailabilityZone)-1:]
	resourceName := name + "-nodes-" + zoneLetter
	node := a.Cluster.NodeFacts()
	if node.EniErr != nil {
		return nil, none, node.EniErr
	}
	instance, limits := node.Instance, node.Eni
	subnetCidr, err := a.Cluster.Vpc().subnetCidr(a.Tier, n.AvailabilityZone)
	if err != nil {
		return nil, none, err
	}
	ngName := clusterspec.NodeGroupName("multus-"+zoneLetter, instance, true, []string{subnetCidr})
	parent := pulumi.Parent(component)
	params := multus.UserDataParams{
		ClusterName: a.Cluster.EksName(), Zone: n.AvailabilityZone, Network: n.Name, Region: a.Cluster.Region(), NodeGroup: ngName,
		// The VPC CNI cannot use the no_manage ENI, but would count it.
		MaxPods: limits.MaxPods(1),
	}
	launch, err := recommendedAmiLaunch(ctx, parent, clusterspec.AL2023, a.Cluster.Settings().KubernetesVersion, instance,
		clusterJoin{a.Cluster.EksName(), a.Cluster.Endpoint, a.Cluster.CertificateAuthorityData, a.Cluster.ServiceCidr},
		nodeadm.Node{MaxPods: params.MaxPods, NodeGroup: ngName},
		func(endpoint string) ([]string, error) {
			p := params
			p.Endpoint = endpoint
			installer, err := multus.InstallerPart(p)
			return []string{installer}, err
		})
	if err != nil {
		return nil, none, err
	}
	deps := append([]pulumi.Resource{eni, attachPolicy}, a.Cluster.NodePrerequisites()...)
	return newManagedNodeGroup(ctx, resourceName, managedNodeGroup{
		component:     component,
		clusterName:   a.Cluster.EksName(),
		cluster:       a.Cluster.EksCluster(),
		nodeGroupName: ngName,
		description:   "Multus nodes of " + a.Cluster.EksName() + " in " + n.AvailabilityZone,
		nodeRoleArn:   a.Cluster.NodeRoleArn,
		subnetIds:     pulumi.StringArray{subnetId},
		instance:      instance,
		amiFamily:     clusterspec.AL2023,
		// One node per zone: host-local allocates per node (multus.Plan refuses more). The node labels
		// itself multus.NodeLabel and multus.NetworkLabel once its ENI is attached; Multus pods select
		// those labels and tolerate the taint that keeps every other pod off the node.
		size:            clusterspec.NodeGroupSize{MinSize: 1, DesiredSize: 1, MaxSize: 1},
		taints:          []corev1.Taint{multus.NodeTaint},
		securityGroupId: a.Cluster.NodeSecurityGroupId,
		imageId:         launch.imageId,
		userData:        launch.userData,
		tags:            a.Tags,
	}, parent, deps)
}

// reservationSuffix names a reservation after its block: 192.168.96.16/28 -> 192-168-96-16-28.
func reservationSuffix(p netip.Prefix) string {
	return strings.NewReplacer(".", "-", "/", "-").Replace(p.String())
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}
