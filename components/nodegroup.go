package components

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"

	"eks-advanced-networking/internal/clusterspec"
)

// managedNodeGroup is what differs between the managed node groups the components create: the
// cluster's own, and Multus's one per zone. A new node OS is a new clusterspec.AmiFamily, not a new
// copy of this.
type managedNodeGroup struct {
	// component is the component the group belongs to; clusterName and cluster are the EKS cluster's
	// name and pulumi-eks's cluster, which the group waits for.
	component   pulumi.Resource
	clusterName string
	cluster     *eks.Cluster
	// nodeGroupName is EKS's name for the group: clusterspec.NodeGroupName, so that what EKS cannot
	// change in place makes a new group beside the old one.
	nodeGroupName string
	// kubernetesVersion is the cluster's: a group on EKS's AMI type names it, so a cluster upgrade
	// upgrades its nodes too. A group naming its AMI follows through the AMI's SSM parameter path,
	// which holds the version.
	kubernetesVersion string
	// releaseVersion is the recommended AMI release for a group on EKS's AMI type (from SSM), so the
	// group rolls at every AMI release, as a group naming its AMI does.
	releaseVersion pulumi.StringInput
	description    string
	nodeRoleArn    pulumi.StringInput
	subnetIds      pulumi.StringArrayInput
	instance       clusterspec.InstanceType
	amiFamily      clusterspec.AmiFamily
	size           clusterspec.NodeGroupSize
	// ipv6 turns the IPv6 metadata endpoint on (IPv6 clusters).
	ipv6            bool
	securityGroupId pulumi.StringInput
	// imageId, when set, is the AMI; EKS then merges nothing into the user data, which must be a
	// complete NodeConfig, and the group takes no AMI type. Without it EKS picks the AMI of the
	// group's AMI type (the family's, for the instance's architecture and accelerator).
	imageId pulumi.StringInput
	// userData is the family's user data (AL2023: MIME multipart, not base64), or nil.
	userData pulumi.StringInput
	// taints are set on every node the group registers.
	taints []corev1.Taint
	tags   map[string]string
}

// eksTaintEffects are EKS's names of Kubernetes's taint effects (EKS API reference, Taint).
var eksTaintEffects = map[corev1.TaintEffect]string{
	corev1.TaintEffectNoSchedule:       "NO_SCHEDULE",
	corev1.TaintEffectNoExecute:        "NO_EXECUTE",
	corev1.TaintEffectPreferNoSchedule: "PREFER_NO_SCHEDULE",
}

