package components

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi-eks/sdk/v2/go/eks"
	apiextensionsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"eks-advanced-networking/internal/clusterspec"
	"eks-advanced-networking/internal/multus"
	"eks-advanced-networking/internal/netplan"
)

// MultusNetworkType is the component's type token.
const MultusNetworkType = "eks-advanced-networking:multus:MultusNetwork"

// MultusNetworkArgs configure the secondary networks.
type MultusNetworkArgs struct {
	// Networks come from multus.Plan: one per zone, the NAD and the ENI built from the same plan.
	Networks []multus.Network
	// Image is the Multus thick plugin image.
	Image string
	// DemoPod runs the chapter's multus-pod on the first network.
	DemoPod bool
	// SkipAwait stops Pulumi from waiting for the DaemonSet and the pod (a cluster with no nodes).
	SkipAwait bool
	// Aws builds the AWS side. Leave it nil where the nodes and their ENIs exist already
	// (bring-your-own-cluster): then only the Kubernetes objects are created.
	Aws *MultusAwsArgs
}

// MultusAwsArgs are the AWS side of the secondary networks.
type MultusAwsArgs struct {
	ClusterName string
	Region      string
	Vpc         *DualStackVpc
	// Tier is the subnet tier the networks live in (the plan's subnets).
	Tier netplan.Tier
	// Cluster, NodeRoleArn, NodeRoleName and NodeSecurityGroupId are the cluster's; Multus nodes are
	// ordinary nodes of it with one more ENI.
	Cluster             *eks.Cluster
	NodeRoleArn         pulumi.StringInput
	NodeRoleName        pulumi.StringInput
	NodeSecurityGroupId pulumi.StringInput
	// KubernetesVersion picks the nodes' AMI. Endpoint, CertificateAuthorityData and ServiceCidr are
	// the cluster's, for the nodes' NodeConfig (ClusterOutputs has them).
	KubernetesVersion        string
	Endpoint                 pulumi.StringInput
	CertificateAuthorityData pulumi.StringInput
	ServiceCidr              pulumi.StringInput
	// NodePrerequisites are what Multus nodes wait for (ClusterParts.NodePrerequisites): the same as
	// the cluster's own node group, so the two start side by side.
	NodePrerequisites []pulumi.Resource
	InstanceType      string
	Attachment        multus.Attachment
	// InstanceIds are the fixed instances, one per network, for multus.AttachInstances.
	InstanceIds []string
	Tags        map[string]string
}

// MultusNetwork is Multus on EKS with everything the chapter did by hand made declarative: the AWS EKS
// Multus build as typed Kubernetes objects, ENIs tagged as the chapter tags them and carrying the pod
// range (so pod addresses route in the VPC), subnet reservations for that range, the attachment of
// the ENIs, and one NetworkAttachmentDefinition per zone.
type MultusNetwork struct {
	pulumi.ResourceState

	NadNames pulumi.StringArrayOutput `pulumi:"nadNames"`
	// CheckCommands are the chapter's check of the demo pod's secondary address.
	CheckCommands pulumi.StringArrayOutput `pulumi:"checkCommands"`
}

func validateMultusArgs(name string, args *MultusNetworkArgs) error {
	bad := func(field, value, reason string) error {
		return fmt.Errorf("MultusNetwork %s: %s = %q: %s", name, field, value, reason)
	}
	if len(args.Networks) == 0 {
		return bad("Networks", "", "no networks; compute them with multus.Plan")
	}
	if args.Image == "" {
		return bad("Image", "", "an image is required: AWS's EKS build in the cluster's region, multus.EksImage(region, multus.MultusImageTag)")
	}
	a := args.Aws
	if a == nil {
		return nil
	}
	if a.Vpc == nil || a.Cluster == nil || a.ClusterName == "" || a.KubernetesVersion == "" ||
		a.Endpoint == nil || a.CertificateAuthorityData == nil || a.ServiceCidr == nil {
		return bad("Aws", "", "Vpc, Cluster, ClusterName, KubernetesVersion, Endpoint, CertificateAuthorityData and ServiceCidr are required")
	}
	if it, err := clusterspec.ParseInstanceType(a.InstanceType); err != nil {
		return bad("Aws.InstanceType", a.InstanceType, err.Error())
	} else if _, err := clusterspec.RecommendedAmiParameter(clusterspec.AL2023, a.KubernetesVersion, it); err != nil {
		return bad("Aws.InstanceType", a.InstanceType, err.Error())
	}
	if _, err := clusterspec.LookupEniLimit(a.InstanceType); err != nil {
		return bad("Aws.InstanceType", a.InstanceType, err.Error())
	}
	var fe *multus.FieldError
	if err := multus.ValidateAttachment(a.Attachment, a.InstanceIds, len(args.Networks)); errors.As(err, &fe) {
		return bad("Aws."+fe.Field, fe.Value, fe.Reason)
	}
	for _, n := range args.Networks {
		if _, err := a.Vpc.subnetIndex(a.Tier, n.AvailabilityZone); err != nil {
			return bad("Networks", n.Name, err.Error())
		}
	}
	return nil
}

// NewMultusNetwork registers the networks. The Kubernetes objects need a Kubernetes provider and the
// AWS side an AWS provider, both among opts (pulumi.Providers).
func NewMultusNetwork(ctx *pulumi.Context, name string, args *MultusNetworkArgs, opts ...pulumi.ResourceOption) (*MultusNetwork, error) {
	if args == nil {
		return nil, fmt.Errorf("MultusNetwork %s: args are required", name)
	}
	if err := validateMultusArgs(name, args); err != nil {
		return nil, err
	}
	c := &MultusNetwork{}
	if err := ctx.RegisterComponentResource(MultusNetworkType, name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	var multusNodes []pulumi.Resource
	if args.Aws != nil {
		var err error
		if multusNodes, err = multusAws(ctx, name, args, parent); err != nil {
			return nil, err
		}
	}
	checkCommands, err := multusKubernetes(ctx, name, args, multusNodes, parent)
	if err != nil {
		return nil, err
	}

	var nadNames []string
	for _, n := range args.Networks {
		nadNames = append(nadNames, n.Name)
	}
	c.NadNames = pulumi.ToStringArray(nadNames).ToStringArrayOutput()
	c.CheckCommands = pulumi.ToStringArray(checkCommands).ToStringArrayOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"nadNames": c.NadNames, "checkCommands": c.CheckCommands})
}