// newManagedNodeGroup registers a node group and its launch template. The launch template: IMDSv2
// only, reachable over IPv6 on IPv6 clusters, one hop so pods cannot borrow the node's credentials,
// an encrypted gp3 root volume, and the given security group. No subnet and no instance profile: EKS
// refuses both in a managed node group's launch template. Both are children of parent; the node
// group also waits for dependsOn. The revision changes whenever the group's nodes are replaced (a
// new AMI, a new launch template version, another instance type): what checks of the nodes follow.
func newManagedNodeGroup(ctx *pulumi.Context, name string, ng managedNodeGroup, parent pulumi.ResourceOrInvokeOption, dependsOn []pulumi.Resource) (*awseks.NodeGroup, pulumi.StringOutput, error) {
	tags := nameTags(name, ng.tags)
	ipv6 := "disabled"
	if ng.ipv6 {
		ipv6 = "enabled"
	}
	lt := &ec2.LaunchTemplateArgs{
		Description:          pulumi.String(ng.description),
		UpdateDefaultVersion: pulumi.Bool(true),
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpProtocolIpv6:        pulumi.String(ipv6),
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{&ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize: pulumi.Int(20), VolumeType: pulumi.String("gp3"),
				Encrypted: pulumi.String("true"), DeleteOnTermination: pulumi.String("true"),
			},
		}},
		VpcSecurityGroupIds: pulumi.StringArray{ng.securityGroupId},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: tags},
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: tags},
		},
		Tags: tags,
	}
	if ng.imageId != nil {
		lt.ImageId = ng.imageId
	}
	if ng.userData != nil {
		lt.UserData = ng.userData.ToStringOutput().ApplyT(func(s string) string {
			return base64.StdEncoding.EncodeToString([]byte(s))
		}).(pulumi.StringOutput)
	}
	launchTemplate, err := ec2.NewLaunchTemplate(ctx, name, lt, parent)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	// The AMI is in the revision as well as through the launch template's version: the version is
	// known only once the update has run, the image id and the release version already at preview,
	// so the preview shows the checks re-running at an AMI release.
	ami := pulumi.StringInput(pulumi.String(""))
	switch {
	case ng.imageId != nil:
		ami = ng.imageId
	case ng.releaseVersion != nil:
		ami = ng.releaseVersion
	}
	revision := pulumi.Sprintf("%s instance-type=%s ami=%s launch-template-version=%d", ng.nodeGroupName, ng.instance.Name, ami, launchTemplate.LatestVersion)

	args := &awseks.NodeGroupArgs{
		ClusterName:   pulumi.String(ng.clusterName),
		NodeGroupName: pulumi.String(ng.nodeGroupName),
		NodeRoleArn:   ng.nodeRoleArn,
		SubnetIds:     ng.subnetIds,
		InstanceTypes: pulumi.ToStringArray([]string{ng.instance.Name}),
		CapacityType:  pulumi.String("ON_DEMAND"),
		ScalingConfig: &awseks.NodeGroupScalingConfigArgs{
			MinSize: pulumi.Int(ng.size.MinSize), DesiredSize: pulumi.Int(ng.size.DesiredSize), MaxSize: pulumi.Int(ng.size.MaxSize),
		},
		LaunchTemplate: &awseks.NodeGroupLaunchTemplateArgs{
			Id:      launchTemplate.ID(),
			Version: launchTemplate.LatestVersion.ApplyT(func(v int) string { return strconv.Itoa(v) }).(pulumi.StringOutput),
		},
	}
	if ng.imageId == nil {
		amiType, err := clusterspec.AmiType(ng.amiFamily, ng.instance)
		if err != nil {
			return nil, pulumi.StringOutput{}, err
		}
		args.AmiType = pulumi.String(amiType)
		args.Version = pulumi.String(ng.kubernetesVersion)
		args.ReleaseVersion = ng.releaseVersion
	} else {
		// EKS takes no version with an image id (pulumi-eks nodegroup.ts drops it too), and only CUSTOM
		// as the AMI type: naming it keeps the group's recorded AMI type true to what EKS holds.
		args.AmiType = pulumi.String(clusterspec.CustomAmiType)
	}
	var taints awseks.NodeGroupTaintArray
	for _, t := range ng.taints {
		effect, ok := eksTaintEffects[t.Effect]
		if !ok {
			return nil, pulumi.StringOutput{}, fmt.Errorf("node group %s: EKS has no taint effect %s", name, t.Effect)
		}
		taints = append(taints, awseks.NodeGroupTaintArgs{Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(effect)})
	}
	if len(taints) > 0 {
		args.Taints = taints
	}
	group, err := awseks.NewNodeGroup(ctx, name, args, parent, pulumi.DependsOn(append([]pulumi.Resource{ng.cluster}, dependsOn...)),
		// pulumi-aws asks for delete-before-replace whenever the program names a resource whose name it
		// would otherwise generate, whether or not the name changes (pulumi-terraform-bridge
		// pkg/tfbridge/provider.go Diff, nameRequiresDeleteBeforeReplace; pulumi-aws autonames
		// nodeGroupName and sets no UniqueNameFields for aws_eks_node_group). The group would then be
		// deleted, and its pods evicted with nowhere to go, before its successor exists. Every
		// replacement changes the name (clusterspec.NodeGroupName), so the new group is created first.
		pulumi.DeleteBeforeReplace(false),
		// Groups were once pulumi-eks ManagedNodeGroups, which made this resource as their child under
		// the same name; the alias keeps it (and its nodes) across that change.
		pulumi.Aliases([]pulumi.Alias{{ParentURN: pulumi.CreateURN(pulumi.String(name), pulumi.String("eks:index:ManagedNodeGroup"),
			ng.component.URN().ApplyT(func(u pulumi.URN) string { return string(u) }).(pulumi.StringOutput),
			pulumi.String(ctx.Project()), pulumi.String(ctx.Stack()))}}))
	return group, revision, err
}