// multusAws registers the AWS side and returns what the Multus pods must wait for (the nodes).
func multusAws(ctx *pulumi.Context, name string, args *MultusNetworkArgs, parent pulumi.ResourceOrInvokeOption) ([]pulumi.Resource, error) {
	a := args.Aws
	sg, err := multusSecurityGroup(ctx, name, a, nameTags(name, a.Tags), parent)
	if err != nil {
		return nil, err
	}
	var attachPolicy pulumi.Resource
	if a.Attachment == multus.AttachNodeGroup {
		if attachPolicy, err = multusAttachPolicy(ctx, name, a, parent); err != nil {
			return nil, err
		}
	}
	var nodes []pulumi.Resource
	for i, n := range args.Networks {
		subnetId, _ := a.Vpc.SubnetId(a.Tier, n.AvailabilityZone)
		eni, err := multusEni(ctx, name, a, n, subnetId, sg, parent)
		if err != nil {
			return nil, err
		}
		switch a.Attachment {
		case multus.AttachInstances:
			attachment, err := ec2.NewNetworkInterfaceAttachment(ctx, name+"-"+n.Name, &ec2.NetworkInterfaceAttachmentArgs{
				InstanceId: pulumi.String(a.InstanceIds[i]), NetworkInterfaceId: eni.ID(), DeviceIndex: pulumi.Int(1),
			}, parent)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, attachment)
		case multus.AttachNodeGroup:
			ng, err := multusNodeGroup(ctx, name, a, n, subnetId, parent, eni, attachPolicy)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, ng)
		}
	}
	return nodes, nil
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
		// finds its ENI by cluster, multus and Zone.
		Tags: nameTags(eniName, a.Tags, map[string]string{
			"multus": "true", "Zone": n.AvailabilityZone,
			"node.k8s.amazonaws.com/no_manage": "true", "cluster": a.ClusterName,
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
	doc, err := clusterspec.MultusEniAttachPolicy(partition.Partition, a.ClusterName).JSON()
	if err != nil {
		return nil, err
	}
	return iam.NewRolePolicy(ctx, name+"-attach-eni", &iam.RolePolicyArgs{
		Role: a.NodeRoleName, Policy: pulumi.String(doc),
	}, parent)
}

// multusSecurityGroup is the group of the Multus ENIs: traffic among them, and out to the VPC. Nothing
// comes in from outside the group.
func multusSecurityGroup(ctx *pulumi.Context, name string, a *MultusAwsArgs, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       a.Vpc.VpcId.ToStringOutput(),
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
		SecurityGroupId: sg.ID(), IpProtocol: pulumi.String("-1"), CidrIpv4: pulumi.String(a.Vpc.Plan.Input.CidrBlock),
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
	parent pulumi.ResourceOrInvokeOption, eni *ec2.NetworkInterface, attachPolicy pulumi.Resource) (pulumi.Resource, error) {
	zoneLetter := n.AvailabilityZone[len(n.AvailabilityZone)-1:]
	ngName := "multus-" + zoneLetter
	resourceName := name + "-nodes-" + zoneLetter
	limits, err := clusterspec.LookupEniLimit(a.InstanceType)
	if err != nil {
		return nil, err
	}
	instance, err := clusterspec.ParseInstanceType(a.InstanceType)
	if err != nil {
		return nil, err
	}
	parameter, err := clusterspec.RecommendedAmiParameter(clusterspec.AL2023, a.KubernetesVersion, instance)
	if err != nil {
		return nil, err
	}
	ami, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{Name: parameter}, parent)
	if err != nil {
		return nil, fmt.Errorf("looking up the EKS AMI for %s (%s): %w", a.InstanceType, parameter, err)
	}
	params := multus.UserDataParams{
		ClusterName: a.ClusterName, Zone: n.AvailabilityZone, Region: a.Region, NodeGroup: ngName,
		// The VPC CNI cannot use the no_manage ENI, but would count it.
		MaxPods: limits.MaxPods(1),
	}
	userData := pulumi.All(a.Endpoint, a.CertificateAuthorityData, a.ServiceCidr).ApplyT(func(v []any) (string, error) {
		p := params
		p.Endpoint, p.CertificateAuthority, p.ServiceCidr = v[0].(string), v[1].(string), v[2].(string)
		return multus.UserData(p)
	}).(pulumi.StringOutput)
	deps := append([]pulumi.Resource{eni, attachPolicy}, a.NodePrerequisites...)
	return newManagedNodeGroup(ctx, resourceName, managedNodeGroup{
		cluster:       a.Cluster,
		nodeGroupName: ngName,
		description:   "Multus nodes of " + a.ClusterName + " in " + n.AvailabilityZone,
		nodeRoleArn:   a.NodeRoleArn,
		subnetIds:     pulumi.StringArray{subnetId},
		instance:      instance,
		amiFamily:     clusterspec.AL2023,
		// One node per zone: host-local allocates per node (multus.Plan refuses more). The node labels
		// itself multus.NodeLabel once its ENI is attached; Multus pods select that label.
		size:            clusterspec.NodeGroupSize{MinSize: 1, DesiredSize: 1, MaxSize: 1},
		securityGroupId: a.NodeSecurityGroupId,
		imageId:         pulumi.String(ami.Value),
		userData:        userData,
		tags:            a.Tags,
	}, parent, deps)
}

// multusKubernetes registers Multus itself, the NADs and the demo pod, and returns the demo's check.
func multusKubernetes(ctx *pulumi.Context, name string, args *MultusNetworkArgs, nodes []pulumi.Resource, parent pulumi.ResourceOrInvokeOption) ([]string, error) {
	crdRes, err := apiextensionsv1.NewCustomResourceDefinition(ctx, name+"-nad-crd", nadCrd(), parent)
	if err != nil {
		return nil, err
	}
	configMap, err := multus.ConfigMap()
	if err != nil {
		return nil, err
	}
	daemonSet := multus.DaemonSet(args.Image)
	if args.SkipAwait {
		skipAwait(&daemonSet.ObjectMeta)
	}
	for _, o := range []struct {
		suffix string
		obj    any
	}{
		{"cluster-role", multus.ClusterRole()}, {"cluster-role-binding", multus.ClusterRoleBinding()},
		{"service-account", multus.ServiceAccount()}, {"daemon-config", configMap},
	} {
		if _, err := newKubeObject(ctx, name+"-"+o.suffix, o.obj, parent); err != nil {
			return nil, err
		}
	}
	daemon, err := newKubeObject(ctx, name+"-daemonset", daemonSet, parent)
	if err != nil {
		return nil, err
	}

	nads := make([]pulumi.Resource, len(args.Networks))
	for i, n := range args.Networks {
		nad, err := n.NetworkAttachmentDefinition()
		if err != nil {
			return nil, err
		}
		if nads[i], err = newKubeObject(ctx, name+"-"+n.Name, nad, parent, pulumi.DependsOn([]pulumi.Resource{crdRes})); err != nil {
			return nil, err
		}
	}
	if args.DemoPod {
		n := args.Networks[0]
		pod := multus.DemoPod(n)
		if args.SkipAwait {
			skipAwait(&pod.ObjectMeta)
		}
		deps := append([]pulumi.Resource{nads[0], daemon}, nodes...)
		if _, err := newKubeObject(ctx, name+"-demo-pod", pod, parent, pulumi.DependsOn(deps)); err != nil {
			return nil, err
		}
		first, _ := n.ExpectedAddress(0)
		return []string{
			fmt.Sprintf("kubectl exec -n %s %s -- ip addr show net1   # expect inet %s/%d", multus.NadNamespace, multus.DemoPodName, first, n.Subnet.Bits()),
		}, nil
	}
	return nil, nil
}

// nadCrd is the NetworkAttachmentDefinition CRD with the schema of AWS's Multus manifest.
func nadCrd() *apiextensionsv1.CustomResourceDefinitionArgs {
	str := func(description string) apiextensionsv1.JSONSchemaPropsArgs {
		return apiextensionsv1.JSONSchemaPropsArgs{Type: pulumi.String("string"), Description: pulumi.String(description)}
	}
	return &apiextensionsv1.CustomResourceDefinitionArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("network-attachment-definitions.k8s.cni.cncf.io")},
		Spec: &apiextensionsv1.CustomResourceDefinitionSpecArgs{
			Group: pulumi.String("k8s.cni.cncf.io"),
			Scope: pulumi.String("Namespaced"),
			Names: &apiextensionsv1.CustomResourceDefinitionNamesArgs{
				Plural: pulumi.String("network-attachment-definitions"), Singular: pulumi.String("network-attachment-definition"),
				Kind: pulumi.String("NetworkAttachmentDefinition"), ShortNames: pulumi.ToStringArray([]string{"net-attach-def"}),
			},
			Versions: apiextensionsv1.CustomResourceDefinitionVersionArray{&apiextensionsv1.CustomResourceDefinitionVersionArgs{
				Name: pulumi.String("v1"), Served: pulumi.Bool(true), Storage: pulumi.Bool(true),
				Schema: &apiextensionsv1.CustomResourceValidationArgs{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaPropsArgs{
					Description: pulumi.String("NetworkAttachmentDefinition is a CRD schema specified by the Network Plumbing Working Group to express the intent for attaching pods to one or more logical or physical networks. More information available at: https://github.com/k8snetworkplumbingwg/multi-net-spec"),
					Type:        pulumi.String("object"),
					Properties: apiextensionsv1.JSONSchemaPropsMap{
						"apiVersion": str("APIVersion defines the versioned schema of this representation of an object."),
						"kind":       str("Kind is a string value representing the REST resource this object represents."),
						"metadata":   apiextensionsv1.JSONSchemaPropsArgs{Type: pulumi.String("object")},
						"spec": apiextensionsv1.JSONSchemaPropsArgs{
							Description: pulumi.String("NetworkAttachmentDefinition spec defines the desired state of a network attachment"),
							Type:        pulumi.String("object"),
							Properties:  apiextensionsv1.JSONSchemaPropsMap{"config": str("NetworkAttachmentDefinition config is a JSON-formatted CNI configuration")},
						},
					},
				}},
			}},
		},
	}
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

// subnetIndex finds the plan's subnet of a tier in a zone.
func (v *DualStackVpc) subnetIndex(tier netplan.Tier, az string) (int, error) {
	for i, s := range v.Plan.Subnets {
		if s.Tier == tier && s.AvailabilityZone == az {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the VPC has no %s subnet in %s", tier, az)
}

// SubnetId returns the id of the VPC's subnet of a tier in a zone.
func (v *DualStackVpc) SubnetId(tier netplan.Tier, az string) (pulumi.StringOutput, error) {
	i, err := v.subnetIndex(tier, az)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return v.subnets[i].ID().ToStringOutput(), nil
}
